"""`cnn-explorer` exit codes (issue 10): documented, distinct, and no window for a typo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_explorer import cli
from cnn_explorer.cli import main
from cnn_explorer.model.files import save_design
from cnn_explorer.model.presets import build_preset

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_window(monkeypatch):
    """Fails the test if the app would open; records the path it would have opened."""
    opened = []

    def open_window(path):
        opened.append(path)
        return 0

    monkeypatch.setattr(cli, "_open_window", open_window)
    return opened


def test_help_documents_the_exit_codes(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for line in ("0   done", "1   the design has problems", "2   an input is unreadable",
                 "3   no display", "70  internal error"):
        assert line in out


def test_an_unknown_word_is_a_usage_error_naming_the_sub_commands(no_window, capsys):
    for argv in (["scael", "--preset", "resnet20", "-o", "x.json"], ["scael"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "'scael' is neither a sub-command (presets, summary, scale, export" in err
    assert no_window == []


def test_a_missing_or_broken_design_file_is_an_error_before_any_window(tmp_path, no_window,
                                                                       capsys):
    assert main([str(tmp_path / "nosuchfile.json")]) == 2
    assert "nosuchfile.json does not exist" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1, "blocks": [{"id": 1, "kind": "input", "name": 5}]}')
    assert main([str(broken)]) == 2
    assert "name must be text" in capsys.readouterr().err
    assert no_window == []


def test_a_good_design_file_opens_the_window(tmp_path, no_window):
    path = tmp_path / "good.json"
    save_design(build_preset("plain-cnn"), path)
    assert main([str(path)]) == 0
    assert no_window == [str(path)]
    assert main([]) == 0 and no_window[-1] is None


def test_unknown_options_are_usage_errors(capsys):
    assert main(["summary", "--preset", "resnet20", "--nope"]) == 2
    assert main(["summary", "--preset", "no-such-preset"]) == 2
    assert main(["--nope"]) == 2
    assert "unrecognized arguments: --nope" in capsys.readouterr().err


def test_an_internal_error_is_one_line_and_its_traceback_goes_to_a_log(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("cnn_explorer.model.cli.summary_dict", broken)
    assert main(["summary", "--preset", "resnet20"]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: boom (" in err
    assert "Traceback" not in err
    log = Path(err.split("the traceback is in ")[1].split(";")[0])
    assert "Traceback" in log.read_text() and "RuntimeError: boom" in log.read_text()
    log.unlink()
    assert main(["--debug", "summary", "--preset", "resnet20"]) == 70
    assert "Traceback" in capsys.readouterr().err


def test_a_design_with_problems_exits_1_and_an_unreadable_one_2(tmp_path):
    broken = tmp_path / "problems.json"
    broken.write_text(json.dumps({"schema_version": 1, "blocks": [
        {"id": "b1", "kind": "input"}, {"id": "b2", "kind": "dense"}],
        "connections": [{"src": "b1", "dst": "b2"}]}))
    assert main(["summary", str(broken)]) == 1
    assert main(["summary", "/dev/zero"]) == 2


def test_a_title_no_console_can_show_still_prints(tmp_path):
    path = tmp_path / "t.json"
    text = json.dumps({"schema_version": 1, "title": "x", "blocks": [
        {"id": "b1", "kind": "input"}]}).replace('"x"', '"caf\\u00e9 \\ud800"')
    path.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "ascii"}
    run = subprocess.run([sys.executable, "-m", "cnn_explorer", "summary", str(path)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert 'Design "caf\\xe9 \\ufffd"' in run.stdout


def test_a_typo_never_starts_the_app(tmp_path):
    """Through a real process: before, this opened a window that never returned offscreen."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-m", "cnn_explorer", "scael", "--preset", "resnet20",
                          "-o", str(tmp_path / "x.json")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 2
    assert "neither a sub-command" in run.stderr
    assert "PySide6" not in run.stderr and not (tmp_path / "x.json").exists()


def test_no_display_exits_3_before_qt_starts(tmp_path):
    path = tmp_path / "good.json"
    save_design(build_preset("plain-cnn"), path)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="xcb")
    run = subprocess.run([sys.executable, "-m", "cnn_explorer", str(path)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 3
    assert "no display found" in run.stderr
