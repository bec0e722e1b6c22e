"""Presets through the UI, the preset dialog, the Keras bridge wiring, start-up and the
platform-plugin check."""

import subprocess
import sys
import textwrap
import types

from PySide6.QtWidgets import QDialogButtonBox

from cnn_explorer.model.presets import PRESETS, build_preset
from cnn_explorer.ui.app import platform_problem
from cnn_explorer.ui.palette.preset_dialog import PresetDialog

from .helpers import card_rects, overlapping

# Parameter totals (the ResNet paper's table: ResNet-20 0.27M, ResNet-56 0.85M; ResNet-50 23.6M
# with a 10-class head; DenseNet-BC-100 k=12 0.8M); the model tests check them against Keras.
TOTALS = {"plain-cnn": 325956, "alexnet": 7135114, "vgg16": 33638218, "vgg19": 38947914,
          "resnet20": 274042, "resnet56": 860026, "resnet50": 23581642,
          "densenet-bc-100": 793150, "se-resnet": 278452, "efficientnet-b0": 4062374,
          "nasnet-cells": 124682, "plain-deep": 271098, "residual-deep": 274042,
          "fast-cifar": 296002}


def test_each_preset_loads_without_problems_and_right_total(window):
    assert set(TOTALS) == set(PRESETS)
    for name, total in TOTALS.items():
        window.controller.load_preset(name)
        window.document.flush()
        report = window.document.report()
        assert report.problems == [], name
        assert report.total_params == total, name
        assert f"<b>{total:,}</b> parameters" in window.inspector.totals_text()
        assert window.inspector.problems.item(0).text().startswith("No problems")
        assert len(window.scene.cards) == len(window.document.graph)
        assert overlapping(card_rects(window)) == [], name


def test_preset_dialog_phi_rescales_live(qtbot):
    dialog = PresetDialog("efficientnet-b0")
    qtbot.addWidget(dialog)
    b0 = dialog.summary.text()
    assert f"{TOTALS['efficientnet-b0']:,}" in b0
    dialog.controls["phi"].setValue(1.0)
    b1_total = build_preset("efficientnet-b0", phi=1.0).graph.report().total_params
    assert f"{b1_total:,}" in dialog.summary.text() != b0
    assert dialog.params() == {"phi": 1.0}


def test_preset_dialog_refuses_bad_depth(qtbot):
    dialog = PresetDialog("plain-deep")
    qtbot.addWidget(dialog)
    dialog.controls["depth"].setValue(21)
    assert "6n+2" in dialog.summary.text() or "depth" in dialog.summary.text()
    assert not dialog.buttons.button(QDialogButtonBox.Ok).isEnabled()
    dialog.controls["depth"].setValue(32)
    assert dialog.buttons.button(QDialogButtonBox.Ok).isEnabled()


def test_import_runs_off_the_gui_thread_and_is_undoable(window, qtbot, monkeypatch):
    import threading

    seen = {}

    class ImportProblem(Exception):
        pass

    def import_keras_file(path):
        seen["thread"] = threading.current_thread().name
        if path.endswith("bad.keras"):
            raise ImportProblem("layer Lambda cannot be imported")
        return build_preset("resnet20")

    fake = types.ModuleType("cnn_explorer.keras.importer")
    fake.ImportProblem, fake.import_keras_file = ImportProblem, import_keras_file
    monkeypatch.setitem(sys.modules, "cnn_explorer.keras.importer", fake)
    weights = types.ModuleType("cnn_explorer.keras.weights")  # the import keeps the weights
    weights.WeightsProblem = ImportProblem
    weights.import_with_weights = lambda path, design_path: import_keras_file(path)
    monkeypatch.setitem(sys.modules, "cnn_explorer.keras.weights", weights)
    with qtbot.waitSignal(window.keras.imported, timeout=5000):
        assert window.keras.import_keras("model.keras")
    assert seen["thread"] == "keras-import"
    assert len(window.document.graph) == 13 and len(window.document.graph.positions()) == 13
    assert window.undo_action.text() == "&Undo Import model.keras"
    with qtbot.waitSignal(window.keras.failed, timeout=5000):
        window.keras.import_keras("bad.keras")


