"""One training run: data -> model -> instrumented `fit` -> checkpoint, log and confusion matrix.

Runs on whatever thread calls it (the GUI's worker, or the main thread headless). It reports
only through a RunListener and obeys a RunControl, checked after every batch.
Importing this module imports Keras and TensorFlow; callers that must stay light import it
inside a function.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import threading
import time
from collections import deque
from pathlib import Path

import keras
import numpy as np

from cnn_explorer.keras.build import build_model
from cnn_explorer.keras.checkpoint import save_design_beside, save_model_atomic
from cnn_explorer.keras.optimizer import total_steps
from cnn_explorer.model.files import Design
from cnn_explorer.model.settings import RunSettings

from .data import DataArrays, load_dataset
from .instrument import compile_instrumented, current_learning_rate
from .pipeline import Split, eval_dataset, split_data, train_dataset
from .records import (
    EpochRecord,
    RunControl,
    RunInfo,
    RunListener,
    RunResult,
    StepRecord,
    TrainingDiverged,  # noqa: F401 (re-export)
    TrainingError,
)

FLUSH_EVERY_S = 0.2  # at most ~5 batches of progress a second reach the listener
DIAGNOSE_EVERY = 50  # steps between diagnoses of the recent window (cheap: pure Python)
DIAGNOSIS_WINDOW = 400  # recent steps the diagnosis reads


def layer_blocks(design: Design) -> dict[str, str]:
    """Keras layer name -> block id, from the design's inference report."""
    return dict(design.graph.report().block_of_layer())


def build_design_model(design: Design, settings: RunSettings) -> keras.Model:
    """The design's Keras model, under the run's precision policy; any failure becomes a
    TrainingError naming the design."""
    from .instrument import precision_policy

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision_policy(settings))
    try:
        return build_model(design.graph, initializer_override=settings.initializer_override,
                           activation_override=settings.activation_override)
    except Exception as exc:
        raise TrainingError(f"The design does not build: {exc}") from exc
    finally:
        keras.config.set_dtype_policy(before)


def start_weights(model: keras.Model, design: Design, listener: RunListener) -> list[str]:
    """Load the weights the design names (imported, or a checkpoint's), block by block; each
    line said (blocks that start fresh, a changed file) goes to the status and the run log."""
    from cnn_explorer.keras.weights import load_design_weights

    notes = load_design_weights(model, design)
    for note in notes:
        listener.on_status(note)
    return notes


def train_design(design: Design, settings: RunSettings, *, control: RunControl | None = None,
                 listener: RunListener | None = None, data: DataArrays | None = None,
                 checkpoint: Path | None = None, fallback_to_sample: bool = False,
                 label: str = "") -> RunResult:
    """Train a frozen design snapshot; its JSON (with `settings`) goes beside the checkpoint."""
    control, listener = control or RunControl(), listener or RunListener()
    if data is None:
        listener.on_status(f"Loading dataset {settings.dataset}...")
        data = load_dataset(settings.dataset, status=listener.on_status,
                            fallback_to_sample=fallback_to_sample)
    if data.note:
        listener.on_status(data.note)
    listener.on_status("Building the model...")
    keras.utils.set_random_seed(settings.seed)
    model = build_design_model(design, settings)
    notes = start_weights(model, design, listener)
    if not model.trainable_weights:
        raise TrainingError("Every block with weights is frozen, so training would change "
                            "nothing: make at least one block trainable again (its switch in "
                            "the inspector).")
    if checkpoint is not None:
        save_design_beside(dataclasses.replace(design, settings=settings), checkpoint)
    check_classes(model, data)
    split = split_data(data, subset=settings.subset, validation_split=settings.validation_split,
                       seed=settings.seed)
    return train_model(model, split, settings, control=control, listener=listener,
                       blocks=layer_blocks(design), checkpoint=checkpoint,
                       meta={"design_name": design.title, "dataset": data.name,
                             "dataset_note": data.note, "label": label, "weights": notes,
                             "frozen": [b.name for b in design.graph.blocks()
                                        if not b.trainable]})


def check_classes(model: keras.Model, data: DataArrays) -> None:
    """A classifier with fewer outputs than the data has classes cannot learn it: say so."""
    outputs = model.output_shape[-1] if isinstance(model.output_shape, tuple) else None
    labels = int(max(data.y_train.max(initial=0), data.y_test.max(initial=0))) + 1
    if outputs is not None and outputs < labels:
        raise TrainingError(f"The classifier has {outputs} outputs but {data.name} has {labels} "
                            f"classes: set the classifier's classes to {labels}, or choose a "
                            f"{outputs}-class dataset.")


