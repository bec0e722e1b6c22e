"""The in-memory history of a run: growing numpy buffers that live runs and reopened logs fill.

The plots draw from it; the run log (runlog.py) is the same reports on disk.
"""

from __future__ import annotations

import numpy as np

from .records import EpochRecord, RunInfo, RunListener, StepRecord


class RunHistory(RunListener):
    """Everything a run has reported so far, as growing numpy buffers the plots draw from.

    Buffers double in size when full (amortised O(1) append), as in pyqtgraph's scrolling
    plot example, so a long run never copies its whole history per batch.
    """

    def __init__(self) -> None:
        self.info: RunInfo | None = None
        self.epochs: list[EpochRecord] = []
        self.confusion: list[list[int]] | None = None
        self.findings: list[dict] = []  # the latest diagnosis (diagnosis.Finding dicts)
        self.status, self.message = "", ""
        self._steps = np.zeros((0, 4))  # step, loss, accuracy, seconds
        self._n = 0
        self._norm_steps = np.zeros(0)
        self._grad = np.zeros((0, 0))
        self._weight = np.zeros((0, 0))
        self._m = 0
        self.activation_steps: list[int] = []  # steps with activation statistics (every k)
        self.activations: list[dict] = []  # {block id: statistics} at each of those steps
        self.version = 0  # bumps on every change, so a timer redraws only when needed

    # --- listener -------------------------------------------------------------------------
    def on_start(self, info: RunInfo) -> None:
        self.info = info
        layers = len(info.layers)
        self._steps = np.zeros((256, 4))
        self._grad, self._weight = np.zeros((64, layers)), np.zeros((64, layers))
        self._norm_steps = np.zeros(64)
        self.version += 1

    def on_steps(self, steps: list[StepRecord]) -> None:
        for s in steps:
            self._steps = _grow(self._steps, self._n)
            self._steps[self._n] = (s.step, s.loss, s.accuracy, s.seconds)
            self._n += 1
            if s.grad_norms:
                self._grad = _grow(self._grad, self._m)
                self._weight = _grow(self._weight, self._m)
                self._norm_steps = _grow(self._norm_steps, self._m)
                self._grad[self._m] = s.grad_norms
                self._weight[self._m, :len(s.weight_norms)] = s.weight_norms
                self._norm_steps[self._m] = s.step
                self._m += 1
            if s.activations:
                self.activation_steps.append(s.step)
                self.activations.append(s.activations)
        self.version += 1

    def on_epoch(self, epoch: EpochRecord) -> None:
        self.epochs.append(epoch)
        self.version += 1

    def on_confusion(self, matrix: list[list[int]]) -> None:
        self.confusion = matrix
        self.version += 1

    def on_findings(self, findings: list[dict]) -> None:
        self.findings = list(findings)
        self.version += 1

    def on_end(self, status: str, message: str) -> None:
        self.status, self.message = status, message
        self.version += 1

    # --- views (no copies: slices of the buffers) ----------------------------------------
    @property
    def steps(self) -> np.ndarray:
        return self._steps[:self._n, 0]

    @property
    def loss(self) -> np.ndarray:
        return self._steps[:self._n, 1]

    @property
    def accuracy(self) -> np.ndarray:
        return self._steps[:self._n, 2]

    @property
    def seconds(self) -> np.ndarray:
        return self._steps[:self._n, 3]

    @property
    def norm_steps(self) -> np.ndarray:
        return self._norm_steps[:self._m]

    @property
    def grad_norms(self) -> np.ndarray:
        """(recorded steps, layers): the L2 gradient norm of each layer at each recorded step."""
        return self._grad[:self._m]

    @property
    def weight_norms(self) -> np.ndarray:
        return self._weight[:self._m]

    @property
    def layer_names(self) -> list[str]:
        return [layer["name"] for layer in self.info.layers] if self.info else []

    def latest_grad_norms(self) -> np.ndarray:
        return self._grad[self._m - 1] if self._m else np.zeros(0)

    def epoch_series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(global step at the end of each epoch, value) for an EpochRecord field."""
        per_epoch = self.info.steps_per_epoch if self.info else 1
        pairs = [(e.epoch * per_epoch, getattr(e, key)) for e in self.epochs
                 if getattr(e, key) is not None]
        xs, ys = zip(*pairs) if pairs else ((), ())
        return np.asarray(xs, float), np.asarray(ys, float)


def _grow(buffer: np.ndarray, n: int) -> np.ndarray:
    if n < len(buffer):
        return buffer
    bigger = np.zeros((max(2 * len(buffer), 16),) + buffer.shape[1:])
    bigger[:len(buffer)] = buffer
    return bigger
