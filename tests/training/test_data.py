"""Datasets: the bundled sample, local files, the offline message, splits and the pipeline."""

from __future__ import annotations

import time

import numpy as np
import pytest

from cnn_explorer.training import data as data_mod
from cnn_explorer.training.data import DataUnavailableError, load_dataset
from cnn_explorer.training.pipeline import augment_batch, split_data, train_dataset


def test_sample_is_real_cifar10_and_small(sample):
    assert sample.x_train.shape[1:] == (32, 32, 3) and sample.x_train.dtype == np.uint8
    assert 1000 <= len(sample.x_train) <= 5000 and 100 <= len(sample.x_test) <= 1000
    assert sample.class_names[0] == "airplane" and len(sample.class_names) == 10
    assert set(np.unique(sample.y_train)) == set(range(10))
    assert (data_mod.cnn_explorer.RESOURCES / data_mod.SAMPLE_FILE).stat().st_size < 6.5e6


def test_npz_file_with_x_and_y(tmp_path, sample):
    path = tmp_path / "mine.npz"
    np.savez(path, x=sample.x_train[:50], y=sample.y_train[:50].reshape(-1, 1))
    loaded = load_dataset(str(path))
    assert loaded.x_train.shape == (50, 32, 32, 3) and loaded.y_train.shape == (50,)


def test_npz_with_wrong_shape_says_what_it_expected(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, x=np.zeros((4, 28, 28), np.uint8), y=np.zeros(4))
    with pytest.raises(DataUnavailableError, match=r"\(N, 32, 32, 3\)"):
        load_dataset(str(path))


def _fake_archive(path, sample, n: int = 20):
    """A CIFAR-10 binary archive (label byte + CHW pixels per record) of sample images."""
    import io
    import tarfile

    rows = np.concatenate([sample.y_train[:n, None].astype(np.uint8),
                           sample.x_train[:n].transpose(0, 3, 1, 2).reshape(n, -1)], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        names = "\n".join(("plane",) + sample.class_names[1:]).encode()
        info = tarfile.TarInfo("cifar-10-batches-bin/batches.meta.txt")
        info.size = len(names)
        tar.addfile(info, io.BytesIO(names))
        for name in ("cifar-10-batches-bin/data_batch_1.bin",
                     "cifar-10-batches-bin/test_batch.bin"):
            blob = rows.tobytes()
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def test_binary_archive_is_read_without_tfds(tmp_path, sample):
    loaded = load_dataset(str(_fake_archive(tmp_path / "cifar-10-binary.tar.gz", sample)))
    np.testing.assert_array_equal(loaded.x_train, sample.x_train[:20])
    np.testing.assert_array_equal(loaded.y_test, sample.y_train[:20])
    assert loaded.class_names[:2] == ("plane", "automobile")  # read from the archive


def test_archive_in_the_tfds_manual_folder_works_offline(tmp_path, monkeypatch, sample):
    """tensorflow-datasets refuses an archive whose checksum it does not know; we read it."""
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data_mod, "DOWNLOAD_URLS",
                        {"cifar10": "https://cifar.invalid/cifar-10-binary.tar.gz"})
    _fake_archive(data_mod.manual_archive_path("cifar10"), sample)
    messages: list[str] = []
    loaded = load_dataset("cifar10", status=messages.append)
    assert loaded.name == "cifar10" and len(loaded.x_train) == 20
    assert not any("Downloading" in m for m in messages)


def test_offline_cifar_gives_clear_message_fast_or_falls_back(tmp_path, monkeypatch):
    """No cache, no manual archive, unreachable host: a message naming the offline choices."""
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data_mod, "DOWNLOAD_URLS",  # .invalid never resolves, online or not
                        {"cifar10": "https://cifar.invalid/cifar-10-binary.tar.gz"})
    start = time.monotonic()
    with pytest.raises(DataUnavailableError) as caught:
        load_dataset("cifar10", reach_timeout_s=1.0)
    assert time.monotonic() - start < 30
    assert "sample" in str(caught.value) and "cifar-10-binary.tar.gz" in str(caught.value)
    fallback = load_dataset("cifar10", reach_timeout_s=1.0, fallback_to_sample=True)
    assert fallback.name == "sample" and "no network" in fallback.note


def test_split_subset_and_validation(sample):
    split = split_data(sample, subset=100, validation_split=0.2, seed=1)
    assert len(split.x_train) == 80 and len(split.x_val) == 20
    again = split_data(sample, subset=100, validation_split=0.2, seed=1)
    np.testing.assert_array_equal(split.y_val, again.y_val)
    no_val = split_data(sample, subset=100, validation_split=0.0, seed=1)
    assert len(no_val.x_val) == len(sample.x_test)  # the test images validate instead


def test_pipeline_scales_to_unit_range_and_batches(sample):
    ds = train_dataset(sample.x_train[:70], sample.y_train[:70], batch_size=32, seed=0,
                       augment=False)
    batches = list(ds)
    assert [len(b[0]) for b in batches] == [32, 32, 6]
    x = batches[0][0].numpy()
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.5


def test_augmentation_flips_and_shifts_but_keeps_pixels():
    import tensorflow as tf

    images = tf.random.uniform([64, 32, 32, 3], seed=3)
    out = augment_batch(images, tf.random.Generator.from_seed(0)).numpy()
    assert out.shape == (64, 32, 32, 3)
    changed = [not np.allclose(out[i], images[i]) for i in range(64)]
    assert sum(changed) > 40  # most images moved or flipped
    # A crop copies pixels: every non-padding value of an output exists in its input.
    inside = out[0][out[0] > 0]
    assert np.isin(np.round(inside, 5), np.round(images[0].numpy(), 5)).mean() > 0.99
