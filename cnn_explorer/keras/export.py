"""Design -> a standalone, readable Keras script (functional API) that rebuilds and trains it.

Single-layer blocks become one `layers.X(...)` call each, with the same class and arguments
the builder uses (`build.layer_args`); each composite block kind used becomes one block
function from `templates.py`, called once per block with the spec fields that differ from the
defaults. No TensorFlow is imported here, so the GUI can export without loading it.
"""

from __future__ import annotations

import ast
import json
import pprint
from dataclasses import fields
from pathlib import Path

from cnn_explorer.model.expand import LayerInfo
from cnn_explorer.model.files import Design
from cnn_explorer.model.kinds import kind as lookup_kind
from cnn_explorer.model.shapes import fmt

from . import operations, templates
from .build import BuildError, frozen_layers, layer_args
from .table import BY_CLASS, BY_KIND

_SIZES = ("kernel_size", "strides", "pool_size", "dilation_rate")  # (3, 3) may be written 3
_WIDTH = 100
# Config entries every layer has by default; left out of imported layers' configs.
_DEFAULT_CONFIG_ITEMS = (("trainable", True), ("dtype", "float32"),
                         ("dtype", {"module": "keras", "class_name": "DTypePolicy",
                                    "config": {"name": "float32"}, "registered_name": None}))


class ExportError(BuildError):
    """The design cannot be exported (it has problems); the message lists them."""


def export_python(design: Design, filename: str = "model.py") -> str:
    """The whole script: block functions, `build_model()` and a distributed training `main()`."""
    graph = design.graph
    report = graph.report()
    if report.problems:
        listed = "; ".join((graph.block(p.block_id).name + ": " if p.block_id else "")
                           + p.message for p in report.problems[:5])
        raise ExportError(f"the design has {len(report.problems)} problem(s): {listed}")
    if not report.output_ids:
        raise ExportError("the design has no output block")
    out = report.blocks[report.output_ids[0]].output_shape
    settings = design.settings.to_dict()
    classes = out[-1] if len(out) == 1 else 0
    dataset = settings["dataset"] if settings["dataset"] in ("cifar10", "cifar100") else (
        "cifar100" if classes == 100 else "cifar10")
    parts = [templates.HEADER.format(title=_doc_text(design.title), params=report.total_params,
                                     output=fmt(out), filename=_doc_text(filename),
                                     dataset=_dataset_text(settings["dataset"], dataset),
                                     json_import=_json_import(report),
                                     settings=_dict_source(settings)),
             f"DATASET = {_literal(dataset)}  # from the run settings or the class count\n"]
    if settings["initializer_override"] != "none" or settings["activation_override"] != "none":
        parts.append("# Note: the run settings' initializer/activation overrides are study "
                     "knobs of the app\n# and are not applied here.\n")
    used = _composite_kinds_used(graph, report.order)
    if used:
        parts.append(templates.HELPERS)
        parts.extend(_block_function(k) for k in used)
    parts.append(_build_model_source(design, report))
    if design.weights is not None:
        parts.append(_weights_source(design.weights.file))
    parts.append(templates.MAIN.format(optimizer=_optimizer_source(),
                                       load_weights=LOAD_WEIGHTS if design.weights else ""))
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


LOAD_WEIGHTS = '''        import os

        # Start from the design's weights (imported, or a checkpoint), kept beside this script.
        model.load_weights(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        WEIGHTS_FILE))
'''


def _weights_source(path: str) -> str:
    """The weights file the design names (its name: keep it beside the script)."""
    name = _literal(Path(path).name)
    return ("# The design's weights: `model = build_model(); model.load_weights(WEIGHTS_FILE)`\n"
            f"# predicts what the app's model predicts.\nWEIGHTS_FILE = {name}\n")


def _dataset_text(chosen: str, used: str) -> str:
    """The design's own dataset, and what the script trains on when it cannot fetch that one."""
    if chosen == used:
        return used
    return (f"{used} (the design's run settings name {_doc_text(chosen)}, which this script "
            "does not load)")


