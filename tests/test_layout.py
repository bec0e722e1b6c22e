"""The layered auto-layout: no overlapping cards, edges flow down a column, long nets wrap."""

from cnn_explorer.model.layout import LayoutBox, layered_layout, overlaps, ranks
from cnn_explorer.model.presets import PRESETS, build_preset


def _graph_lists(design):
    g = design.graph
    return g.topological_order(), [(c.src, c.dst) for c in g.connections()]


def test_ranks_are_longest_paths():
    r = ranks(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")])
    assert r == {"a": 0, "b": 1, "c": 2, "d": 3}


def test_every_preset_has_no_overlapping_cards():
    for name in PRESETS:
        nodes, edges = _graph_lists(build_preset(name))
        pos = layered_layout(nodes, edges)
        assert set(pos) == set(nodes)
        assert overlaps(pos) == [], name


def test_long_chain_wraps_into_columns_and_each_column_flows_down():
    nodes, edges = _graph_lists(build_preset("plain-deep", depth=110))
    pos = layered_layout(nodes, edges)
    columns = sorted({x for x, _ in pos.values()})
    assert len(columns) >= 3  # 111 blocks are not one 15,000-pixel column
    for src, dst in edges:
        (sx, sy), (dx, dy) = pos[src], pos[dst]
        assert dy > sy or dx > sx  # downward in a column, or on to the next column


def test_skip_edges_get_their_own_lane():
    # a -> b -> c -> d -> e with a shortcut a -> e: the shortcut's dummies take a lane beside b..d
    nodes = list("abcde")
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("a", "e"), ("a", "x")]
    nodes.append("x")
    pos = layered_layout(nodes, edges, rows_per_column=10)
    assert overlaps(pos) == []
    assert pos["b"][1] < pos["c"][1] < pos["d"][1] < pos["e"][1]
    assert pos["x"][1] == pos["b"][1] and pos["x"][0] != pos["b"][0]


def test_overlaps_detects_overlap():
    box = LayoutBox(width=100, height=50)
    assert overlaps({"a": (0, 0), "b": (50, 20)}, box) == [("a", "b")]
    assert overlaps({"a": (0, 0), "b": (100, 0)}, box) == []
