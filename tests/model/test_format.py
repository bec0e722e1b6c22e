"""One formatter for numbers, shapes and counts: the words every view and the CLI print."""

from cnn_explorer.model import Graph
from cnn_explorer.model import format as fmt
from cnn_explorer.model.cli import format_table, summary_dict
from cnn_explorer.model.files import Design
from cnn_explorer.model.settings import RunSettings


def test_flops_read_with_a_unit_even_at_zero():
    assert fmt.flops(0) == "0 FLOPs"
    assert fmt.flops(950) == "950 FLOPs"
    assert fmt.flops(40_810_000) == "40.81 MFLOPs"
    assert fmt.flops(1_500_000_000) == "1.50 GFLOPs"
    assert fmt.short(0) == "0" and fmt.short(2_000) == "2.00 k"


def test_counts_are_singular_for_one():
    assert fmt.design_size(1, 1) == "1 block, 1 layer"
    assert fmt.design_size(2, 0) == "2 blocks, 0 layers"
    assert fmt.plural(1, "param") == "1 param"
    assert fmt.plural(12_345, "param") == "12,345 params"


def test_tensor_shapes_show_the_batch_axis():
    assert fmt.tensor_shape((32, 32, 3)) == "(N, 32, 32, 3)"
    assert fmt.tensor_shape((10,)) == "(N, 10)"
    assert fmt.shape((16, 16, 64)) == "(16, 16, 64)"
    assert fmt.tensor_shape(None) == fmt.shape(None) == "?"


def test_sizes_and_short_counts():
    assert fmt.size_bytes(512) == "512 B"
    assert fmt.size_bytes(3 << 20) == "3.0 MB"
    assert fmt.count(950) == "950" and fmt.count(12_345) == "12.3k"
    assert fmt.count(1_200_000) == "1.20M"


def test_cli_table_uses_the_same_words():
    g = Graph()
    g.add_block("input", {"height": 4, "width": 4, "channels": 3})
    text = format_table(summary_dict(Design(g, RunSettings(), "tiny")))
    assert "(N, 4, 4, 3)" in text
    assert "FLOPs (2 x multiply-adds, per image): 0 FLOPs" in text
