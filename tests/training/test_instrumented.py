"""The instrumented run: per-layer gradient norms, stop, divergence, checkpoint and run log."""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import pytest

from cnn_explorer.training.history import RunHistory
from cnn_explorer.training.records import (
    FanOut,
    RunControl,
    RunListener,
    TrainingDiverged,
    block_norms,
)
from cnn_explorer.training.run import train_model
from cnn_explorer.training.runlog import RunLogWriter, export_metrics_csv, read_run_log


def test_every_reported_step_has_one_finite_norm_per_trainable_layer(
        tiny_split, tmp_path, tiny_model, tiny_settings):
    history = RunHistory()
    log = tmp_path / "run.jsonl"
    writer = RunLogWriter(log)
    result = train_model(tiny_model(), tiny_split, tiny_settings(epochs=2),
                         listener=FanOut(history, writer), checkpoint=tmp_path / "best.keras")
    writer.on_end(result.status, "")
    assert history.layer_names == ["conv1", "bn1", "conv2", "predictions"]
    assert result.status == "finished" and result.steps_done == 12  # 192 images / 32, 2 epochs
    assert history.grad_norms.shape == (12, 4)
    assert np.isfinite(history.grad_norms).all() and (history.grad_norms > 0).all()
    assert (history.weight_norms > 0).all()
    assert [e.epoch for e in history.epochs] == [1, 2]
    assert all(0 <= e.val_accuracy <= 1 for e in history.epochs)
    assert (tmp_path / "best.keras").exists()
    matrix = np.array(history.confusion)
    assert matrix.shape == (10, 10) and matrix.sum() == len(tiny_split.x_val)
    reopened = read_run_log(log)  # the log draws the same plots later
    np.testing.assert_allclose(reopened.grad_norms, history.grad_norms)
    np.testing.assert_allclose(reopened.loss, history.loss)
    assert reopened.status == "finished" and reopened.confusion == history.confusion


def test_norms_are_recorded_every_k_steps(tiny_split, tiny_model, tiny_settings):
    history = RunHistory()
    train_model(tiny_model(), tiny_split, tiny_settings(grad_norm_every=4), listener=history)
    assert len(history.steps) == 6
    assert history.norm_steps.tolist() == [1.0, 5.0]


def test_gradient_norm_is_the_norm_of_kernel_and_bias_together(
        tiny_split, tiny_model, tiny_settings):
    """Recompute the first step's gradients by hand and compare with what the step reported."""
    import keras
    import tensorflow as tf

    from cnn_explorer.training.instrument import compile_instrumented

    model = tiny_model(batch_norm=False)
    wrapped = compile_instrumented(model, tiny_settings(), 1)
    x = tiny_split.x_train[:32].astype("float32") / 255
    y = tiny_split.y_train[:32].astype("int32")
    with tf.GradientTape() as tape:
        loss = keras.losses.sparse_categorical_crossentropy(y, model(x, training=True))
        loss = tf.reduce_mean(loss)
    grads = tape.gradient(loss, model.trainable_variables)
    kernel, bias = grads[0].numpy(), grads[1].numpy()
    expected = math.sqrt((kernel ** 2).sum() + (bias ** 2).sum())
    logs = wrapped.train_step((tf.constant(x), tf.constant(y)))
    assert float(logs["grad_norms"][0]) == pytest.approx(expected, rel=1e-4)


class _StopAfter(RunListener):
    """Asks the run to stop from another thread once the first batch of steps arrives."""

    def __init__(self, control: RunControl) -> None:
        self.control, self.seen = control, []

    def on_steps(self, steps):
        self.seen.extend(s.step for s in steps)
        if not self.control.stopped:
            threading.Thread(target=self.control.stop).start()
            threading.Event().wait(0.2)  # the stop lands while this batch is still open


def test_stop_ends_the_run_within_one_batch(tiny_split, monkeypatch, tiny_model, tiny_settings):
    from cnn_explorer.training import run as run_mod

    monkeypatch.setattr(run_mod, "FLUSH_EVERY_S", 0.0)  # report after every step
    control = RunControl()
    listener = _StopAfter(control)
    result = train_model(tiny_model(), tiny_split, tiny_settings(epochs=20), control=control,
                         listener=listener)
    assert result.status == "stopped"
    assert result.steps_done == 1 and listener.seen == [1]


