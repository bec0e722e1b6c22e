"""Presets against the papers' tables and the seed notes' own models."""

import pytest

from cnn_explorer.model import ParameterError
from cnn_explorer.model.presets import PRESETS, build_preset


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_has_no_problems_and_one_output(name):
    report = build_preset(name).graph.report()
    assert report.ok, report.problems
    assert len(report.output_ids) == 1 and report.total_params > 0 and report.flops > 0


@pytest.mark.parametrize("name, expected", [
    ("plain-cnn", 325_956),     # the notes' first model (CIFAR-100 head)
    ("vgg16", 33_638_218),      # the notes' build_vgg with 10 classes
])
def test_seed_models_exact(name, expected):
    assert build_preset(name).graph.report().total_params == expected


@pytest.mark.parametrize("name, millions, tolerance", [
    ("resnet20", 0.27, 0.01), ("resnet56", 0.85, 0.02), ("densenet-bc-100", 0.8, 0.03),
    ("resnet50", 23.5, 0.2),
])
def test_paper_tables(name, millions, tolerance):
    assert build_preset(name).graph.report().total_params / 1e6 == pytest.approx(
        millions, abs=tolerance)


def test_vgg19_has_16_convolutions():
    g = build_preset("vgg19").graph
    assert sum(b.kind == "conv2d" for b in g.blocks()) == 16


def test_depth_knob_of_the_degradation_pair():
    for depth in (20, 56):
        plain = build_preset("plain-deep", depth=depth).graph
        residual = build_preset("residual-deep", depth=depth).graph
        convs = sum(b.kind == "conv_bn_act" for b in plain.blocks())
        blocks = sum(b.kind == "residual" for b in residual.blocks())
        assert convs == depth - 1 and 2 * blocks == depth - 2  # plus the classifier layer
    with pytest.raises(ParameterError, match="6n\\+2"):
        build_preset("plain-deep", depth=21)


def test_compound_scaling_grows_depth_width_and_resolution():
    b0 = build_preset("efficientnet-b0").graph
    b2 = build_preset("efficientnet-b0", phi=2).graph
    assert b2.block(b2.find("input").id).params["height"] == round(32 * 1.15 ** 2)
    assert sum(b.kind == "mbconv" for b in b2.blocks()) > sum(
        b.kind == "mbconv" for b in b0.blocks())
    r0, r2 = b0.report(), b2.report()
    assert r2.total_params > 1.3 * r0.total_params and r2.flops > 1.5 * r0.flops


def test_se_resnet_has_se_inside_residual_blocks():
    layers = build_preset("se-resnet").graph.report().layers
    assert any(layer.name.endswith("se_excite") and layer.name.startswith("stage")
               for layer in layers)


def test_a_knob_the_preset_does_not_have_is_refused_by_name():
    with pytest.raises(ParameterError) as err:
        build_preset("alexnet", activation="tanh")
    assert "activation" in str(err.value) and "classes" in str(err.value)
    with pytest.raises(ParameterError, match="depth"):
        build_preset("resnet50", depth=50)


def test_knobs_are_typed_and_checked_against_their_range():
    from cnn_explorer.model.presets import PRESETS

    depth = PRESETS["resnet20"].knob("depth")
    assert (depth.low, depth.high, depth.step, depth.hint) == (8, 200, 6, "6n+2")
    assert PRESETS["densenet-bc-100"].knob("depth").hint == "6n+4"
    assert PRESETS["plain-deep"].knob("activation").choices
    with pytest.raises(ParameterError, match="classes"):
        build_preset("resnet20", classes=0)
    with pytest.raises(ParameterError, match="activation"):
        build_preset("plain-deep", activation="wiggle")
    with pytest.raises(ParameterError, match="phi"):
        build_preset("efficientnet-b0", phi="big")
    tanh = build_preset("plain-deep", depth=8, activation="tanh")
    assert tanh.graph.find("stem").params["activation"] == "tanh"
