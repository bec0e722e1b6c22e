"""What a run reports, as plain data: run info, step and epoch records, the listener interface.

These are the only things that cross from a training run to its watchers (the run log, the
terminal progress bar, the Qt worker), so the run knows nothing of files or widgets.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class RunInfo:
    """Sent once before the first step: what the plots need to lay themselves out."""

    layers: list[dict]  # LayerSlot.to_dict() in depth order
    epochs: int
    steps_per_epoch: int
    batch_size: int
    class_names: list[str]
    settings: dict
    design_name: str = ""
    dataset: str = ""
    dataset_note: str = ""
    train_images: int = 0
    val_images: int = 0
    checkpoint: str = ""
    label: str = ""  # e.g. "plain-20" in the degradation experiment
    dataset_asked: str = ""  # what the form asked for (the run log keeps both)
    frozen: list[str] = field(default_factory=list)  # frozen blocks' names (fine-tuning)
    weights: list[str] = field(default_factory=list)  # what loading the start weights said

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StepRecord:
    """One optimisation step. Norms are empty on steps that do not record them (every k)."""

    step: int  # global, 1-based
    epoch: int  # 1-based
    loss: float
    accuracy: float
    seconds: float  # since the run started (for images per second and ETA)
    grad_norms: list[float] = field(default_factory=list)
    weight_norms: list[float] = field(default_factory=list)
    learning_rate: float = 0.0
    update_norms: list[float] = field(default_factory=list)  # how far the step moved weights
    activations: dict = field(default_factory=dict)  # block id -> statistics, every k steps

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    seconds: float
    learning_rate: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RunResult:
    status: str  # "finished" or "stopped"
    epochs_done: int
    steps_done: int
    best_val_accuracy: float | None
    checkpoint: str = ""
    confusion: list[list[int]] | None = None


class RunListener:
    """Receives a run's progress. Steps arrive in batches (a few per second), never one by one."""

    def on_status(self, text: str) -> None: ...
    def on_start(self, info: RunInfo) -> None: ...
    def on_steps(self, steps: list[StepRecord]) -> None: ...
    def on_epoch(self, epoch: EpochRecord) -> None: ...
    def on_confusion(self, matrix: list[list[int]]) -> None: ...
    def on_findings(self, findings: list[dict]) -> None: ...  # diagnosis.Finding dicts
    def on_end(self, status: str, message: str) -> None: ...


class FanOut(RunListener):
    """Passes every report to several listeners (e.g. the run log and the GUI)."""

    def __init__(self, *listeners: RunListener) -> None:
        self.listeners = [x for x in listeners if x is not None]

    def __getattribute__(self, name: str):
        if name.startswith("on_"):
            listeners = object.__getattribute__(self, "listeners")
            return lambda *a: [getattr(x, name)(*a) for x in listeners] and None
        return object.__getattribute__(self, name)


class RunControl:
    """Stop, Pause and Resume, set from any thread and read by the run after every batch."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused run must wake up to stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self) -> None:
        while not self._running.wait(0.1):
            pass


class TrainingError(RuntimeError):
    """A run ended early for a reason the user can act on; the message says what happened."""


class TrainingDiverged(TrainingError):
    """The loss became NaN or infinite."""


def block_norms(layers: list[dict], grad_norms: Iterable[float]) -> dict[str, float]:
    """A block's gradient norm: the L2 norm of all its layers' gradients concatenated.

    That is sqrt(sum of its layers' squared norms): the exact norm of the block's gradient,
    so a block with many layers is compared fairly with a single conv.
    """
    squares: dict[str, float] = {}
    for layer, norm in zip(layers, grad_norms):
        if layer.get("block"):
            squares[layer["block"]] = squares.get(layer["block"], 0.0) + float(norm) ** 2
    return {block: math.sqrt(s) for block, s in squares.items()}


class RateMeter:
    """Images per second over the last few progress batches, and the time left at that rate.

    A recent window, not the run's average: the first step's tracing and pauses would
    otherwise drag the rate (and the ETA) for the whole run.
    """

    def __init__(self, batch_size: int, window: int = 20) -> None:
        self.batch_size = batch_size
        self.points: deque[tuple[int, float]] = deque(maxlen=window)

    def update(self, step: int, seconds: float) -> None:
        self.points.append((step, seconds))

    @property
    def images_per_second(self) -> float:
        if len(self.points) < 2:
            return 0.0
        (s0, t0), (s1, t1) = self.points[0], self.points[-1]
        return (s1 - s0) * self.batch_size / (t1 - t0) if t1 > t0 else 0.0

    def eta(self, steps_left: int) -> float | None:
        rate = self.images_per_second
        return steps_left * self.batch_size / rate if rate > 0 else None


@dataclass(frozen=True)
class Progress:
    """Where a run stands after a batch of steps: the one progress text of the panel and CLI."""

    step: int
    total_steps: int
    epoch: int
    epochs: int
    step_in_epoch: int
    steps_per_epoch: int
    images_per_second: float
    eta_s: float | None

    def text(self) -> str:
        eta = "..." if self.eta_s is None else f"{self.eta_s:,.0f} s"
        return (f"epoch {self.epoch}/{self.epochs} - step {self.step_in_epoch}/"
                f"{self.steps_per_epoch} - {self.images_per_second:,.0f} img/s - ETA {eta}")


class ProgressTracker:
    """Turns each batch of step records into a Progress (rate over a recent window)."""

    def __init__(self, info: RunInfo) -> None:
        self.info = info
        self.meter = RateMeter(info.batch_size)

    def update(self, last: StepRecord) -> Progress:
        info = self.info
        total = info.epochs * info.steps_per_epoch
        self.meter.update(last.step, last.seconds)
        eta = self.meter.eta(total - last.step)
        budget = (info.settings or {}).get("time_budget_s", 0)
        if budget:  # a time-budget run ends with its budget, or its epochs if sooner
            eta = max(0.0, budget - last.seconds) if eta is None else min(
                eta, max(0.0, budget - last.seconds))
        return Progress(last.step, total, last.epoch, info.epochs,
                        last.step - (last.epoch - 1) * info.steps_per_epoch,
                        info.steps_per_epoch, self.meter.images_per_second, eta)
