"""Feature maps read a run's checkpoint; one that is missing is a message, not a traceback."""

from __future__ import annotations

import pytest

from cnn_explorer.model.presets import build_preset
from cnn_explorer.training.feature_maps import activation_bands, block_output_layer, feature_maps
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


def test_the_probe_records_each_blocks_percentiles_and_the_history_keeps_them():
    import keras
    import numpy as np

    from cnn_explorer.training.history import RunHistory
    from cnn_explorer.training.records import RunInfo, StepRecord
    from cnn_explorer.training.signals import QUANTILES, ActivationProbe

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="c1")(inputs)
    x = keras.layers.Conv2D(4, 3, activation="sigmoid", name="c2")(x)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))
    images = np.random.default_rng(0).integers(0, 256, (16, 8, 8, 3)).astype(np.uint8)
    stats = ActivationProbe(model, {"c1": "b1", "c2": "b2"}, images).stats()
    for block, low in (("b1", 0.0), ("b2", 0.0)):
        q = stats[block]["q"]
        assert len(q) == len(QUANTILES) and q == sorted(q) and q[0] >= low
    assert stats["b2"]["q"][-1] <= 1.0 and stats["b1"]["q"][0] == 0.0  # sigmoid; ReLU zeros
    outputs = keras.Model(inputs, model.get_layer("c1").output)(images / 255.0)
    assert stats["b1"]["q"][3] == pytest.approx(float(np.median(outputs)), abs=0.05)

    history = RunHistory()
    history.on_start(RunInfo([], 1, 3, 32, [], {}))
    history.on_steps([StepRecord(k, 1, 1.0, 0.5, 0.1 * k, activations=stats if k != 2 else {})
                      for k in (1, 2, 3)])
    assert history.activation_steps == [1, 3]
    steps, q = activation_bands(history.activation_steps, history.activations, "b1")
    assert list(steps) == [1, 3] and q.shape == (2, len(QUANTILES))
    assert activation_bands(history.activation_steps, history.activations, "b9")[0].size == 0
