"""The Scale dialog: live preview as phi moves, the paper's curves, one undo step."""

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from cnn_explorer.model.files import design_to_dict
from cnn_explorer.model.presets import build_preset
from cnn_explorer.model.scaling import Scaling, scale_design
from cnn_explorer.ui.scaling.dialog import CURVES, ScaleDialog


def test_preview_follows_phi_and_curves_use_this_design(qtbot):
    design = build_preset("resnet20")
    dialog = ScaleDialog(design)
    qtbot.addWidget(dialog)
    base = design.graph.report().total_params
    assert f"<b>{base:,}</b>" in dialog.summary.text()
    dialog.slider.setValue(4)  # phi 1 in quarter steps
    assert dialog.phi.value() == 1.0
    expected = scale_design(design, Scaling(1)).graph.report()
    assert f"<b>{expected.total_params:,}</b>" in dialog.summary.text()
    assert "1.92" in dialog.factor.text()
    curves = {item.name(): item for item in dialog.plot.listDataItems()}
    assert set(curves) == {name for name, _ in CURVES}
    xs, ys = curves["compound"].getOriginalDataset()
    assert ys[list(xs).index(1.0)] == expected.flops
    xs, ys = curves["width"].getOriginalDataset()
    assert ys[list(xs).index(1.0)] == scale_design(
        design, Scaling(1).only("width")).graph.report().flops
    dialog.beta.setValue(1.0)  # a base change redraws the curves
    xs, ys = {i.name(): i for i in dialog.plot.listDataItems()}["width"].getOriginalDataset()
    assert set(ys) == {design.graph.report().flops}
    dialog.phi.setValue(9.0)  # beyond the range the spin box clamps, never an error
    assert dialog.buttons.button(QDialogButtonBox.Ok).isEnabled()


def test_scale_action_is_one_undo_step_that_keeps_the_file(window, monkeypatch, tmp_path):
    window.controller.load_preset("resnet20")
    assert window.files.save_to(tmp_path / "mine.json")
    before = design_to_dict(window.document.design)
    undo_depth = window.document.undo_stack.count()

    def accept_phi_1(dialog):
        dialog.phi.setValue(1.0)
        return ScaleDialog.Accepted

    monkeypatch.setattr(ScaleDialog, "exec", accept_phi_1)
    edit = next(a for a in window.menuBar().actions() if a.text() == "&Edit")
    next(a for a in edit.menu().actions() if a.text().startswith("Compound &Scale")).trigger()
    graph = window.document.graph
    assert sum(b.kind == "residual" for b in graph.blocks()) == 12
    assert len(graph.positions()) == len(graph)  # the new blocks were laid out
    assert window.document.undo_stack.count() == undo_depth + 1
    assert window.undo_action.text() == "&Undo Scale by phi = 1"
    assert window.document.path == tmp_path / "mine.json"  # an edit of mine.json, not a new one
    window.document.undo_stack.undo()
    after = design_to_dict(window.document.design)
    assert {k: v for k, v in after.items() if k != "positions"} == \
        {k: v for k, v in before.items() if k != "positions"}
    monkeypatch.setattr(ScaleDialog, "exec", lambda dialog: ScaleDialog.Rejected)
    assert not window.scale_design()


def test_train_variants_plots_accuracy_against_flops(qtbot):
    design = build_preset("plain-cnn")
    dialog = ScaleDialog(design)
    qtbot.addWidget(dialog)
    calls = []

    def fake(design, settings, phis, alpha, beta, gamma, control, on_variant):
        calls.append((phis, settings.epochs))
        for phi in phis:  # what train_variants reports, without training
            flops = scale_design(design, Scaling(phi, alpha, beta, gamma)).graph.report().flops
            on_variant({"phi": phi, "params": 0, "flops": flops, "accuracy": 0.1 + phi / 10,
                        "seconds": 0.0, "status": "finished"})

    assert dialog.train_variants(trainer=fake)
    qtbot.waitUntil(lambda: dialog.variants_worker is None, timeout=20000)
    assert calls == [((0.0, 0.5, 1.0), 1)]
    xs, ys = dialog.accuracy_curve.getOriginalDataset()
    assert list(ys) == pytest.approx([0.1, 0.15, 0.2])
    assert xs[2] == scale_design(design, Scaling(1.0)).graph.report().flops
    assert "phi 1: " in dialog.variants_note.text()
    assert dialog.train_button.text() == "Train variants"
