import pytest

from cnn_explorer.model import (
    CycleError,
    DesignError,
    Graph,
    PortError,
    PortTakenError,
    UnknownBlockError,
)


def chain(*kinds):
    g = Graph()
    ids = [g.add_block(k) for k in kinds]
    for a, b in zip(ids, ids[1:]):
        g.connect(a, b)
    return g, ids


def test_ids_are_stable_and_names_unique():
    g = Graph()
    a = g.add_block("conv2d")
    b = g.add_block("conv2d")
    g.remove_block(a)
    c = g.add_block("conv2d")
    assert len({a, b, c}) == 3 and g.block(b).name != g.block(c).name
    with pytest.raises(DesignError, match="already named"):
        g.rename(c, g.block(b).name)
    with pytest.raises(Exception, match="name"):
        g.rename(c, "3bad name")


def test_every_mutation_emits_one_event():
    g = Graph()
    events = []
    g.subscribe(events.append)
    a = g.add_block("input")
    b = g.add_block("conv2d")
    g.connect(a, b)
    g.set_param(b, "filters", 8)
    g.rename(b, "first_conv")
    g.move(b, (10, 20))
    g.disconnect(b, 0)
    g.remove_block(b)
    assert [e.kind for e in events] == ["block_added", "block_added", "connected",
                                        "param_changed", "renamed", "moved", "disconnected",
                                        "block_removed"]
    assert events[3].detail == {"name": "filters", "old": 32, "new": 8}


def test_batch_delivers_events_after_the_edit():
    g = Graph()
    seen = []
    g.subscribe(lambda e: seen.append(len(g)))
    with g.batch():
        g.add_block("input")
        g.add_block("flatten")
        assert seen == []
    assert seen == [2, 2]


def test_typed_errors():
    g, (a, b, c) = chain("input", "conv2d", "conv2d")
    with pytest.raises(PortTakenError):
        g.connect(a, c)
    g.disconnect(b, 0)
    with pytest.raises(CycleError):
        g.connect(c, b)
    with pytest.raises(PortError):
        g.connect(b, a)
    with pytest.raises(UnknownBlockError):
        g.connect("nope", b)
    with pytest.raises(UnknownBlockError):
        g.set_param("nope", "filters", 3)


def test_cycle_error_on_a_real_cycle():
    g, (a, b, c) = chain("input", "conv2d", "conv2d")
    add = g.add_block("add")
    g.connect(c, add, 0)
    g.connect(b, add, 1)
    d = g.add_block("conv2d")
    g.connect(add, d)
    g.disconnect(b, 0)
    with pytest.raises(CycleError, match="cycle"):
        g.connect(d, b)


def test_topological_order_puts_inputs_first():
    g = Graph()
    out = g.add_block("add")
    x = g.add_block("input")
    left = g.add_block("conv2d")
    g.connect(x, left)
    g.connect(left, out, 0)
    g.connect(x, out, 1)
    order = g.topological_order()
    assert order.index(x) < order.index(left) < order.index(out)


def test_getters_return_copies_and_snapshot_is_detached():
    g, (a, b) = chain("input", "conv2d")
    blocks = g.blocks()
    blocks.clear()
    assert len(g) == 2
    snap = g.copy()
    g.set_param(b, "filters", 7)
    assert snap.block(b).params["filters"] == 32
    with pytest.raises(AttributeError):
        g.block(b).name = "x"  # frozen


def test_fewer_merge_inputs_drop_the_extra_connections():
    g, (a, b) = chain("input", "conv2d")
    add = g.add_block("add", {"inputs": 3})
    g.connect(a, add, 0)
    g.connect(b, add, 1)
    g.connect(a, add, 2)
    g.set_param(add, "inputs", 2)
    assert sorted(g.incoming(add)) == [0, 1]


def test_remove_returns_what_undo_needs():
    g, (a, b, c) = chain("input", "conv2d", "flatten")
    block, conns = g.remove_block(b)
    assert block.kind == "conv2d" and {(x.src, x.dst) for x in conns} == {(a, b), (b, c)}
    assert g.connections() == []
