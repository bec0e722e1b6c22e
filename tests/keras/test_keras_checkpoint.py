"""Trained checkpoints: the .keras file plus its design, which reopens as the same graph."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_explorer.keras.build import build_model
from cnn_explorer.keras.checkpoint import design_path, load_trained_design, save_trained
from cnn_explorer.model.files import design_to_dict
from cnn_explorer.model.layout import layered_layout
from cnn_explorer.model.presets import build_preset


def test_checkpoint_reopens_the_same_design_and_weights(tmp_path):
    import keras

    design = build_preset("plain-cnn")
    edges = [(c.src, c.dst) for c in design.graph.connections()]
    for bid, position in layered_layout(design.graph.block_ids(), edges).items():
        design.graph.move(bid, position)
    model = build_model(design.graph)
    path = tmp_path / "run1.keras"
    save_trained(model, design, path)
    assert design_path(path) == tmp_path / "run1.design.json" and design_path(path).exists()
    again = load_trained_design(path)
    assert design_to_dict(again) == design_to_dict(design)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run1.design.json", "run1.keras"]


def test_keras_file_without_design_is_imported(tmp_path):
    design = build_preset("plain-cnn")
    model = build_model(design.graph)
    path = tmp_path / "foreign.keras"
    save_trained(model, design, path)
    design_path(path).unlink()
    again = load_trained_design(path)
    assert again.graph.report().total_params == design.graph.report().total_params
    assert [b.name for b in again.graph.blocks()][1:] == [
        "conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "predictions"]


def test_only_keras_files(tmp_path):
    design = build_preset("plain-cnn")
    with pytest.raises(ValueError, match=".keras"):
        save_trained(build_model(design.graph), design, tmp_path / "model.h5")