def test_pause_holds_the_run_until_resume(tiny_split, monkeypatch, tiny_model, tiny_settings):
    from cnn_explorer.training import run as run_mod

    monkeypatch.setattr(run_mod, "FLUSH_EVERY_S", 0.0)
    control = RunControl()
    control.pause()
    seen: list[int] = []

    class Watch(RunListener):
        def on_steps(self, steps):
            seen.extend(s.step for s in steps)

    done = threading.Event()
    thread = threading.Thread(target=lambda: (train_model(tiny_model(), tiny_split,
                                                          tiny_settings(), control=control,
                                                          listener=Watch()), done.set()))
    thread.start()
    while not seen:
        threading.Event().wait(0.05)
    threading.Event().wait(0.5)
    assert seen == [1] and not done.is_set()  # held after the first batch
    control.resume()
    thread.join(60)
    assert done.is_set() and seen == list(range(1, 7))


def test_a_huge_learning_rate_ends_with_a_clear_error(tiny_split, tiny_model, tiny_settings):
    settings = tiny_settings(optimizer="sgd", learning_rate=99.0, momentum=0.9, epochs=5)
    with pytest.raises(TrainingDiverged, match="learning rate"):
        train_model(tiny_model(batch_norm=False), tiny_split, settings)


def test_block_norm_is_the_norm_of_its_layers_concatenated():
    layers = [{"block": "b1"}, {"block": "b1"}, {"block": "b2"}, {"block": ""}]
    norms = block_norms(layers, [3.0, 4.0, 2.0, 9.0])
    assert norms == {"b1": 5.0, "b2": 2.0}


def test_metrics_csv_has_a_row_per_step_and_a_column_per_layer(
        tiny_split, tmp_path, tiny_model, tiny_settings):
    history = RunHistory()
    train_model(tiny_model(), tiny_split, tiny_settings(), listener=history)
    export_metrics_csv(history, tmp_path / "m.csv")
    rows = (tmp_path / "m.csv").read_text().splitlines()
    assert len(rows) == 1 + 6
    assert rows[0].split(",")[-4:] == [f"grad_norm:{n}" for n in history.layer_names]
    assert rows[-1].split(",")[5] != ""  # the last step closes the epoch: validation filled


def test_run_log_lines_are_json(tiny_split, tmp_path, tiny_model, tiny_settings):
    writer = RunLogWriter(tmp_path / "r.jsonl")
    train_model(tiny_model(), tiny_split, tiny_settings(), listener=writer)
    writer.on_end("finished", "")
    kinds = [json.loads(line)["type"] for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert kinds[0] == "start" and kinds.count("step") == 6 and kinds[-1] == "end"


@pytest.mark.parametrize("schedule, half, end", [("constant", 1.0, 1.0), ("step", 0.1, 0.01),
                                                 ("cosine", 0.5, 0.0)])
def test_learning_rate_schedules(schedule, half, end, tiny_settings):
    from cnn_explorer.keras.optimizer import make_optimizer

    optimizer = make_optimizer(tiny_settings(learning_rate=0.1, schedule=schedule,
                                             optimizer="sgd").to_dict(), total_steps=100)
    lr = optimizer._learning_rate
    at = (lambda step: float(lr(step))) if callable(lr) else (lambda step: float(lr))
    assert at(0) == pytest.approx(0.1)
    assert at(60 if schedule == "step" else 50) == pytest.approx(0.1 * half, abs=1e-6)
    assert at(100) == pytest.approx(0.1 * end, abs=1e-6)


def test_rate_meter_reads_the_recent_window_not_the_whole_run():
    from cnn_explorer.training.records import RateMeter

    meter = RateMeter(batch_size=100, window=3)
    assert meter.eta(10) is None
    for step, seconds in ((1, 5.0), (2, 6.0), (3, 6.5), (4, 7.0)):  # step 1 carried tracing
        meter.update(step, seconds)
    assert meter.images_per_second == pytest.approx(200.0)  # steps 2-4: 2 steps in 1 s
    assert meter.eta(10) == pytest.approx(5.0)


def test_the_best_checkpoint_is_saved_atomically(tiny_split, tmp_path, monkeypatch, tiny_model,
                                                  tiny_settings):
    """Every epoch's save goes through the one atomic writer; a save that dies midway leaves
    the previous checkpoint whole and no temporary file behind."""
    from cnn_explorer.keras import checkpoint as ckpt
    from cnn_explorer.training import run as run_mod

    saved = []

    def spy(model, path):
        saved.append(path)
        return ckpt.save_model_atomic(model, path)

    monkeypatch.setattr(run_mod, "save_model_atomic", spy)
    target = tmp_path / "best.keras"
    model = tiny_model()
    train_model(model, tiny_split, tiny_settings(epochs=2), checkpoint=target)
    assert saved and all(p == target for p in saved)
    before = target.read_bytes()

    class Dies:
        def save(self, path):
            open(path, "wb").write(b"half a file")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        ckpt.save_model_atomic(Dies(), target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.keras"]
