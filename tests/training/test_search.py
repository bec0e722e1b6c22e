"""Architecture search: a seeded search trains real candidates on the sample, stores every one,
resumes after a stop without training a finished candidate again, and its best design trains;
two worker processes share one SQLite study."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_explorer.model.files import load_design
from cnn_explorer.training.records import RunControl, RunListener
from cnn_explorer.training.search import (
    BEST_FILE,
    CANDIDATES_FILE,
    SearchError,
    SearchListener,
    SearchSettings,
    open_study,
    pareto_front,
    proxy_score,
    read_records,
    run_search,
)

TINY = {"kinds": ("residual",), "widths": (8, 16), "depths": (1,)}  # 8 small candidates


def tiny(**changes) -> SearchSettings:
    base = dict(space="blocks", strategy="random", budget_s=600, trials=2, seed=1,
                subset=96, batch_size=32, validation_split=0.34, space_options=TINY)
    return SearchSettings(**{**base, **changes})


class StopInSecond(RunListener):
    """Presses Stop at the first training step of the second candidate."""

    def __init__(self, control):
        self.control = control

    def on_steps(self, steps):
        self.control.stop()


def stopping_scorer(calls):
    """The real proxy run; the second candidate is stopped after its first step."""

    def score(design, proxy, control, data):
        calls.append(design)
        listener = StopInSecond(control) if len(calls) == 2 else None
        return proxy_score(design, proxy, control, data, listener=listener)
    return score


class Records(SearchListener):
    def __init__(self):
        self.records = []

    def on_candidate(self, record):
        self.records.append(record)


def test_search_stores_stops_resumes_and_its_best_trains(tmp_path, sample):
    from cnn_explorer.training.run import train_design

    control, calls, watcher = RunControl(), [], Records()
    first = run_search(tiny(), tmp_path, control=control, listener=watcher, data=sample,
                       scorer=stopping_scorer(calls))
    assert first.status == "stopped" and first.trained == 2
    done, stopped = watcher.records
    assert done["accuracy"] is not None and 0 <= done["accuracy"] <= 1
    assert done["flops"] > 0 and done["params"] > 0 and done["seconds"] > 0
    assert stopped["accuracy"] is None and stopped["error"] == "stopped"
    stored = read_records(tmp_path)
    assert [r["number"] for r in stored] == [0, 1]  # every candidate, the stopped one too
    assert (tmp_path / "study.db").exists()

    again = run_search(tiny(), tmp_path, data=sample)  # resume: one more to reach 2 scored
    assert again.status == "trials" and again.trained == 1
    stored = read_records(tmp_path)
    scored = [r for r in stored if r["accuracy"] is not None]
    assert len(scored) == 2 and stored[0] == done  # the finished candidate was not re-run
    assert len({json.dumps(r["choices"], sort_keys=True) for r in scored}) == 2

    best = load_design(tmp_path / BEST_FILE)
    assert max(r["accuracy"] for r in scored) in [r["accuracy"] for r in scored]
    assert best.graph.report().ok
    settings = tiny().proxy()
    result = train_design(best, settings, data=sample)
    assert result.status == "finished" and result.steps_done == 2


def fake_scorer(design, proxy, control, data):
    """Accuracy from the design alone (FLOPs-based), so runs are cheap and deterministic."""
    flops = design.graph.report().flops
    return (flops % 997) / 997, "finished"


@pytest.mark.parametrize("strategy", ["random", "evolution"])
def test_seeded_search_is_reproducible_and_reuses_scored_candidates(tmp_path, strategy):
    settings = tiny(strategy=strategy, trials=6, population=4, seed=3)
    a = run_search(settings, tmp_path / "a", scorer=fake_scorer)
    b = run_search(settings, tmp_path / "b", scorer=fake_scorer)
    assert [r["choices"] for r in a.records] == [r["choices"] for r in b.records]
    distinct = {json.dumps(r["choices"], sort_keys=True) for r in a.records}
    assert a.trained == len(distinct) == 6  # 6 distinct candidates scored, each trained once
    assert len(a.records) > 6  # of 8 possible, the sampler proposed some twice
    reused = [r for r in a.records if r["reused_from"] is not None]
    assert reused and all(r["accuracy"] == a.records[r["reused_from"]]["accuracy"]
                          for r in reused)
    front = pareto_front(a.records)
    assert front and all(not any(o["accuracy"] > f["accuracy"] and o["flops"] < f["flops"]
                                 for o in a.records) for f in front)


def test_a_study_made_with_other_settings_is_refused(tmp_path):
    open_study(tiny(), tmp_path)
    with pytest.raises(SearchError, match="other settings"):
        open_study(tiny(strategy="evolution"), tmp_path)
    with pytest.raises(SearchError, match="strategy"):
        tiny(strategy="annealing")


def run_cli(*args, timeout=600):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-m", "cnn_explorer", "search", *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


def test_two_worker_processes_share_one_study(tmp_path):
    out = tmp_path / "shared"
    done = run_cli("--space", "blocks", "--kinds", "residual", "--widths", "8,16",
                   "--depths", "1", "--subset", "96", "--budget-s", "600", "--trials", "2",
                   "--workers", "2", "--seed", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    records = read_records(out)
    assert len(records) == 2 and all(r["accuracy"] is not None for r in records)
    assert {r["worker"] for r in records} == {0, 1}  # each process took a candidate
    assert "[worker 0]" in done.stdout and "[worker 1]" in done.stdout
    assert (out / CANDIDATES_FILE).exists() and load_design(out / BEST_FILE).graph.report().ok
    summary = subprocess.run([sys.executable, "-m", "cnn_explorer", "summary",
                              str(out / BEST_FILE)], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    assert summary.returncode == 0 and "stage1_block1" in summary.stdout


def test_cli_bad_input_exits_2(tmp_path):
    bad = run_cli("--space", "blocks", "--widths", "0", "--budget-s", "5", "--out",
                  str(tmp_path))
    assert bad.returncode == 2 and "widths" in bad.stderr and "Traceback" not in bad.stderr
