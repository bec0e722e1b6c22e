"""The fixes a diagnosis suggests, as pure functions of a design: each returns a new design
(the app applies it as one undo step), never touching the one it was given.

`apply_fix(design, code, blocks)` with a code from training.diagnosis.FIXES; `blocks` narrows a
structural fix to the blocks a finding names (all blocks when empty).
"""

from __future__ import annotations

import copy
import dataclasses

from .errors import DesignError
from .files import Design, design_from_dict, design_to_dict

SATURATING = ("sigmoid", "tanh", "hard_sigmoid")
CHAIN_KINDS = ("conv2d", "conv_bn_act", "depthwise_conv2d")  # what a residual wrap pairs up
DROPOUT_RATE = 0.3
CLIP_NORM = 1.0  # global gradient norm the "clip" fix sets (Pascanu et al. 2013 clip at ~1-10)


def apply_fix(design: Design, code: str, blocks: list[str] | tuple = ()) -> Design:
    data = copy.deepcopy(design_to_dict(design))
    settings = design.settings
    if code == "relu":
        for b in _chosen(data, blocks):
            if b["params"].get("activation") in SATURATING:
                b["params"]["activation"] = "relu"
        if settings.activation_override in SATURATING:
            settings = dataclasses.replace(settings, activation_override="relu")
    elif code == "batch_norm":
        _insert_batch_norm(data, blocks)
    elif code == "residual":
        if not wrap_in_residual(design, data, blocks):
            raise DesignError("no run of same-shaped blocks to wrap in a residual block")
    elif code == "he_init":
        settings = dataclasses.replace(settings, initializer_override="he_normal")
    elif code in ("lr_down", "lr_up"):
        factor = 0.1 if code == "lr_down" else 10.0
        settings = dataclasses.replace(settings, learning_rate=min(
            99.0, settings.learning_rate * factor))
    elif code == "clip":
        settings = dataclasses.replace(settings, clip_norm=CLIP_NORM)
    elif code == "augment":
        settings = dataclasses.replace(settings, augment=True)
    elif code == "dropout":
        _dropout_before_classifier(data)
    else:
        raise DesignError(f"unknown fix {code!r}")
    fixed = design_from_dict(data)
    fixed.title, fixed.settings = design.title, settings
    return fixed


def _chosen(data: dict, blocks: list[str] | tuple) -> list[dict]:
    return [b for b in data["blocks"] if not blocks or b["id"] in blocks]


def _insert_batch_norm(data: dict, blocks: list[str] | tuple) -> None:
    """Plain convolutions become conv-BN-act blocks (same name, filters, kernel, stride)."""
    for b in _chosen(data, blocks):
        p = b["params"]
        if b["kind"] == "conv2d" and p.get("dilation", 1) in (1, [1, 1]):
            b["kind"] = "conv_bn_act"
            b["params"] = {k: p[k] for k in ("filters", "kernel", "strides", "padding",
                                              "activation", "kernel_initializer") if k in p}
            b["params"]["use_bias"] = False


