"""The run-settings form of the training panel: dataset, optimiser, schedule, overrides."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QWidget,
)

from cnn_explorer.model.settings import (
    ACTIVATION_OVERRIDES,
    INITIALIZER_OVERRIDES,
    OPTIMIZERS,
    SCHEDULES,
    RunSettings,
)


def _combo(items, current: str = "") -> QComboBox:
    box = QComboBox()
    box.addItems(list(items))
    if current:
        box.setCurrentText(current)
    return box


def _spin(low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    return box


def _double(low: float, high: float, value: float, decimals: int, step: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    return box


class RunSettingsForm(QWidget):
    """Edits a RunSettings; `settings()` returns a new frozen one (or raises ParameterError)."""

    def __init__(self, settings: RunSettings | None = None, parent=None) -> None:
        super().__init__(parent)
        s = settings or RunSettings()
        self.dataset = _combo(("sample", "cifar10", "cifar100"))
        self.dataset.setEditable(True)  # a path to an .npz or a CIFAR archive also works
        self.dataset.setToolTip("sample (bundled, offline), cifar10, cifar100, or a file path")
        browse = QPushButton("...")
        browse.setFixedWidth(28)
        browse.setToolTip("Choose a local .npz (x, y) or CIFAR binary archive")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.dataset, 1)
        row.addWidget(browse)
        data_row = QWidget()
        data_row.setLayout(row)
        self.optimizer = _combo(OPTIMIZERS)
        self.learning_rate = _double(1e-6, 99.0, 1e-3, 6, 1e-4)
        self.momentum = _double(0.0, 0.999, 0.9, 3, 0.05)
        self.schedule = _combo(SCHEDULES)
        self.batch_size = _spin(1, 4096, 128, 16)
        self.epochs = _spin(1, 1000, 5)
        self.subset = _spin(0, 1_000_000, 0, 500)
        self.subset.setSpecialValueText("all")
        self.validation_split = _double(0.0, 0.9, 0.1, 2, 0.05)
        self.augment = QCheckBox("flip, pad and crop")
        self.seed = _spin(0, 2**31 - 1, 0)
        self.initializer = _combo(INITIALIZER_OVERRIDES)
        self.activation = _combo(ACTIVATION_OVERRIDES)
        self.grad_norm_every = _spin(1, 1000, 1)
        form = QFormLayout(self)
        form.setContentsMargins(2, 2, 2, 2)
        for label, widget in (("Dataset", data_row), ("Optimizer", self.optimizer),
                              ("Learning rate", self.learning_rate),
                              ("Momentum (SGD)", self.momentum), ("LR schedule", self.schedule),
                              ("Batch size", self.batch_size), ("Epochs", self.epochs),
                              ("Subset", self.subset), ("Validation", self.validation_split),
                              ("Augment", self.augment), ("Seed", self.seed),
                              ("Init override", self.initializer),
                              ("Activation override", self.activation),
                              ("Grad norms every", self.grad_norm_every)):
            form.addRow(label, widget)
        self.set_settings(s)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Training data", "",
                                              "Images (*.npz *.tar.gz);;All files (*)")
        if path:
            self.dataset.setCurrentText(path)

    def set_settings(self, s: RunSettings) -> None:
        self.dataset.setCurrentText(s.dataset)
        self.optimizer.setCurrentText(s.optimizer)
        self.learning_rate.setValue(s.learning_rate)
        self.momentum.setValue(s.momentum)
        self.schedule.setCurrentText(s.schedule)
        self.batch_size.setValue(s.batch_size)
        self.epochs.setValue(s.epochs)
        self.subset.setValue(s.subset)
        self.validation_split.setValue(s.validation_split)
        self.augment.setChecked(s.augment)
        self.seed.setValue(s.seed)
        self.initializer.setCurrentText(s.initializer_override)
        self.activation.setCurrentText(s.activation_override)
        self.grad_norm_every.setValue(s.grad_norm_every)

    def settings(self) -> RunSettings:
        return RunSettings(
            dataset=self.dataset.currentText().strip(), optimizer=self.optimizer.currentText(),
            learning_rate=self.learning_rate.value(), momentum=self.momentum.value(),
            schedule=self.schedule.currentText(), batch_size=self.batch_size.value(),
            epochs=self.epochs.value(), subset=self.subset.value(),
            validation_split=round(self.validation_split.value(), 4),
            augment=self.augment.isChecked(), seed=self.seed.value(),
            initializer_override=self.initializer.currentText(),
            activation_override=self.activation.currentText(),
            grad_norm_every=self.grad_norm_every.value())

    def replace(self, **changes) -> None:
        self.set_settings(dataclasses.replace(self.settings(), **changes))
