"""Element-wise blocks: an operation on a tensor and a constant or on two tensors (what a
functional graph writes as `x + 3.0` or `keras.ops.add(a, b)`), the scaled add of
Inception-ResNet (`x[0] + x[1] * scale`) and ConvNeXt's layer scale (a learned factor per
channel). Their shape rules broadcast as NumPy does, with the batch axis in front: two tensors
must have the same rank, and an axis of size 1 stretches to the other's size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .blockkind import BlockKind
from .expand import Expander, Tensor
from .format import shape as fmt
from .shapes import LayerCost, Shape, ShapeProblem
from .spec import Spec, param

# keras.ops functions an elementwise block applies (the names the exported script calls)
OPERATIONS = ("add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum",
              "power")
SYMBOLS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "true_divide": "/",
           "maximum": "max", "minimum": "min", "power": "**"}
MAX_CONSTANT = 1e12


@dataclass(frozen=True)
class ElementwiseSpec(Spec):
    operation: str = param("add", choices=OPERATIONS, doc="the keras.ops function applied")
    inputs: int = param(1, 1, 2, doc="1: the tensor and a constant; 2: two tensors")
    constant: float = param(1.0, -MAX_CONSTANT, MAX_CONSTANT,
                            doc="the other operand when there is one input")
    constant_first: bool = param(False, doc="the constant comes first (3 - x, not x - 3)")


@dataclass(frozen=True)
class ScaledAddSpec(Spec):
    scale: float = param(1.0, -MAX_CONSTANT, MAX_CONSTANT,
                         doc="the residual's weight: out = first + second * scale")
    inputs: int = param(2, 2, 2, doc="the shortcut, then the residual")


@dataclass(frozen=True)
class LayerScaleSpec(Spec):
    init_values: float = param(1e-6, 0.0, MAX_CONSTANT,
                               doc="each channel's factor before training (small: the block "
                                   "starts close to its shortcut)")


def broadcast(kind: str, shapes: list[Shape]) -> Shape:
    """The shape NumPy broadcasting gives tensors of these shapes behind a shared batch axis."""
    out = tuple(shapes[0])
    for other in shapes[1:]:
        if len(other) != len(out):
            raise ShapeProblem(f"{kind}: inputs {fmt(out)} and {fmt(tuple(other))} have "
                               "different ranks; the batch axis must line up, so give both the "
                               "same number of axes (a Reshape adds axes of size 1)")
        if any(a != b and 1 not in (a, b) for a, b in zip(out, other)):
            raise ShapeProblem(f"{kind}: inputs {fmt(out)} and {fmt(tuple(other))} differ; "
                               "only an axis of size 1 stretches to the other's size")
        out = tuple(max(a, b) for a, b in zip(out, other))
    return out


def elementwise_op(p: dict, shapes: list[Shape]) -> LayerCost:
    """One operation per output element; a constant changes no shape."""
    out = broadcast(f"Elementwise {p['operation']}", shapes)
    return LayerCost(out, 0, 0, math.prod(out))


def scaled_add(p: dict, shapes: list[Shape]) -> LayerCost:
    """first + second * scale: a multiply and an add per element, no weights."""
    if len(shapes) != 2:
        raise ShapeProblem(f"ScaledAdd takes the shortcut and the residual, got {len(shapes)} "
                           "inputs")
    out = broadcast("ScaledAdd", shapes)
    return LayerCost(out, 0, 0, 2 * math.prod(out))


def layer_scale(p: dict, shapes: list[Shape]) -> LayerCost:
    """x * gamma: one trained factor per channel (the last axis)."""
    shape = shapes[0]
    if p["projection_dim"] != shape[-1]:
        raise ShapeProblem(f"LayerScale has {p['projection_dim']} factors but its input "
                           f"{fmt(shape)} has {shape[-1]} channels")
    return LayerCost(shape, shape[-1], 0, math.prod(shape))


def expand_elementwise(e: Expander, x: list[Tensor], s: ElementwiseSpec) -> Tensor:
    params = dict(operation=s.operation, constant=s.constant if s.inputs == 1 else None,
                  constant_first=s.constant_first and s.inputs == 1)
    return e.layer(None, "elementwise", x, **params)


def expand_scaled_add(e: Expander, x: list[Tensor], s: ScaledAddSpec) -> Tensor:
    return e.layer(None, "scaled_add", x, scale=s.scale)


def expand_layer_scale(e: Expander, x: list[Tensor], s: LayerScaleSpec) -> Tensor:
    return e.layer(None, "layer_scale", x, init_values=s.init_values,
                   projection_dim=x[0].shape[-1])


ELEMENTWISE_KINDS: list[BlockKind] = [
    BlockKind("elementwise", "Elementwise op", "Layers", ElementwiseSpec, expand_elementwise,
              "x + 3, x * (1/6), a + b: a keras.ops operation on each element, no weights "
              "(MobileNetV3's hard sigmoid, ConvNeXt's residual sum).", "merge",
              ("operation", "constant"), elementwise_op),
    BlockKind("scaled_add", "ScaledAdd", "Layers", ScaledAddSpec, expand_scaled_add,
              "Shortcut + residual x scale: how Inception-ResNet damps its residual branches.",
              "merge", ("scale",), scaled_add),
    BlockKind("layer_scale", "LayerScale", "Layers", LayerScaleSpec, expand_layer_scale,
              "Multiplies each channel by a learned factor that starts small (ConvNeXt).",
              "norm", ("init_values",), layer_scale),
]
