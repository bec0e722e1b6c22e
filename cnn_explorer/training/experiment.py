"""The plain-vs-residual experiment (the degradation problem), sized to show in about a minute.

Pure Python (no TensorFlow, no Qt): which two designs train, with which settings, and how long
that will take on this machine. The session (ui/) starts the two runs and feeds each finished
run's measured speed back into the `Throughput`, so the next estimate is this machine's own.

Why these sizes: the gap between a plain net and its residual twin opens as soon as the plain
net is deep and narrow enough that its gradient cannot reach the first layers, and the
residual one learns fast. Depth 20 at width 8 (8/16/32 channels, batch norm on) on the bundled
sample parts the two training-error curves by more than the diagnosis's DEGRADATION_GAP
within the first ~100 steps of batch 32 (benchmarks/degradation_time.py measures it); 16
channels show the same gap at about 3x the time a step. Start-up (building the model and
tracing its instrumented step) costs as much as ~100 steps, so each net trains 150 steps.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnn_explorer.model.files import Design
from cnn_explorer.model.settings import RunSettings

EXPERIMENT = ("plain-deep", "residual-deep")
WIDTH = 8  # channels of the first stage (then 16, 32): narrow nets show the gap sooner
BATCH_SIZE = 32  # many small steps: the curves part within the first few hundred
STEPS = 150  # steps each net trains (both see the same images in the same order)
EPOCHS = 5  # the steps spread over this many passes of a subset of the data
VALIDATION_SPLIT = 0.1
# Training FLOP/s of one run on a busy 2-core CPU, counted as 3x the forward FLOPs (forward +
# backward), until this machine has measured its own (benchmarks/degradation_time.py measured
# 3.7 GFLOP/s for width 8 on 2 shared cores under a load of 8).
DEFAULT_FLOP_RATE = 4.0e9
SMOOTHING = 20  # steps in the trailing mean of the plotted training error
DEFAULT_STARTUP_S = 20.0  # build, first-step tracing and the activation probe, per run
TRAIN_FLOPS_PER_FORWARD = 3  # the backward pass costs about twice the forward one


@dataclass(frozen=True)
class Throughput:
    """How fast this machine trains: FLOP/s in the steady state, seconds before the first step.

    `measured` is False until a run here has reported its speed: the estimate then says so."""

    flop_rate: float = DEFAULT_FLOP_RATE
    startup_s: float = DEFAULT_STARTUP_S
    measured: bool = False

    def updated(self, train_flops: float, steps: int, steady_s: float,
                first_step_s: float) -> "Throughput":
        """This machine's figures from a finished run (steps after the first, their seconds)."""
        if steps < 5 or steady_s <= 0 or train_flops <= 0:
            return self
        rate = train_flops * steps / steady_s
        if self.measured:  # smooth over runs: one busy moment does not swing the estimate
            rate = math.sqrt(rate * self.flop_rate)
        return Throughput(rate, max(0.5, first_step_s), True)

    def from_run(self, forward_flops: int, batch_size: int, seconds: Sequence[float]
                 ) -> "Throughput":
        """Updated from a run's step times (seconds since its start, one per step)."""
        if len(seconds) < 6:
            return self
        return self.updated(train_flops(forward_flops, batch_size), len(seconds) - 1,
                            float(seconds[-1] - seconds[0]), float(seconds[0]))


@dataclass(frozen=True)
class ExperimentPlan:
    """The pair of designs, the settings they share, and the time it will take."""

    designs: tuple[Design, Design]
    labels: tuple[str, str]
    settings: RunSettings
    steps: int  # steps each run trains
    flops_per_image: tuple[int, int]  # forward FLOPs of one image, plain and residual
    seconds: float  # the estimate for both runs, one after the other
    measured: bool  # the estimate rests on this machine's measured speed
    width: int = WIDTH

    def describe(self) -> str:
        """One line for the status: what trains and how long it will take."""
        source = ("from this machine's last run" if self.measured else
                  "a first guess for a 2-core CPU; refined after each run")
        return (f"{self.labels[0]} vs {self.labels[1]}, width {self.width}, {self.steps} steps of "
                f"{self.settings.batch_size} images each: about {self.seconds:.0f} s "
                f"({source}).")


def whole_epochs(steps: int) -> tuple[int, int]:
    """(epochs, steps an epoch): at least `steps` in all, at most one step more an epoch."""
    epochs = max(1, min(EPOCHS, steps))
    return epochs, math.ceil(steps / epochs)