def train_model(model: keras.Model, split: Split, settings: RunSettings, *,
                control: RunControl | None = None, listener: RunListener | None = None,
                blocks: dict[str, str] | None = None, checkpoint: Path | None = None,
                meta: dict | None = None) -> RunResult:
    """Train a built Keras classifier (softmax output) on `split`; the core of every run."""
    control, listener = control or RunControl(), listener or RunListener()
    if len(split.x_train) == 0:
        raise TrainingError("No training images (subset or validation split too large?)")
    steps_per_epoch = math.ceil(len(split.x_train) / settings.batch_size)
    nominal = total_steps(len(split.x_train), settings.to_dict())
    wrapped = compile_instrumented(model, settings, nominal, blocks)
    callbacks: list[keras.callbacks.Callback] = []
    if settings.time_budget_s > 0:  # the schedule fitted to the budget, the run stopped at it
        from .budget import TimeBudget, fit_schedule

        callbacks.append(TimeBudget(settings.time_budget_s, nominal,
                                    fit_schedule(wrapped.optimizer, nominal)))
    info = RunInfo(layers=[s.to_dict() for s in wrapped.slots], epochs=settings.epochs,
                   steps_per_epoch=steps_per_epoch, batch_size=settings.batch_size,
                   class_names=list(split.class_names), settings=settings.to_dict(),
                   train_images=len(split.x_train), val_images=len(split.x_val),
                   checkpoint=str(checkpoint or ""), **(meta or {}))
    listener.on_start(info)
    from .signals import ActivationProbe

    probe = ActivationProbe(model, blocks or {}, split.x_val if len(split.x_val) else
                            split.x_train)
    reporter = RunReporter(wrapped, settings, control, listener, checkpoint, probe)
    val = eval_dataset(split.x_val, split.y_val, batch_size=max(settings.batch_size, 256)) \
        if len(split.x_val) else None
    if control.stopped:
        return reporter.result("stopped")
    # Move TensorFlow's large, long-lived heap out of the cyclic collector: otherwise a full
    # collection every few hundred steps holds the GIL for tens of ms and stalls the GUI.
    # Collect first only on the main thread: on a worker, a full collection can finalise the
    # GUI's dead Qt objects off the GUI thread (a deadlock or a crash); the app's Job collects
    # on the GUI thread before it starts.
    if threading.current_thread() is threading.main_thread():
        gc.collect()
    gc.freeze()
    try:
        wrapped.fit(train_dataset(split.x_train, split.y_train, batch_size=settings.batch_size,
                                  seed=settings.seed, augment=settings.augment),
                    epochs=settings.epochs, validation_data=val, verbose=0, shuffle=False,
                    callbacks=[*callbacks, reporter])
    except TrainingError:
        raise
    except Exception as exc:
        raise _explain(exc) from exc
    reporter.flush()
    reporter.diagnose()
    if reporter.diverged:
        raise TrainingDiverged(reporter.diverged)
    matrix = confusion_matrix(wrapped, split) if len(split.x_val) else None
    if matrix is not None:
        listener.on_confusion(matrix)
    return reporter.result("stopped" if control.stopped else "finished", matrix)


def _explain(exc: Exception) -> TrainingError:
    import tensorflow as tf

    if isinstance(exc, tf.errors.ResourceExhaustedError):
        return TrainingError("Out of memory: try a smaller batch size or a smaller design.")
    return TrainingError(f"Training failed: {type(exc).__name__}: {exc}")


def confusion_matrix(model: keras.Model, split: Split) -> list[list[int]]:
    """Counts[true][predicted] on the validation images (with the run's test-time flip when
    `model` is the instrumented wrapper)."""
    import tensorflow as tf

    n = len(split.class_names)
    probs = model.predict(eval_dataset(split.x_val, split.y_val, batch_size=256), verbose=0)
    predicted = np.argmax(probs, axis=-1)
    counts = tf.math.confusion_matrix(split.y_val, predicted, num_classes=max(n, probs.shape[-1]))
    return np.asarray(counts)[:n, :n].astype(int).tolist()


