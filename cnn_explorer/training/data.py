"""Datasets for training: CIFAR-10/100 via tensorflow-datasets, the bundled sample, local files.

Everything lands in memory as uint8 arrays (CIFAR is small), so a run can subset, split and
preview without touching the network again. No Qt here; TensorFlow is imported only when a
tensorflow-datasets copy is actually loaded.
"""

from __future__ import annotations

import os
import stat
import tarfile
import threading
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

import cnn_explorer

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
ARCHIVES = {"cifar10": "cifar-10-binary.tar.gz", "cifar100": "cifar-100-binary.tar.gz"}
# Where tensorflow-datasets fetches CIFAR from; we fetch the same file ourselves (bounded in
# time, with progress) into tfds' manual folder, and tfds prepares its cache from there.
DOWNLOAD_URLS = {name: f"https://www.cs.toronto.edu/~kriz/{archive}"
                 for name, archive in ARCHIVES.items()}
SAMPLE_FILE = "sample/cifar10_sample.npz"

Status = Callable[[str], None]


class DataUnavailableError(RuntimeError):
    """The requested dataset cannot be loaded; the message names what the user can do instead."""


@dataclass(frozen=True)
class DataArrays:
    """A dataset in memory: uint8 images (N, 32, 32, 3), integer labels, class names."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    note: str = ""  # e.g. why the sample was used instead of the requested dataset
    source: str = field(default="", compare=False)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def tfds_data_dir() -> Path:
    """Where tensorflow-datasets keeps its cache (it honours TFDS_DATA_DIR, like tfds itself)."""
    return Path(os.environ.get("TFDS_DATA_DIR", Path.home() / "tensorflow_datasets"))


def manual_archive_path(name: str) -> Path:
    """Where tensorflow-datasets looks for a manually downloaded official binary archive."""
    return tfds_data_dir() / "downloads" / "manual" / ARCHIVES[name]


def offline_choices(name: str) -> str:
    return (f"Offline choices: the bundled sample (dataset 'sample', {SAMPLE_FILE} with 1,800 "
            f"real CIFAR-10 images); an .npz file with x (N,32,32,3 uint8) and y; or the "
            f"official archive {ARCHIVES.get(name, ARCHIVES['cifar10'])} placed at "
            f"{manual_archive_path(name if name in ARCHIVES else 'cifar10')}.")


def load_dataset(name: str, *, status: Status | None = None, fallback_to_sample: bool = False,
                 reach_timeout_s: float = 3.0) -> DataArrays:
    """Load `name` ('sample', 'cifar10', 'cifar100' or an .npz path) into memory.

    With `fallback_to_sample`, a CIFAR dataset that has no cache and cannot be downloaded
    gives the bundled sample, with the reason in `note` (what the app does); else it raises.
    """
    status = status or (lambda _msg: None)
    if not isinstance(name, str) or not name:
        raise DataUnavailableError(f"The dataset must be a name or a path, not {name!r}.")
    if name == "sample":
        return load_sample()
    if name in ARCHIVES:
        try:
            return load_cifar(name, status=status, reach_timeout_s=reach_timeout_s)
        except DataUnavailableError as exc:
            if not fallback_to_sample:
                raise
            return _with_note(load_sample(), f"{exc} Using the bundled sample instead.")
    path = Path(name).expanduser()
    if path.suffix == ".npz":
        return load_npz(path)
    if path.name.endswith(".tar.gz") or path.is_dir():
        try:
            return load_binary_archive(path)
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise DataUnavailableError(f"{path} is not a readable CIFAR binary archive: "
                                       f"{_first_line(exc)}") from None
    raise DataUnavailableError(f"Unknown dataset {name!r}: expected sample, cifar10, cifar100, "
                               f"an .npz file or a CIFAR binary archive.")


def load_sample() -> DataArrays:
    """The bundled real CIFAR-10 sample: works with no network and no cache."""
    path = cnn_explorer.RESOURCES / SAMPLE_FILE
    if not path.exists():
        raise DataUnavailableError(f"The bundled sample is missing: {path}")
    with np.load(path) as d:
        return DataArrays("sample", d["x_train"], d["y_train"].astype(np.int64), d["x_test"],
                          d["y_test"].astype(np.int64), tuple(str(c) for c in d["class_names"]),
                          source=str(path))


def load_npz(path: Path) -> DataArrays:
    """A local .npz: `x`, `y` (split here into train and a held-out tail) or x_train/x_test.

    Anything else (random bytes, a cut-short or empty archive, pickled objects, text or NaN
    labels, labels below 0) is refused with a DataUnavailableError that says what is wrong.
    """
    _check_npz_file(path)
    try:
        with np.load(path, allow_pickle=False) as d:
            if not isinstance(d, np.lib.npyio.NpzFile):
                raise DataUnavailableError(f"{path}: a single .npy array, not an .npz archive "
                                           "of x and y")
            keys = set(d.files)
            if {"x_train", "y_train"} <= keys:
                x, y = d["x_train"], d["y_train"]
                xt, yt = (d["x_test"], d["y_test"]) if "x_test" in keys else (x[:0], y[:0])
            elif {"x", "y"} <= keys:
                x, y = d["x"], d["y"]
                xt, yt = x[:0], y[:0]
            else:
                raise DataUnavailableError(f"{path}: expected arrays x and y, found "
                                           f"{sorted(keys)[:10]}")
            names = _class_names(d["class_names"], path) if "class_names" in keys else None
    except DataUnavailableError:
        raise
    except Exception as exc:  # noqa: BLE001 - numpy raises ValueError, OSError, EOFError,
        # BadZipFile, zlib.error, tokenize.TokenError...: each means the file is unreadable
        raise DataUnavailableError(f"{path} is not a readable .npz dataset: "
                                   f"{_first_line(exc)}") from None
    for name, array in (("x", x), ("y", y), ("x_test", xt), ("y_test", yt)):
        if not isinstance(array, np.ndarray):  # numpy hands back a member that is no .npy raw
            raise DataUnavailableError(f"{path}: {name} is not a .npy array")
    x, xt = _check_images(x, path), _check_images(xt, path)
    y, yt = _check_labels(y, path, "y"), _check_labels(yt, path, "y_test")
    if len(y) != len(x) or len(yt) != len(xt):
        raise DataUnavailableError(f"{path}: {len(x)} images but {len(y)} labels")
    if not len(y):
        raise DataUnavailableError(f"{path}: holds no training images")
    n_classes = int(max(y.max(initial=0), yt.max(initial=0))) + 1
    if names is not None and n_classes > len(names):
        raise DataUnavailableError(f"{path}: label {n_classes - 1} is out of range for "
                                   f"{len(names)} class names")
    if names is None:
        names = CIFAR10_CLASSES if n_classes <= 10 else tuple(str(i) for i in range(n_classes))
    return DataArrays(path.stem, x, y, xt, yt, names, source=str(path))


MAX_NPZ_MEMBER_BYTES = 8 * 2**30  # what one array may take once unpacked
MAX_CLASSES = 100_000


def _check_npz_file(path: Path) -> None:
    """A regular zip file whose members unpack to a bounded size (no zip bomb, no FIFO)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DataUnavailableError(f"No such file: {path}") from None
    except OSError as exc:
        raise DataUnavailableError(f"Cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise DataUnavailableError(f"{path} is not a regular file")
    if not info.st_size:
        raise DataUnavailableError(f"{path} is empty")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise DataUnavailableError(f"{path} is not an .npz archive (a zip of .npy arrays): "
                                   f"{_first_line(exc)}") from None
    if not members:
        raise DataUnavailableError(f"{path} is an empty archive: expected arrays x and y")
    for member in members:
        if member.file_size > MAX_NPZ_MEMBER_BYTES:
            raise DataUnavailableError(f"{path}: {member.filename} unpacks to "
                                       f"{member.file_size / 2**30:.1f} GiB; at most "
                                       f"{MAX_NPZ_MEMBER_BYTES / 2**30:.0f} GiB per array")


def _check_labels(y: np.ndarray, path: Path, name: str) -> np.ndarray:
    """Whole-number class indices from 0; floats only when they hold whole numbers."""
    y = np.asarray(y).reshape(-1)
    if y.dtype.kind == "f":
        y = y.astype(np.float64)  # float16 cannot even hold MAX_CLASSES
        if not np.isfinite(y).all() or (y != np.round(y)).any():
            raise DataUnavailableError(f"{path}: {name} must hold whole-number class labels; "
                                       "it has NaN, infinite or fractional values")
    elif y.dtype.kind not in "iub":
        raise DataUnavailableError(f"{path}: {name} must hold whole-number class labels, "
                                   f"not {y.dtype} values")
    if len(y) and (y.min() < 0 or y.max() >= MAX_CLASSES):
        raise DataUnavailableError(f"{path}: {name} labels must be from 0 to "
                                   f"{MAX_CLASSES - 1:,} (found {y.min()} to {y.max()})")
    return y.astype(np.int64)


def _class_names(values: np.ndarray, path: Path) -> tuple[str, ...]:
    if values.ndim != 1 or values.dtype.kind not in "US" or not 0 < len(values) <= MAX_CLASSES:
        raise DataUnavailableError(f"{path}: class_names must be a list of texts")
    return tuple(str(c) for c in values)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _check_images(x: np.ndarray, path: Path) -> np.ndarray:
    if x.ndim != 4 or x.shape[1:] != (32, 32, 3):
        raise DataUnavailableError(f"{path}: x must have shape (N, 32, 32, 3), got {x.shape}")
    if x.dtype != np.uint8:
        raise DataUnavailableError(f"{path}: x must be uint8 (0-255), got {x.dtype}")
    return x


def load_binary_archive(path: Path) -> DataArrays:
    """Read the official CIFAR-10/100 binary archive (.tar.gz) without tensorflow-datasets."""
    if not path.exists():
        raise DataUnavailableError(f"No such file: {path}")
    is_100 = "100" in path.name
    label_bytes = 2 if is_100 else 1
    train, test, names = [], [], None
    names_file = "fine_label_names.txt" if is_100 else "batches.meta.txt"
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            base = Path(member.name).name
            if base == names_file:
                text = tar.extractfile(member).read().decode("utf-8", "replace")
                names = tuple(line.strip() for line in text.splitlines() if line.strip())
            if not base.endswith(".bin") or base.startswith("batches"):
                continue
            raw = np.frombuffer(tar.extractfile(member).read(), np.uint8)
            batch = (base, raw.reshape(-1, 3072 + label_bytes))
            (test if base.startswith("test") else train).append(batch)
    if not train:
        raise DataUnavailableError(f"{path}: no CIFAR .bin batches inside")

    def split(batches: list[tuple[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        chunks = [rows for _, rows in sorted(batches, key=lambda b: b[0])]  # data_batch_1..5
        rows = np.concatenate(chunks) if chunks else np.zeros((0, 3072 + label_bytes), np.uint8)
        x = rows[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return np.ascontiguousarray(x), rows[:, label_bytes - 1].astype(np.int64)

    (x, y), (xt, yt) = split(train), split(test)
    if not names or len(names) != (100 if is_100 else 10):  # the archive's own names file
        names = tuple(str(i) for i in range(100)) if is_100 else CIFAR10_CLASSES
    return DataArrays("cifar100" if is_100 else "cifar10", x, y, xt, yt, names, source=str(path))


def load_cifar(name: str, *, status: Status, reach_timeout_s: float = 3.0) -> DataArrays:
    """CIFAR through tensorflow-datasets: the cache, else the manual archive, else a download.

    The download is ours (bounded waits, progress in `status`) so an offline machine gets a
    clear message within seconds instead of tfds' long retry loop.
    """
    import tensorflow_datasets as tfds

    builder = tfds.builder(name, data_dir=str(tfds_data_dir()))
    if not _is_prepared(builder):
        manual = manual_archive_path(name)
        if not manual.exists():
            download_archive(DOWNLOAD_URLS[name], manual, status=status,
                             stall_timeout_s=reach_timeout_s, offline_hint=offline_choices(name))
        status(f"Preparing the {name} cache from {manual.name}...")
        config = tfds.download.DownloadConfig(try_download_gcs=False,
                                              manual_dir=str(manual.parent))
        try:
            builder.download_and_prepare(download_config=config)
        except Exception as exc:  # e.g. a checksum tfds does not know: read the archive directly
            status(f"tensorflow-datasets could not prepare {name} ({exc}); reading the archive.")
            return load_binary_archive(manual)
    status(f"Loading {name} from the tensorflow-datasets cache...")
    train, test = tfds.as_numpy(builder.as_dataset(split=["train", "test"], batch_size=-1))
    names = tuple(builder.info.features["label"].names)
    return DataArrays(name, train["image"], train["label"].astype(np.int64), test["image"],
                      test["label"].astype(np.int64), names, source=str(builder.data_path))


def _is_prepared(builder) -> bool:
    return (Path(str(builder.data_path)) / "dataset_info.json").exists()


def download_archive(url: str, target: Path, *, status: Status, stall_timeout_s: float = 3.0,
                     offline_hint: str = "") -> None:
    """Fetch `url` to `target` with progress; give up when no byte arrives for a while.

    The transfer runs in a daemon thread so that even DNS (which ignores socket timeouts) cannot
    hold the caller longer than `stall_timeout_s` without progress.
    """
    partial = target.with_name(target.name + ".part")
    progress = {"done": 0, "total": 0, "error": None, "finished": False}

    def fetch() -> None:
        try:
            partial.parent.mkdir(parents=True, exist_ok=True)
            with urllib.request.urlopen(url, timeout=max(stall_timeout_s, 10)) as response, \
                    partial.open("wb") as out:
                progress["total"] = int(response.headers.get("Content-Length") or 0)
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    progress["done"] += len(chunk)
            progress["finished"] = True
        except Exception as exc:  # reported by the waiting side
            progress["error"] = exc

    thread = threading.Thread(target=fetch, daemon=True, name="cifar-download")
    thread.start()
    status(f"Downloading {url} (first use; it is then cached)...")
    last_bytes, last_change = 0, time.monotonic()
    while thread.is_alive():
        thread.join(0.5)
        if progress["done"] != last_bytes:
            last_bytes, last_change = progress["done"], time.monotonic()
            total = progress["total"]
            share = f"{100 * last_bytes / total:.0f}% " if total else ""
            status(f"Downloading {target.name}: {share}({last_bytes / 1e6:.1f} MB)")
        elif time.monotonic() - last_change > stall_timeout_s + (10 if last_bytes > 0 else 0):
            break
    if not progress["finished"]:
        why = progress["error"] or "no response"
        raise DataUnavailableError(f"Cannot download {url} ({why}); no network? {offline_hint}")
    if progress["total"] and progress["done"] != progress["total"]:
        raise DataUnavailableError(f"Download of {url} was cut short. {offline_hint}")
    os.replace(partial, target)


def _with_note(data: DataArrays, note: str) -> DataArrays:
    return DataArrays(data.name, data.x_train, data.y_train, data.x_test, data.y_test,
                      data.class_names, note=note, source=data.source)