def experiment_settings(form: RunSettings, steps: int = STEPS) -> RunSettings:
    """The form's settings with the experiment's recipe: the dataset, seed and the study knobs
    (activation, initializer overrides, clipping) stay the user's; the schedule is fixed so the
    pair parts early on any dataset (a subset gives every dataset the same number of steps)."""
    epochs, per_epoch = whole_epochs(steps)
    train = per_epoch * BATCH_SIZE
    images = round(train / (1 - VALIDATION_SPLIT))
    while images - round(images * VALIDATION_SPLIT) > train:  # as split_data rounds
        images -= 1
    while images - round(images * VALIDATION_SPLIT) < train:
        images += 1
    return dataclasses.replace(form, batch_size=BATCH_SIZE, epochs=epochs, subset=images,
                               validation_split=VALIDATION_SPLIT, optimizer="adam",
                               learning_rate=1e-3, schedule="constant", augment=False,
                               grad_norm_every=1)


def train_flops(flops_per_image: int, batch_size: int) -> float:
    """FLOPs of one training step (forward and backward) on a batch."""
    return float(TRAIN_FLOPS_PER_FORWARD * flops_per_image * batch_size)


def estimate_seconds(flops_per_image: tuple[int, ...], batch_size: int, steps: int,
                     speed: Throughput) -> float:
    """Seconds for the runs one after the other: start-up plus steps at the machine's rate."""
    return sum(speed.startup_s + steps * train_flops(f, batch_size) / speed.flop_rate
               for f in flops_per_image)


def plan_experiment(form: RunSettings, depth: int, batch_norm: bool, classes: int,
                    speed: Throughput, width: int = WIDTH, steps: int = STEPS
                    ) -> ExperimentPlan:
    """plain-N and residual-N of the same depth and width; a depth the presets refuse raises
    their ParameterError (its message says which depths work)."""
    from cnn_explorer.model.presets import build_preset

    designs = tuple(build_preset(name, depth=depth, classes=classes, batch_norm=batch_norm,
                                 width=width) for name in EXPERIMENT)
    settings = experiment_settings(form, steps)
    epochs, per_epoch = whole_epochs(steps)
    steps = epochs * per_epoch
    flops = tuple(int(d.graph.report().flops) for d in designs)
    labels = tuple(f"{name.split('-')[0]}-{depth}" for name in EXPERIMENT)
    seconds = estimate_seconds(flops, settings.batch_size, steps, speed)
    return ExperimentPlan(designs, labels, settings, steps, flops, seconds, speed.measured,
                          width)


def steps_of(settings: RunSettings, train_images: int) -> int:
    """Steps a run of these settings takes over `train_images` images."""
    return max(1, math.ceil(train_images / settings.batch_size)) * settings.epochs


def smoothed_error(accuracy: Sequence[float], window: int = SMOOTHING) -> np.ndarray:
    """1 - accuracy per step, a trailing mean over `window` steps (what the plot draws)."""
    error = 1.0 - np.asarray(accuracy, dtype=float)
    if len(error) < 2:
        return error
    sums = np.cumsum(np.insert(error, 0, 0.0))
    idx = np.arange(len(error))
    lo = np.maximum(0, idx - window + 1)
    return (sums[idx + 1] - sums[lo]) / (idx + 1 - lo)


def gap_curve(plain_accuracy: Sequence[float], residual_accuracy: Sequence[float]) -> np.ndarray:
    """Plain minus residual smoothed training error, step by step (as long as both ran)."""
    n = min(len(plain_accuracy), len(residual_accuracy))
    return smoothed_error(plain_accuracy[:n]) - smoothed_error(residual_accuracy[:n])


def gap_opened_at(gap: np.ndarray, threshold: float, settle: int = SMOOTHING) -> int | None:
    """The first step (1-based) where the gap exceeds the threshold, once the smoothing
    window has filled (the first `settle` steps average too few batches to count)."""
    above = np.nonzero(gap[settle - 1:] > threshold)[0] if len(gap) >= settle else []
    return int(above[0]) + settle if len(above) else None


def gap_report(histories: Sequence, labels: tuple[str, str]) -> str:
    """One line on the pair of runs (training.history.RunHistory): the gap and when it opened."""
    from .diagnosis import DEGRADATION_GAP

    plain, residual = histories[0].accuracy, histories[1].accuracy
    gap = gap_curve(plain, residual)
    if not len(gap):
        return "The two runs recorded no common steps."
    opened = gap_opened_at(gap, DEGRADATION_GAP)
    last = len(gap) - 1
    ends = (f"Training error at step {len(gap)}: {labels[0]} {smoothed_error(plain)[last]:.1%}"
            f", {labels[1]} {smoothed_error(residual)[last]:.1%}.")
    if opened is None:
        return ends + f" The gap never exceeded {DEGRADATION_GAP:.0%}."
    return ends + (f" The plain net trains worse: the gap passed {DEGRADATION_GAP:.0%} at step "
                   f"{opened} (the degradation problem).")
