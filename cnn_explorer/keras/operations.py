"""keras.ops calls in a functional graph (`x + 3.0`, `keras.ops.multiply(x, 1 / 6)`, `a + b`)
<-> elementwise blocks (model/elementwise.py).

A functional model records such a call as an Operation node (e.g. `keras.src.ops.numpy.Add`)
whose arguments are one or two tensors and perhaps a number. Import reads the operation's
class and those arguments (no code runs); the builder makes the same Operation again, named
as the block, and the exported script calls the same `keras.ops` function.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

from cnn_explorer.model.elementwise import OPERATIONS

if TYPE_CHECKING:  # pragma: no cover
    from cnn_explorer.model.expand import LayerInfo

# Operation class (keras.src.ops.numpy) -> the keras.ops function name, e.g. TrueDivide
CLASSES = {"".join(part.title() for part in op.split("_")): op for op in OPERATIONS}
OPERATION_KINDS = ("elementwise",)  # layer kinds made by an operation, not a Keras layer
OPS_MODULE = "keras.src.ops.numpy"


def is_operation(op: object) -> bool:
    """A Keras operation node that is not a layer (what `x + 3.0` leaves in the graph)."""
    import keras

    return not isinstance(op, keras.layers.Layer) and not isinstance(op, keras.Model)


def candidate(op: object, node: object) -> tuple[str, dict] | None:
    """The elementwise block an operation node is, or None when no block says the same."""
    from keras import KerasTensor

    name = CLASSES.get(type(op).__name__)
    if name is None or type(op).__module__ != OPS_MODULE or node.arguments.kwargs:
        return None
    args = list(node.arguments.args)
    tensors = [isinstance(a, KerasTensor) for a in args]
    if len(args) != 2 or not any(tensors):
        return None
    if all(tensors):
        return "elementwise", dict(operation=name, inputs=2)
    constant = args[tensors.index(False)]
    if (isinstance(constant, bool) or not isinstance(constant, numbers.Real)
            or not math.isfinite(float(constant))):
        return None
    return "elementwise", dict(operation=name, inputs=1, constant=float(constant),
                               constant_first=not tensors[0])


def describe(op: object) -> str:
    return f"{type(op).__module__}.{type(op).__name__}"


def apply(layer: "LayerInfo", tensors: list):
    """Call the operation an elementwise layer stands for on its input tensors."""
    from keras.src.ops import numpy as knp

    op_class = next(cls for cls, fn in CLASSES.items() if fn == layer.params["operation"])
    return getattr(knp, op_class)(name=layer.name)(*_operands(layer, tensors))


def source(layer: "LayerInfo", args: list[str]) -> str:
    """The exported script's call: `keras.ops.add(x, 3.0)`."""
    operands = _operands(layer, args, literal=True)
    return f"keras.ops.{layer.params['operation']}({', '.join(operands)})"


def _operands(layer: "LayerInfo", tensors: list, literal: bool = False) -> list:
    constant = layer.params.get("constant")
    if constant is None:
        return list(tensors)
    value = repr(constant) if literal else constant
    return [value, tensors[0]] if layer.params.get("constant_first") else [tensors[0], value]
