"""Activation statistics per block, every k steps, for the gradient-health diagnosis.

A probe model shares the design's layers and returns the output of every layer that applies a
non-linearity; it runs (inference mode) on a fixed probe batch of held-out images every
`ACTIVATION_EVERY` steps, which costs one small forward pass, not a second backward pass.
Per block: the mean and standard deviation of its activations, the fraction of ReLU outputs
that are zero, the fraction of ReLU channels zero on every probe image (dead units), and the
fraction of sigmoid / tanh outputs saturated (where their slope is under ~2% of its peak).
"""

from __future__ import annotations

import numpy as np

ACTIVATION_EVERY = 20  # steps between probes
PROBE_IMAGES = 64
RELU_LIKE = {"relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "swish", "silu"}
SATURATING = {"sigmoid", "tanh", "hard_sigmoid"}
# sigmoid'(x) = s(1-s) < 0.02 * 0.25 when s < 0.02 or s > 0.98; tanh'(x) = 1 - t^2 < 0.04 when
# |t| > 0.98: the unit then passes back under 2-4% of its best gradient (Glorot & Bengio 2010
# watched saturated sigmoid layers stall training in exactly this regime).
SIGMOID_EDGE, TANH_EDGE = 0.02, 0.98
# The distribution over time (the feature maps view): these percentiles of each block's
# activations, read on an evenly strided sample of at most QUANTILE_SAMPLE values a layer,
# so a probe costs microseconds more whatever the block's size (TensorBoard's distributions
# dashboard draws the same bands).
QUANTILES = (1, 10, 25, 50, 75, 90, 99)
QUANTILE_SAMPLE = 4096


def activation_of(layer: object) -> str:
    """The non-linearity a Keras layer applies ("" when none or linear/softmax)."""
    kind = type(layer).__name__
    if kind == "ReLU":
        return "relu"
    config = layer.get_config() if hasattr(layer, "get_config") else {}
    fn = config.get("activation")
    if isinstance(fn, dict):  # a serialised function
        fn = fn.get("config") or fn.get("class_name")
    fn = str(fn or "").lower()
    return fn if fn in RELU_LIKE or fn in SATURATING else ""


class ActivationProbe:
    """Builds the probe once per run; `stats()` returns {block id: statistics}."""

    def __init__(self, inner, blocks: dict[str, str], images: np.ndarray) -> None:
        import keras

        from .instrument import leaf_layers

        self.layers = [(layer, fn) for layer in leaf_layers(inner)
                       if (fn := activation_of(layer)) and blocks.get(layer.name)]
        self.blocks = [blocks[layer.name] for layer, _ in self.layers]
        self.images = np.asarray(images[:PROBE_IMAGES], dtype=np.float32) / 255.0
        self.model = None
        if self.layers and len(self.images):
            try:
                self.model = keras.Model(inner.inputs, [layer.output for layer, _ in self.layers])
            except (ValueError, AttributeError):  # layers inside a nested model: no probe
                self.model = None

    def stats(self) -> dict[str, dict]:
        if self.model is None:
            return {}
        outputs = self.model([self.images], training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        per_block: dict[str, list[dict]] = {}
        samples: dict[str, list[np.ndarray]] = {}
        for block, (_, fn), out in zip(self.blocks, self.layers, outputs):
            a = np.asarray(out)
            per_block.setdefault(block, []).append(layer_stats(a, fn))
            samples.setdefault(block, []).append(strided_sample(a))
        return {block: dict(merge(items), q=quantiles(np.concatenate(samples[block])))
                for block, items in per_block.items()}


def strided_sample(a: np.ndarray, size: int = QUANTILE_SAMPLE) -> np.ndarray:
    """At most `size` values of `a`, evenly spaced through it (every image and channel)."""
    flat = a.reshape(-1)
    return flat[::max(1, -(-len(flat) // size))]


def quantiles(values: np.ndarray) -> list[float]:
    """The QUANTILES percentiles of the values, rounded for the run log."""
    if not len(values):
        return []
    return [round(float(v), 6) for v in np.percentile(values, QUANTILES)]


def layer_stats(a: np.ndarray, fn: str) -> dict:
    """Statistics of one layer's output on the probe batch."""
    out = {"mean": float(a.mean()), "std": float(a.std()), "fn": fn}
    if fn in RELU_LIKE:
        zero = a <= 0
        out["zero"] = float(zero.mean())
        channels = zero.reshape(-1, a.shape[-1]).all(axis=0) if a.ndim > 1 else zero
        out["dead"] = float(np.mean(channels))
    elif fn in SATURATING:
        if fn == "tanh":
            saturated = np.abs(a) > TANH_EDGE
        else:
            saturated = (a < SIGMOID_EDGE) | (a > 1 - SIGMOID_EDGE)
        out["saturated"] = float(saturated.mean())
    return out


def merge(items: list[dict]) -> dict:
    """A block's statistics: the mean over its activation layers (each key where present)."""
    out: dict = {"fn": items[-1]["fn"]}
    for key in ("mean", "std", "zero", "dead", "saturated"):
        values = [item[key] for item in items if key in item]
        if values:
            out[key] = round(float(np.mean(values)), 6)
    return out
