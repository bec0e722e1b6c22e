"""Hostile training inputs (issue 10): every bad .npz, setting or output path is refused with
the reason and exit code 2 before training starts, leaving no file behind."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np
import pytest

from cnn_explorer.cli import main
from cnn_explorer.training.data import DataUnavailableError, load_dataset, load_npz

X = np.zeros((4, 32, 32, 3), np.uint8)


def npz(tmp_path, name="d.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_random_bytes(tmp_path):
    path = tmp_path / "r.npz"
    path.write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(DataUnavailableError, match="not an .npz archive"):
        load_npz(path)


def test_a_truncated_npz(tmp_path):
    good = npz(tmp_path, x=X, y=np.arange(4))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DataUnavailableError, match="cut.npz"):
        load_npz(cut)


def test_an_object_array_is_never_unpickled(tmp_path):
    path = npz(tmp_path, x=X, y=np.array([{"a": 1}, 2, 3, 4], dtype=object))
    with pytest.raises(DataUnavailableError, match="not a readable .npz"):
        load_npz(path)


def test_string_labels(tmp_path):
    path = npz(tmp_path, x=X, y=np.array(["cat", "dog", "cat", "dog"]))
    with pytest.raises(DataUnavailableError, match="whole-number class labels"):
        load_npz(path)


def test_an_empty_file_and_an_empty_archive(tmp_path):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(DataUnavailableError, match="is empty"):
        load_npz(empty)
    archive = tmp_path / "none.npz"
    np.savez(archive)
    with pytest.raises(DataUnavailableError, match="empty archive|expected arrays x and y"):
        load_npz(archive)


def test_a_bad_npy_member(tmp_path):
    path = tmp_path / "bad.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", b"\x93NUMPY garbage header")
        archive.writestr("y.npy", npy_bytes(np.arange(4)))
    with pytest.raises(DataUnavailableError, match="not a readable .npz"):
        load_npz(path)


def test_a_member_that_is_not_an_npy_array(tmp_path):
    """Found by fuzzing: numpy hands back raw bytes for a member without the .npy header."""
    path = tmp_path / "raw.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", b"just bytes")
        archive.writestr("y.npy", npy_bytes(np.arange(4)))
    with pytest.raises(DataUnavailableError, match="x is not a .npy array"):
        load_npz(path)


def test_a_damaged_npy_header(tmp_path):
    """Found by fuzzing: a cut header made numpy's parser raise tokenize.TokenError."""
    path = tmp_path / "header.npz"
    header = b"{'descr': '<i8', 'fortran_order': (".ljust(54) + b"\n"  # never closed
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header))
                         + header + bytes(32))
        archive.writestr("y.npy", npy_bytes(np.arange(4)))
    with pytest.raises(DataUnavailableError, match="not a readable .npz"):
        load_npz(path)


def test_nan_labels(tmp_path):
    path = npz(tmp_path, x=X, y=np.array([0.0, np.nan, 1.0, 2.0]))
    with pytest.raises(DataUnavailableError, match="NaN"):
        load_npz(path)


def test_fractional_labels(tmp_path):
    path = npz(tmp_path, x=X, y=np.array([0.0, 0.5, 1.0, 2.0]))
    with pytest.raises(DataUnavailableError, match="fractional"):
        load_npz(path)


def test_whole_float_labels_still_load(tmp_path):
    data = load_npz(npz(tmp_path, x=X, y=np.array([0.0, 1.0, 2.0, 3.0])))
    assert data.y_train.dtype == np.int64 and list(data.y_train) == [0, 1, 2, 3]


@pytest.mark.parametrize("labels, reason", [([0, -1, 1, 2], "from 0"),
                                            ([0, 1, 2, 10**9], "from 0")])
def test_negative_or_huge_labels(tmp_path, labels, reason):
    with pytest.raises(DataUnavailableError, match=reason):
        load_npz(npz(tmp_path, x=X, y=np.array(labels)))


def test_labels_beyond_the_class_names(tmp_path):
    path = npz(tmp_path, x=X, y=np.array([0, 1, 2, 5]), class_names=np.array(["a", "b", "c"]))
    with pytest.raises(DataUnavailableError, match="out of range for 3 class names"):
        load_npz(path)


def test_a_single_npy_named_npz(tmp_path):
    path = tmp_path / "one.npz"
    path.write_bytes(npy_bytes(np.arange(4)))
    with pytest.raises(DataUnavailableError):
        load_npz(path)


def test_a_fifo_dataset_does_not_block(tmp_path):
    import os

    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(DataUnavailableError, match="not a regular file"):
        load_npz(fifo)


@pytest.mark.parametrize("name", [[1], 5, None, ""])
def test_a_dataset_name_of_the_wrong_type(name):
    with pytest.raises(DataUnavailableError, match="name or a path"):
        load_dataset(name)


def train(tmp_path, *args) -> int:
    return main(["train", "--epochs", "1", "--subset", "32", *args])


def test_train_with_a_bad_npz_exits_2_and_leaves_no_file(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"\x00" * 100)
    log = tmp_path / "runs" / "r.jsonl"
    assert train(tmp_path, "--preset", "plain-cnn", "--dataset", str(bad), "--log", str(log)) == 2
    assert "not an .npz archive" in capsys.readouterr().err
    assert not log.exists()


def test_a_design_whose_dataset_setting_is_a_list(tmp_path, capsys):
    from cnn_explorer.model.files import design_to_dict
    from cnn_explorer.model.presets import build_preset

    data = design_to_dict(build_preset("plain-cnn"))
    data["run_settings"]["dataset"] = [1]
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data))
    assert train(tmp_path, str(path), "--log", str(tmp_path / "r.jsonl")) == 2
    assert "dataset must be a dataset name" in capsys.readouterr().err
    assert main(["summary", str(path)]) == 2


def test_a_preset_knob_of_the_wrong_type(capsys):
    assert main(["summary", "--preset", "resnet20", "--param", "depth=abc"]) == 2
    assert "depth must be a whole number" in capsys.readouterr().err
    assert main(["summary", "--preset", "resnet20", "--param", "depth=10000000"]) == 2
    assert main(["summary", "--preset", "resnet20", "--param", "depth"]) == 2
    assert main(["summary", "--preset", "efficientnet-b0", "--param", "phi=NaN"]) == 2


@pytest.mark.parametrize("option", ["--log", "--checkpoint"])
def test_output_paths_under_a_regular_file(tmp_path, capsys, option):
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep me")
    target = blocker / "sub" / "out.jsonl"
    args = ["--preset", "plain-cnn", "--dataset", "sample", option, str(target)]
    if option == "--checkpoint":
        args += ["--log", str(tmp_path / "r.jsonl")]
    assert train(tmp_path, *args) == 2
    err = capsys.readouterr().err
    assert option in err and "is a file, not a folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]  # no empty log left
    assert blocker.read_text() == "keep me"


def test_an_output_path_that_cannot_be_created(tmp_path, capsys):
    log = tmp_path / "r.jsonl"
    assert train(tmp_path, "--preset", "plain-cnn", "--dataset", "sample",
                 "--log", str(log), "--checkpoint", "/proc/nope/best.keras") == 2
    assert "--checkpoint /proc/nope/best.keras cannot be written" in capsys.readouterr().err
    assert not log.exists()


def test_an_output_path_that_is_a_folder(tmp_path, capsys):
    assert train(tmp_path, "--preset", "plain-cnn", "--dataset", "sample",
                 "--log", str(tmp_path)) == 2
    assert "is not a regular file" in capsys.readouterr().err
