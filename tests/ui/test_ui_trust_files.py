"""Files are never overwritten by surprise (issue 9, part 1), driven through the menus."""

from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from cnn_explorer.model.files import load_design
from cnn_explorer.ui.main_window import MainWindow
from cnn_explorer.ui.palette.preset_dialog import PresetDialog


def menu_action(window, menu_title: str, text: str):
    for menu in window.menuBar().findChildren(QMenu):
        if menu.title().replace("&", "") == menu_title:
            for action in menu.actions():
                if action.text().replace("&", "").rstrip("\u2026") == text:
                    return action
    raise AssertionError(f"no {menu_title} > {text}")


class SaveDialog:
    """QFileDialog.getSaveFileName answered by the test; counts how often it was asked."""

    def __init__(self, monkeypatch, answer: str = "") -> None:
        self.answer, self.asked = answer, 0
        monkeypatch.setattr(QFileDialog, "getSaveFileName", self.ask)

    def ask(self, *args, **kwargs):
        self.asked += 1
        return self.answer, ""


def test_a_preset_never_overwrites_the_open_file(window, dialogs, monkeypatch, tmp_path):
    monkeypatch.setattr(PresetDialog, "exec", lambda self: PresetDialog.Accepted)
    mine = tmp_path / "mine.json"
    window.controller.add_block("dropout", (600.0, 0.0))
    save_dialog = SaveDialog(monkeypatch, str(mine))
    menu_action(window, "File", "Save").trigger()  # the starter design is untitled: Save As
    assert save_dialog.asked == 1 and window.windowTitle().startswith("mine.json")
    blocks_in_mine = len(load_design(mine).graph)

    menu_action(window, "Presets", "resnet20").trigger()
    assert window.windowTitle().startswith("resnet20 (untitled)")
    menu_action(window, "Presets", "vgg16").trigger()
    assert window.windowTitle().startswith("vgg16 (untitled)")
    save_dialog.answer = ""  # the user cancels the Save As that Save now asks for
    menu_action(window, "File", "Save").trigger()
    assert save_dialog.asked == 2
    assert len(load_design(mine).graph) == blocks_in_mine  # mine.json is untouched

    window.document.undo_stack.undo()
    window.document.undo_stack.undo()  # back to mine.json's own design: Save writes it again
    assert window.windowTitle().startswith("mine.json")
    window.controller.add_block("dropout", (900.0, 0.0))
    menu_action(window, "File", "Save").trigger()
    assert save_dialog.asked == 2 and len(load_design(mine).graph) == blocks_in_mine + 1


def test_a_preset_saved_elsewhere_keeps_its_own_file_across_undo_and_redo(
        window, dialogs, monkeypatch, tmp_path):
    mine, other = tmp_path / "mine.json", tmp_path / "other.json"
    save_dialog = SaveDialog(monkeypatch, str(mine))
    window.files.save()
    window.choose_preset("resnet20", ask_knobs=False)
    save_dialog.answer = str(other)
    window.files.save()
    window.document.undo_stack.undo()
    assert window.document.path == mine
    window.document.undo_stack.redo()
    assert window.document.path == other and not window.isWindowModified()


def test_new_is_untitled_and_the_prompt_names_the_design(window, dialogs, monkeypatch, tmp_path):
    mine = tmp_path / "mine.json"
    SaveDialog(monkeypatch, str(mine))
    window.files.save()
    window.choose_preset("vgg16", ask_knobs=False)  # clean before: no question
    assert not dialogs.shown
    window.controller.add_block("dropout", (900.0, 0.0))
    dialogs.answer = QMessageBox.Cancel
    menu_action(window, "File", "New").trigger()
    kind, title, text = dialogs.shown[-1]
    assert kind == "question" and "vgg16" in text and "mine.json" not in text
    assert "not saved in any file" in text
    assert window.document.design.title == "vgg16"  # Cancel kept it
    dialogs.answer = QMessageBox.Discard
    menu_action(window, "File", "New").trigger()
    assert window.windowTitle().startswith("untitled") and window.document.path is None


def test_the_prompt_for_a_file_names_the_file(window, dialogs, tmp_path):
    path = tmp_path / "mine.json"
    window.files.save_to(path)
    window.controller.add_block("dropout", (900.0, 0.0))
    dialogs.answer = QMessageBox.Cancel
    assert not window.close()
    assert "mine.json" in dialogs.shown[-1][2]


def test_relaunch_reopens_the_last_design(qtbot, dialogs, tmp_path):
    path = tmp_path / "mine.json"
    first = MainWindow()
    qtbot.addWidget(first)
    first.controller.add_block("dropout", (900.0, 0.0))
    first.files.save_to(path)
    assert first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.document.path == path.resolve()
    assert len(second.document.graph) == len(load_design(path).graph)
    assert second.windowTitle().startswith("mine.json")
    second.choose_preset("vgg16", ask_knobs=False)
    dialogs.answer = QMessageBox.Discard
    assert second.close()  # closed on an untitled design: the next start is the starter one
    third = MainWindow()
    qtbot.addWidget(third)
    assert third.document.path is None


def test_a_crash_still_offers_recovery_over_the_last_design(qtbot, dialogs, state_dir, tmp_path,
                                                             monkeypatch):
    from cnn_explorer.ui.files import recovery

    path = tmp_path / "mine.json"
    first = MainWindow()
    qtbot.addWidget(first)
    first.files.save_to(path)
    first.controller.add_block("dropout", (900.0, 0.0))
    assert first.recovery.autosave()
    first.recovery.path.rename(state_dir / "recovery-999999999.json")  # it "crashed"
    monkeypatch.setattr(recovery, "pid_alive", lambda pid: pid != 999999999)
    dialogs.answer = QMessageBox.Yes
    second = MainWindow()
    qtbot.addWidget(second)
    assert dialogs.shown[-1][1] == "Recover design?"
    assert len(second.document.graph) == len(load_design(path).graph) + 1
    assert second.document.path == path and second.isWindowModified()
