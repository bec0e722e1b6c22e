"""Subset, validation split and the tf.data pipeline fed from in-memory uint8 images.

Images stay uint8 in memory (4x smaller than float); scaling to [0, 1] and augmentation
(random flip, pad-4 and crop) run on the fly on whole batches, so the pipeline keeps up with
the train step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .data import DataArrays

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf


@dataclass(frozen=True)
class Split:
    """The images a run uses: training part and validation part, both uint8."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    class_names: tuple[str, ...]


def split_data(data: DataArrays, *, subset: int, validation_split: float, seed: int) -> Split:
    """Take a seeded random `subset` (0 = all) of the training images, then hold out a fraction.

    With validation_split 0 the dataset's test images serve as validation data, so every run
    has something to measure generalisation on.
    """
    order = np.random.default_rng(seed).permutation(len(data.x_train))
    if subset:
        order = order[:subset]
    n_val = int(round(len(order) * validation_split))
    if n_val == 0 or n_val >= len(order):
        return Split(data.x_train[order], data.y_train[order], data.x_test, data.y_test,
                     data.class_names)
    train, val = order[n_val:], order[:n_val]
    return Split(data.x_train[train], data.y_train[train], data.x_train[val], data.y_train[val],
                 data.class_names)


def train_dataset(x: np.ndarray, y: np.ndarray, *, batch_size: int, seed: int,
                  augment: bool) -> tf.data.Dataset:
    """Shuffled (every epoch), batched, scaled and optionally augmented; prefetched."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y.astype(np.int32)))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    gen = tf.random.Generator.from_seed(seed)

    def prepare(images: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        images = tf.cast(images, tf.float32) / 255.0
        if augment:
            images = augment_batch(images, gen)
        return images, labels

    return ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def eval_dataset(x: np.ndarray, y: np.ndarray, *, batch_size: int) -> tf.data.Dataset:
    """In order, batched and scaled: for validation and the confusion matrix."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y.astype(np.int32))).batch(batch_size)
    return ds.map(lambda a, b: (tf.cast(a, tf.float32) / 255.0, b),
                  num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def augment_batch(images: tf.Tensor, gen: tf.random.Generator, pad: int = 4) -> tf.Tensor:
    """Random horizontal flip and a random 32x32 crop of the zero-padded image, per image.

    The crop is done with crop_and_resize on pixel-aligned boxes, which copies pixels exactly
    and keeps the whole batch in one op (no per-image map).
    """
    import tensorflow as tf

    n = tf.shape(images)[0]
    size = images.shape[1]
    flip = gen.uniform([n, 1, 1, 1]) < 0.5
    images = tf.where(flip, tf.reverse(images, axis=[2]), images)
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    full = float(size + 2 * pad - 1)
    offsets = tf.cast(gen.uniform_full_int([n, 2]) % (2 * pad + 1), tf.float32)
    oy, ox = offsets[:, 0], offsets[:, 1]
    boxes = tf.stack([oy / full, ox / full, (oy + size - 1) / full, (ox + size - 1) / full], 1)
    return tf.image.crop_and_resize(padded, boxes, tf.range(n), [size, size])
