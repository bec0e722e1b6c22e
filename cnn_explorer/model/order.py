"""Topological order of a directed graph (Kahn's algorithm), shared by the graph and the layout."""

from __future__ import annotations

from typing import Hashable, Iterable, TypeVar

N = TypeVar("N", bound=Hashable)


def topological_sort(nodes: Iterable[N], edges: Iterable[tuple[N, N]]) -> list[N]:
    """Nodes so that each comes after all its parents; ties keep the given node order.

    Edges naming unknown nodes are ignored. Nodes on a cycle are left out, so a caller can
    tell a cycle by comparing lengths.
    """
    nodes = list(nodes)
    indegree = {n: 0 for n in nodes}
    children: dict[N, list[N]] = {n: [] for n in nodes}
    for src, dst in edges:
        if src in indegree and dst in indegree:
            indegree[dst] += 1
            children[src].append(dst)
    ready = [n for n in nodes if indegree[n] == 0]
    order: list[N] = []
    head = 0
    while head < len(ready):
        n = ready[head]
        head += 1
        order.append(n)
        for child in children[n]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    return order
