"""Run logs (JSON Lines) and the in-memory history that both live runs and reopened logs fill.

One record a line, each with a `type`: `start` (settings, layers), `step`, `epoch`,
`confusion`, `end`. A log can be reopened later to draw the same plots, and appending
line by line means a crashed run still leaves a readable log.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from .records import EpochRecord, RunInfo, RunListener, StepRecord

LOG_VERSION = 1


class RunLogWriter(RunListener):
    """Appends every report to a .jsonl file; flushes with each batch of steps."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")

    def _write(self, record: dict) -> None:
        if not self._file.closed:
            self._file.write(json.dumps(record, allow_nan=True) + "\n")

    def on_start(self, info: RunInfo) -> None:
        self._write({"type": "start", "version": LOG_VERSION, **info.to_dict()})
        self._file.flush()

    def on_steps(self, steps: list[StepRecord]) -> None:
        for s in steps:
            self._write({"type": "step", **s.to_dict()})
        self._file.flush()

    def on_epoch(self, epoch: EpochRecord) -> None:
        self._write({"type": "epoch", **epoch.to_dict()})
        self._file.flush()

    def on_confusion(self, matrix: list[list[int]]) -> None:
        self._write({"type": "confusion", "matrix": matrix})

    def on_findings(self, findings: list[dict]) -> None:
        self._write({"type": "findings", "findings": findings})

    def on_end(self, status: str, message: str) -> None:
        self._write({"type": "end", "status": status, "message": message})
        self._file.close()


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
        self._norm_steps: list[int] = []
        self._grad = np.zeros((0, 0))
        self._weight = np.zeros((0, 0))
        self._m = 0
        self.version = 0  # bumps on every change, so a timer redraws only when needed

    # --- listener -------------------------------------------------------------------------
    def on_start(self, info: RunInfo) -> None:
        self.info = info
        layers = len(info.layers)
        self._steps = np.zeros((256, 4))
        self._grad, self._weight = np.zeros((64, layers)), np.zeros((64, layers))
        self.version += 1

    def on_steps(self, steps: list[StepRecord]) -> None:
        for s in steps:
            self._steps = _grow(self._steps, self._n)
            self._steps[self._n] = (s.step, s.loss, s.accuracy, s.seconds)
            self._n += 1
            if s.grad_norms:
                self._grad = _grow(self._grad, self._m)
                self._weight = _grow(self._weight, self._m)
                self._grad[self._m] = s.grad_norms
                self._weight[self._m, :len(s.weight_norms)] = s.weight_norms
                self._norm_steps.append(s.step)
                self._m += 1
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
        return np.asarray(self._norm_steps[:self._m], dtype=float)

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


def read_run_log(path: Path) -> RunHistory:
    """Rebuild the history of a run from its .jsonl log (also a log cut short by a crash)."""
    history = RunHistory()
    steps: list[StepRecord] = []
    with Path(path).open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                if line_no > 1 and not line.endswith("\n"):
                    break  # the last line of a run killed mid-write
                raise ValueError(f"{path}:{line_no}: not a run log line ({exc})") from exc
            kind = record.pop("type", None)
            if kind == "start":
                record.pop("version", None)
                history.on_start(RunInfo(**record))
            elif kind == "step":
                steps.append(StepRecord(**record))
            elif kind == "epoch":
                history.on_steps(steps)
                steps = []
                history.on_epoch(EpochRecord(**record))
            elif kind == "confusion":
                history.on_confusion(record["matrix"])
            elif kind == "findings":
                history.on_findings(record["findings"])
            elif kind == "end":
                history.on_steps(steps)
                steps = []
                history.on_end(record["status"], record["message"])
    if history.info is None and not history.status:
        raise ValueError(f"{path}: no start record; is this a CNN Explorer run log?")
    history.on_steps(steps)
    return history


def export_metrics_csv(history: RunHistory, path: Path) -> None:
    """Per-step loss, accuracy and per-layer gradient norms, one row a step, for spreadsheets."""
    names = history.layer_names
    norm_at = {int(s): row for s, row in zip(history.norm_steps, history.grad_norms)}
    epoch_at = {e.epoch * (history.info.steps_per_epoch if history.info else 1): e
                for e in history.epochs}
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["step", "loss", "accuracy", "seconds", "val_loss", "val_accuracy"]
                     + [f"grad_norm:{n}" for n in names])
        for step, loss, acc, sec in zip(history.steps, history.loss, history.accuracy,
                                        history.seconds):
            epoch = epoch_at.get(int(step))
            val = [_cell(epoch.val_loss), _cell(epoch.val_accuracy)] if epoch else ["", ""]
            norms = norm_at.get(int(step))
            cells = [f"{v:.6g}" for v in norms] if norms is not None else [""] * len(names)
            out.writerow([int(step), f"{loss:.6g}", f"{acc:.6g}", f"{sec:.3f}", *val, *cells])


def _cell(value: float | None) -> str:
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return "" if missing else f"{value:.6g}"
