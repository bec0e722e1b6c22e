"""Shapes, parameters and FLOPs by hand from the formulas, and problems as data."""

from cnn_explorer.model import Graph


def net(*blocks, shape=(32, 32, 3)):
    """Input then a chain of (kind, params) blocks; returns graph, ids, report."""
    g = Graph()
    ids = [g.add_block("input", dict(zip(("height", "width", "channels"), shape)))]
    for kind, params in blocks:
        ids.append(g.add_block(kind, params))
        g.connect(ids[-2], ids[-1])
    return g, ids, g.report()


def test_conv_shapes_params_and_flops():
    g, ids, r = net(("conv2d", {"filters": 8, "kernel": 5, "padding": "valid", "strides": 2}))
    info = r.blocks[ids[1]]
    assert info.output_shape == (14, 14, 8)  # (32 - 5) // 2 + 1
    assert info.params == 5 * 5 * 3 * 8 + 8
    assert info.flops == 2 * 14 * 14 * 5 * 5 * 3 * 8
    g.set_param(ids[1], "strides", 1)
    g.set_param(ids[1], "dilation", 3)
    assert g.report().blocks[ids[1]].output_shape == (20, 20, 8)  # effective kernel 13
    g.set_param(ids[1], "padding", "same")
    g.set_param(ids[1], "use_bias", False)
    info = g.report().blocks[ids[1]]
    assert info.output_shape == (32, 32, 8) and info.params == 5 * 5 * 3 * 8


def test_overlapping_pooling_and_batch_norm_split():
    _, ids, r = net(("max_pool", {"pool_size": 3, "strides": 2}), ("batch_norm", {}))
    assert r.blocks[ids[1]].output_shape == (15, 15, 3)
    bn = r.blocks[ids[2]]
    assert (bn.trainable, bn.non_trainable) == (6, 6)


def test_depthwise_and_global_pool_and_dense():
    _, ids, r = net(("depthwise_conv2d", {"depth_multiplier": 2, "use_bias": True}),
                    ("global_avg_pool", {}), ("dense", {"units": 10}))
    assert r.blocks[ids[1]].output_shape == (32, 32, 6)
    assert r.blocks[ids[1]].params == 9 * 6 + 6
    assert r.blocks[ids[2]].output_shape == (6,)
    assert r.blocks[ids[3]].params == 6 * 10 + 10
    assert r.total_params == 60 + 70 and r.ok


def test_dense_on_an_image_is_a_problem_quoting_the_shape():
    g, ids, r = net(("conv2d", {"filters": 4}), ("dense", {"units": 10}))
    problems = r.blocks[ids[2]].problems
    assert problems and "(32, 32, 4)" in problems[0] and "Flatten" in problems[0]
    assert r.blocks[ids[2]].output_shape is None
    assert [p.block_id for p in r.problems] == [ids[2]]


def test_add_with_different_shapes_quotes_both():
    g = Graph()
    x = g.add_block("input")
    a = g.add_block("conv2d", {"filters": 64, "strides": 2})
    b = g.add_block("conv2d", {"filters": 128, "strides": 4})
    add = g.add_block("add")
    g.connect(x, a)
    g.connect(x, b)
    g.connect(a, add, 0)
    g.connect(b, add, 1)
    (problem,) = g.report().blocks[add].problems
    assert "(16, 16, 64)" in problem and "(8, 8, 128)" in problem and "differ" in problem
    g.set_param(b, "strides", 2)
    g.set_param(b, "filters", 64)
    assert g.report().blocks[add].output_shape == (16, 16, 64)


def test_concatenate_of_different_spatial_sizes():
    g = Graph()
    x = g.add_block("input")
    a = g.add_block("max_pool")
    cat = g.add_block("concatenate")
    g.connect(x, a)
    g.connect(x, cat, 0)
    g.connect(a, cat, 1)
    (problem,) = g.report().blocks[cat].problems
    assert "spatial sizes (32, 32) and (16, 16) differ" in problem


