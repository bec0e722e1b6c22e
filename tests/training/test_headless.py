"""`cnn-explorer train` headless: progress, per-epoch lines, a log that parses, a checkpoint."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from cnn_explorer.cli import main
from cnn_explorer.training.runlog import read_run_log


def test_train_writes_a_log_that_parses_and_a_checkpoint(tmp_path, capsys):
    log = tmp_path / "run.jsonl"
    code = main(["train", "--preset", "plain-deep", "--depth", "8", "--dataset", "sample",
                 "--epochs", "2", "--batch-size", "32", "--subset", "96", "--log", str(log)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "] epoch 1/2 - step" in out and "img/s" in out and "epoch 2: loss" in out
    history = read_run_log(log)
    assert history.status == "finished" and len(history.epochs) == 2
    assert history.grad_norms.shape[1] == len(history.layer_names) > 8
    assert (tmp_path / "run.keras").exists() and (tmp_path / "run.design.json").exists()


def test_unusable_dataset_exits_2_with_the_reason(tmp_path, capsys):
    code = main(["train", "--preset", "plain-cnn", "--dataset", str(tmp_path / "none.npz"),
                 "--epochs", "1", "--log", str(tmp_path / "r.jsonl")])
    assert code == 2
    assert "No such file" in capsys.readouterr().err
    assert not (tmp_path / "r.jsonl").exists()  # checked before training: no empty log left


def test_registering_the_command_does_not_import_tensorflow():
    code = ("import sys, argparse; from cnn_explorer.training import headless; "
            "headless.register(argparse.ArgumentParser().add_subparsers()); "
            "print('tensorflow' in sys.modules, 'PySide6' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_classifier_too_small_for_the_dataset_is_refused(tmp_path, capsys, sample):
    path = tmp_path / "hundred.npz"
    y = (sample.y_train[:64] * 10).astype("uint8")  # labels up to 90: a 100-class dataset
    np.savez(path, x=sample.x_train[:64], y=y)
    code = main(["train", "--preset", "plain-deep", "--depth", "8", "--dataset", str(path),
                 "--epochs", "1", "--log", str(tmp_path / "r.jsonl")])
    assert code == 1
    assert "10 outputs but hundred has 91 classes" in capsys.readouterr().err


def test_train_writes_tensorboard_events_and_clips_when_asked(tmp_path, capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log, board = tmp_path / "run.jsonl", tmp_path / "tb"
    code = main(["train", "--preset", "plain-cnn", "--classes", "10", "--dataset", "sample",
                 "--epochs", "1", "--batch-size", "32", "--subset", "64", "--clip-norm", "2",
                 "--log", str(log), "--tensorboard", str(board)])
    assert code == 0, capsys.readouterr().out
    assert read_run_log(log).info.settings["clip_norm"] == 2.0
    acc = EventAccumulator(str(board), size_guidance={"tensors": 0})
    acc.Reload()
    tags = set(acc.Tags()["tensors"])
    assert {"train/loss", "train/learning_rate", "grad_norm/conv1"} <= tags
