"""Training for a time budget: the run stops at it and the fitted schedule ends with it."""

from __future__ import annotations

from cnn_explorer.cli import main
from cnn_explorer.training.records import RunListener
from cnn_explorer.training.runlog import read_run_log


class Steps(RunListener):
    def __init__(self) -> None:
        self.records = []

    def on_steps(self, steps) -> None:
        self.records.extend(steps)


class Ticks:
    """A clock that advances one second each time it is read: one read per step."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_a_budget_stops_the_run_and_the_linear_schedule_reaches_zero_at_it(
        tiny_split, tiny_model, tiny_settings, monkeypatch):
    import keras

    from cnn_explorer.training import budget as budget_module
    from cnn_explorer.training.run import train_model

    monkeypatch.setattr(budget_module, "clock", Ticks())
    budget, peak = 30.0, 0.1
    settings = tiny_settings(optimizer="sgd", schedule="linear", learning_rate=peak,
                                  warmup=0.2, epochs=1000, time_budget_s=budget)
    keras.utils.set_random_seed(0)
    listener = Steps()
    result = train_model(tiny_model(), tiny_split, settings, listener=listener)
    steps = listener.records
    assert result.epochs_done < 1000  # the clock ended it, not the epochs
    assert len(steps) == budget  # stopped at the budget: the clock ticks once a step
    rates = [s.learning_rate for s in steps]
    assert rates[-1] <= 0.1 * peak  # the schedule's end came with the budget's end
    assert max(rates) > 0.8 * peak  # ...after passing its peak (warm-up, then decay)
    top = rates.index(max(rates))
    assert 0 < top < len(rates) - 1 and rates[0] < max(rates)


def test_a_cosine_schedule_is_fitted_to_the_budget_too(tiny_split, tiny_model, tiny_settings,
                                                       monkeypatch):
    from cnn_explorer.training import budget as budget_module
    from cnn_explorer.training.run import train_model

    monkeypatch.setattr(budget_module, "clock", Ticks())
    settings = tiny_settings(optimizer="sgd", schedule="cosine", learning_rate=0.1,
                                  epochs=1000, time_budget_s=20.0)
    listener = Steps()
    train_model(tiny_model(), tiny_split, settings, listener=listener)
    assert listener.records[-1].learning_rate < 0.01 < listener.records[1].learning_rate


def test_without_a_budget_the_epochs_end_the_run(tiny_split, tiny_model, tiny_settings):
    from cnn_explorer.training.run import train_model

    result = train_model(tiny_model(), tiny_split, tiny_settings(epochs=2))
    assert result.epochs_done == 2 and result.steps_done == 2 * 6  # 192 images / 32


def test_cli_seconds_trains_for_the_budget(tmp_path, capsys):
    log = tmp_path / "run.jsonl"
    code = main(["train", "--preset", "plain-cnn", "--classes", "10", "--dataset", "sample",
                 "--subset", "96", "--batch-size", "32", "--optimizer", "sgd", "--lr", "0.05",
                 "--schedule", "linear", "--seconds", "5", "--log", str(log)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "5 s (at most 1000 epochs)" in out
    history = read_run_log(log)
    assert history.info.settings["time_budget_s"] == 5.0
    assert 1 <= len(history.epochs) < 1000 and history.epochs[-1].learning_rate < 0.005


def test_cli_new_recipe_flags_reach_the_settings(tmp_path):
    import argparse

    from cnn_explorer.training import headless

    parser = argparse.ArgumentParser()
    headless.register(parser.add_subparsers())
    args = parser.parse_args(["train", "--preset", "fast-cifar", "--width", "16", "--no-nesterov",
                              "--label-smoothing", "0.1", "--warmup", "0.3",
                              "--weight-decay", "0.001", "--no-test-flip",
                              "--precision", "float32", "--seconds", "60"])
    design, settings = headless.load_run_design(args)
    assert design.graph.report().total_params < 100_000  # width 16: a quarter of the weights
    assert (settings.nesterov, settings.label_smoothing, settings.warmup, settings.weight_decay,
            settings.test_flip, settings.precision, settings.time_budget_s) == (
        False, 0.1, 0.3, 0.001, False, "float32", 60.0)
    assert settings.epochs == 1000 and settings.optimizer == "sgd"  # the preset's recipe stays


def test_the_eta_of_a_budget_run_is_the_time_left_of_the_budget():
    from cnn_explorer.training.records import ProgressTracker, RunInfo, StepRecord

    def eta(settings: dict) -> float:
        info = RunInfo([], epochs=1000, steps_per_epoch=100, batch_size=10, class_names=[],
                       settings=settings)
        tracker = ProgressTracker(info)
        for step in range(1, 21):
            progress = tracker.update(StepRecord(step, 1, 1.0, 0.1, seconds=step * 0.5))
        return progress.eta_s

    assert eta({"time_budget_s": 60.0}) == 50.0  # 60 s budget, 10 s spent
    assert eta({"time_budget_s": 0.0}) > 1000  # 1000 epochs at 20 img/s
