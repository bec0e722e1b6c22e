"""Weights come along: an import keeps them beside the design, a build loads them block by
block (an edited block alone starts fresh, with a message naming it), a changed file is a
message, a frozen block's weights do not move, a checkpoint reopens with its weights, and the
exported script's `build_model()` + `load_weights` predicts what the original model predicts.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from cnn_explorer.keras.build import build_model
from cnn_explorer.keras.weights import (
    checkpoint_design,
    import_with_weights,
    load_design_weights,
)
from cnn_explorer.model.files import load_design, save_design
from cnn_explorer.model.settings import RunSettings

# keras.applications models checked with their weights (weights=None: random, and equal is
# equal); random BN statistics are set so that batch norm's moving averages matter too.
APPLICATIONS = ("ResNet50", "MobileNetV3Small", "ConvNeXtTiny")
BATCH = np.random.RandomState(0).rand(4, 32, 32, 3).astype("float32")


def _randomise_batch_norm(model) -> None:
    import keras

    rng = np.random.RandomState(1)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            mean, var = layer.moving_mean, layer.moving_variance
            mean.assign(rng.uniform(-0.1, 0.1, mean.shape).astype("float32"))
            var.assign(rng.uniform(1.0, 2.0, var.shape).astype("float32"))


def _predict(model):
    return np.asarray(model(BATCH, training=False))


@pytest.fixture(scope="module", params=APPLICATIONS)
def application(request, tmp_path_factory):
    import keras

    folder = tmp_path_factory.mktemp(request.param)
    original = getattr(keras.applications, request.param)(
        weights=None, input_shape=(32, 32, 3), classes=10)
    _randomise_batch_norm(original)
    original.save(folder / "original.keras")
    design = import_with_weights(folder / "original.keras", folder / "design.json")
    save_design(design, folder / "design.json")
    return original, folder


def test_imported_design_predicts_like_the_original(application):
    original, folder = application
    design = load_design(folder / "design.json")  # the file names its weights and their hash
    assert design.weights is not None and (folder / "design.weights.h5").exists()
    model = build_model(design.graph)
    fresh = _predict(model)
    notes = load_design_weights(model, design)
    blocks = sum(1 for layer in model.layers if layer.weights)
    assert notes == [f"Loaded weights for {blocks} of {blocks} blocks from design.weights.h5."]
    expected = _predict(original)
    assert np.abs(_predict(model) - expected).max() < 1e-5
    assert np.abs(fresh - expected).max() > 1e-5  # without the weights it would differ


def test_exported_script_with_load_weights_predicts_like_the_original(application):
    original, folder = application
    module = _exported(load_design(folder / "design.json"), folder / "design.py")
    assert module.WEIGHTS_FILE == "design.weights.h5"
    model = module.build_model()
    model.load_weights(folder / module.WEIGHTS_FILE)
    assert np.abs(_predict(model) - _predict(original)).max() < 1e-5


# ---- a small model for the block-by-block rules ---------------------------------------------

def _small(tmp_path):
    import keras
    from keras import layers

    inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(6, 3, padding="same", name="c1")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.ReLU(name="relu")(x)
    x = layers.Conv2D(5, 3, padding="same", name="c2")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    original = keras.Model(inputs, layers.Dense(4, activation="softmax", name="fc")(x))
    _randomise_batch_norm(original)
    original.save(tmp_path / "small.keras")
    design = import_with_weights(tmp_path / "small.keras", tmp_path / "small.json")
    return original, design


def _weights(model, name: str) -> list[np.ndarray]:
    return [np.asarray(w) for w in model.get_layer(name).weights]


def test_an_edited_block_alone_loses_its_weights(tmp_path):
    original, design = _small(tmp_path)
    graph = design.graph
    graph.set_param(graph.find("c1").id, "kernel", (5, 5))  # same output shape, new kernel
    model = build_model(graph)
    notes = load_design_weights(model, design)
    assert notes == ["Loaded weights for 3 of 4 blocks from small.weights.h5.",
                     "block c1: weights not loaded, its parameters changed (it starts from "
                     "its initialiser)"]
    for name in ("bn", "c2", "fc"):
        for mine, theirs in zip(_weights(model, name), _weights(original, name)):
            np.testing.assert_array_equal(mine, theirs)
    assert _weights(model, "c1")[0].shape == (5, 5, 3, 6)


def test_a_block_fed_another_shape_starts_fresh_with_a_message(tmp_path):
    _, design = _small(tmp_path)
    design.graph.set_param(design.graph.find("c1").id, "filters", 7)  # c2 now sees 7 channels
    notes = load_design_weights(build_model(design.graph), design)
    assert notes[0] == "Loaded weights for 1 of 4 blocks from small.weights.h5."  # fc only
    assert notes[1].startswith("block c1: weights not loaded, its parameters changed")
    shapes = "weights not loaded, its input or weight shapes changed"
    assert notes[2:] == [f"block {name}: {shapes} (it starts from its initialiser)"
                         for name in ("bn", "c2")]


def test_a_changed_or_missing_weights_file_is_a_message_not_a_crash(tmp_path):
    original, design = _small(tmp_path)
    path = tmp_path / "small.weights.h5"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    model = build_model(design.graph)
    notes = load_design_weights(model, design)
    assert notes == ["Weights file small.weights.h5 has changed since the design named it (its "
                     "sha256 differs): weights not loaded, the model starts from its "
                     "initialisers."]
    path.unlink()
    assert load_design_weights(model, design) == [
        "Weights file small.weights.h5 not found: the model starts from its initialisers."]


def test_a_frozen_block_does_not_move_during_a_step_while_others_do(tmp_path):
    import keras

    _, design = _small(tmp_path)
    design.graph.set_trainable(design.graph.find("c1").id, False)
    save_design(design, tmp_path / "small.json")
    design = load_design(tmp_path / "small.json")  # the flag is kept in the file
    assert not design.graph.find("c1").trainable and design.graph.find("c2").trainable
    model = build_model(design.graph)
    load_design_weights(model, design)
    assert not model.get_layer("c1").trainable
    before = {name: _weights(model, name) for name in ("c1", "c2")}
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    model.train_on_batch(np.random.RandomState(2).rand(8, 8, 8, 3), np.arange(8) % 4)
    for old, new in zip(before["c1"], _weights(model, "c1")):
        np.testing.assert_array_equal(old, new)
    assert np.abs(before["c2"][0] - _weights(model, "c2")[0]).max() > 0
    exported = _exported(design, tmp_path / "frozen.py").build_model()  # frozen there too
    assert not exported.get_layer("c1").trainable and exported.get_layer("c2").trainable
    from cnn_explorer.training.records import TrainingError
    from cnn_explorer.training.run import train_design

    for block in design.graph.blocks():
        design.graph.set_trainable(block.id, False)
    with pytest.raises(TrainingError, match="Every block with weights is frozen"):
        train_design(design, RunSettings(batch_size=8, epochs=1), data=_tiny_data())


def _exported(design, script):
    """The exported script of `design`, written to `script` and imported as a module."""
    from cnn_explorer.keras.export import export_python

    script.write_text(export_python(design, script.name), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_checkpoint_reopens_with_its_weights_and_training_continues_from_them(tmp_path):
    from cnn_explorer.keras.checkpoint import save_trained
    from cnn_explorer.training.records import RunListener
    from cnn_explorer.training.run import train_design

    original, design = _small(tmp_path)
    model = build_model(design.graph)
    load_design_weights(model, design)
    save_trained(model, design, tmp_path / "run.keras")
    reopened = checkpoint_design(tmp_path / "run.keras")
    again = build_model(reopened.graph)
    assert load_design_weights(again, reopened)[0].startswith("Loaded weights for 4 of 4")
    x = np.random.RandomState(3).rand(2, 8, 8, 3).astype("float32")
    assert np.abs(np.asarray(again(x)) - np.asarray(original(x))).max() < 1e-5

    class Heard(RunListener):
        def __init__(self):
            self.status, self.info = [], None

        def on_status(self, text):
            self.status.append(text)

        def on_start(self, info):
            self.info = info

    data = _tiny_data()
    heard = Heard()
    settings = RunSettings(batch_size=8, epochs=1, validation_split=0.25)
    result = train_design(reopened, settings, listener=heard, data=data,
                          checkpoint=tmp_path / "more.keras")
    assert result.status == "finished"
    assert "Loaded weights for 4 of 4 blocks from run.keras." in heard.status
    assert heard.info.weights[0] == "Loaded weights for 4 of 4 blocks from run.keras."
    from cnn_explorer.cli import build_parser
    from cnn_explorer.training.headless import load_run_design

    cli_design, _ = load_run_design(build_parser().parse_args(["train", str(tmp_path /
                                                                            "run.keras")]))
    assert cli_design.weights == reopened.weights  # `cnn-explorer train run.keras` continues


def test_cli_import_writes_the_weights_beside_the_design(tmp_path, capsys):
    from cnn_explorer.cli import main

    original, _ = _small(tmp_path)
    assert main(["import", str(tmp_path / "small.keras"), "-o", str(tmp_path / "d.json")]) == 0
    assert "weights in d.weights.h5" in capsys.readouterr().out
    design = load_design(tmp_path / "d.json")
    model = build_model(design.graph)
    load_design_weights(model, design)
    assert np.abs(_predict_small(model) - _predict_small(original)).max() < 1e-5


def _tiny_data():
    from cnn_explorer.training.data import DataArrays

    rng = np.random.RandomState(4)
    return DataArrays("tiny", rng.randint(0, 255, (16, 8, 8, 3), dtype=np.uint8),
                      rng.randint(0, 4, 16), rng.randint(0, 255, (4, 8, 8, 3), dtype=np.uint8),
                      rng.randint(0, 4, 4), ("a", "b", "c", "d"))


def _predict_small(model):
    return np.asarray(model(BATCH[:, :8, :8], training=False))
