"""Inference: one topological pass that expands every block and totals shapes, params, FLOPs.

Problems are data attached to the block that has them (`BlockInfo.problems`), never raised.
A cache keyed by (kind, name, params, input tensors) lets an edit re-expand only the blocks
whose inputs or parameters changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .expand import Expander, LayerInfo, Tensor
from .kinds import kind as lookup_kind
from .shapes import Shape, ShapeProblem, fmt

if TYPE_CHECKING:  # pragma: no cover
    from .graph import Graph

BYTES_PER_VALUE = 4  # float32 activations


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
    blocks: dict[str, BlockInfo]
    order: list[str]
    problems: list[Problem]
    input_ids: list[str]
    output_ids: list[str]

    @property
    def layers(self) -> list[LayerInfo]:
        return [layer for bid in self.order for layer in self.blocks[bid].layers]

    @property
    def trainable_params(self) -> int:
        return sum(b.trainable for b in self.blocks.values())

    @property
    def non_trainable_params(self) -> int:
        return sum(b.non_trainable for b in self.blocks.values())

    @property
    def total_params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    @property
    def flops(self) -> int:
        return sum(b.flops for b in self.blocks.values())

    def activation_bytes(self, batch_size: int) -> int:
        """Memory for every layer's output at this batch size (float32), what training keeps."""
        return BYTES_PER_VALUE * batch_size * sum(math.prod(layer.output_shape)
                                                  for layer in self.layers)

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
        infos[bid].problems.append(msg)
        problems.append(Problem(bid, msg))
    if len(cache) > 4 * max(len(order), 64):  # forget expansions of long-gone states
        cache.clear()
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
    tensors = [outputs.get(incoming[p]) for p in range(ports)]
    if any(t is None for t in tensors):  # an upstream block has a problem: say nothing more
        outputs[bid] = None
        return info
    key = (block.kind, block.name, block.params_key, tuple(tensors))
    hit = cache.get(key)
    if hit is None:
        hit = _expand(bk, block, spec, tensors)
        cache[key] = hit
    layers, out, problem = hit
    info.layers = list(layers)
    if problem:
        info.problems.append(problem)
        outputs[bid] = None
        return info
    info.output_shape = out.shape
    outputs[bid] = out
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
