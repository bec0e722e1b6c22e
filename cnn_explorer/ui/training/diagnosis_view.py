"""The Diagnosis tab: what the run's signals say is wrong, where, and the fixes to try.

A view of the findings a RunHistory holds (diagnosis.Finding dicts, live or from a reopened
log): one row a finding with its severity and title, the whole message and evidence beside it,
one button a suggested fix, and "Train again and compare" once a fix is in. It only emits what
the user asked for; the window (run_link.py) selects blocks and applies fixes as undo steps.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cnn_explorer.training.diagnosis import FIXES
from cnn_explorer.training.history import RunHistory

SEVERITY_MARK = {"error": "\u2716 error", "warning": "\u26a0 warning"}
HEALTHY = "Healthy so far: no finding in the gradients, activations or loss."
NO_RUN = "Train the design (or open a run log) to see what its gradients say."
# Button labels short enough for three in a row at 1280x800; the whole fix is the tooltip
SHORT = {"relu": "ReLU", "batch_norm": "Insert BatchNorm", "residual": "Residual shortcuts",
         "he_init": "He initialisation", "lr_down": "Learning rate \u00f710",
         "lr_up": "Learning rate \u00d710", "clip": "Clip gradients", "dropout": "Add dropout",
         "augment": "Augmentation"}
FIX_COLUMNS = 3


def finding_text(finding: dict) -> str:
    """The message, then the blocks and the evidence in numbers."""
    lines = [finding.get("message", "")]
    evidence = finding.get("evidence") or {}
    if evidence:
        lines.append("")
        lines += [f"{key}: {_number(value)}" for key, value in evidence.items()]
    return "\n".join(lines)


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return ", ".join(_number(v) for v in value[:12]) + (" ..." if len(value) > 12 else "")
    return str(value)


class DiagnosisView(QWidget):
    blocks_selected = Signal(list)  # block ids of the selected finding
    fix_requested = Signal(str, list)  # fix code (diagnosis.FIXES), block ids
    train_again = Signal()  # train the fixed design, the last run kept as a reference
    reference_cleared = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.history = None
        self.findings: list[dict] = []
        self.list = QListWidget()
        self.list.setMinimumWidth(160)
        self.list.currentRowChanged.connect(self._selected)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setMinimumWidth(160)
        self.detail.setPlainText(NO_RUN)
        self.detail.setMinimumHeight(40)
        self.list.setMinimumHeight(40)
        self.fix_row = QGridLayout()  # short labels, three a row: the dock stays as wide
        self.fix_row.setSpacing(2)
        self.fix_buttons: list[QPushButton] = []
        self.again_button = QPushButton("Train again and compare")
        self.again_button.setToolTip("Train the design as it is now; the last run's loss and "
                                     "gradient-by-depth stay in the plots, dashed")
        self.again_button.clicked.connect(lambda: self.train_again.emit())
        self.clear_button = QPushButton("Clear reference")
        self.clear_button.setToolTip("Remove the dashed curves of the earlier run")
        self.clear_button.clicked.connect(lambda: self.reference_cleared.emit())
        self.clear_button.setVisible(False)
        self.fix_note = QLabel("")
        self.fix_note.setMinimumWidth(20)
        again = QHBoxLayout()
        again.addWidget(self.again_button)
        again.addWidget(self.clear_button)
        again.addWidget(self.fix_note, 1)
        left = QVBoxLayout()  # the list has room to spare below its few rows
        left.addWidget(self.list, 1)
        left.addLayout(again)
        right = QVBoxLayout()
        right.addWidget(self.detail, 1)
        right.addLayout(self.fix_row)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addLayout(left, 2)
        outer.addLayout(right, 3)
        self.set_can_train_again(False)

    # --- what the session reports ---------------------------------------------------------
    def show_findings(self, history: RunHistory | None) -> None:
        """Show the findings of `history` (None: no run). Keeps the selected finding when it is
        still there, so a live update does not steal the user's place."""
        kept = self.current()
        self.history = history
        self.findings = list(history.findings) if history is not None else []
        self.list.blockSignals(True)
        self.list.clear()
        for finding in self.findings:
            mark = SEVERITY_MARK.get(finding.get("severity"), finding.get("severity", ""))
            item = QListWidgetItem(f"{mark}: {finding.get('title', finding.get('code'))}")
            item.setToolTip(finding_text(finding))
            self.list.addItem(item)
        if not self.findings:
            item = QListWidgetItem(HEALTHY if _has_run(history) else NO_RUN)
            item.setFlags(Qt.NoItemFlags)
            self.list.addItem(item)
        self.list.blockSignals(False)
        codes = [f.get("code") for f in self.findings]
        row = codes.index(kept["code"]) if kept and kept.get("code") in codes else -1
        if row >= 0:
            self.list.setCurrentRow(row)  # quietly: the canvas already shows its blocks
            self._show_detail(self.findings[row])
        else:
            self._show_detail(None)

    def current(self) -> dict | None:
        row = self.list.currentRow()
        return self.findings[row] if 0 <= row < len(self.findings) else None

    def set_can_train_again(self, enabled: bool, note: str = "") -> None:
        self.again_button.setEnabled(enabled)
        self.fix_note.setToolTip(note)
        self.fix_note.setText("Fix applied" if note else "")  # the whole fix in the tooltip

    def set_reference_shown(self, shown: bool) -> None:
        self.clear_button.setVisible(shown)

    # --- the user's choice -----------------------------------------------------------------
    def _selected(self, row: int) -> None:
        finding = self.findings[row] if 0 <= row < len(self.findings) else None
        self._show_detail(finding)
        if finding is not None:
            self.blocks_selected.emit(list(finding.get("blocks") or []))

    def _show_detail(self, finding: dict | None) -> None:
        for button in self.fix_buttons:
            self.fix_row.removeWidget(button)
            button.deleteLater()
        self.fix_buttons = []
        if finding is None:
            self.detail.setPlainText(
                ("Select a finding to read it and to see its fixes." if self.findings else
                 HEALTHY if _has_run(self.history) else NO_RUN))
            return
        self.detail.setPlainText(finding_text(finding))
        blocks = list(finding.get("blocks") or [])
        for i, code in enumerate(finding.get("fixes") or []):
            button = QPushButton(SHORT.get(code, code))
            button.code = code
            button.setToolTip(f"{FIXES.get(code, code)}: one step, undone with Ctrl+Z")
            button.clicked.connect(lambda checked=False, c=code: self.fix_requested.emit(c,
                                                                                    blocks))
            self.fix_row.addWidget(button, i // FIX_COLUMNS, i % FIX_COLUMNS)
            self.fix_buttons.append(button)


def _has_run(history) -> bool:
    return history is not None and (history.info is not None or bool(history.status))