def test_spatial_size_below_one():
    _, ids, r = net(*[("max_pool", {})] * 6)
    assert r.blocks[ids[5]].output_shape == (1, 1, 3)
    assert "shrinks below 1" in r.blocks[ids[6]].problems[0]
    assert r.blocks[ids[6]].output_shape is None


def test_unconnected_input_no_input_and_two_outputs():
    g = Graph()
    conv = g.add_block("conv2d")
    r = g.report()
    assert "not connected" in r.blocks[conv].problems[0]
    assert any(p.block_id is None and "no Input" in p.message for p in r.problems)
    x = g.add_block("input")
    g.connect(x, conv)
    other = g.add_block("flatten")
    g.connect(x, other)
    r = g.report()
    assert len(r.output_ids) == 2
    assert any("more than one model output" in m for m in r.blocks[other].problems)


def test_problem_does_not_cascade_and_clears_when_fixed():
    g, ids, r = net(("dense", {"units": 4}), ("dense", {"units": 2}))
    assert r.blocks[ids[1]].problems and not r.blocks[ids[2]].problems
    flat = g.add_block("flatten")
    g.disconnect(ids[1], 0)
    g.connect(ids[0], flat)
    g.connect(flat, ids[1])
    r = g.report()
    assert r.ok and r.blocks[ids[2]].output_shape == (2,)


def test_residual_projects_only_when_the_shape_changes():
    _, ids, r = net(("residual", {"filters": 3}), ("residual", {"filters": 8, "strides": 2}))
    same = [layer.name for layer in r.blocks[ids[1]].layers]
    changed = [layer.name for layer in r.blocks[ids[2]].layers]
    assert not any("shortcut" in n for n in same)
    assert any(n.endswith("shortcut_conv") for n in changed)
    assert r.blocks[ids[2]].output_shape == (16, 16, 8)


def test_dense_block_grows_by_growth_rate_and_transition_compresses():
    _, ids, r = net(("dense_block", {"layers": 5, "growth_rate": 12}),
                    ("transition", {"compression": 0.5}))
    assert r.blocks[ids[1]].output_shape == (32, 32, 3 + 5 * 12)
    assert r.blocks[ids[2]].output_shape == (16, 16, (3 + 60) // 2)


def test_squeeze_excitation_params():
    _, ids, r = net(("conv2d", {"filters": 64}), ("squeeze_excite", {"ratio": 16}))
    c, hidden = 64, 4
    assert r.blocks[ids[2]].params == c * hidden + hidden + hidden * c + c
    assert r.blocks[ids[2]].output_shape == (32, 32, 64)


def test_mbconv_skip_only_when_shapes_match_and_cells():
    _, ids, r = net(("conv2d", {"filters": 16}), ("mbconv", {"filters": 16}),
                    ("mbconv", {"filters": 24, "strides": 2}), ("normal_cell", {"filters": 8}),
                    ("reduction_cell", {"filters": 8}))
    assert r.blocks[ids[2]].layers[-1].kind == "add"
    assert r.blocks[ids[3]].layers[-1].kind == "batch_norm"
    assert r.blocks[ids[4]].output_shape == (16, 16, 24)
    assert r.blocks[ids[5]].output_shape == (8, 8, 24)


def test_activation_memory_scales_with_batch():
    _, _, r = net(("conv2d", {"filters": 4}))
    per_image = 32 * 32 * 3 + 32 * 32 * 4
    assert r.activation_bytes(1) == 4 * per_image
    assert r.activation_bytes(64) == 64 * 4 * per_image


def test_an_edit_re_infers_downstream_through_the_cache():
    g, ids, r = net(("conv2d", {"filters": 4}), ("conv2d", {"filters": 4}), ("flatten", {}))
    assert r.blocks[ids[3]].output_shape == (32 * 32 * 4,)
    g.set_param(ids[1], "strides", 2)
    assert g.report().blocks[ids[3]].output_shape == (16 * 16 * 4,)
    g.set_param(ids[1], "strides", 1)
    assert g.report().blocks[ids[3]].output_shape == (32 * 32 * 4,)
