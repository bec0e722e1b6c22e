"""The feature maps window's activation distribution over time fills as a run records it."""

from cnn_explorer.training.history import RunHistory
from cnn_explorer.training.records import RunInfo, StepRecord
from cnn_explorer.ui.training.feature_maps_view import FeatureMapsDialog


def _step(k: int, block: str, centre: float) -> StepRecord:
    q = [centre + d for d in (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)]
    return StepRecord(k, 1, 1.0, 0.5, 0.1 * k,
                      activations={block: {"mean": centre, "std": 1.0, "fn": "relu", "q": q}}
                      if k % 20 == 1 else {})


def test_the_distribution_over_time_fills_while_a_replayed_run_records(qtbot, tmp_path):
    history = RunHistory()
    history.on_start(RunInfo([], 1, 100, 32, [], {}))
    dialog = FeatureMapsDialog(tmp_path / "run.keras", "b1", "sample", None, history, "conv1")
    qtbot.addWidget(dialog)
    dialog.show()
    plot = dialog.activity
    assert plot.points() == 0 and "conv1" in plot.plotItem.titleLabel.text
    history.on_steps([_step(k, "b1", 0.5) for k in range(1, 41)])  # probes at 1 and 21
    qtbot.waitUntil(lambda: plot.points() == 2, timeout=5000)  # the dialog's timer redraws
    history.on_steps([_step(k, "b1", 2.0) for k in range(41, 81)])  # the run goes on
    qtbot.waitUntil(lambda: plot.points() == 4, timeout=5000)
    xs, ys = plot.median.getData()
    assert list(xs) == [1, 21, 41, 61] and list(ys) == [0.5, 0.5, 2.0, 2.0]
    outer_low, outer_high = plot.lines[0]
    assert list(outer_low.getData()[1]) == [-2.5, -2.5, -1.0, -1.0]  # the 1st percentile
    assert list(outer_high.getData()[1]) == [3.5, 3.5, 5.0, 5.0]  # the 99th
    # another block's probes are not this block's
    history.on_steps([_step(81, "b2", 9.0)])
    qtbot.wait(700)
    assert plot.points() == 4
    qtbot.waitUntil(lambda: not dialog.job.isRunning(), timeout=120_000)  # maps: no model
    qtbot.waitUntil(lambda: "saved no model" in dialog.caption.text(), timeout=5000)
    dialog.close()