class RunReporter(keras.callbacks.Callback):
    """Keras callback: turns per-batch logs into step records, flushed a few times a second.

    Also where Stop (model.stop_training), Pause (blocking here, between batches), NaN
    detection and the best-checkpoint save happen.
    """

    def __init__(self, wrapped, settings, control, listener, checkpoint, probe=None) -> None:
        super().__init__()
        self.probe = probe
        self.window: deque[dict] = deque(maxlen=DIAGNOSIS_WINDOW)
        self.epoch_dicts: list[dict] = []
        self.findings: list[dict] = []
        self.wrapped, self.settings = wrapped, settings
        self.control, self.listener, self.checkpoint = control, listener, checkpoint
        self.pending: list[StepRecord] = []
        self.step, self.epoch = 0, 0
        self.t0 = time.perf_counter()
        self.last_flush = self.t0
        self.epoch_sums = np.zeros(3)  # loss, accuracy, count
        self.best: float | None = None
        self.diverged = ""
        self.reference: float | None = None  # the loss a run is judged against for divergence
        self.exploding = 0  # consecutive steps with the loss above 10x the reference
        self.epochs_done = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch + 1
        self.epoch_sums[:] = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.step += 1
        loss, acc = float(logs["loss"]), float(logs["accuracy"])
        record_norms = (self.step - 1) % self.settings.grad_norm_every == 0
        grads = np.asarray(logs["grad_norms"]).tolist() if record_norms else []
        weights = np.asarray(logs["weight_norms"]).tolist() if record_norms else []
        updates = np.asarray(logs["update_norms"]).tolist() if record_norms else []
        from .signals import ACTIVATION_EVERY

        probe = self.probe is not None and (self.step - 1) % ACTIVATION_EVERY == 0
        activations = self.probe.stats() if probe else {}
        self.pending.append(StepRecord(self.step, self.epoch, loss, acc,
                                       time.perf_counter() - self.t0, grads, weights,
                                       float(logs.get("learning_rate", 0.0)), updates,
                                       activations))
        self.window.append(self.pending[-1].to_dict())
        self.epoch_sums += (loss, acc, 1)
        self.diverged = self.diverged or self._divergence(loss, grads)
        if self.diverged:
            self.model.stop_training = True
        if time.perf_counter() - self.last_flush >= FLUSH_EVERY_S:
            self.flush()
        if self.step % DIAGNOSE_EVERY == 0 or self.diverged:
            self.diagnose()
        self._obey_control()

    def diagnose(self) -> None:
        """Findings on the recent window; the listener hears them when they change."""
        from .diagnosis import diagnose, from_records

        layers = [slot.to_dict() for slot in self.wrapped.slots]
        signals = from_records({"layers": layers}, list(self.window), self.epoch_dicts,
                               diverged=self.diverged)
        findings = [f.to_dict() for f in diagnose(signals)]
        if [f["code"] for f in findings] != [f["code"] for f in self.findings]:
            self.flush()
            self.listener.on_findings(findings)
        self.findings = findings

    def _divergence(self, loss: float, grads: list[float]) -> str:
        """Why the run diverged, or "": a NaN/inf, or a loss above 10x its start for 3 steps.

        Keras clips probabilities inside the cross-entropy, so a blown-up network often shows
        a huge but finite loss rather than NaN; the sustained 10x rule catches that too.
        """
        if self.reference is None:
            classes = int(self.wrapped.inner.output_shape[-1] or 2)
            self.reference = max(loss if math.isfinite(loss) else 0.0, math.log(max(classes, 2)))
        self.exploding = self.exploding + 1 if loss > 10 * self.reference else 0
        if math.isfinite(loss) and all(map(math.isfinite, grads)) and self.exploding < 3:
            return ""
        what = (f"the loss became {loss}" if not math.isfinite(loss) else
                "a gradient norm became NaN" if self.exploding < 3 else
                f"the loss exploded to {loss:.3g} (over 10x its start, {self.reference:.3g})")
        return (f"Training diverged: {what} at step {self.step} (epoch {self.epoch}). "
                f"Try a smaller learning rate (now {self.settings.learning_rate:g}).")

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.control.stopped:
            self.model.stop_evaluating = True

    def _obey_control(self) -> None:
        if self.control.paused:
            self.flush()
            self.listener.on_status("Paused")
            self.control.wait_while_paused()
            self.listener.on_status("Resumed")
        if self.control.stopped:
            self.model.stop_training = True
            self.model.stop_evaluating = True

    def flush(self) -> None:
        if self.pending:
            steps, self.pending = self.pending, []
            self.listener.on_steps(steps)
        self.last_flush = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.flush()
        if self.diverged:
            return
        loss, acc, count = self.epoch_sums
        val_loss = _maybe(logs, "val_loss") if not self.control.stopped else None
        val_acc = _maybe(logs, "val_accuracy") if not self.control.stopped else None
        record = EpochRecord(epoch + 1, float(loss / max(count, 1)), float(acc / max(count, 1)),
                             val_loss, val_acc, time.perf_counter() - self.t0,
                             current_learning_rate(self.wrapped))
        self.epoch_dicts.append(record.to_dict())
        self.listener.on_epoch(record)
        self.epochs_done = epoch + 1
        score = val_acc if val_acc is not None else acc / max(count, 1)
        if self.checkpoint is not None and (self.best is None or score > self.best):
            self.best = score
            save_model_atomic(self.wrapped.inner, self.checkpoint)
        elif self.best is None or score > self.best:
            self.best = score

    def result(self, status: str, matrix: list[list[int]] | None = None) -> RunResult:
        return RunResult(status, self.epochs_done, self.step, self.best,
                         str(self.checkpoint or ""), matrix)


def _maybe(logs, key) -> float | None:
    value = (logs or {}).get(key)
    return None if value is None else float(value)
