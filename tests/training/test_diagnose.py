"""Diagnosis on real training: the seed notes' cases, the one-click residual fix, the log and
TensorBoard."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnn_explorer.model.fixes import apply_fix
from cnn_explorer.model.presets import build_preset

STEPS = 16


def diagnose(design, **settings):
    import dataclasses

    from cnn_explorer.training.diagnose_cli import diagnose_design

    s = dataclasses.replace(design.settings, dataset="sample", batch_size=32, **settings)
    findings, collector = diagnose_design(design, s, STEPS)
    return {f.code: f for f in findings}, collector


def plain_sigmoid():
    return build_preset("plain-deep", depth=20, batch_norm=False)


def test_cli_finds_vanishing_in_a_deep_plain_sigmoid_net(capsys):
    from cnn_explorer.cli import main

    code = main(["diagnose", "--preset", "plain-deep", "--param", "depth=20", "--param",
                 "batch_norm=false", "--activation", "sigmoid", "--steps", str(STEPS),
                 "--batch-size", "32", "--json"])
    findings = {f["code"]: f for f in json.loads(capsys.readouterr().out)}
    assert code == 1 and "vanishing" in findings
    names = {b.id: b.name for b in plain_sigmoid().graph.blocks()}
    blocks = [names[b] for b in findings["vanishing"]["blocks"]]
    assert blocks[:3] == ["stem", "stage1_conv1", "stage1_conv2"]  # the first blocks
    assert findings["vanishing"]["evidence"]["first_to_last_ratio"] < 1e-3


def test_residual_twin_and_the_residual_fix_do_not_vanish():
    residual, _ = diagnose(build_preset("residual-deep", depth=20, batch_norm=False),
                           activation_override="sigmoid")
    assert "vanishing" not in residual
    fixed = apply_fix(plain_sigmoid(), "residual")
    assert sum(b.kind == "add" for b in fixed.graph.blocks()) == 9
    after, _ = diagnose(fixed, activation_override="sigmoid")
    assert "vanishing" not in after


def test_huge_learning_rate_diverges():
    found, _ = diagnose(build_preset("plain-cnn", classes=10), learning_rate=10.0)
    assert "exploding" in found and found["exploding"].severity == "error"


def test_relu_units_with_negative_biases_are_found_dead(tiny_split):
    from cnn_explorer.model.settings import RunSettings
    from cnn_explorer.training.diagnose_cli import Collector
    from cnn_explorer.training.diagnosis import diagnose as run_diagnosis
    from cnn_explorer.training.diagnosis import from_records
    from cnn_explorer.training.run import build_design_model, layer_blocks, train_model

    design = build_preset("plain-cnn", classes=10)
    settings = RunSettings(batch_size=32, epochs=1, learning_rate=1e-4)
    model = build_design_model(design, settings)
    for layer in model.layers:
        if type(layer).__name__ == "Conv2D":
            layer.bias.assign(np.full(layer.bias.shape, -5.0, dtype="float32"))
    collector = Collector()
    train_model(model, tiny_split, settings, listener=collector, blocks=layer_blocks(design))
    found = {f.code: f for f in run_diagnosis(from_records(
        collector.info, collector.steps, collector.epochs))}
    assert "dead_relu" in found
    conv1 = design.graph.find("conv1").id
    assert conv1 in found["dead_relu"].blocks
    assert found["dead_relu"].evidence["dead_fraction"][conv1] > 0.5


def test_findings_reach_the_run_log_and_reopen(tmp_path):
    from cnn_explorer.training.records import TrainingDiverged
    from cnn_explorer.training.run import train_design
    from cnn_explorer.training.runlog import RunLogWriter, read_run_log

    design = build_preset("plain-cnn", classes=10)
    import dataclasses

    settings = dataclasses.replace(design.settings, dataset="sample", batch_size=32, epochs=1,
                                   subset=640, learning_rate=10.0)
    log = tmp_path / "run.jsonl"
    writer = RunLogWriter(log)
    with pytest.raises(TrainingDiverged):
        train_design(design, settings, listener=writer)
    writer.on_end("error", "diverged")
    history = read_run_log(log)
    assert "exploding" in [f["code"] for f in history.findings]


def test_tensorboard_event_files_read_back(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from cnn_explorer.cli import main

    assert main(["diagnose", "--preset", "plain-cnn", "--param", "classes=10", "--steps", "6",
                 "--batch-size", "32", "--tensorboard", str(tmp_path / "tb")]) in (0, 1)
    acc = EventAccumulator(str(tmp_path / "tb"), size_guidance={"tensors": 0})
    acc.Reload()
    tags = set(acc.Tags()["tensors"])
    assert {"train/loss", "train/accuracy", "train/learning_rate"} <= tags
    assert "grad_norm/conv1" in tags and "weight_norm/fc1" in tags
    assert "update_ratio/conv1" in tags and "layers/log10_grad_norm" in tags
    losses = [e.step for e in acc.Tensors("train/loss")]
    assert losses == list(range(1, len(losses) + 1)) and len(losses) >= 6
