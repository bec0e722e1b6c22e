"""Compound scaling: exact widths, depths and input sizes; the FLOPs law; the CLI."""

import json
import math

import pytest

from cnn_explorer.cli import main
from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.files import Design, design_to_dict, load_design
from cnn_explorer.model.graph import Graph
from cnn_explorer.model.presets import build_preset
from cnn_explorer.model.scaling import Scaling, round_filters, scale_design, stages


def names(design, kind):
    g = design.graph
    return [g.block(b).name for b in g.report().order if g.block(b).kind == kind]


def params_of(design, name):
    return design.graph.find(name).params


def test_phi_zero_gives_the_same_design_back_and_scaling_leaves_the_original_alone():
    for preset in ("resnet20", "efficientnet-b0", "densenet-bc-100", "plain-cnn"):
        design = build_preset(preset)
        before = json.dumps(design_to_dict(design))
        assert design_to_dict(scale_design(design, Scaling(0))) == design_to_dict(design)
        scale_design(design, Scaling(2))
        assert json.dumps(design_to_dict(design)) == before


@pytest.mark.parametrize("phi, blocks_per_stage, widths, size", [
    (1, 4, (16, 32, 72), 37),    # ceil(3 x 1.2) = 4; 16 x 1.1 rounds back to 16; 64 -> 70.4 -> 72
    (2, 5, (24, 40, 80), 42),    # ceil(3 x 1.44) = 5; 16 x 1.21 = 19.4 -> 24 (never 10% below)
    (3, 6, (24, 40, 88), 49),    # ceil(3 x 1.728) = 6; 64 x 1.331 = 85.2 -> 88; 32 x 1.52 = 48.7
])
def test_resnet20_exact_widths_depths_and_input_size(phi, blocks_per_stage, widths, size):
    scaled = scale_design(build_preset("resnet20"), Scaling(phi))
    residuals = names(scaled, "residual")
    assert len(residuals) == 3 * blocks_per_stage
    for stage, width in zip((1, 2, 3), widths):
        in_stage = [n for n in residuals if n.startswith(f"stage{stage}_")]
        assert len(in_stage) == blocks_per_stage
        assert {params_of(scaled, n)["filters"] for n in in_stage} == {width}
        # only a stage's first block downsamples; the copies keep stride 1
        assert [params_of(scaled, n)["strides"] for n in in_stage][1:] == [1] * (
            blocks_per_stage - 1)
    inp = params_of(scaled, "input")
    assert (inp["height"], inp["width"], inp["channels"]) == (size, size, 3)
    assert params_of(scaled, "stem")["filters"] == round_filters(16, 1.1 ** phi)
    assert scaled.graph.report().ok
    assert params_of(scaled, "predictions")["classes"] == 10  # the head keeps its classes


def test_scaling_b0_equals_the_efficientnet_preset_at_that_phi():
    """The preset builds B1.. by the same rule: scaling B0 must give the same network."""
    for phi in (1, 2, 3):
        scaled = scale_design(build_preset("efficientnet-b0"), Scaling(phi)).graph.report()
        preset = build_preset("efficientnet-b0", phi=phi).graph.report()
        assert (scaled.total_params, scaled.flops) == (preset.total_params, preset.flops)


def test_stem_and_head_are_not_stages():
    b0 = build_preset("efficientnet-b0")
    run_names = [[b0.graph.block(b).name for b in run] for run in stages(b0)]
    assert run_names[0] == ["block1a"] and run_names[-1] == ["block7a"]
    assert len(names(scale_design(b0, Scaling(2)), "conv_bn_act")) == 2  # stem and top only


def test_dense_blocks_deepen_inside():
    scaled = scale_design(build_preset("densenet-bc-100"), Scaling(1))
    original = build_preset("densenet-bc-100")
    for name in ("dense1", "dense2", "dense3"):
        n = params_of(original, name)["layers"]
        assert params_of(scaled, name)["layers"] == math.ceil(n * 1.2)
        assert params_of(scaled, name)["growth_rate"] == round(12 * 1.1)
    assert len(scaled.graph) == len(original.graph)


def wide_plain_net() -> Design:
    """Three stages of five 3x3 convs, wide enough that rounding to 8 hardly matters, on an
    input whose scaled sizes halve evenly (80 -> 92 -> 46 -> 23)."""
    g = Graph()
    prev = g.add_block("input", {"height": 80, "width": 80, "channels": 3}, "input")
    for stage, filters in enumerate((256, 512, 1024), start=1):
        for i in range(1, 6):
            strides = 2 if i == 1 and stage > 1 else 1
            b = g.add_block("conv2d", {"filters": filters, "strides": strides},
                            f"s{stage}_conv{i}")
            g.connect(prev, b)
            prev = b
    for kind, name in (("global_avg_pool", "gap"), ("classifier", "predictions")):
        b = g.add_block(kind, {}, name)
        g.connect(prev, b)
        prev = b
    return Design(g)


def test_flops_grow_by_alpha_beta2_gamma2_per_unit_of_phi():
    design = wide_plain_net()
    base = design.graph.report().flops
    s = Scaling(1)
    assert s.flops_factor == pytest.approx(1.2 * 1.1 ** 2 * 1.15 ** 2)
    for phi in (1, 2):
        ratio = scale_design(design, Scaling(phi)).graph.report().flops / base
        # per unit of phi, within the rounding of depth (ceil), width (8) and size (pixels)
        assert ratio ** (1 / phi) == pytest.approx(s.flops_factor, rel=0.15)
    # each dimension alone: width ~beta^2, resolution ~gamma^2, depth ~alpha
    for dim, expected in (("width", 1.1 ** 4), ("resolution", 1.15 ** 4), ("depth", 1.2 ** 2)):
        ratio = scale_design(design, s.__class__(2).only(dim)).graph.report().flops / base
        assert ratio == pytest.approx(expected, rel=0.2), dim


def test_bad_coefficients_are_refused_with_the_reason():
    with pytest.raises(DesignError, match="phi"):
        Scaling(float("nan"))
    with pytest.raises(DesignError, match="beta"):
        Scaling(1, beta=0.5)


def test_scale_command_writes_a_design_summary_accepts(tmp_path, capsys):
    out = tmp_path / "r20_phi1.json"
    assert main(["scale", "--preset", "resnet20", "--phi", "1", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "x2." in text.splitlines()[1]  # FLOPs about double
    scaled = load_design(out)
    assert len(names(scaled, "residual")) == 12
    assert main(["summary", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total_params"] == \
        scaled.graph.report().total_params
    assert main(["scale", "--preset", "resnet20", "--phi", "99", "-o", str(out)]) == 2
    assert "phi" in capsys.readouterr().err
