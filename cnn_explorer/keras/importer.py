"""Keras model -> design: each Keras layer becomes one block (a primitive block where one says
exactly the same thing, an opaque block otherwise), connected as the Keras graph is.

`.keras` files are checked before Keras sees them (a zip with a config.json, no Lambda layer,
no custom class) and then loaded with `safe_mode=True`, so importing never runs code from
the file. Weights are not imported: a design is an architecture.
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.expand import Expander, Tensor
from cnn_explorer.model.files import Design
from cnn_explorer.model.graph import Graph, spec_for
from cnn_explorer.model.kinds import kind as lookup_kind
from cnn_explorer.model.layout import lay_out
from cnn_explorer.model.shapes import ShapeProblem

from . import mapping

if TYPE_CHECKING:  # pragma: no cover
    import keras

MAX_CONFIG_BYTES = 50_000_000


class ImportProblem(Exception):
    """The model cannot be imported; the message says which layer and why."""


def import_keras_file(path: str | os.PathLike) -> Design:
    """Load a `.keras` file safely (no Lambda, no custom objects) and import its model."""
    path = Path(path)
    check_archive(path)
    import keras

    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - Keras raises many kinds; all mean "cannot load"
        raise ImportProblem(f"{path.name} could not be loaded by Keras: "
                            f"{_first_line(exc)}") from None
    design = import_keras_model(model)
    design.title = path.stem
    return design


def check_archive(path: Path) -> None:
    """Refuse, with the reason, a file that is not a readable `.keras` archive or that holds a
    Lambda layer or a custom object (which safe loading could not or should not rebuild)."""
    if not path.is_file():
        raise ImportProblem(f"{path} does not exist")
    if path.suffix.lower() in (".h5", ".hdf5"):
        raise ImportProblem(f"{path.name} is a legacy HDF5 file, which cannot be loaded safely; "
                            "re-save the model as .keras (model.save('model.keras'))")
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise ImportProblem(f"{path.name}: config.json is implausibly large")
            config = json.loads(archive.read(info).decode("utf-8"))
    except (zipfile.BadZipFile, EOFError):
        raise ImportProblem(f"{path.name} is not a .keras model (not a zip archive): the file "
                            "is corrupt or of another type") from None
    except KeyError:
        raise ImportProblem(f"{path.name} is not a .keras model: it has no config.json") from None
    except (UnicodeDecodeError, json.JSONDecodeError, zipfile.LargeZipFile, OSError) as exc:
        raise ImportProblem(f"{path.name} is corrupt: its config.json cannot be read "
                            f"({_first_line(exc)})") from None
    _refuse_unsafe(config, "the model")


def _refuse_unsafe(obj, owner: str) -> None:
    """Walk a serialized Keras config; raise on a Lambda layer or a class from outside Keras,
    naming the layer it belongs to (`owner`)."""
    if isinstance(obj, list):
        for item in obj:
            _refuse_unsafe(item, owner)
        return
    if not isinstance(obj, dict):
        return
    inner = obj.get("config")
    class_name = obj.get("class_name")
    if isinstance(class_name, str) and isinstance(inner, dict):
        if isinstance(inner.get("name"), str):
            owner = f"layer {inner['name']!r}"
        if class_name == "Lambda":
            raise ImportProblem(f"{owner} is a Lambda layer: its Python code is not loaded "
                                "(that could run anything); replace it with a built-in layer")
        module = obj.get("module")
        if obj.get("registered_name") not in (None, class_name) or (
                module is not None and not str(module).startswith("keras")):
            raise ImportProblem(f"{owner} uses the custom object {class_name!r} (from "
                                f"{obj.get('registered_name') or module}), which is not "
                                "loaded; only built-in Keras classes can be imported")
    for value in obj.values():
        _refuse_unsafe(value, owner)


def import_keras_model(model: "keras.Model") -> Design:
    """A design with one block per layer of a built Keras Sequential or functional model."""
    steps = _trace(model)
    graph = Graph()
    names: dict[int, str] = {}  # id(layer) -> block id
    shapes: dict[int, tuple] = {}
    with graph.batch():
        for layer, node, sources in steps:
            bid = _add_block(graph, layer, node, [shapes[id(src)] for src in sources], shapes)
            names[id(layer)] = bid
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
        raise ImportProblem(f"operation {name!r} is a raw Keras op, not a layer; wrap it in "
                            "a layer to import the model")
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
    kind, params = _block_for(layer, name, in_shapes, out)
    try:
        return graph.add_block(kind, params, name)
    except DesignError as exc:
        raise ImportProblem(f"layer {layer.name!r}: {exc}") from None


def _block_for(layer, name: str, in_shapes: list, out: tuple) -> tuple[str, dict]:
    """The primitive block that rebuilds this layer exactly, or an opaque block."""
    config = layer.get_config()
    class_name = type(layer).__name__
    proposal = mapping.candidate(class_name, config, in_shapes)
    if proposal and _reproduces(layer, class_name, config, proposal, name, in_shapes, out):
        return proposal
    return "opaque", _opaque_params(layer, class_name, config, in_shapes, out)


def _reproduces(layer, class_name: str, config: dict, proposal, name: str, in_shapes: list,
                out: tuple) -> bool:
    from .build import make_layer

    kind, params = proposal
    try:
        spec = spec_for(kind, params, name)
        e = Expander(name)
        lookup_kind(kind).expand(e, [Tensor(f"in{i}", s) for i, s in enumerate(in_shapes)], spec)
    except (DesignError, ShapeProblem, ValueError, ZeroDivisionError):
        return False
    (info,) = e.layers
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
