"""The fast recipe's pieces: the preset, label smoothing, test-time flip, mixed precision,
and the new optimizer options in the exported script."""

from __future__ import annotations

import math
import types
from dataclasses import replace

import numpy as np
import pytest

from cnn_explorer.keras.export import export_python
from cnn_explorer.model.presets import build_preset
from cnn_explorer.model.settings import RunSettings


def test_fast_cifar_builds_with_the_parameters_keras_counts():
    from cnn_explorer.keras.build import build_model

    for width in (32, 48):
        design = build_preset("fast-cifar", width=width)
        report = design.graph.report()
        assert report.ok and report.total_params == build_model(design.graph).count_params()
    assert build_preset("fast-cifar").graph.report().total_params == 296_002  # the probe's size


def test_fast_cifar_carries_its_recipe():
    s = build_preset("fast-cifar").settings
    assert (s.optimizer, s.nesterov, s.schedule, s.test_flip, s.augment) == (
        "sgd", True, "linear", True, True)
    assert s.time_budget_s > 0 and s.label_smoothing > 0 and s.dataset == "cifar10"
    assert build_preset("resnet20").settings == RunSettings(dataset="sample")  # others unchanged


def test_label_smoothing_moves_the_target_off_one_hot():
    import keras

    from cnn_explorer.keras.optimizer import make_loss

    assert make_loss({"label_smoothing": 0.0}) == "sparse_categorical_crossentropy"
    loss = make_loss({"label_smoothing": 0.2})
    probs = np.full((1, 10), 0.01, "float32")
    probs[0, 3] = 0.91
    got = float(keras.ops.mean(loss(np.array([3]), probs)))
    target = np.full(10, 0.02)
    target[3] += 0.8
    assert got == pytest.approx(-(target * np.log(probs[0])).sum(), rel=1e-4)
    assert got > -math.log(0.91)  # a confident right answer now costs more


def test_test_time_flip_averages_the_mirror(tiny_model):
    import tensorflow as tf

    from cnn_explorer.training.instrument import InstrumentedModel

    inner = tiny_model()
    x = np.random.default_rng(0).random((4, 32, 32, 3)).astype("float32")
    flipped = InstrumentedModel(inner, test_flip=True)(x, training=False)
    expected = (inner(x) + inner(tf.reverse(x, axis=[2]))) / 2
    np.testing.assert_allclose(flipped, expected, rtol=1e-5)
    assert not np.allclose(flipped, inner(x), rtol=1e-3)
    np.testing.assert_allclose(InstrumentedModel(inner)(x), inner(x), rtol=1e-6)


def test_mixed_precision_computes_in_float16_keeps_the_output_float32_and_trains(
        tiny_split, tiny_design):
    import keras

    from cnn_explorer.training.instrument import compile_instrumented, mixed_precision
    from cnn_explorer.training.run import build_design_model, train_model

    design = tiny_design()
    settings = replace(design.settings, precision="mixed_float16", optimizer="sgd",
                       learning_rate=0.05, subset=0, validation_split=0.25)
    model = build_design_model(design, settings)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    conv, out = model.get_layer("conv1"), model.get_layer("predictions")
    assert conv.dtype_policy.name == "mixed_float16" and conv.compute_dtype == "float16"
    assert out.compute_dtype == "float32" and model.output.dtype == "float32"
    wrapped = compile_instrumented(model, settings, 10)
    assert isinstance(wrapped.optimizer, keras.optimizers.LossScaleOptimizer)
    numpy = keras.ops.convert_to_numpy
    before = [numpy(v) for v in model.trainable_variables]
    result = train_model(model, tiny_split, settings)
    assert result.status == "finished" and math.isfinite(result.best_val_accuracy)
    assert all(np.isfinite(numpy(v)).all() for v in model.trainable_variables)
    assert any(not np.allclose(a, numpy(v)) for a, v in zip(before, model.trainable_variables))
    plain = replace(settings, precision="float32")
    assert not mixed_precision(plain)
    assert build_design_model(design, plain).get_layer("conv1").compute_dtype == "float32"


def test_mixed_precision_grad_norms_are_unscaled(tiny_split, tiny_design):
    """The recorded gradient norms are the true ones, not multiplied by the loss scale."""
    import keras

    from cnn_explorer.training.history import RunHistory
    from cnn_explorer.training.run import build_design_model, train_model

    norms = {}
    for precision in ("float32", "mixed_float16"):
        design = tiny_design()
        settings = replace(design.settings, precision=precision, epochs=1)
        keras.utils.set_random_seed(0)
        history = RunHistory()
        train_model(build_design_model(design, settings), tiny_split, settings,
                    listener=history)
        norms[precision] = history.grad_norms[0]
    np.testing.assert_allclose(norms["mixed_float16"], norms["float32"], rtol=0.05)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_exported_script_has_the_recipe(schedule):
    """Nesterov, weight decay, warm-up, the linear schedule and label smoothing reach the
    exported script and give the app's learning rates."""
    from cnn_explorer.keras.build import build_model
    from cnn_explorer.training.instrument import compile_instrumented

    design = build_preset("plain-cnn", classes=10)
    design.settings = replace(design.settings, optimizer="sgd", schedule=schedule, warmup=0.25,
                              nesterov=True, weight_decay=5e-3, label_smoothing=0.2,
                              learning_rate=0.2, batch_size=100, epochs=4)
    source = export_python(design)
    assert "loss=make_loss(settings)" in source
    module = types.ModuleType("exported")
    exec(compile(source, "exported.py", "exec"), module.__dict__)
    total = module.total_steps(1000, module.RUN_SETTINGS)
    script = module.make_optimizer(module.RUN_SETTINGS, total)
    app = compile_instrumented(build_model(design.graph), design.settings, total).optimizer
    assert script.nesterov is app.nesterov is True
    assert script.weight_decay == app.weight_decay == 5e-3
    rates = [float(script._learning_rate(s)) for s in range(total + 1)]
    assert rates == pytest.approx([float(app._learning_rate(s)) for s in range(total + 1)])
    assert rates[0] < rates[total // 4] == pytest.approx(0.2, rel=0.05) and rates[-1] < 0.01
    assert module.make_loss(module.RUN_SETTINGS).__name__ == "smoothed_crossentropy"
