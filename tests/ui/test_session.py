"""The training session without its view: checks before a run, whose colours, resets."""

from __future__ import annotations

from cnn_explorer.model.presets import build_preset
from cnn_explorer.model.settings import RunSettings
from cnn_explorer.training import availability
from cnn_explorer.training.records import Progress, ProgressTracker, RunInfo, StepRecord
from cnn_explorer.ui.gradient import GradientColouring
from cnn_explorer.ui.training.session import TrainingSession, hurdle, same_network


def test_hurdle_names_the_first_problem_and_its_block():
    design = build_preset("plain-cnn", classes=10)
    add = design.graph.add_block("add", {}, "loose_add")
    found = hurdle(design, RunSettings())
    assert found.block_id == add and "loose_add" in found.message and found.blocks_training
    assert found.fix is None


def test_hurdle_offers_the_class_count_fix_and_blocks_only_when_too_few():
    design = build_preset("resnet20")  # 10 classes
    too_few = hurdle(design, RunSettings(dataset="cifar100"))
    out = design.graph.report().output_ids[0]
    assert too_few.fix == (out, "classes", 100) and too_few.blocks_training
    too_many = hurdle(build_preset("plain-cnn"), RunSettings(dataset="sample"))
    assert too_many.fix[2] == 10 and not too_many.blocks_training
    assert hurdle(design, RunSettings(dataset="cifar10")) is None


def test_same_network_ignores_positions_but_not_parameters():
    a = build_preset("alexnet")
    b = a.snapshot()
    first = b.graph.block_ids()[0]
    b.graph.move(first, (999.0, 999.0))
    assert same_network(a.graph, b.graph)
    dense = a.graph.report().output_ids[0]
    b.graph.set_param(dense, "classes", 7)
    assert not same_network(a.graph, b.graph)


def test_availability_knows_cache_archive_and_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(availability, "host_reachable", lambda url, timeout_s=1.5: False)
    assert availability.availability("sample").how == "bundled"
    offline = availability.availability("cifar10")
    assert not offline and "cannot be downloaded" in offline.how
    (tmp_path / "cifar10" / "3.0.2").mkdir(parents=True)
    (tmp_path / "cifar10" / "3.0.2" / "dataset_info.json").write_text("{}")
    assert availability.availability("cifar10").how == "cache"
    assert not availability.availability(str(tmp_path / "missing.npz"))


def test_the_probe_says_no_when_nothing_listens_and_yes_when_something_does():
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        assert availability.host_reachable(f"http://127.0.0.1:{port}/x", timeout_s=1.0)
    assert not availability.host_reachable(f"http://127.0.0.1:{port}/x", timeout_s=1.0)


def test_a_cancelled_dataset_choice_starts_nothing(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(availability, "host_reachable", lambda url, timeout_s=1.5: False)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    session = TrainingSession()
    asked: list = []
    session.choose_dataset = lambda name, reason: asked.append((name, reason)) or None
    statuses: list[str] = []
    session.status.connect(statuses.append)
    design = build_preset("resnet20")
    assert not session.start_training(design, RunSettings(dataset="cifar10"))
    assert asked and asked[0][0] == "cifar10" and session.worker is None
    assert statuses[-1].startswith("Not started")


def test_reset_empties_plots_and_colours(qtbot):
    session = TrainingSession()
    resets, colours = [], []
    session.histories_reset.connect(resets.append)
    session.colouring.connect(colours.append)
    session.last_colouring = GradientColouring({"b": 1.0}, "run", 3)
    session.reset()
    assert resets == [[]] and colours == [None] and session.last_colouring is None


def test_progress_text_is_shared_by_panel_and_cli():
    info = RunInfo(layers=[], epochs=2, steps_per_epoch=10, batch_size=32, class_names=[],
                   settings={})
    tracker = ProgressTracker(info)
    tracker.update(StepRecord(step=11, epoch=2, loss=1.0, accuracy=0.5, seconds=1.0))
    p = tracker.update(StepRecord(step=13, epoch=2, loss=1.0, accuracy=0.5, seconds=2.0))
    assert isinstance(p, Progress) and (p.step_in_epoch, p.total_steps) == (3, 20)
    assert p.images_per_second == 64 and p.eta_s == 7 * 32 / 64
    assert p.text() == "epoch 2/2 - step 3/10 - 64 img/s - ETA 4 s"


def test_a_colouring_says_whose_it_is():
    colouring = GradientColouring({"a": 1e-3, "b": 1e-1}, "plain-20", 1200)
    assert colouring.caption == "plain-20, step 1,200" and colouring.range == (1e-3, 1e-1)
