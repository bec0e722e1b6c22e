"""Feature maps read a run's checkpoint; one that is missing is a message, not a traceback."""

from __future__ import annotations

import pytest

from cnn_explorer.model.presets import build_preset
from cnn_explorer.training.feature_maps import block_output_layer, feature_maps
from cnn_explorer.training.records import TrainingError


def test_a_missing_checkpoint_says_the_run_saved_no_model(tmp_path):
    with pytest.raises(TrainingError, match="saved no model"):
        feature_maps(tmp_path / "run.keras", "b1", None, 0)


def test_a_block_output_is_its_last_layer():
    design = build_preset("resnet20")
    residual = next(b for b in design.graph.blocks() if b.kind == "residual")
    layers = design.graph.report().blocks[residual.id].layers
    assert len(layers) > 1 and block_output_layer(design, residual.id) == layers[-1].name
    with pytest.raises(TrainingError):
        block_output_layer(design, "no-such-block")