def wrap_in_residual(design: Design, data: dict, blocks: list[str] | tuple) -> int:
    """Add shortcuts around consecutive pairs of chain blocks, as in He et al. 2016's basic
    block, with nothing after the add so the shortcut stays an identity path. Where a pair
    changes the shape (a stage's strided first block), the shortcut is a 1x1 projection, as in
    ResNet; a lone block left at a stage's end gets its own shortcut; the stem (the block right
    after the input) stays plain. Returns how many shortcuts were added."""
    report = design.graph.report()
    srcs: dict[str, list[str]] = {}
    outs: dict[str, list[dict]] = {}
    for c in data["connections"]:
        srcs.setdefault(c["dst"], []).append(c["src"])
        outs.setdefault(c["src"], []).append(c)
    kinds = {b["id"]: b["kind"] for b in data["blocks"]}
    chosen = {b["id"] for b in _chosen(data, blocks)}
    fresh = _Fresh(data)
    order = [bid for bid in report.order if kinds[bid] in CHAIN_KINDS and bid in chosen]
    shapes = {bid: info.output_shape for bid, info in report.blocks.items()}
    added, i = 0, 0
    while i < len(order):
        a = order[i]
        entry = srcs.get(a, [])
        if len(entry) != 1 or len(outs.get(a, [])) != 1 or kinds[entry[0]] == "input":
            i += 1
            continue
        b = order[i + 1] if i + 1 < len(order) else None
        last, step = (b, 2) if b and srcs.get(b) == [a] else (a, 1)
        shortcut = entry[0]
        if shapes[shortcut] != shapes[last]:
            shortcut = _projection(data, fresh, entry[0], shapes[entry[0]], shapes[last],
                                   kinds, f"{_block_name(data, last)}_shortcut")
            if shortcut is None:
                i += 1
                continue
        add_id = fresh.id()
        consumers = outs.get(last, [])
        data["blocks"].append({"id": add_id, "kind": "add", "params": {"inputs": 2},
                               "name": fresh.name(f"{_block_name(data, last)}_add")})
        for c in consumers:
            c["src"] = add_id
        data["connections"] += [{"src": last, "dst": add_id, "port": 0},
                                {"src": shortcut, "dst": add_id, "port": 1}]
        outs[add_id], outs[last] = consumers, [data["connections"][-2]]
        for c in consumers:
            srcs[c["dst"]] = [add_id if s == last else s for s in srcs.get(c["dst"], [])]
        shapes[add_id], kinds[add_id] = shapes[last], "add"
        added += 1
        i += step
    return added


def _projection(data: dict, fresh: "_Fresh", src: str, into: tuple | None,
                out: tuple | None, kinds: dict, name: str) -> str | None:
    """A 1x1 strided convolution from `src` to the shape `out`, or None when none fits."""
    if not into or not out or len(into) != 3 or len(out) != 3:
        return None
    stride = into[0] // out[0] if out[0] else 0
    if stride < 1 or -(-into[0] // stride) != out[0] or -(-into[1] // stride) != out[1]:
        return None
    proj = fresh.id()
    data["blocks"].append({"id": proj, "kind": "conv2d", "name": fresh.name(name), "params": {
        "filters": out[2], "kernel": 1, "strides": stride, "padding": "same",
        "activation": "linear", "use_bias": False}})
    data["connections"].append({"src": src, "dst": proj, "port": 0})
    kinds[proj] = "conv2d"
    return proj


class _Fresh:
    """New block ids and names that no block of the design uses yet."""

    def __init__(self, data: dict) -> None:
        self.taken = {b["name"] for b in data["blocks"]}
        self.next = 1 + max((int(b["id"][1:]) for b in data["blocks"] if b["id"][1:].isdigit()),
                            default=0)

    def id(self) -> str:
        self.next += 1
        return f"b{self.next - 1}"

    def name(self, base: str) -> str:
        name, n = base[:60], 1
        while name in self.taken:
            n += 1
            name = f"{base[:56]}_{n}"
        self.taken.add(name)
        return name


def _dropout_before_classifier(data: dict) -> None:
    heads = [b for b in data["blocks"] if b["kind"] == "classifier"]
    if not heads:
        raise DesignError("the design has no classifier to put dropout before")
    fresh = _Fresh(data)
    for head in heads:
        for c in [c for c in data["connections"] if c["dst"] == head["id"]]:
            drop = {"id": fresh.id(), "kind": "dropout", "name": fresh.name("dropout"),
                    "params": {"rate": DROPOUT_RATE}}
            data["blocks"].append(drop)
            data["connections"].append({"src": c["src"], "dst": drop["id"], "port": 0})
            c["src"] = drop["id"]


def _block_name(data: dict, block_id: str) -> str:
    return next(b["name"] for b in data["blocks"] if b["id"] == block_id)

