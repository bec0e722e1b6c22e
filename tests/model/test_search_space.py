"""Search spaces: every pick is a design that infers without problems, built as the docs say."""

import random

import pytest

from cnn_explorer.model.design_diff import diff_designs
from cnn_explorer.model.files import design_from_dict, design_to_dict
from cnn_explorer.model.search_space import OPERATIONS, blocks_space, cells_space, search_space


@pytest.mark.parametrize("space", [cells_space(), cells_space(blocks=2, cells_per_stage=2),
                                   blocks_space()])
def test_random_picks_all_infer_ok(space):
    rng = random.Random(7)
    for _ in range(25):
        picks = space.random_picks(rng)
        report = space.design(picks).graph.report()
        assert report.ok, (picks, report.problems[:3])
        assert report.blocks[report.output_ids[0]].output_shape[-1] == 10
        data = design_to_dict(space.design(picks))
        assert design_to_dict(design_from_dict(data))["blocks"] == data["blocks"]


def test_cells_space_choices_and_structure():
    space = cells_space(blocks=3)
    assert space.choices["normal_b1_in1"] == (0,)
    assert space.choices["reduction_b3_in2"] == (0, 1, 2)
    assert space.choices["normal_b2_op1"] == OPERATIONS
    picks = {k: v[0] for k, v in space.choices.items()}  # every block: input 0, sep3x3
    g = space.design(picks).graph
    out = g.find("s1_normal1_out")  # no block uses another: all three concatenated
    assert out.kind == "concatenate" and out.params["inputs"] == 3
    proj = g.find("reduce1_proj")  # a reduction halves in its 1x1 projection
    assert proj.params["strides"] in (2, [2, 2], (2, 2)) and proj.params["filters"] == 16
    shapes = g.report().blocks
    assert shapes[g.find("s1_normal1_out").id].output_shape == (32, 32, 24)
    assert shapes[g.find("s2_normal1_out").id].output_shape == (16, 16, 48)
    chain = {**picks, "normal_b2_in1": 1, "normal_b3_in1": 2, "normal_b2_op1": "identity"}
    g = space.design(chain).graph  # blocks 1 and 2 are used inside: block 3 alone is the output
    assert g.find("s1_normal1_b3_add").id in {c.src for c in g.connections()
                                              if c.dst == g.find("reduce1_relu").id}


def test_blocks_space_kinds_widths_depths():
    space = blocks_space()
    picks = {"stage1_kind": "residual", "stage1_width": 16, "stage1_depth": 2,
             "stage2_kind": "dense", "stage2_width": 32, "stage2_depth": 1,
             "stage3_kind": "se_residual", "stage3_width": 48, "stage3_depth": 3}
    g = space.design(picks).graph
    kinds = [g.block(b).kind for b in g.topological_order()]
    assert kinds == ["input", "conv_bn_act", "residual", "residual", "transition",
                     "dense_block", "residual", "residual", "residual", "global_avg_pool",
                     "classifier"]
    assert g.find("stage2_dense").params["layers"] == 2
    assert g.find("stage2_dense").params["growth_rate"] == 16
    assert g.find("stage3_block1").params["se_ratio"] == 4
    assert g.find("stage3_block1").params["strides"] == 2
    assert g.find("stage1_block1").params["se_ratio"] == 0
    assert g.report().blocks[g.find("stage3_block3").id].output_shape == (8, 8, 48)
    mb = space.design({**picks, "stage1_kind": "mbconv"}).graph
    assert mb.find("stage1_block1").kind == "mbconv"


def test_bad_picks_and_options_are_refused():
    with pytest.raises(ValueError, match="missing"):
        blocks_space().design({})
    with pytest.raises(ValueError, match="widths"):
        blocks_space(widths=(0,))
    with pytest.raises(ValueError, match="unknown search space"):
        search_space("genetic")
    with pytest.raises(ValueError, match="blocks"):
        cells_space(blocks=0)


def test_diff_lists_block_level_differences():
    space = blocks_space()
    base = {k: v[0] for k, v in space.choices.items()}
    a = space.design(base)
    b = space.design({**base, "stage2_kind": "mbconv", "stage3_depth": 2})
    assert diff_designs(a, a) == []
    lines = diff_designs(b, a)
    assert "~ stage2_block1: residual -> mbconv" in lines
    assert "+ stage3_block2 (residual)" in lines
    assert any(line.startswith("~ avg_pool: inputs stage3_block1 -> stage3_block2")
               for line in lines)
    assert diff_designs(a, b).count("- stage3_block2 (residual)") == 1


def test_search_space_imports_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys, random\n"
            "from cnn_explorer.model.search_space import cells_space\n"
            "import cnn_explorer.model.design_diff\n"
            "s = cells_space(); s.design(s.random_picks(random.Random(0))).graph.report()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'tensorflow', 'keras', 'optuna', 'pyqtgraph')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
