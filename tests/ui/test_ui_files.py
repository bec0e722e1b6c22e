"""Files: open, save, failures that leave the design untouched, recent files, crash recovery."""

import json
import os

from PySide6.QtWidgets import QMessageBox

from cnn_explorer.model.files import load_design, save_design
from cnn_explorer.model.presets import build_preset
from cnn_explorer.ui.files import recovery
from cnn_explorer.ui.main_window import MainWindow

from .helpers import model_state


def test_malformed_file_is_reported_and_design_unchanged(window, dialogs, tmp_path):
    window.controller.add_block("dropout", (0.0, 900.0))
    before, undo_count = model_state(window), window.document.undo_stack.count()
    bad = tmp_path / "broken.json"
    bad.write_text('{"schema_version": 1, "blocks": [{"id": "b1", "kind": "warp_drive"}]}')
    assert not window.files.open(bad)
    kind, title, text = dialogs.shown[-1]
    assert kind == "warning" and "broken.json" in text and "warp_drive" in text
    assert model_state(window) == before
    assert window.document.undo_stack.count() == undo_count
    not_json = tmp_path / "notjson.json"
    not_json.write_text("{oops")
    assert not window.files.open(not_json)
    assert "not valid JSON" in dialogs.shown[-1][2]
    assert model_state(window) == before


def test_open_lays_out_and_save_round_trips(window, tmp_path):
    path = tmp_path / "resnet.json"
    save_design(build_preset("resnet20"), path)  # a file without positions
    assert window.files.open(path)
    g = window.document.graph
    assert len(g.positions()) == len(g) == 13
    assert window.windowTitle().startswith("resnet.json")
    window.controller.set_param(g.find("stem").id, "filters", 32)
    assert window.isWindowModified()
    assert window.files.save()
    assert not window.isWindowModified()
    saved = load_design(path)
    assert saved.graph.find("stem").params["filters"] == 32
    assert saved.graph.positions() == g.positions()
    assert str(path.resolve()) == window.files.recent()[0]
    assert window.recent_menu.actions()[0].text() == str(path.resolve())


def test_save_failure_says_why_and_loses_nothing(window, dialogs, tmp_path):
    window.controller.add_block("dropout", (0.0, 900.0))
    before = model_state(window)
    target = tmp_path / "missing_folder" / "design.json"
    assert not window.files.save_to(target)
    assert dialogs.shown[-1][0] == "warning" and "Nothing was lost" in dialogs.shown[-1][2]
    assert model_state(window) == before and window.isWindowModified()
    assert not target.exists()


def test_close_with_unsaved_changes_asks(window, dialogs):
    window.controller.add_block("dropout", (0.0, 900.0))
    dialogs.answer = QMessageBox.Cancel
    assert not window.close()
    assert dialogs.shown[-1][0] == "question"
    dialogs.answer = QMessageBox.Discard
    assert window.close()


def _files(folder):
    return sorted(p.name for p in folder.glob("recovery-*.json"))


def test_recovery_after_crash_restores_design(qtbot, dialogs, state_dir, monkeypatch):
    first = MainWindow()
    qtbot.addWidget(first)
    first.controller.load_preset("resnet20")
    first.controller.set_param(first.document.graph.find("stem").id, "filters", 24)
    assert first.recovery.autosave()
    crashed = model_state(first)
    assert first.recovery.path.exists()
    # the process "dies": no closeEvent ran, its recovery file stays; a new session starts
    crashed_file = first.recovery.path.rename(state_dir / "recovery-999999999.json")
    monkeypatch.setattr(recovery, "pid_alive", lambda pid: pid != 999999999)
    dialogs.answer = QMessageBox.Yes
    second = MainWindow()
    qtbot.addWidget(second)
    assert dialogs.shown[-1][1] == "Recover design?"
    assert model_state(second) == crashed
    assert second.isWindowModified()
    assert not crashed_file.exists() and second.recovery.path.exists()
    dialogs.answer = QMessageBox.Discard
    assert second.close()  # a clean close removes the recovery file
    assert _files(state_dir) == []


def test_a_running_instance_is_not_a_crash(qtbot, dialogs, state_dir):
    first = MainWindow()
    qtbot.addWidget(first)
    first.controller.add_block("dropout", (0.0, 900.0))
    assert first.recovery.autosave()
    live = first.recovery.path.rename(state_dir / f"recovery-{os.getppid()}.json")
    second = MainWindow()  # the parent process is alive: its file is not offered
    qtbot.addWidget(second)
    assert not any(d[1] == "Recover design?" for d in dialogs.shown)
    assert live.exists()


def test_declined_recovery_is_discarded(qtbot, dialogs, state_dir, monkeypatch):
    state_dir.mkdir(parents=True, exist_ok=True)
    crashed = state_dir / "recovery-999999999.json"
    crashed.write_text(json.dumps({"design": {"schema_version": 1}}))
    monkeypatch.setattr(recovery, "pid_alive", lambda pid: pid != 999999999)
    dialogs.answer = QMessageBox.No
    w = MainWindow()
    qtbot.addWidget(w)
    assert dialogs.shown[-1][1] == "Recover design?"
    assert w.windowTitle().startswith("plain-cnn")
    assert not crashed.exists()


def test_autosave_only_writes_when_changed(window, state_dir):
    assert not window.recovery.autosave()  # nothing edited
    window.controller.add_block("dropout", (0.0, 900.0))
    assert window.recovery.autosave()
    assert not window.recovery.autosave()  # no change since
    window.document.undo_stack.undo()  # back to the clean state: nothing to recover
    window.recovery.autosave()
    assert _files(state_dir) == []


def test_failed_autosave_says_so_and_editing_goes_on(window, tmp_path):
    messages = []
    window.recovery.failed.connect(messages.append)
    window.recovery.path = tmp_path / "gone" / "recovery.json"  # a folder that does not exist
    window.controller.add_block("dropout", (0.0, 900.0))
    assert not window.recovery.autosave()
    assert len(messages) == 1 and "Autosave" in messages[0]
    assert "Autosave" in window.statusBar().currentMessage()
    window.controller.add_block("dropout", (300.0, 900.0))
    window.recovery.autosave()
    assert len(messages) == 1  # said once, not every few seconds


def test_opening_a_design_brings_its_run_settings_into_the_training_form(window, tmp_path):
    from cnn_explorer.model.settings import RunSettings

    assert window.add_training_panel()
    design = build_preset("resnet20")
    design.settings = RunSettings(optimizer="sgd", learning_rate=0.05, epochs=7, batch_size=32)
    path = tmp_path / "with_settings.json"
    save_design(design, path)
    assert window.files.open(path)
    shown = window.training_panel.form.settings()
    assert (shown.optimizer, shown.epochs, shown.batch_size) == ("sgd", 7, 32)
    assert shown.learning_rate == 0.05
