"""Shape, parameter and FLOP rules of the primitive layers, as pure functions.

Each block kind of a single layer names its rule (`BlockKind.rule`, model/layers.py); each rule
takes the layer's parameters and its input shapes (without the batch axis) and
returns a `LayerCost`. A shape it cannot accept raises `ShapeProblem` whose message quotes the
shapes; inference turns that into a problem attached to the block. FLOPs count 2 x multiply-adds
for convolutions and dense layers, and one operation per output element (per pooled element
for pooling, two for batch norm, rescaling and normalization, four for layer norm: mean,
variance, normalise, scale) elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .format import shape as fmt

Shape = tuple[int, ...]


class ShapeProblem(Exception):
    """A layer cannot take the shapes it was given; the message says which and why."""


@dataclass(frozen=True)
class LayerCost:
    output_shape: Shape
    trainable: int = 0
    non_trainable: int = 0
    flops: int = 0


def conv_output_size(size: int, kernel: int, stride: int, padding: str, dilation: int = 1) -> int:
    """Output length along one spatial axis, as Keras computes it."""
    if padding == "same":
        return math.ceil(size / stride)
    effective = dilation * (kernel - 1) + 1
    return (size - effective) // stride + 1 if size >= effective else 0


def _image(kind: str, shapes: list[Shape]) -> Shape:
    shape = shapes[0]
    if len(shape) != 3:
        raise ShapeProblem(f"{kind} needs an image (height, width, channels) input, got "
                           f"{fmt(shape)}; it cannot follow a Flatten, Dense or global pool")
    return shape


def _spatial(kind: str, shape: Shape, kernel, strides, padding, dilation=(1, 1)) -> tuple:
    out = tuple(conv_output_size(shape[i], kernel[i], strides[i], padding, dilation[i])
                for i in range(2))
    if min(out) < 1:
        raise ShapeProblem(f"{kind}: spatial size shrinks below 1 (input {fmt(shape)}, "
                           f"window {kernel[0]}x{kernel[1]}, stride {strides[0]}, {padding})")
    return out


def conv2d(p: dict, shapes: list[Shape]) -> LayerCost:
    h, w, c = _image("Conv2D", shapes)
    k, s, d = p["kernel"], p["strides"], p.get("dilation", (1, 1))
    oh, ow = _spatial("Conv2D", (h, w, c), k, s, p["padding"], d)
    f, groups = p["filters"], p.get("groups", 1)
    if c % groups or f % groups:
        raise ShapeProblem(f"Conv2D: {groups} groups must divide both the input's {c} channels "
                           f"and the {f} filters")
    seen = c // groups  # the input channels each filter sees
    params = k[0] * k[1] * seen * f + (f if p["use_bias"] else 0)
    return LayerCost((oh, ow, f), params, 0, 2 * oh * ow * k[0] * k[1] * seen * f)


def depthwise_conv2d(p: dict, shapes: list[Shape]) -> LayerCost:
    h, w, c = _image("DepthwiseConv2D", shapes)
    k, s, d = p["kernel"], p["strides"], p.get("dilation", (1, 1))
    oh, ow = _spatial("DepthwiseConv2D", (h, w, c), k, s, p["padding"], d)
    out = c * p["depth_multiplier"]
    params = k[0] * k[1] * out + (out if p["use_bias"] else 0)
    return LayerCost((oh, ow, out), params, 0, 2 * oh * ow * k[0] * k[1] * out)


def separable_conv2d(p: dict, shapes: list[Shape]) -> LayerCost:
    """Depthwise kxk (depth_multiplier filters per channel), then pointwise 1x1 to `filters`."""
    h, w, c = _image("SeparableConv2D", shapes)
    k, s, d = p["kernel"], p["strides"], p.get("dilation", (1, 1))
    oh, ow = _spatial("SeparableConv2D", (h, w, c), k, s, p["padding"], d)
    f, mid = p["filters"], c * p["depth_multiplier"]
    weights = k[0] * k[1] * mid + mid * f
    return LayerCost((oh, ow, f), weights + (f if p["use_bias"] else 0), 0,
                     2 * oh * ow * weights)


def _per_channel(kind: str, what: str, values, shape: Shape) -> None:
    """Per-channel constants broadcast along the last axis: one value, or one per channel."""
    if len(values) not in (1, shape[-1]):
        raise ShapeProblem(f"{kind}: {len(values)} {what} values for {shape[-1]} channels "
                           f"(input {fmt(shape)}); give one value or one per channel")


def rescaling(p: dict, shapes: list[Shape]) -> LayerCost:
    shape = shapes[0]
    _per_channel("Rescaling", "scale", p["scale"], shape)
    _per_channel("Rescaling", "offset", p["offset"], shape)
    return LayerCost(shape, 0, 0, 2 * math.prod(shape))


def normalization(p: dict, shapes: list[Shape]) -> LayerCost:
    """Fixed mean and variance are constants; without them the layer keeps the statistics
    `adapt()` learns: a mean and a variance per channel and a count (not trained)."""
    shape = shapes[0]
    mean, variance = p["mean"], p["variance"]
    if bool(mean) != bool(variance):
        raise ShapeProblem("Normalization: give both mean and variance, or neither (then "
                           "adapt() learns them from data)")
    if mean:
        _per_channel("Normalization", "mean", mean, shape)
        _per_channel("Normalization", "variance", variance, shape)
    kept = 0 if mean else 2 * shape[-1] + 1
    return LayerCost(shape, 0, kept, 2 * math.prod(shape))


def layer_norm(p: dict, shapes: list[Shape]) -> LayerCost:
    shape = shapes[0]
    trainable = shape[-1] * (int(p.get("center", True)) + int(p.get("scale", True)))
    return LayerCost(shape, trainable, 0, 4 * math.prod(shape))


def batch_norm(p: dict, shapes: list[Shape]) -> LayerCost:
    shape = shapes[0]
    c = shape[-1]
    trainable = c * (int(p.get("center", True)) + int(p.get("scale", True)))
    return LayerCost(shape, trainable, 2 * c, 2 * math.prod(shape))


def elementwise(p: dict, shapes: list[Shape]) -> LayerCost:
    return LayerCost(shapes[0], 0, 0, math.prod(shapes[0]))


def identity(p: dict, shapes: list[Shape]) -> LayerCost:
    return LayerCost(shapes[0])


def pool(p: dict, shapes: list[Shape], kind: str = "Pooling") -> LayerCost:
    shape = _image(kind, shapes)
    k = p["pool_size"]
    s = p["strides"] if p.get("strides") else k
    oh, ow = _spatial(kind, shape, k, s, p["padding"])
    return LayerCost((oh, ow, shape[2]), 0, 0, oh * ow * shape[2] * k[0] * k[1])


def max_pool(p: dict, shapes: list[Shape]) -> LayerCost:
    return pool(p, shapes, "MaxPooling2D")


def avg_pool(p: dict, shapes: list[Shape]) -> LayerCost:
    return pool(p, shapes, "AveragePooling2D")


def global_avg_pool(p: dict, shapes: list[Shape]) -> LayerCost:
    h, w, c = _image("GlobalAveragePooling2D", shapes)
    out = (1, 1, c) if p.get("keepdims") else (c,)
    return LayerCost(out, 0, 0, h * w * c)


def flatten(p: dict, shapes: list[Shape]) -> LayerCost:
    return LayerCost((math.prod(shapes[0]),))


def dense(p: dict, shapes: list[Shape]) -> LayerCost:
    shape = shapes[0]
    if len(shape) != 1:
        raise ShapeProblem(f"Dense expects a flat vector but got {len(shape) + 1}-D tensor "
                           f"{fmt(shape)}: add a Flatten or GlobalAveragePooling before it")
    n = shape[0]
    units = p["units"]
    return LayerCost((units,), n * units + (units if p["use_bias"] else 0), 0, 2 * n * units)


def add(p: dict, shapes: list[Shape], kind: str = "Add") -> LayerCost:
    first = shapes[0]
    for other in shapes[1:]:
        if other != first:
            raise ShapeProblem(f"{kind}: input shapes {fmt(first)} and {fmt(other)} differ; "
                               "a skip connection needs a 1x1 projection when shapes change")
    return LayerCost(first, 0, 0, math.prod(first) * (len(shapes) - 1))


def multiply(p: dict, shapes: list[Shape]) -> LayerCost:
    """Element-wise product; an axis of size 1 broadcasts (how SE re-weights channels)."""
    out = list(shapes[0])
    for other in shapes[1:]:
        if len(other) != len(out) or any(a != b and 1 not in (a, b) for a, b in zip(out, other)):
            raise ShapeProblem(f"Multiply: input shapes {fmt(tuple(out))} and {fmt(other)} "
                               "differ (only axes of size 1 broadcast)")
        out = [max(a, b) for a, b in zip(out, other)]
    return LayerCost(tuple(out), 0, 0, math.prod(out) * (len(shapes) - 1))


def concatenate(p: dict, shapes: list[Shape]) -> LayerCost:
    first = shapes[0]
    for other in shapes[1:]:
        if len(other) != len(first) or other[:-1] != first[:-1]:
            if len(first) == len(other) == 3:
                raise ShapeProblem(f"Concatenate: spatial sizes {fmt(first[:2])} and "
                                   f"{fmt(other[:2])} differ (inputs {fmt(first)} and "
                                   f"{fmt(other)}); only channels may differ")
            raise ShapeProblem(f"Concatenate: shapes {fmt(first)} and {fmt(other)} differ "
                               "in more than the last axis")
    return LayerCost(first[:-1] + (sum(s[-1] for s in shapes),))


def reshape(p: dict, shapes: list[Shape]) -> LayerCost:
    target = tuple(p["target_shape"])
    if math.prod(target) != math.prod(shapes[0]):
        raise ShapeProblem(f"Reshape: cannot reshape {fmt(shapes[0])} into {fmt(target)}")
    return LayerCost(target)


def zero_padding2d(p: dict, shapes: list[Shape]) -> LayerCost:
    h, w, c = _image("ZeroPadding2D", shapes)
    (top, bottom), (left, right) = p["padding"]
    return LayerCost((h + top + bottom, w + left + right, c))


def input_layer(p: dict, shapes: list[Shape]) -> LayerCost:
    return LayerCost(tuple(p["shape"]))


def opaque(p: dict, shapes: list[Shape]) -> LayerCost:
    """An imported layer with no block of its own: shapes and counts as Keras reported them."""
    expected = [tuple(s) for s in p.get("input_shapes", [])]
    if expected and [tuple(s) for s in shapes] != expected:
        raise ShapeProblem(f"{p['class_name']} was imported for inputs "
                           f"{', '.join(fmt(s) for s in expected)} but now gets "
                           f"{', '.join(fmt(s) for s in shapes)}")
    return LayerCost(tuple(p["output_shape"]), p.get("trainable", 0), p.get("non_trainable", 0))
