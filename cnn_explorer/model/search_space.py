"""Search spaces for architecture search, as data: each names its choices (choice -> options)
and turns one pick of every choice into a design.

- `cells` (NASNet, Zoph et al. 2018): a normal cell and a reduction cell, each of B blocks; a
  block picks two inputs (the cell's input or an earlier block of the cell) and two operations
  (3x3 / 5x5 separable or plain conv, 3x3 max or average pool, identity), summed by an Add.
  The cell's output concatenates the blocks no other block of the cell uses. Cells are drawn
  from the palette's primitive layers; each cell starts with a 1x1 projection (ReLU, conv, BN)
  of its input to F channels, so every branch and identity has the same shape. A reduction
  cell halves the size in that projection (stride 2) and doubles F; its operations then run at
  stride 1. The network: stem, N normal cells, reduction, N normal, reduction, N normal, head.
- `blocks`: per stage (three of them, the second and third halving the size), the block kind
  (residual, dense, SE-residual, MBConv), the width and the depth.

Both are pure functions of their choices: the search, its tests and the Search tab share them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

from .files import Design
from .graph import Graph
from .settings import RunSettings

OPERATIONS = ("sep3x3", "sep5x5", "conv3x3", "conv5x5", "max3x3", "avg3x3", "identity")
CELL_TYPES = ("normal", "reduction")
BLOCK_KINDS = ("residual", "dense", "se_residual", "mbconv")
WIDTHS = (16, 24, 32, 48)
DEPTHS = (1, 2, 3)
STAGES = 3


@dataclass(frozen=True)
class SearchSpace:
    """Which designs are candidates: `choices` (name -> options) and `design(picks)`."""

    name: str
    description: str
    choices: dict[str, tuple]
    build: Callable[[dict], Design] = field(repr=False)

    def design(self, picks: dict) -> Design:
        """The candidate for `picks` (one option for every choice)."""
        missing = [c for c in self.choices if c not in picks]
        bad = [c for c in self.choices if c in picks and picks[c] not in self.choices[c]]
        if missing or bad:
            raise ValueError(f"{self.name} space: missing choices {missing}, "
                             f"invalid choices {bad}")
        return self.build(picks)

    def random_picks(self, rng: random.Random) -> dict:
        return {name: rng.choice(options) for name, options in self.choices.items()}

    @property
    def size(self) -> int:
        total = 1
        for options in self.choices.values():
            total *= len(options)
        return total


# ---- NASNet-style cells -------------------------------------------------------------------
def cell_choices(blocks: int = 3) -> dict[str, tuple]:
    """For each cell type and block b: its two inputs (0 = the cell input, i = block i) and
    two operations."""
    choices: dict[str, tuple] = {}
    for cell in CELL_TYPES:
        for b in range(1, blocks + 1):
            for j in (1, 2):
                choices[f"{cell}_b{b}_in{j}"] = tuple(range(b))
                choices[f"{cell}_b{b}_op{j}"] = OPERATIONS
    return choices


class _CellWriter:
    """Adds a network of cells to a graph, one block at a time, with unique names."""

    def __init__(self, graph: Graph) -> None:
        self.g = graph

    def add(self, kind: str, name: str, sources: list[str], **params: object) -> str:
        bid = self.g.add_block(kind, params, name)
        for port, src in enumerate(sources):
            self.g.connect(src, bid, port)
        return bid

    def operation(self, op: str, x: str, filters: int, name: str) -> str:
        """One branch of a block; identity adds nothing."""
        if op == "identity":
            return x
        if op in ("max3x3", "avg3x3"):
            kind = "max_pool" if op == "max3x3" else "avg_pool"
            return self.add(kind, name, [x], pool_size=3, strides=1, padding="same")
        kernel = int(op[-1])
        relu = self.add("activation", f"{name}_relu", [x], activation="relu")
        if op.startswith("sep"):
            relu = self.add("depthwise_conv2d", f"{name}_dw", [relu], kernel=kernel)
            conv = self.add("conv2d", f"{name}_pw", [relu], filters=filters, kernel=1,
                            activation="linear", use_bias=False)
        else:
            conv = self.add("conv2d", f"{name}_conv", [relu], filters=filters, kernel=kernel,
                            activation="linear", use_bias=False)
        return self.add("batch_norm", f"{name}_bn", [conv])

    def cell(self, picks: dict, cell: str, blocks: int, x: str, filters: int,
             name: str) -> str:
        strides = 2 if cell == "reduction" else 1
        relu = self.add("activation", f"{name}_relu", [x], activation="relu")
        conv = self.add("conv2d", f"{name}_proj", [relu], filters=filters, kernel=1,
                        strides=strides, activation="linear", use_bias=False)
        states = [self.add("batch_norm", f"{name}_proj_bn", [conv])]
        used: set[int] = set()
        for b in range(1, blocks + 1):
            branches = []
            for j in (1, 2):
                src = picks[f"{cell}_b{b}_in{j}"]
                used.add(src)
                branches.append(self.operation(picks[f"{cell}_b{b}_op{j}"], states[src],
                                               filters, f"{name}_b{b}_op{j}"))
            states.append(self.add("add", f"{name}_b{b}_add", branches))
        loose = [states[b] for b in range(1, blocks + 1) if b not in used]
        if len(loose) == 1:
            return loose[0]
        return self.add("concatenate", f"{name}_out", loose, inputs=len(loose))


def cells_design(picks: dict, *, blocks: int = 3, cells_per_stage: int = 1, filters: int = 8,
                 classes: int = 10, size: int = 32) -> Design:
    g = Graph()
    w = _CellWriter(g)
    x = g.add_block("input", {"height": size, "width": size, "channels": 3}, "input")
    x = w.add("conv_bn_act", "stem", [x], filters=filters)
    for stage in range(1, STAGES + 1):
        f = filters * 2 ** (stage - 1)
        if stage > 1:
            x = w.cell(picks, "reduction", blocks, x, f, f"reduce{stage - 1}")
        for i in range(1, cells_per_stage + 1):
            x = w.cell(picks, "normal", blocks, x, f, f"s{stage}_normal{i}")
    x = w.add("activation", "final_relu", [x], activation="relu")
    x = w.add("global_avg_pool", "avg_pool", [x])
    w.add("classifier", "predictions", [x], classes=classes)
    return Design(g, RunSettings(dataset="sample"), "searched cells")


def cells_space(blocks: int = 3, cells_per_stage: int = 1, filters: int = 8,
                classes: int = 10) -> SearchSpace:
    for name, value, low, high in (("blocks", blocks, 1, 8), ("cells_per_stage", cells_per_stage,
                                   0, 8), ("filters", filters, 1, 512)):
        if not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"cells space: {name} must be a whole number from {low} to {high}")
    return SearchSpace(
        "cells", f"NASNet-style normal and reduction cells of {blocks} blocks, "
        f"{cells_per_stage} normal cell(s) per stage, {filters} filters",
        cell_choices(blocks),
        lambda picks: cells_design(picks, blocks=blocks, cells_per_stage=cells_per_stage,
                                   filters=filters, classes=classes))


# ---- block-level space over the palette ---------------------------------------------------
def block_choices(kinds: tuple = BLOCK_KINDS, widths: tuple = WIDTHS,
                  depths: tuple = DEPTHS) -> dict[str, tuple]:
    choices: dict[str, tuple] = {}
    for s in range(1, STAGES + 1):
        choices[f"stage{s}_kind"] = tuple(kinds)
        choices[f"stage{s}_width"] = tuple(widths)
        choices[f"stage{s}_depth"] = tuple(depths)
    return choices


def blocks_design(picks: dict, *, classes: int = 10, size: int = 32) -> Design:
    """Stem, three stages, head. A stage of depth d is d blocks of its kind, the first of the
    second and third stages at stride 2. A dense stage is one dense block of 2d layers with
    growth rate width/2, preceded by a transition (which halves the size) where the stage
    must downsample. SE-residual is a residual block with squeeze-excitation ratio 4."""
    g = Graph()
    w = _CellWriter(g)
    x = g.add_block("input", {"height": size, "width": size, "channels": 3}, "input")
    x = w.add("conv_bn_act", "stem", [x], filters=16)
    for s in range(1, STAGES + 1):
        kind, width, depth = (picks[f"stage{s}_{k}"] for k in ("kind", "width", "depth"))
        down = 2 if s > 1 else 1
        if kind == "dense":
            if down > 1:
                x = w.add("transition", f"stage{s}_transition", [x])
            x = w.add("dense_block", f"stage{s}_dense", [x], layers=2 * depth,
                      growth_rate=max(1, width // 2))
            continue
        for b in range(1, depth + 1):
            strides = down if b == 1 else 1
            name = f"stage{s}_block{b}"
            if kind == "mbconv":
                x = w.add("mbconv", name, [x], filters=width, expand_ratio=4, strides=strides)
            else:
                x = w.add("residual", name, [x], filters=width, strides=strides,
                          se_ratio=4 if kind == "se_residual" else 0)
    x = w.add("global_avg_pool", "avg_pool", [x])
    w.add("classifier", "predictions", [x], classes=classes)
    return Design(g, RunSettings(dataset="sample"), "searched blocks")


def blocks_space(classes: int = 10, kinds: tuple = BLOCK_KINDS, widths: tuple = WIDTHS,
                 depths: tuple = DEPTHS) -> SearchSpace:
    """`kinds`, `widths` and `depths` narrow the options (a smaller space, faster proxies)."""
    for name, values, allowed in (("kinds", kinds, set(BLOCK_KINDS)),
                                  ("widths", widths, range(2, 1025)),
                                  ("depths", depths, range(1, 17))):
        if not values or any(v not in allowed for v in values):
            raise ValueError(f"blocks space: {name} must be a non-empty list from {allowed}")
    return SearchSpace("blocks", "per stage: block kind (residual, dense, SE-residual, MBConv), "
                       "width and depth", block_choices(kinds, widths, depths),
                       lambda picks: blocks_design(picks, classes=classes))


SPACES: dict[str, Callable[..., SearchSpace]] = {"cells": cells_space, "blocks": blocks_space}


def search_space(name: str, **options: object) -> SearchSpace:
    try:
        return SPACES[name](**options)
    except KeyError:
        raise ValueError(f"unknown search space {name!r}; spaces: {', '.join(SPACES)}") from None