def _optimizer_source() -> str:
    """`total_steps`, the schedules, `make_optimizer` and `make_loss` exactly as the app runs
    them, read from `optimizer.py` as text (importing it would import Keras)."""
    text = (Path(__file__).with_name("optimizer.py")).read_text(encoding="utf-8")
    found = {node.name: ast.get_source_segment(text, node)
             for node in ast.parse(text).body if isinstance(node, ast.FunctionDef)}
    return "\n\n\n".join(found[name] for name in ("total_steps", "warmup_linear",
                                                     "make_optimizer", "make_loss"))


def _doc_text(text: str) -> str:
    """Text safe inside the script's docstring: one line, no quotes or backslashes (a design
    title must never be able to end the docstring and become code)."""
    return "".join(ch if ch.isprintable() and ch not in '"\\' else "'" if ch == '"' else " "
                   for ch in text)[:200]


def _dict_source(values: dict) -> str:
    return "{\n" + "".join(f"    {_literal(k)}: {_literal(v)},\n" for k, v in values.items()) + "}"


def _json_import(report) -> str:
    """The imports beyond keras and layers: json for configs with NaN, and Keras' own copy of
    a keras.applications layer (ConvNeXt's LayerScale) where the design uses one."""
    lines = ["import json"] if any(layer.kind == "opaque"
                                   and _needs_json(layer.params["config"])
                                   for layer in report.layers) else []
    rows = [BY_KIND[layer.kind] for layer in report.layers if layer.kind in BY_KIND]
    lines += sorted({f"from {row.module} import {row.class_name}" for row in rows
                     if row.module != "keras.layers"})
    return "\n".join(lines)


def _needs_json(config: dict) -> bool:
    """True when the config has a value with no Python literal (NaN, infinity)."""
    text = json.dumps(config)
    return "NaN" in text or "Infinity" in text


def _composite_kinds_used(graph, order: list[str]) -> list[str]:
    used: list[str] = []
    for bid in order:
        k = graph.block(bid).kind
        if lookup_kind(k).composite and k not in used:
            used.append(k)
    return used


def _py_name(field_name: str) -> str:
    return templates.RENAMED_FIELDS.get(field_name, field_name)


def _literal(value, size: bool = False) -> str:
    """Python source for a parameter value; a square `size` (kernel, stride) (3, 3) reads 3."""
    if size and isinstance(value, (tuple, list)) and len(value) == 2 and value[0] == value[1]:
        return repr(value[0])
    if isinstance(value, str):
        return json.dumps(value)  # double quotes, as the rest of the script
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def _is_size(f) -> bool:
    return f.metadata.get("kind") == "size"


def _block_function(kind_name: str) -> str:
    spec_cls = lookup_kind(kind_name).spec
    items = [f"{_py_name(f.name)}={_literal(f.default, _is_size(f))}" for f in fields(spec_cls)]
    signature = _wrap(["x", "*"] + items + ["name"],
                      len(f"def {templates.FUNCTION_NAMES[kind_name]}("))
    return templates.BLOCKS[kind_name].format(signature=signature)


def _wrap(items: list[str], indent: int) -> str:
    """Join call arguments with ', ', breaking lines before _WIDTH and aligning continuations
    at column `indent` (just after the opening parenthesis)."""
    lines, line = [], ""
    limit = _WIDTH - indent - 6  # room for the closing ")(x)"
    for item in items:
        piece = item if not line else line + ", " + item
        if line and len(piece) > limit:
            lines.append(line + ",")
            line = item
        else:
            line = piece
    lines.append(line)
    return ("\n" + " " * indent).join(lines)


