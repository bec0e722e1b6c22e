"""The exported script's docstring names the design's dataset (and what it trains on)."""

import ast

from cnn_explorer.keras.export import export_python
from cnn_explorer.model.presets import build_preset
from cnn_explorer.model.settings import RunSettings


def _docstring(design) -> str:
    return ast.get_docstring(ast.parse(export_python(design, "model.py")))


def test_docstring_names_a_cifar_dataset_as_chosen():
    design = build_preset("plain-cnn")
    design.settings = RunSettings(dataset="cifar100")
    assert "train it on cifar100" in _docstring(design)


def test_docstring_names_the_designs_own_dataset_when_the_script_uses_another():
    design = build_preset("plain-cnn")
    design.settings = RunSettings(dataset="sample")
    doc = _docstring(design)
    assert "sample" in doc and "cifar10" in doc