def test_export_python_writes_the_bridge_source(window, monkeypatch, tmp_path):
    fake = types.ModuleType("cnn_explorer.keras.export")
    fake.export_python = lambda design: f"# {len(design.graph)} blocks\n"
    monkeypatch.setitem(sys.modules, "cnn_explorer.keras.export", fake)
    out = tmp_path / "model.py"
    assert window.keras.export_python(str(out))
    assert out.read_text() == "# 8 blocks\n"


def test_window_appears_before_tensorflow_is_imported(tmp_path):
    script = textwrap.dedent("""
        import sys
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from cnn_explorer.ui.main_window import MainWindow
        w = MainWindow(offer_recovery=False)
        w.show()
        app.processEvents()
        print("shown", w.isVisible(), "tensorflow" in sys.modules, "keras" in sys.modules)
    """)
    env = {"QT_QPA_PLATFORM": "offscreen", "CNN_EXPLORER_STATE_DIR": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=120)
    assert "shown True False False" in out.stdout, out.stderr


def test_missing_xcb_libraries_give_a_helpful_message():
    def load(name):
        if name == "libxcb-cursor.so.0":
            raise OSError(name)

    msg = platform_problem({"DISPLAY": ":0"}, "linux", load)
    assert "libxcb-cursor0" in msg and "apt-get install" in msg and "offscreen" in msg
    assert platform_problem({"DISPLAY": ":0"}, "linux", lambda n: None) is None
    assert "offscreen" in platform_problem({}, "linux", load)
    assert platform_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", load) is None
    assert platform_problem({}, "darwin", load) is None


def test_training_panel_docks_after_show_and_colours_the_canvas(window, qtbot):
    qtbot.waitUntil(lambda: window.training_panel is not None, timeout=10000)
    from cnn_explorer.ui.gradient import GradientColouring

    panel = window.training_panel
    ids = window.document.graph.block_ids()
    run = window.document.snapshot()
    panel.session.colouring.emit(GradientColouring({ids[1]: 1e-4, ids[2]: 1e-1}, "run", 3, run))
    assert window.scene.cards[ids[1]].gradient is not None
    assert window.view.legend.isVisibleTo(window.view)
    assert window.view.legend.caption() == "run, step 3"
    panel.session.colouring.emit(None)
    assert window.scene.cards[ids[1]].gradient is None
    snapshot = panel.get_design() if hasattr(panel, "get_design") else window.document.snapshot()
    assert snapshot.graph is not window.document.graph


def test_presets_menu_opens_the_knob_dialog_and_loads_its_choice(window, monkeypatch):
    def accept_depth_32(dialog):
        dialog.controls["depth"].setValue(32)
        return PresetDialog.Accepted

    monkeypatch.setattr(PresetDialog, "exec", accept_depth_32)
    action = next(a for a in window.menuBar().actions() if a.text() == "&Presets")
    entry = next(a for a in action.menu().actions() if a.text() == "plain-deep")
    entry.trigger()
    g = window.document.graph
    assert len(g) == len(build_preset("plain-deep", depth=32).graph) == 34
    assert window.undo_action.text() == "&Undo Load preset plain-deep(depth=32)"


def test_new_asks_about_unsaved_changes_then_starts_empty(window, dialogs):
    from PySide6.QtWidgets import QMessageBox

    window.controller.add_block("dropout", (0.0, 900.0))
    dialogs.answer = QMessageBox.Cancel
    window.files.new()
    assert len(window.document.graph) == 9
    dialogs.answer = QMessageBox.Discard
    window.files.new()
    assert [b.kind for b in window.document.graph.blocks()] == ["input"]
    assert window.document.undo_stack.count() == 0
    assert window.windowTitle().startswith("untitled") and not window.isWindowModified()


def test_preset_dialog_builds_its_controls_from_the_presets_knobs(qtbot):
    from PySide6.QtWidgets import QComboBox, QSpinBox

    dialog = PresetDialog("residual-deep")
    qtbot.addWidget(dialog)
    knobs = {k.name: k for k in PRESETS["residual-deep"].knobs}
    assert set(dialog.controls) == set(knobs)
    depth = dialog.controls["depth"]
    assert isinstance(depth, QSpinBox)
    assert (depth.minimum(), depth.maximum(), depth.singleStep()) == (8, 200, 6)
    activation = dialog.controls["activation"]
    assert isinstance(activation, QComboBox)
    activation.setCurrentText("tanh")
    assert dialog.params() == {"activation": "tanh"}
    assert dialog.buttons.button(QDialogButtonBox.Ok).isEnabled()