def _build_model_source(design: Design, report) -> str:
    graph = design.graph
    order = report.order
    names: dict[str, str] = {}  # block id -> the variable holding its output
    inputs = [bid for bid in order if graph.block(bid).kind == "input"]
    body = []
    for i, bid in enumerate(order):
        block = graph.block(bid)
        consumers = {c.dst for c in graph.outgoing(bid)}
        chained = consumers == {order[i + 1]} if i + 1 < len(order) else False
        if block.kind == "input":
            var = "inputs" if len(inputs) == 1 else f"{block.name}_in"
        else:
            var = "x" if chained or not consumers else f"{block.name}_out"
        incoming = graph.incoming(bid)
        args = [names[incoming[p]] for p in sorted(incoming)]
        body.append(f"{var} = " + _block_call(block, report.blocks[bid].layers, args,
                                              4 + len(var) + 3))
        names[bid] = var
    ins = names[inputs[0]] if len(inputs) == 1 else "[" + ", ".join(names[b] for b in inputs) + "]"
    model = (f"keras.Model({ins}, {names[report.output_ids[0]]}, "
             f"name={_literal(_identifier(design.title))})")
    frozen = sorted(frozen_layers(graph))
    if frozen:  # fine-tuning: these blocks' weights do not move
        names_source = _wrap([_literal(n) for n in frozen], 17)
        body += [f"model = {model}", f"for name in ({names_source},):  # frozen blocks",
                 "    model.get_layer(name).trainable = False", "return model"]
    else:
        body.append(f"return {model}")
    lines = "\n".join("    " + line for line in body)  # continuations are pre-indented
    return ("\n\ndef build_model():\n"
            '    """The design as a Keras functional model (layer names as on the canvas)."""\n'
            + lines + "\n")


def _identifier(title: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in title) or "model"


def _block_call(block, layers: list[LayerInfo], args: list[str], indent: int) -> str:
    bk = lookup_kind(block.kind)
    x = args[0] if len(args) == 1 else "[" + ", ".join(args) + "]"
    if block.kind == "input":
        shape = tuple(layers[0].params["shape"])
        return f"keras.Input(shape={_literal(shape)}, name={_literal(block.name)})"
    if bk.composite:
        spec = block.spec()
        defaults = bk.spec()
        items = [f"{_py_name(f.name)}={_literal(getattr(spec, f.name), _is_size(f))}"
                 for f in fields(spec)
                 if getattr(spec, f.name) != getattr(defaults, f.name)]
        fn = templates.FUNCTION_NAMES[block.kind]
        return f"{fn}(" + _wrap([x] + items + [f"name={_literal(block.name)}"],
                                indent + len(fn) + 1) + ")"
    (layer,) = layers  # a single-layer block
    if layer.kind == "opaque":
        class_name = layer.params["class_name"]
        if not class_name.isidentifier() or class_name == "Lambda":
            raise ExportError(f"imported layer {layer.name}: {class_name!r} is not a Keras "
                              "layer class that can be written out")
        config = {k: v for k, v in layer.params["config"].items()
                  if (k, v) not in _DEFAULT_CONFIG_ITEMS}
        return _opaque_call(class_name, {**config, "name": layer.name}, x, indent)
    if layer.kind in operations.OPERATION_KINDS:
        return operations.source(layer, args)
    cls, kwargs = layer_args(layer)
    call = f"{cls}(" if BY_KIND[layer.kind].module != "keras.layers" else f"layers.{cls}("
    return call + _wrap(_call_items(cls, kwargs), indent + len(call)) + f")({x})"


def _opaque_call(class_name: str, config: dict, x: str, indent: int) -> str:
    """An imported layer rebuilt from its config, written as a Python dict literal (or as
    JSON text when a value, such as NaN, has no literal)."""
    head = f"layers.{class_name}.from_config("
    column = indent + len(head)
    literal = pprint.pformat(config, width=max(40, _WIDTH - column - 6), sort_dicts=False)
    try:
        exact = ast.literal_eval(literal) == config
    except (ValueError, SyntaxError):
        exact = False
    if not exact:
        literal = f"json.loads({json.dumps(json.dumps(config))})"
    return head + literal.replace("\n", "\n" + " " * column) + f")({x})"


def _call_items(cls: str, kwargs: dict) -> list[str]:
    row = BY_CLASS[cls]  # Keras defaults are left out, as in hand-written code
    defaults = row.defaults
    if cls in ("MaxPooling2D", "AveragePooling2D") and kwargs["strides"] == kwargs["pool_size"]:
        kwargs = {k: v for k, v in kwargs.items() if k != "strides"}
    positional = row.positional  # as Keras' own examples write them
    items = [_literal(kwargs[k], k in _SIZES) for k in positional]
    for key, value in kwargs.items():
        text = _literal(value, key in _SIZES)
        if key in positional or (key in defaults and text == _literal(defaults[key])):
            continue
        items.append(f"{key}={text}")
    return items
