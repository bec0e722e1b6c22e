"""Train the scaled variants off the GUI thread: one signal per trained variant."""

from __future__ import annotations

import traceback

from PySide6.QtCore import QThread, Signal

from cnn_explorer.training.records import RunControl

VARIANT_BUDGET = dict(epochs=1, subset=512, batch_size=32, validation_split=0.25,
                      grad_norm_every=1000)  # the same fixed budget for every variant


class VariantsWorker(QThread):
    variant = Signal(dict)  # {phi, params, flops, accuracy, seconds, status}
    ended = Signal(str)  # "" when every variant trained, else why not

    def __init__(self, design, scaling, phis, settings=None, trainer=None, parent=None) -> None:
        super().__init__(parent)
        self.design, self.scaling, self.phis = design, scaling, tuple(phis)
        self.settings = settings
        self.trainer = trainer  # tests put a fake here
        self.control = RunControl()

    def stop(self) -> None:
        self.control.stop()

    def run(self) -> None:
        try:
            from cnn_explorer.model.settings import RunSettings

            settings = self.settings or RunSettings(dataset=self.design.settings.dataset,
                                                    seed=self.design.settings.seed,
                                                    **VARIANT_BUDGET)
            if self.trainer is None:
                from cnn_explorer.training.scale_train import train_variants as trainer
            else:
                trainer = self.trainer
            s = self.scaling
            trainer(self.design, settings, self.phis, alpha=s.alpha, beta=s.beta, gamma=s.gamma,
                    control=self.control, on_variant=self.variant.emit)
        except Exception as exc:  # a variant that does not build, no dataset: say why
            traceback.print_exc()
            self.ended.emit(f"{type(exc).__name__}: {exc}")
            return
        self.ended.emit("stopped" if self.control.stopped else "")
