"""A run as TensorBoard event files, written with TensorBoard's own `tf.summary`.

Scalars: loss, accuracy and learning rate per step, validation per epoch; per layer, the
gradient norm, weight norm and update-to-weight ratio; histograms of the per-layer gradient
norms (log10) and update ratios, so `tensorboard --logdir DIR` shows a run the way people
already read runs.
"""

from __future__ import annotations

import math
from pathlib import Path

from .records import EpochRecord, RunInfo, RunListener, StepRecord


class TensorBoardWriter(RunListener):
    def __init__(self, logdir: str | Path) -> None:
        import tensorflow as tf

        self.tf = tf
        self.writer = tf.summary.create_file_writer(str(logdir))
        self.layers: list[str] = []

    def on_start(self, info: RunInfo) -> None:
        self.layers = [layer["name"] for layer in info.layers]
        with self.writer.as_default():
            self.tf.summary.text("run/settings", str(info.settings), step=0)

    def on_steps(self, steps: list[StepRecord]) -> None:
        s = self.tf.summary
        with self.writer.as_default():
            for st in steps:
                s.scalar("train/loss", st.loss, step=st.step)
                s.scalar("train/accuracy", st.accuracy, step=st.step)
                s.scalar("train/learning_rate", st.learning_rate, step=st.step)
                if not st.grad_norms:
                    continue
                for name, g, w, u in zip(self.layers, st.grad_norms, st.weight_norms,
                                         st.update_norms or [0.0] * len(st.grad_norms)):
                    s.scalar(f"grad_norm/{name}", g, step=st.step)
                    s.scalar(f"weight_norm/{name}", w, step=st.step)
                    if w > 0:
                        s.scalar(f"update_ratio/{name}", u / w, step=st.step)
                logs = [math.log10(g) for g in st.grad_norms if g > 0 and math.isfinite(g)]
                if logs:
                    s.histogram("layers/log10_grad_norm", logs, step=st.step)
                ratios = [u / w for u, w in zip(st.update_norms, st.weight_norms) if w > 0]
                if ratios:
                    s.histogram("layers/update_ratio", ratios, step=st.step)
        self.writer.flush()

    def on_epoch(self, e: EpochRecord) -> None:
        with self.writer.as_default():
            for key in ("val_loss", "val_accuracy"):
                value = getattr(e, key)
                if value is not None:
                    self.tf.summary.scalar(f"validation/{key[4:]}", value, step=e.epoch)
        self.writer.flush()

    def on_end(self, status: str, message: str) -> None:
        self.writer.flush()
        self.writer.close()
