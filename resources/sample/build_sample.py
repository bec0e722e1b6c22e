"""Build the bundled CIFAR-10 sample (`cifar10_sample.npz`) from the offline copy of CIFAR-10.

Why: the app must train with no network and no tensorflow-datasets cache, so it ships a few
thousand real images. Run once from the repository root:

    python resources/sample/build_sample.py /work/shared/data/cifar10

Train images come from `train_exact.npz` (lossless pixels, original train indices 0..N-1);
test images are the first 30 of each class in `test.npz` (the full test set, JPEG-decoded).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

N_TRAIN = 1800
TEST_PER_CLASS = 30
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")


def build(source: Path, target: Path) -> None:
    train = np.load(source / "train_exact.npz")
    test = np.load(source / "test.npz")
    x_train, y_train = train["x"][:N_TRAIN], train["y"][:N_TRAIN].astype(np.uint8)
    picks = np.concatenate([np.flatnonzero(test["y"] == c)[:TEST_PER_CLASS] for c in range(10)])
    picks.sort()
    x_test, y_test = test["x"][picks], test["y"][picks].astype(np.uint8)
    np.savez_compressed(target, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                        class_names=np.array(CLASS_NAMES))
    print(f"{target}: {len(x_train)} train, {len(x_test)} test, "
          f"{target.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/cifar10")
    build(src, Path(__file__).resolve().parent / "cifar10_sample.npz")
