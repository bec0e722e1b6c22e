"""Layered auto-layout for the canvas: presets and imports arrive without positions.

A Sugiyama-style layout, small enough to read: blocks get a rank (longest path from an input),
edges that skip ranks get dummy nodes so their lane stays free of cards, a few barycentre sweeps
order each rank to keep edges from crossing, and long networks wrap into several columns so a
110-layer net fits a screen. Pure Python: no Qt, so it is testable and reusable by imports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .order import topological_sort

if TYPE_CHECKING:  # pragma: no cover
    from .graph import Graph

CARD_WIDTH = 220.0
CARD_HEIGHT = 96.0
H_GAP = 50.0   # between cards of one rank
V_GAP = 44.0   # between ranks
COLUMN_GAP = 110.0  # between wrapped columns: room for the edge that climbs to the next column
ASPECT = 1.7   # width / height the wrapped layout aims for (a laptop screen)


@dataclass(frozen=True)
class LayoutBox:
    """Card size and spacing the layout reserves; the canvas passes its own card size."""

    width: float = CARD_WIDTH
    height: float = CARD_HEIGHT
    h_gap: float = H_GAP
    v_gap: float = V_GAP
    column_gap: float = COLUMN_GAP


def ranks(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path rank of each node (inputs at 0); nodes keep their given order on ties."""
    parents: dict[str, list[str]] = {n: [] for n in nodes}
    for src, dst in edges:
        if src in parents and dst in parents:
            parents[dst].append(src)
    rank: dict[str, int] = {}
    for n in topological_sort(nodes, edges):
        rank[n] = max((rank[p] + 1 for p in parents[n]), default=0)
    after = max(rank.values(), default=-1) + 1
    for n in nodes:  # nodes on a cycle (should not happen): put them after everything else
        if n not in rank:  # (setdefault took the max over all ranks for every node: n^2)
            rank[n] = after
            after += 1
    return rank


def _rows_with_dummies(nodes: list[str], edges: list[tuple[str, str]],
                       rank: dict[str, int]) -> tuple[list[list[str]], dict[str, list[str]]]:
    """Each rank's members, with a dummy per rank an edge passes through; and node parents."""
    depth = max(rank.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(depth)]
    for n in nodes:
        rows[rank[n]].append(n)
    parents: dict[str, list[str]] = {n: [] for n in nodes}
    for i, (src, dst) in enumerate(edges):
        if src not in rank or dst not in rank:
            continue
        prev = src
        for r in range(rank[src] + 1, rank[dst]):
            dummy = f"\0edge{i}_{r}"
            rows[r].append(dummy)
            parents[dummy] = [prev]
            prev = dummy
        parents[dst].append(prev)
    return rows, parents


def _order_by_barycentre(rows: list[list[str]], parents: dict[str, list[str]],
                         sweeps: int = 4) -> None:
    """Reorder each rank by the mean slot of its parents (top-down sweeps, stable on ties)."""
    children: dict[str, list[str]] = {}
    for n, ps in parents.items():
        for p in ps:
            children.setdefault(p, []).append(n)
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        sequence = range(1, len(rows)) if down else range(len(rows) - 2, -1, -1)
        for r in sequence:
            ref = rows[r - 1] if down else rows[r + 1]
            slot = {n: i for i, n in enumerate(ref)}
            links = parents if down else children

            def key(item: tuple[int, str], slot: dict = slot, links: dict = links) -> float:
                i, n = item
                near = [slot[m] for m in links.get(n, []) if m in slot]
                return sum(near) / len(near) if near else float(i)
            rows[r] = [n for _, n in sorted(enumerate(rows[r]), key=key)]


def layered_layout(nodes: list[str], edges: list[tuple[str, str]],
                   box: LayoutBox | None = None,
                   rows_per_column: int | None = None) -> dict[str, tuple[float, float]]:
    """Top-left corner of each node's card: ranks flow downwards, wrapping into columns.

    `edges` are (source, target) pairs; duplicates (a block feeding two ports) are fine.
    """
    box = box or LayoutBox()
    if not nodes:
        return {}
    rank = ranks(nodes, edges)
    rows, parents = _rows_with_dummies(nodes, edges, rank)
    _order_by_barycentre(rows, parents)
    per_column = rows_per_column or _rows_per_column(rows, box)
    slot_w, slot_h = box.width + box.h_gap, box.height + box.v_gap
    positions: dict[str, tuple[float, float]] = {}
    x0 = 0.0
    for start in range(0, len(rows), per_column):
        chunk = rows[start:start + per_column]
        widest = max(len(row) for row in chunk)
        for i, row in enumerate(chunk):
            indent = (widest - len(row)) * slot_w / 2  # centre narrow ranks under wide ones
            for j, n in enumerate(row):
                if not n.startswith("\0"):
                    positions[n] = (x0 + indent + j * slot_w, i * slot_h)
        x0 += widest * slot_w - box.h_gap + box.column_gap
    return positions


def _rows_per_column(rows: list[list[str]], box: LayoutBox) -> int:
    """How many ranks a column holds so the whole picture is about ASPECT wide per 1 high.

    With c columns of n/c ranks: width c * slot_w, height (n / c) * slot_h, so
    width / height = c^2 * slot_w / (n * slot_h) = ASPECT gives c.
    """
    depth = len(rows)
    mean_width = sum(len(r) for r in rows) / max(depth, 1)
    slot_w = mean_width * (box.width + box.h_gap) + box.column_gap
    slot_h = box.height + box.v_gap
    columns = max(1, round(math.sqrt(ASPECT * depth * slot_h / slot_w)))
    return max(4, math.ceil(depth / columns))


def overlaps(positions: dict[str, tuple[float, float]], box: LayoutBox | None = None) -> list:
    """Pairs of cards whose rectangles intersect (what a readable layout must not have)."""
    box = box or LayoutBox()
    items = sorted(positions.items(), key=lambda kv: kv[1])
    found = []
    for i, (a, (ax, ay)) in enumerate(items):
        for b, (bx, by) in items[i + 1:]:
            if bx >= ax + box.width:
                break
            if abs(ay - by) < box.height and abs(ax - bx) < box.width:
                found.append((a, b))
    return found


def graph_positions(graph: Graph, box: LayoutBox | None = None) -> dict[str, tuple[float, float]]:
    """Layered positions for every block of a Graph, along its connections."""
    edges = [(c.src, c.dst) for c in graph.connections()]
    return layered_layout(graph.topological_order(), edges, box or LayoutBox())


def lay_out(graph: Graph, only_if_unplaced: bool = False) -> None:
    """Move every block of a Graph to its layered position, as one batch of events.

    With `only_if_unplaced`, a graph whose blocks all have positions is left as it is
    (a saved design keeps the user's arrangement; presets and imports get laid out).
    """
    if only_if_unplaced and len(graph.positions()) == len(graph):
        return
    with graph.batch():
        for bid, position in graph_positions(graph).items():
            graph.move(bid, position)
