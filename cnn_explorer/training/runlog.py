"""Run logs on disk: JSON Lines written as a run goes, read back into a RunHistory, and CSV.

One record a line, each with a `type`: `start` (settings, layers), `step`, `epoch`,
`confusion`, `end`. A log can be reopened later to draw the same plots, and appending
line by line means a crashed run still leaves a readable log.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from .history import RunHistory
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
