"""Keras model -> design: each Keras layer becomes one block (a primitive block where one says
exactly the same thing, an opaque block otherwise), connected as the Keras graph is.

`.keras` files are checked before Keras sees them (archive_check: a plain zip, a bounded
config, only Keras' own classes, a size within limits) and then built from the checked config
with `safe_mode=True`, so importing never runs code from the file. Weights are not read here:
a design is an architecture; keras/weights.py keeps them beside it when an import asks.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.expand import Expander, Tensor
from cnn_explorer.model.files import Design
from cnn_explorer.model.graph import Graph, spec_for
from cnn_explorer.model.kinds import kind as lookup_kind
from cnn_explorer.model.layout import lay_out
from cnn_explorer.model.shapes import ShapeProblem

from . import mapping, operations
from .archive_check import ImportProblem, check_archive

__all__ = ["ImportProblem", "check_archive", "import_keras_file", "import_keras_model",
           "load_checked_model"]

if TYPE_CHECKING:  # pragma: no cover
    import keras

def import_keras_file(path: str | os.PathLike) -> Design:
    """Check a `.keras` file (archive, config, classes, size), then build its model from the
    checked config with Keras' safe mode; the weights are never read (keras/weights.py reads
    them, into the model built here, when an import keeps them)."""
    path = Path(path)
    design = import_keras_model(load_checked_model(path))
    design.title = path.stem
    return design


def load_checked_model(path: str | os.PathLike) -> "keras.Model":
    """The model of a `.keras` file, built from its checked config in safe mode (no code
    from the file runs); its weights are still the initial ones."""
    path = Path(path)
    config = check_archive(path)
    config["compile_config"] = None  # as load_model(compile=False) does
    import keras
    from keras.src.saving.serialization_lib import ObjectSharingScope

    try:
        with ObjectSharingScope():  # what load_model uses: shared objects stay shared
            model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - Keras raises many kinds; all mean "cannot load"
        raise ImportProblem(f"{path.name} could not be loaded by Keras: "
                            f"{_first_line(exc)}") from None
    if not isinstance(model, keras.Model):
        raise ImportProblem(f"{path.name} does not hold a model (its config is a "
                            f"{type(model).__name__})")
    return model


def import_keras_model(model: "keras.Model", layers_out: dict | None = None) -> Design:
    """A design with one block per layer of a built Keras Sequential or functional model;
    `layers_out`, when given, receives block name -> the Keras layer it came from."""
    steps = _trace(model)
    graph = Graph()
    names: dict[int, str] = {}  # id(layer) -> block id
    shapes: dict[int, tuple] = {}
    with graph.batch():
        for layer, node, sources in steps:
            bid = _add_block(graph, layer, node, [shapes[id(src)] for src in sources], shapes)
            names[id(layer)] = bid
            if layers_out is not None:
                layers_out[graph.block(bid).name] = layer
            for port, src in enumerate(sources):
                graph.connect(names[id(src)], bid, port)
    lay_out(graph)
    design = Design(graph, title=_sanitise(model.name, set()))
    _check_totals(design, model)
    return design


def _trace(model) -> list[tuple]:
    """(layer, node, source layers) from the inputs to the one output, each layer once, in
    order; layers inside nested models are traced through, as if the model were flat."""
    outputs = getattr(model, "outputs", None)
    if not outputs:
        raise ImportProblem(f"model {model.name!r} is not built (it has no inputs): give its "
                            "first layer an input shape, or call it on data, then import")
    if len(outputs) != 1:
        raise ImportProblem(f"model {model.name!r} has {len(outputs)} outputs; a design has one")
    resolve = _Resolver()
    order, done = [], {}  # done: id(layer) -> the node index it was traced at
    stack = [resolve(outputs[0]._keras_history)]
    while stack:
        op, node_index, _ = stack[-1]
        if done.get(id(op), node_index) != node_index:
            raise ImportProblem(f"layer {op.name!r} is shared (called more than once); a "
                                "block is used once")
        node = op._inbound_nodes[node_index]
        sources = [resolve(t._keras_history) for t in node.input_tensors]
        pending = [h for h in sources if id(h.operation) not in done]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        if id(op) not in done:
            done[id(op)] = node_index
            _check_supported(op, node)
            order.append((op, node, [h.operation for h in sources]))
    return order


class _Resolver:
    """Maps a tensor's history to the layer that really makes it, looking through nested
    models: a nested model's output is its last inner layer's, and its inner Input stands
    for the tensor the outer model passed in."""

    def __init__(self) -> None:
        self.aliases: dict[int, object] = {}  # id(inner InputLayer) -> outer history

    def __call__(self, history):
        import keras

        while True:
            op, node_index, _ = history
            if id(op) in self.aliases:
                history = self.aliases[id(op)]
            elif isinstance(op, keras.Model):
                history = self._enter(op, node_index)
            else:
                return history

    def _enter(self, model, node_index: int):
        node = model._inbound_nodes[node_index]
        if len(model.outputs) != 1:
            raise ImportProblem(f"nested model {model.name!r} has {len(model.outputs)} "
                                "outputs; blocks have one")
        for inner, outer in zip(model.inputs, node.input_tensors):
            key = id(inner._keras_history.operation)
            if self.aliases.setdefault(key, outer._keras_history) != outer._keras_history:
                raise ImportProblem(f"nested model {model.name!r} is called more than once; "
                                    "a block is used once")
        return model.outputs[0]._keras_history


def _check_supported(op, node) -> None:
    """Refuse, by name, what a block cannot be: raw ops, Lambda layers, several outputs."""
    import keras

    name = getattr(op, "name", "?")
    if not isinstance(op, keras.layers.Layer):
        if operations.candidate(op, node) is None:
            raise ImportProblem(f"operation {name!r} ({operations.describe(op)}) is a raw "
                                "Keras op that no block expresses (elementwise blocks take "
                                f"{', '.join(operations.CLASSES)} of a tensor and a number or "
                                "of two tensors); wrap it in a layer to import the model")
        return
    if type(op).__name__ == "Lambda":
        raise ImportProblem(f"layer {name!r} is a Lambda layer: its code cannot be imported "
                            "safely; replace it with a built-in layer")
    if len(node.output_tensors) != 1:
        raise ImportProblem(f"layer {name!r} has {len(node.output_tensors)} outputs; blocks "
                            "have one")


def _shape(tensor, layer_name: str) -> tuple[int, ...]:
    shape = tuple(tensor.shape[1:])
    if not shape or any(d is None for d in shape):
        raise ImportProblem(f"layer {layer_name!r}: shape {tuple(tensor.shape)} is not fully "
                            "known; give the model a fixed input size (e.g. 32x32x3)")
    return tuple(int(d) for d in shape)


def _add_block(graph: Graph, layer, node, in_shapes: list, shapes: dict) -> str:
    import keras

    name = _sanitise(layer.name, {b.name for b in graph.blocks()})
    out = _shape(node.output_tensors[0], layer.name)
    shapes[id(layer)] = out
    if isinstance(layer, keras.layers.InputLayer):
        if len(out) != 3:
            raise ImportProblem(f"input {layer.name!r} has shape {out}; designs take images "
                                "(height, width, channels)")
        return graph.add_block("input", dict(zip(("height", "width", "channels"), out)), name)
    if operations.is_operation(layer):
        kind, params = _operation_block(layer, node, name, in_shapes, out)
    else:
        kind, params = _block_for(layer, name, in_shapes, out)
    try:
        return graph.add_block(kind, params, name)
    except DesignError as exc:
        raise ImportProblem(f"layer {layer.name!r}: {exc}") from None


def _block_for(layer, name: str, in_shapes: list, out: tuple) -> tuple[str, dict]:
    """The primitive block that rebuilds this layer exactly, or an opaque block."""
    config = layer.get_config()
    class_name = type(layer).__name__
    proposal = mapping.candidate(class_name, config, in_shapes, type(layer).__module__)
    if proposal and _reproduces(layer, class_name, config, proposal, name, in_shapes, out):
        return proposal
    return "opaque", _opaque_params(layer, class_name, config, in_shapes, out)


def _operation_block(op, node, name: str, in_shapes: list, out: tuple) -> tuple[str, dict]:
    """The elementwise block of a keras.ops call (checked by _check_supported)."""
    kind, params = operations.candidate(op, node)
    try:
        info = _expand_one(kind, params, name, in_shapes)
    except (DesignError, ShapeProblem, ValueError) as exc:
        raise ImportProblem(f"operation {op.name!r}: {exc}") from None
    if info.output_shape != out:
        raise ImportProblem(f"operation {op.name!r} makes {out}, but its block would make "
                            f"{info.output_shape}")
    return kind, params


def _expand_one(kind: str, params: dict, name: str, in_shapes: list):
    """The one layer a single-layer block of this kind expands to, for these input shapes."""
    spec = spec_for(kind, params, name)
    e = Expander(name)
    lookup_kind(kind).expand(e, [Tensor(f"in{i}", s) for i, s in enumerate(in_shapes)], spec)
    (info,) = e.layers
    return info


def _reproduces(layer, class_name: str, config: dict, proposal, name: str, in_shapes: list,
                out: tuple) -> bool:
    from .build import make_layer

    kind, params = proposal
    try:
        info = _expand_one(kind, params, name, in_shapes)
    except (DesignError, ShapeProblem, ValueError, ZeroDivisionError):
        return False
    trainable = _count(layer.trainable_weights)
    if info.output_shape != out or info.params_total != layer.count_params() or (
            info.trainable != trainable):
        return False
    if class_name not in mapping.SAME_CLASS:
        return True  # the mapper compared the config itself (ReLU -> relu / relu6)
    rebuilt = make_layer(info).get_config()
    return mapping.same_config(config, rebuilt, len(in_shapes[0]) + 1)


def _opaque_params(layer, class_name: str, config: dict, in_shapes: list, out: tuple) -> dict:
    import keras

    if getattr(keras.layers, class_name, None) is not type(layer):
        raise ImportProblem(f"layer {layer.name!r} is of the custom class {class_name!r} "
                            f"({type(layer).__module__}); only built-in Keras layers can be "
                            "imported")
    config = {k: v for k, v in config.items() if k != "name"}
    try:
        config = json.loads(json.dumps(config, default=_jsonable))
    except (TypeError, ValueError) as exc:
        raise ImportProblem(f"layer {layer.name!r}: its config cannot be stored ({exc})") from None
    trainable = _count(layer.trainable_weights)
    return dict(class_name=class_name, config=config, input_shapes=[list(s) for s in in_shapes],
                output_shape=list(out), trainable=trainable,
                non_trainable=layer.count_params() - trainable)


def _count(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _sanitise(name: str, taken: set[str]) -> str:
    """A block name (a letter, then letters, digits or _; at most 64) not yet taken."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", name) or "layer"
    if not base[0].isalpha():
        base = "l" + base
    base = base[:64]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"_{n}"
        candidate = base[:64 - len(suffix)] + suffix
    return candidate


def _check_totals(design: Design, model) -> None:
    """The imported design must infer what Keras reports; say so loudly if it does not."""
    report = design.graph.report()
    if report.problems:
        raise ImportProblem("the imported design has problems: "
                            + "; ".join(p.message for p in report.problems[:3]))
    if report.total_params != model.count_params():
        raise ImportProblem(f"the imported design has {report.total_params:,} parameters but "
                            f"the model has {model.count_params():,}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
