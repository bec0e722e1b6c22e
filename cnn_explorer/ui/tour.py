"""Help > Quick tour: five short pages for a newcomer, with Back / Next; reopen it any time."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

PAGES = [
    ("Welcome",
     "CNN Explorer lets you build a convolutional network on a canvas and see, as you edit, "
     "every layer's output shape and parameter count. Then train it on CIFAR and watch the "
     "gradients flow.<br><br>This tour has five pages; Help \u25b8 Quick tour (F1) opens it "
     "again."),
    ("1. Add blocks",
     "The <b>Blocks</b> list on the left holds layers (Conv2D, Dense, \u2026) and bigger "
     "blocks (Residual, Dense block, \u2026). <b>Drag</b> one onto the canvas, or "
     "<b>double-click</b> it to add it under the selected card, already connected.<br><br>"
     "Or start from a preset (ResNet, VGG, DenseNet\u2026): the <b>Presets</b> menu."),
    ("2. Connect and edit",
     "Drag from a card's <b>bottom port</b> (its output) to another card's <b>top port</b>. "
     "A red line means the connection would not fit, and the tooltip says why.<br><br>"
     "Select a card to edit its parameters in the <b>Inspector</b> on the right. "
     "<b>Right-click</b> a card to rename, duplicate, delete, expand, wrap it in a residual "
     "block or add squeeze-excitation after it; right-click the canvas to add a block there, "
     "paste, fit the view or tidy the layout. Ctrl+Z undoes anything."),
    ("3. Read the problems",
     "A card outlined in <b>red</b> has a problem: a shape that does not fit, an input that "
     "is not connected, a block that leads nowhere. Hover it for the full text; the "
     "<b>Problems</b> list in the Inspector names every one; click a problem to select its "
     "block."),
    ("4. Train and save",
     "The <b>Training</b> panel at the bottom trains the design on the dataset you pick and "
     "plots loss, accuracy and each layer's gradient norm; the cards take the gradient "
     "colours.<br><br><b>File \u25b8 Save</b> writes your design; a preset is untitled until "
     "you save it, so it never replaces a file of yours. <b>File \u25b8 Export Python</b> "
     "writes Keras code that rebuilds the model."),
]


class Tour(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Quick tour \u2014 CNN Explorer")
        self.setMinimumSize(520, 320)
        self.pages = QStackedWidget()
        for title, text in PAGES:
            label = QLabel(f"<h3>{title}</h3><p>{text}</p>")
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignTop | Qt.AlignLeft)
            label.setTextFormat(Qt.RichText)
            label.setMargin(12)
            self.pages.addWidget(label)
        self.where = QLabel()
        self.back = QPushButton("Back")
        self.next = QPushButton("Next")
        self.close_button = QPushButton("Close")
        self.back.clicked.connect(lambda: self.go(self.pages.currentIndex() - 1))
        self.next.clicked.connect(lambda: self.go(self.pages.currentIndex() + 1))
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.where)
        buttons.addStretch(1)
        for b in (self.back, self.next, self.close_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addLayout(buttons)
        self.go(0)

    def go(self, index: int) -> None:
        index = max(0, min(index, self.pages.count() - 1))
        self.pages.setCurrentIndex(index)
        self.where.setText(f"Page {index + 1} of {self.pages.count()}")
        self.back.setEnabled(index > 0)
        self.next.setEnabled(index < self.pages.count() - 1)
        (self.next if self.next.isEnabled() else self.close_button).setDefault(True)

    def restart(self) -> None:
        self.go(0)

    def page_title(self) -> str:
        return PAGES[self.pages.currentIndex()][0]
