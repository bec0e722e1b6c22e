"""Inference: one topological pass that expands every block and totals shapes, params, FLOPs.

Problems are data attached to the block that has them (`BlockInfo.problems`), never raised.
A cache keyed by (kind, name, params, input tensors) lets an edit re-expand only the blocks
whose inputs or parameters changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from .expand import Expander, LayerInfo, Tensor
from .kinds import kind as lookup_kind
from .shapes import Shape, ShapeProblem, fmt

if TYPE_CHECKING:  # pragma: no cover
    from .graph import Graph

BYTES_PER_VALUE = 4  # float32 activations
LAST = "last expansion of each block"  # cache key: {id: (block, inputs, output, BlockInfo)}


@dataclass
class BlockInfo:
    block_id: str
    output_shape: Shape | None = None
    layers: list[LayerInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def trainable(self) -> int:
        return sum(layer.trainable for layer in self.layers)

    @property
    def non_trainable(self) -> int:
        return sum(layer.non_trainable for layer in self.layers)

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def flops(self) -> int:
        return sum(layer.flops for layer in self.layers)


@dataclass(frozen=True)
class Problem:
    block_id: str | None  # None: a problem of the whole design (no Input)
    message: str


@dataclass
class Report:
    """What inference found. A report is never changed once made, so its totals are computed
    on first use and kept: the inspector, the training panel and the canvas all read them."""

    blocks: dict[str, BlockInfo]
    order: list[str]
    problems: list[Problem]
    input_ids: list[str]
    output_ids: list[str]

    @cached_property
    def layers(self) -> list[LayerInfo]:
        return [layer for bid in self.order for layer in self.blocks[bid].layers]

    @cached_property
    def trainable_params(self) -> int:
        return sum(b.trainable for b in self.blocks.values())

    @cached_property
    def non_trainable_params(self) -> int:
        return sum(b.non_trainable for b in self.blocks.values())

    @property
    def total_params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    @cached_property
    def flops(self) -> int:
        return sum(b.flops for b in self.blocks.values())

    @cached_property
    def _activation_values(self) -> int:
        return sum(math.prod(layer.output_shape) for layer in self.layers)

    def activation_bytes(self, batch_size: int) -> int:
        """Memory for every layer's output at this batch size (float32), what training keeps."""
        return BYTES_PER_VALUE * batch_size * self._activation_values

    @property
    def ok(self) -> bool:
        return not self.problems

    def block_of_layer(self) -> dict[str, str]:
        return {layer.name: bid for bid in self.order for layer in self.blocks[bid].layers}


def infer(graph: Graph, cache: dict | None = None) -> Report:
    cache = {} if cache is None else cache
    order = graph.topological_order()
    infos: dict[str, BlockInfo] = {}
    outputs: dict[str, Tensor | None] = {}
    problems: list[Problem] = []
    incoming: dict[str, dict[int, str]] = {bid: {} for bid in order}
    has_outgoing = set()
    for c in graph.connections():
        incoming[c.dst][c.port] = c.src
        has_outgoing.add(c.src)
    for bid in order:
        info = _infer_block(graph.block(bid), incoming[bid], outputs, cache)
        infos[bid] = info
        problems.extend(Problem(bid, m) for m in info.problems)
    inputs = [bid for bid in order if graph.block(bid).kind == "input"]
    sinks = [bid for bid in order if bid not in has_outgoing and graph.block(bid).kind != "input"]
    if not inputs:
        problems.append(Problem(None, "the design has no Input block"))
    sinks = main_output_first(graph, sinks)
    for bid in sinks[1:]:
        if infos[bid].problems:  # an unconnected input already says what is wrong with it
            continue
        msg = (f"more than one model output: '{graph.block(bid).name}' leads nowhere (the "
               f"model's output is '{graph.block(sinks[0]).name}'); connect it onward or "
               "remove it")
        infos[bid] = replace(infos[bid], problems=[msg])  # a copy: infos are reused
        problems.append(Problem(bid, msg))
    if len(cache) > 4 * max(len(order), 64):  # forget expansions of long-gone states
        cache.clear()
    elif len(cache.get(LAST, ())) > 2 * max(len(order), 64):  # and of long-gone blocks
        cache[LAST] = {bid: cache[LAST][bid] for bid in order if bid in cache[LAST]}
    return Report(infos, order, problems, inputs, sinks)


def main_output_first(graph: Graph, sinks: list[str]) -> list[str]:
    """The blocks nothing consumes, the model's real output first; the rest are dangling.

    The rule: a Classifier is the output; else the block with the most blocks upstream of
    it (the path the design was built along); on a tie the older block (a block just added
    and not yet wired onward is the newer one). So the dangling block is the one blamed,
    never the head the whole network already feeds.
    """
    if len(sinks) < 2:
        return list(sinks)
    age = {bid: i for i, bid in enumerate(graph.block_ids())}

    def rank(bid: str) -> tuple:
        return (graph.block(bid).kind == "classifier", len(graph._ancestors(bid)), -age[bid])

    main = max(sinks, key=rank)
    return [main] + [b for b in sinks if b != main]


def _infer_block(block, incoming: dict[int, str], outputs: dict, cache: dict) -> BlockInfo:
    bid = block.id
    bk = lookup_kind(block.kind)
    spec = block.spec()
    ports = bk.input_ports(spec)
    info = BlockInfo(bid)
    missing = [p for p in range(ports) if p not in incoming]
    if missing:
        info.problems.append(f"input port{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(map(str, missing))} not connected")
        outputs[bid] = None
        return info
    tensors = tuple(outputs.get(incoming[p]) for p in range(ports))
    if None in tensors:  # an upstream block has a problem: say nothing more
        outputs[bid] = None
        return info
    last = cache.setdefault(LAST, {})  # per block: what it was expanded from last time
    seen = last.get(bid)
    if seen is not None and seen[0] is block and len(seen[1]) == ports and all(
            a is b for a, b in zip(seen[1], tensors)):
        # the same block on the same tensors: the same BlockInfo (views can skip it)
        outputs[bid] = seen[2]
        return seen[3]
    key = (block.kind, block.name, block.params_key, tensors)
    hit = cache.get(key)
    if hit is None:
        hit = _expand(bk, block, spec, list(tensors))
        cache[key] = hit
    layers, out, problem = hit
    info.layers = list(layers)
    if problem:
        info.problems.append(problem)
        out = None
    else:
        info.output_shape = out.shape
        if seen is not None and seen[2] == out:
            out = seen[2]  # the same tensor as before: blocks after it stay on the fast path
    outputs[bid] = out
    last[bid] = (block, tensors, out, info)
    return info


def _expand(bk, block, spec, tensors: list[Tensor]):
    e = Expander(block.name)
    try:
        out = bk.expand(e, tensors, spec)
    except ShapeProblem as exc:
        return tuple(e.layers), None, str(exc)
    except (ZeroDivisionError, ValueError) as exc:
        shapes = ", ".join(fmt(t.shape) for t in tensors)
        return tuple(e.layers), None, f"{bk.title} cannot take input {shapes}: {exc}"
    return tuple(e.layers), out, None
