"""`cnn-explorer export` and `cnn-explorer import`: exit codes, files written, reasons given."""

from __future__ import annotations

import ast

from cnn_explorer.cli import build_parser, main
from cnn_explorer.model.files import Design, load_design, save_design
from cnn_explorer.model.graph import Graph


def test_both_commands_are_registered():
    parser = build_parser()
    assert parser.parse_args(["export", "--preset", "resnet20"]).func.__name__ == "cmd_export"
    assert parser.parse_args(["import", "m.keras"]).func.__name__ == "cmd_import"


def test_export_preset_writes_a_script(tmp_path, capsys):
    out = tmp_path / "resnet56.py"
    assert main(["export", "--preset", "resnet56", "-o", str(out)]) == 0
    tree = ast.parse(out.read_text())
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert {"build_model", "residual_block", "main"} <= names
    assert "860,026 parameters" in capsys.readouterr().out


def test_export_design_file_and_stdout(tmp_path, capsys, designs):
    path = tmp_path / "every.json"
    save_design(designs["every-kind"], path)
    assert main(["export", str(path)]) == 0
    assert "def normal_cell(" in capsys.readouterr().out


def test_export_unreadable_or_broken_designs(tmp_path, capsys):
    assert main(["export", str(tmp_path / "missing.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    g = Graph()
    g.add_block("input", {}, "image")
    g.add_block("dense", {}, "fc")
    save_design(Design(g), tmp_path / "broken.json")
    assert main(["export", str(tmp_path / "broken.json"), "-o", str(tmp_path / "x.py")]) == 1
    assert "fc: input port 0 not connected" in capsys.readouterr().err
    assert not (tmp_path / "x.py").exists()


def test_import_keras_file_to_design(tmp_path, capsys):
    import keras
    from keras import layers

    inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = layers.Rescaling(2.0, name="double")(x)
    x = layers.Cropping2D(1, name="crop")(x)  # no block: kept as an imported layer
    model = keras.Model(inputs, layers.Flatten(name="flat")(x))
    model.save(tmp_path / "small.keras")
    assert main(["import", str(tmp_path / "small.keras"), "-o", str(tmp_path / "d.json")]) == 0
    design = load_design(tmp_path / "d.json")
    assert [b.kind for b in design.graph.blocks()] == ["input", "conv2d", "rescaling", "opaque",
                                                       "flatten"]
    assert "kept as imported layers: Cropping2D x1" in capsys.readouterr().out
    assert main(["import", str(tmp_path / "small.keras")]) == 0  # default: small.json
    assert (tmp_path / "small.json").exists()


def test_import_refuses_unreadable_input(tmp_path, capsys):
    bad = tmp_path / "bad.keras"
    bad.write_text("hello")
    assert main(["import", str(bad), "-o", str(tmp_path / "d.json")]) == 2
    assert "not a zip archive" in capsys.readouterr().err
    assert not (tmp_path / "d.json").exists()
