"""Rules of the kinds an import needs: elementwise operations (broadcasting as NumPy does),
the scaled add, layer scale, separable and grouped convolution, rescaling and the two
normalizations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnn_explorer.model import shapes as rule
from cnn_explorer.model.elementwise import broadcast, elementwise_op, layer_scale, scaled_add
from cnn_explorer.model.errors import ParameterError
from cnn_explorer.model.graph import Graph
from cnn_explorer.model.kinds import KINDS
from cnn_explorer.model.shapes import ShapeProblem

axis = st.integers(1, 6)


@st.composite
def shape_pairs(draw):
    """Two shapes of one rank whose axes are equal, 1 on one side, or (sometimes) unequal."""
    rank = draw(st.integers(1, 4))
    a, b = [], []
    for _ in range(rank):
        size = draw(axis)
        how = draw(st.sampled_from(["same", "left1", "right1", "other"]))
        a.append(1 if how == "left1" else size)
        b.append(1 if how == "right1" else draw(axis) if how == "other" else size)
    return tuple(a), tuple(b)


@given(shape_pairs())
def test_two_tensors_broadcast_as_numpy_does_behind_the_batch_axis(pair):
    a, b = pair
    try:
        expected = np.broadcast_shapes((7, *a), (7, *b))[1:]
    except ValueError:
        with pytest.raises(ShapeProblem, match="only an axis of size 1 stretches"):
            elementwise_op({"operation": "add"}, [a, b])
        return
    cost = elementwise_op({"operation": "add"}, [a, b])
    assert cost.output_shape == expected
    assert (cost.trainable, cost.non_trainable) == (0, 0)
    assert cost.flops == int(np.prod(expected))


@given(st.lists(axis, min_size=1, max_size=3), st.lists(axis, min_size=1, max_size=3))
def test_different_ranks_are_refused_because_the_batch_axis_would_not_line_up(a, b):
    if len(a) == len(b):
        return
    with pytest.raises(ShapeProblem, match="different ranks"):
        broadcast("Elementwise add", [tuple(a), tuple(b)])


def test_a_constant_keeps_the_shape_and_costs_one_operation_per_element():
    g = Graph()
    image = g.add_block("input", {"height": 4, "width": 5, "channels": 3}, "image")
    plus = g.add_block("elementwise", {"operation": "add", "constant": 3.0}, "plus3")
    g.connect(image, plus)
    report = g.report()
    assert not report.problems
    layer = report.blocks[plus].layers[0]
    assert layer.output_shape == (4, 5, 3) and layer.params_total == 0 and layer.flops == 60
    assert layer.params == {"operation": "add", "constant": 3.0, "constant_first": False}
    bk = KINDS["elementwise"]
    assert bk.input_ports(bk.spec(inputs=1)) == 1 and bk.input_ports(bk.spec(inputs=2)) == 2
    with pytest.raises(ParameterError, match="operation must be one of"):
        bk.spec(operation="exec")


def test_scaled_add_takes_two_tensors_and_has_no_weights():
    cost = scaled_add({"scale": 0.17}, [(8, 8, 4), (8, 8, 4)])
    assert (cost.output_shape, cost.trainable, cost.flops) == ((8, 8, 4), 0, 2 * 256)
    with pytest.raises(ShapeProblem):
        scaled_add({"scale": 0.17}, [(8, 8, 4), (8, 8, 5)])


def test_layer_scale_learns_one_factor_per_channel():
    cost = layer_scale({"init_values": 1e-6, "projection_dim": 96}, [(8, 8, 96)])
    assert (cost.output_shape, cost.trainable, cost.non_trainable) == ((8, 8, 96), 96, 0)
    with pytest.raises(ShapeProblem, match="96 factors.*64 channels"):
        layer_scale({"init_values": 1e-6, "projection_dim": 96}, [(8, 8, 64)])


@pytest.mark.parametrize("kernel, strides, padding, mult, bias, out, params", [
    ((3, 3), (1, 1), "same", 1, True, (10, 10, 8), 3 * 3 * 4 + 4 * 8 + 8),
    ((3, 3), (2, 2), "valid", 2, False, (4, 4, 8), 3 * 3 * 8 + 8 * 8),
    ((5, 3), (1, 1), "valid", 1, True, (6, 8, 8), 5 * 3 * 4 + 4 * 8 + 8),
])
def test_separable_convolution_counts_depthwise_and_pointwise_weights(
        kernel, strides, padding, mult, bias, out, params):
    p = dict(filters=8, kernel=kernel, strides=strides, padding=padding, depth_multiplier=mult,
             dilation=(1, 1), use_bias=bias)
    cost = rule.separable_conv2d(p, [(10, 10, 4)])
    assert (cost.output_shape, cost.trainable) == (out, params)
    spatial = out[0] * out[1]
    assert cost.flops == 2 * spatial * (kernel[0] * kernel[1] * 4 * mult + 4 * mult * 8)


def test_rescaling_takes_one_value_or_one_per_channel():
    assert rule.rescaling({"scale": (0.5,), "offset": (-1.0,)}, [(4, 4, 3)]).trainable == 0
    rule.rescaling({"scale": (0.5, 0.2, 0.1), "offset": (0.0,)}, [(4, 4, 3)])
    with pytest.raises(ShapeProblem, match="2 scale values for 3 channels"):
        rule.rescaling({"scale": (0.5, 0.2), "offset": (0.0,)}, [(4, 4, 3)])


def test_normalization_keeps_adapted_statistics_but_not_fixed_ones():
    adapted = rule.normalization({"mean": (), "variance": ()}, [(4, 4, 3)])
    assert (adapted.trainable, adapted.non_trainable) == (0, 2 * 3 + 1)  # mean, variance, count
    fixed = rule.normalization({"mean": (1.0, 2.0, 3.0), "variance": (1.0, 1.0, 1.0)},
                               [(4, 4, 3)])
    assert (fixed.trainable, fixed.non_trainable) == (0, 0)
    with pytest.raises(ShapeProblem, match="both mean and variance"):
        rule.normalization({"mean": (1.0,), "variance": ()}, [(4, 4, 3)])


def test_layer_norm_learns_a_scale_and_an_offset_per_channel():
    assert rule.layer_norm({"center": True, "scale": True}, [(4, 4, 96)]).trainable == 192
    assert rule.layer_norm({"center": False, "scale": True}, [(768,)]).trainable == 768


def test_per_channel_numbers_are_checked_and_normalised():
    spec = KINDS["rescaling"].spec
    assert spec(scale=0.5).scale == (0.5,)
    assert spec(scale=[1, 2]).scale == (1.0, 2.0)
    for bad in ([], "half", [float("nan")], [True], [[1.0]]):
        with pytest.raises(ParameterError, match="scale must be"):
            spec(scale=bad)
    assert KINDS["normalization"].spec().mean == ()  # empty: adapt() learns it
    assert spec(scale=[0.5, 0.25]).to_dict()["scale"] == [0.5, 0.25]  # JSON-ready


def test_grouped_convolution_filters_see_a_share_of_the_channels():
    p = dict(filters=8, kernel=(7, 7), strides=(1, 1), padding="same", use_bias=True)
    plain = rule.conv2d(p, [(4, 4, 8)])
    grouped = rule.conv2d({**p, "groups": 8}, [(4, 4, 8)])  # ConvNeXt's depthwise conv
    assert plain.trainable == 7 * 7 * 8 * 8 + 8 and grouped.trainable == 7 * 7 * 1 * 8 + 8
    assert grouped.flops * 8 == plain.flops
    with pytest.raises(ShapeProblem, match="3 groups must divide both the input's 8 channels"):
        rule.conv2d({**p, "groups": 3}, [(4, 4, 8)])
