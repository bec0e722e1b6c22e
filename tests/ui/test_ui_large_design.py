"""Big designs: opening one costs work in proportion to its blocks, and an edit on it refreshes
only the cards whose numbers changed. Counted in calls, never timed."""

from collections import Counter

import pytest

from cnn_explorer.model import inference
from cnn_explorer.model.files import Design, save_design
from cnn_explorer.model.graph import Graph
from cnn_explorer.model.layout import lay_out
from cnn_explorer.ui.canvas.items import BlockCard, EdgeItem
from cnn_explorer.ui.canvas.spatial import SpatialIndex


def dense_design(units: int) -> Design:
    """DenseNet-shaped: per unit BN, ReLU, 3x3 conv, concatenated with the unit's input."""
    g = Graph()
    x = g.add_block("input", {"height": 8, "width": 8, "channels": 3}, "image")
    for i in range(units):
        y = g.add_block("batch_norm", {}, f"bn{i}")
        g.connect(x, y)
        z = g.add_block("activation", {"activation": "relu"}, f"relu{i}")
        g.connect(y, z)
        c = g.add_block("conv2d", {"filters": 4, "activation": "linear"}, f"conv{i}")
        g.connect(z, c)
        cat = g.add_block("concatenate", {}, f"cat{i}")
        g.connect(x, cat, 0)
        g.connect(c, cat, 1)
        x = cat
    head = g.add_block("global_avg_pool", {}, "pool")
    g.connect(x, head)
    lay_out(g)
    return Design(g, title=f"dense{units}")


def count_calls(monkeypatch, calls: Counter, owner: object, name: str) -> None:
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls[name] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)


@pytest.fixture
def counting_window(qtbot, monkeypatch):
    """A window whose cards, edges, inference and graph checks count their calls (patched
    before the window exists, so Qt's calls back into Python count too)."""
    calls: Counter = Counter()
    for owner, name in [(BlockCard, "__init__"), (BlockCard, "boundingRect"),
                        (EdgeItem, "update_path"), (EdgeItem, "boundingRect"),
                        (SpatialIndex, "find"), (inference, "infer"),
                        (Graph, "_ancestors"), (Graph, "check_name")]:
        count_calls(monkeypatch, calls, owner, name)
    from cnn_explorer.ui.main_window import MainWindow

    w = MainWindow(offer_recovery=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.training_panel is not None, timeout=10000)
    return w, calls


def open_counted(window, calls: Counter, path) -> Counter:
    calls.clear()
    assert window.files.open(path)
    return Counter(calls)


def test_open_work_grows_linearly_with_blocks(counting_window, tmp_path):
    window, calls = counting_window
    seen = {}
    for units in (12, 48):
        design = dense_design(units)
        path = tmp_path / f"dense{units}.json"
        save_design(design, path)
        blocks, edges = len(design.graph), len(design.graph.connections())
        got = open_counted(window, calls, path)
        assert len(window.scene.cards) == blocks and len(window.scene.edges) == edges
        assert got["__init__"] == blocks  # each card made once
        assert got["infer"] == 1  # one inference per open, not one per block
        assert got["update_path"] <= edges  # each edge routed once
        assert got["find"] <= edges  # one routing question per edge
        assert got["check_name"] == 0 and got["_ancestors"] == 0  # no per-block re-checks
        # Qt's calls back for bounding rects: a few per item (routing through Qt's index
        # called back for every item near each edge: 80 per item at 50 blocks, and rising)
        assert got["boundingRect"] <= 6 * (blocks + edges)
        seen[blocks] = got["boundingRect"]
    small, large = sorted(seen)
    assert seen[large] / seen[small] < 1.5 * large / small


def test_open_replaces_in_one_event_and_keeps_selection_sane(counting_window, tmp_path, qtbot):
    window, calls = counting_window
    path = tmp_path / "dense.json"
    save_design(dense_design(10), path)
    events = []
    window.document.graph_event.connect(events.append)
    first = next(iter(window.scene.cards.values()))
    first.setSelected(True)
    assert window.files.open(path)
    assert [type(e).__name__ for e in events] == ["Replaced"]
    assert window.scene.selected_block_ids() == []
    assert window.inspector.form.block_id is None
    assert set(window.scene.cards) == set(window.document.graph.block_ids())


def test_edit_refreshes_only_the_cards_whose_numbers_changed(counting_window, tmp_path,
                                                             monkeypatch):
    window, calls = counting_window
    path = tmp_path / "dense.json"
    save_design(dense_design(20), path)
    assert window.files.open(path)
    window.document.flush()
    graph = window.document.graph
    before = {bid: (info.output_shape, info.params)
              for bid, info in graph.report().blocks.items()}
    refreshed: list[str] = []
    original = BlockCard._refresh_tooltip  # called whenever a card's text changes

    def spy(card):
        refreshed.append(card.block_id)
        return original(card)

    monkeypatch.setattr(BlockCard, "_refresh_tooltip", spy)
    conv = graph.find("conv18").id  # near the end: its change reaches two concatenations
    assert window.controller.set_param(conv, "filters", 6) is None
    window.document.flush()
    after = {bid: (info.output_shape, info.params)
             for bid, info in graph.report().blocks.items()}
    changed = {bid for bid in after if after[bid] != before[bid]}
    assert conv in changed and len(changed) < len(graph) // 4
    assert set(refreshed) == changed  # the edited card and those whose numbers changed


def test_far_zoom_draws_plain_cards_and_near_zoom_text(window, qtbot, monkeypatch):
    drawn = Counter()
    monkeypatch.setattr(BlockCard, "_paint_text",
                        lambda card, *a: drawn.update(["text"]))
    original = BlockCard._paint_far
    monkeypatch.setattr(BlockCard, "_paint_far",
                        lambda card, *a: (drawn.update(["far"]), original(card, *a)))
    view = window.view
    view.resetTransform()
    view.scale(0.1, 0.1)
    view.grab()
    assert drawn["far"] >= 1 and drawn["text"] == 0
    drawn.clear()
    view.resetTransform()
    view.grab()
    assert drawn["text"] >= 1 and drawn["far"] == 0
