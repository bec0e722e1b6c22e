"""Training for a wall-time budget, with the learning-rate schedule fitted to it.

The schedule is built for the nominal run (epochs x steps) and then driven by the clock: the
step it reads is nominal x the fraction of the budget spent, counted from the end of the
first step (which includes compiling the step), so speed changes, validation passes and other
load move the schedule exactly as much as they move the clock, and a schedule that decays to
0 reaches 0 when the budget is spent. Training stops at the budget (or at the last epoch,
whichever comes first); the epoch's validation and the final evaluation follow.
"""

from __future__ import annotations

import time

import keras
import tensorflow as tf

clock = time.perf_counter  # the wall clock the budget is read on (tests drive their own)


class FittedSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """`base` (built for `nominal` steps), read at the step `position` says (set by
    TimeBudget from the clock); until the first step has run, at the optimizer's own step."""

    def __init__(self, base, nominal: int) -> None:
        self.base, self.nominal = base, max(1, int(nominal))
        self.position = tf.Variable(-1.0, trainable=False, dtype=tf.float32)

    def __call__(self, step):
        at = tf.where(self.position >= 0, self.position, tf.cast(step, tf.float32))
        return self.base(tf.cast(tf.floor(tf.minimum(at, float(self.nominal))), tf.int64))

    def get_config(self) -> dict:
        return {"nominal": self.nominal}


def fit_schedule(optimizer: keras.optimizers.Optimizer, nominal: int) -> FittedSchedule | None:
    """Make the optimizer's schedule follow the clock; None for a constant learning rate."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    base = inner._learning_rate  # noqa: SLF001 - the schedule object Keras holds
    if not isinstance(base, keras.optimizers.schedules.LearningRateSchedule):
        return None
    fitted = FittedSchedule(base, nominal)
    inner.learning_rate = fitted
    return fitted


class TimeBudget(keras.callbacks.Callback):
    """Stops training when `seconds` of wall time have passed since the start of `fit`, and
    moves the fitted schedule to the fraction of the budget spent after every step."""

    def __init__(self, seconds: float, nominal: int, fitted: FittedSchedule | None) -> None:
        super().__init__()
        self.seconds, self.nominal, self.fitted = float(seconds), int(nominal), fitted
        self.step = 0
        self.reached = False  # True when the budget, not the epochs, ended the run

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.t0 = clock()
        self.t1: float | None = None  # end of the first step: the schedule's clock starts

    def fraction(self, now: float) -> float:
        """How much of the budget after the first step is spent (0 to 1)."""
        if self.t1 is None:
            return 0.0
        left = self.seconds - (self.t1 - self.t0)
        return 1.0 if left <= 0 else min(1.0, (now - self.t1) / left)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.step += 1
        now = clock()
        if self.t1 is None:
            self.t1 = now
        if self.fitted is not None:
            self.fitted.position.assign(self.fraction(now) * self.nominal)
        if now - self.t0 >= self.seconds:
            self.reached = True
            self.model.stop_training = True
