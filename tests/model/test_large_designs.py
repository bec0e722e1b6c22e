"""Big designs in the model: a whole-design swap is one event in linear work, inference keeps
what an edit did not touch, and the layout ranks a long chain without quadratic steps."""

from collections import Counter

from cnn_explorer.model import inference, layout
from cnn_explorer.model.files import design_from_dict, design_to_dict
from cnn_explorer.model.graph import Graph, Replaced
from cnn_explorer.model.inference import infer
from cnn_explorer.model.presets import build_preset


def chain(n: int) -> Graph:
    g = Graph()
    prev = g.add_block("input", {"height": 8, "width": 8, "channels": 3}, "image")
    for i in range(n):
        b = g.add_block("conv2d", {"filters": 4 + i % 3}, f"conv{i}")
        g.connect(prev, b)
        prev = b
    return g


def test_replace_is_one_event_and_an_exact_copy(monkeypatch):
    target = build_preset("plain-cnn").graph
    source = design_from_dict(design_to_dict(build_preset("resnet20"))).graph
    events = []
    target.subscribe(events.append)
    checks = Counter()
    for name in ("check_name", "check_connect", "_ancestors"):
        original = getattr(Graph, name)
        monkeypatch.setattr(Graph, name, lambda self, *a, _o=original, _n=name, **k:
                            (checks.update([_n]), _o(self, *a, **k))[1])
    target.replace(source)
    assert events == [Replaced("")]
    assert checks == Counter()  # nothing re-checked per block: the source is checked already
    assert [b.id for b in target.blocks()] == [b.id for b in source.blocks()]
    assert target.connections() == source.connections()
    assert target.positions() == source.positions()
    assert target.report().total_params == source.report().total_params
    new = target.add_block("activation")
    assert new not in source  # fresh ids continue after the copied ones


def test_inference_reuses_what_an_edit_did_not_touch():
    g = chain(30)
    cache: dict = {}
    first = infer(g, cache)
    again = infer(g, cache)
    assert all(again.blocks[b] is first.blocks[b] for b in first.order)
    g.set_param(g.find("conv20").id, "filters", 9)
    edited = infer(g, cache)
    redone = {b for b in edited.order if edited.blocks[b] is not first.blocks[b]}
    assert redone == {g.find("conv20").id, g.find("conv21").id}  # its params, the next's
    fresh = infer(g)  # no cache: the same numbers
    for b in fresh.order:
        assert edited.blocks[b].output_shape == fresh.blocks[b].output_shape
        assert edited.blocks[b].params == fresh.blocks[b].params
    assert edited.total_params == fresh.total_params and edited.flops == fresh.flops


def test_a_dangling_output_message_never_sticks_to_a_reused_block():
    g = chain(5)
    cache: dict = {}
    infer(g, cache)
    extra = g.add_block("conv2d", {}, "extra")
    g.connect(g.find("conv2").id, extra)
    with_two = infer(g, cache)
    assert any("more than one model output" in p.message for p in with_two.problems)
    g.remove_block(extra)
    assert infer(g, cache).problems == []


def test_layout_ranks_each_block_with_constant_work(monkeypatch):
    calls = Counter()
    original = max

    def counting_max(*args, **kwargs):
        calls["max"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(layout, "max", counting_max, raising=False)
    for n in (100, 400):
        calls.clear()
        nodes = [f"n{i}" for i in range(n)]
        rank = layout.ranks(nodes, list(zip(nodes, nodes[1:])))
        assert [rank[x] for x in nodes] == list(range(n))
        assert calls["max"] <= n + 1  # one per block (its parents), and one for the cycle rule


def test_totals_are_computed_once_per_report(monkeypatch):
    report = infer(build_preset("resnet20").graph)
    sums = Counter()
    monkeypatch.setattr(inference.BlockInfo, "trainable",
                        property(lambda self: (sums.update(["t"]),
                                               sum(x.trainable for x in self.layers))[1]))
    totals = [report.trainable_params for _ in range(5)]
    assert len(set(totals)) == 1 and sums["t"] == len(report.blocks)
