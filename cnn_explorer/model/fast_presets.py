"""Presets designed for time-to-accuracy on a CPU, with the run settings that make them fast.

`fast-cifar` follows airbench (Keller Jordan, 2024): a 2x2 stem convolution, then three blocks
of conv-pool-BN-GELU-conv-BN-GELU whose channels double, and a max-pool head. Small, shallow
and wide enough that two CPU cores push hundreds of images a second, trained with SGD with
Nesterov momentum on a warm-up then linear-decay schedule fitted to the time budget, label
smoothing, flip and crop, and the flip averaged in at test time.
"""

from __future__ import annotations

from .graph import Graph
from .settings import RunSettings

BN_MOMENTUM = 0.9  # running statistics settle within a few hundred steps of a short run


def fast_cifar(g: Graph, width: int = 32, classes: int = 10) -> None:
    """Stem 2x2 conv (valid, 31x31) + GELU, then blocks of `width`, 2x and 4x channels."""
    from .presets import Chain

    c = Chain(g)
    c.add("conv2d", "stem", filters=24, kernel=2, padding="valid", activation="linear")
    c.add("activation", "stem_gelu", activation="gelu")
    for i, filters in enumerate((width, 2 * width, 4 * width), start=1):
        c.add("conv2d", f"block{i}_conv1", filters=filters, activation="linear",
              use_bias=False, kernel_initializer="he_normal")
        c.add("max_pool", f"block{i}_pool")
        c.add("batch_norm", f"block{i}_bn1", momentum=BN_MOMENTUM)
        c.add("activation", f"block{i}_gelu1", activation="gelu")
        c.add("conv2d", f"block{i}_conv2", filters=filters, activation="linear",
              use_bias=False, kernel_initializer="he_normal")
        c.add("batch_norm", f"block{i}_bn2", momentum=BN_MOMENTUM)
        c.add("activation", f"block{i}_gelu2", activation="gelu")
    c.add("max_pool", "head_pool", pool_size=3, strides=3)  # 3x3 -> 1x1: a global max pool
    c.add("flatten", "flatten")
    c.add("classifier", "predictions", classes=classes)


def fast_cifar_settings(classes: int = 10) -> RunSettings:
    """The recipe that goes with `fast-cifar` (see the module docstring): five minutes."""
    return RunSettings(dataset="cifar10" if classes == 10 else "cifar100", optimizer="sgd",
                       learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=5e-3,
                       schedule="linear", warmup=0.2, label_smoothing=0.2, batch_size=128,
                       epochs=100, validation_split=0.0, augment=True, test_flip=True,
                       time_budget_s=300.0, grad_norm_every=10)
