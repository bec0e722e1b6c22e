import pytest

from cnn_explorer.model import (
    BlockAdded,
    BlockRemoved,
    Connected,
    Connection,
    CycleError,
    DesignError,
    Disconnected,
    Graph,
    Moved,
    ParamChanged,
    ParameterError,
    PortError,
    PortTakenError,
    Renamed,
    UnknownBlockError,
)
from cnn_explorer.model.graph import fresh_name


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
    assert [type(e) for e in events] == [BlockAdded, BlockAdded, Connected, ParamChanged,
                                         Renamed, Moved, Disconnected, BlockRemoved]
    assert events[3] == ParamChanged(b, "filters", 32, 8)
    assert events[4] == Renamed(b, "conv2d_1", "first_conv")
    assert events[6].connection == Connection(a, b, 0)


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


def test_block_params_cannot_be_changed_behind_the_graphs_back():
    g, (_, conv) = chain("input", "conv2d")
    snap = g.copy()
    with pytest.raises(TypeError):
        g.block(conv).params["filters"] = 5
    with pytest.raises(TypeError):
        g.block(conv).params.update(filters=5)
    with pytest.raises(TypeError):
        del g.block(conv).params["filters"]
    with pytest.raises((TypeError, AttributeError)):
        g.block(conv).params["kernel"][0] = 7  # nested values are frozen too
    assert g.block(conv).params["filters"] == 32 == snap.block(conv).params["filters"]
    assert g.report().blocks[conv].output_shape == (32, 32, 32)
    g.set_param(conv, "filters", 8)  # the one way to change it
    assert g.block(conv).params["filters"] == 8 and snap.block(conv).params["filters"] == 32


def test_names_must_match_the_whole_pattern():
    g = Graph()
    b = g.add_block("input")
    for bad in ("conv\n", "conv\n1", "1conv", "", "a" * 65, "a-b"):
        with pytest.raises(ParameterError):
            g.rename(b, bad)
        with pytest.raises(ParameterError):
            g.check_name(bad)
    g.rename(b, "a" * 64)
    assert g.block(b).name == "a" * 64


def test_fresh_names_skip_taken_ones_and_drop_a_numeric_suffix():
    assert fresh_name("conv_3", {"conv_1", "conv_2"}) == "conv_3"
    assert fresh_name("conv_3", {"conv_1", "conv_3"}) == "conv_2"
    assert fresh_name("123", set()) == "block_1"
    g = Graph()
    g.add_block("dense", name="dense_1")
    assert g.unique_name("dense") == "dense_2"
