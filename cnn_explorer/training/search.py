"""Architecture search on Optuna: candidates from a search space (model/search_space.py), each
trained for a short proxy run and scored by its held-out (validation) accuracy and its FLOPs.

Why Optuna: its samplers include the random baseline and NSGA-II (accuracy and FLOPs as two
objectives, so both strategies' Pareto fronts compare), its ask/tell interface lets the app's
own run loop (RunControl, listeners) do the training, and its study lives in a real database:
SQLite in the output folder by default, any SQLAlchemy URL to share one study between
processes or machines. A search therefore resumes after a stop or a crash: finished
candidates stay in the study, the sampler is seeded with seed + the number of finished trials
(so a resumed search draws new candidates, reproducibly), and a candidate whose choices were
already scored reuses the stored result instead of training again.

`budget_s` is wall time: no candidate starts after it, the one running finishes. Stop (the
RunControl) ends the running candidate within one training step; it is recorded as failed.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from cnn_explorer.model.files import Design, design_from_dict, design_to_dict, save_design
from cnn_explorer.model.search_space import SearchSpace, search_space
from cnn_explorer.model.settings import RunSettings

from .records import RunControl, RunListener, TrainingError

if TYPE_CHECKING:  # pragma: no cover
    import optuna

    from .data import DataArrays

STRATEGIES = ("random", "evolution")
STUDY_FILE = "study.db"
CANDIDATES_FILE = "candidates.jsonl"
BEST_FILE = "best.json"
MAX_REUSES_IN_A_ROW = 50  # a sampler that only proposes scored candidates has exhausted the space


class SearchError(ValueError):
    """Bad search input (unknown space, a study made with other settings): exit code 2."""


@dataclass(frozen=True)
class SearchSettings:
    space: str = "blocks"
    strategy: str = "random"
    budget_s: float = 300.0
    trials: int = 0  # distinct candidates to score; 0 = as many as the budget allows
    seed: int = 0
    dataset: str = "sample"
    epochs: int = 1  # the proxy run of each candidate
    subset: int = 512
    batch_size: int = 32
    validation_split: float = 0.25
    population: int = 8  # NSGA-II's generation size
    storage: str = ""  # "" = sqlite:///OUT/study.db
    study_name: str = "search"
    space_options: dict = field(default_factory=dict)  # e.g. {"blocks": 2} for cells

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise SearchError(f"unknown strategy {self.strategy!r}; strategies: "
                              f"{', '.join(STRATEGIES)}")
        if not self.budget_s > 0:
            raise SearchError("the budget must be a positive number of seconds")
        if self.trials < 0 or self.population < 2:
            raise SearchError("trials must be >= 0 and the population >= 2")
        self.make_space()  # an unknown space fails here, before any study is touched
        self.proxy()

    def make_space(self) -> SearchSpace:
        try:
            return search_space(self.space, **self.space_options)
        except (ValueError, TypeError) as exc:
            raise SearchError(str(exc)) from None

    def proxy(self) -> RunSettings:
        """The short run every candidate gets (the same for all, so they compare)."""
        try:
            return RunSettings(dataset=self.dataset, epochs=self.epochs, subset=self.subset,
                               batch_size=self.batch_size,
                               validation_split=self.validation_split, seed=self.seed,
                               grad_norm_every=1000)
        except ValueError as exc:
            raise SearchError(f"proxy run: {exc}") from None

    def storage_url(self, out: Path) -> str:
        return self.storage or f"sqlite:///{(Path(out) / STUDY_FILE).resolve()}"


class SearchListener:
    """What a search reports; every method runs on the searching thread."""

    def on_status(self, text: str) -> None: ...
    def on_candidate_started(self, number: int, choices: dict) -> None: ...
    def on_candidate(self, record: dict) -> None: ...


class CandidatePrinter(SearchListener):
    """One line per candidate on stdout (the headless search's progress)."""

    def __init__(self, worker: int | None = None) -> None:
        self.prefix = "" if worker is None else f"[worker {worker}] "

    def on_status(self, text: str) -> None:
        print(self.prefix + text, flush=True)

    def on_candidate(self, record: dict) -> None:
        acc = record["accuracy"]
        outcome = (f"accuracy {acc:.4f}" if acc is not None else
                   f"failed: {record['error']}")
        again = ("" if record["reused_from"] is None else
                 f" (same as candidate {record['reused_from']})")
        print(f"{self.prefix}candidate {record['number']}: {outcome}, {record['params']:,} "
              f"params, {record['flops']:,} FLOPs, {record['seconds']:.1f}s{again}", flush=True)


@dataclass
class SearchSummary:
    status: str  # "finished", "budget", "stopped", "trials"
    trained: int  # candidates this call trained
    records: list[dict]


def _optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def open_study(settings: SearchSettings, out: Path, *, worker: int = 0) -> optuna.Study:
    """The study in `out` (or at `settings.storage`), created or resumed, with a sampler
    seeded for where it resumes."""
    optuna = _optuna()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    url = settings.storage_url(out)
    kwargs = {"connect_args": {"timeout": 120}} if url.startswith("sqlite") else {}
    try:
        storage = optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
    except Exception as exc:  # a wrong URL, a missing driver, an unreachable server
        raise SearchError(f"cannot open the study storage {url}: {exc}") from None
    if url.startswith("sqlite"):
        _write_ahead(storage.engine)
    study = optuna.create_study(storage=storage, study_name=settings.study_name,
                                directions=["maximize", "minimize"], load_if_exists=True)
    made_with = {"space": settings.space, "strategy": settings.strategy,
                 "space_options": settings.space_options, "proxy": settings.proxy().to_dict()}
    if not study.user_attrs:
        for key, value in made_with.items():
            study.set_user_attr(key, value)
    else:
        made_with = json.loads(json.dumps(made_with))  # tuples come back as lists
        differs = [k for k, v in made_with.items() if study.user_attrs.get(k) != v]
        if differs:
            raise SearchError(f"the study {settings.study_name!r} in {url} was made with "
                              f"other settings ({', '.join(differs)}: "
                              f"{[study.user_attrs.get(k) for k in differs]}); use another "
                              "output folder or study name")
    finished = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
    seed = settings.seed + finished + 7919 * worker
    if settings.strategy == "random":
        study.sampler = optuna.samplers.RandomSampler(seed=seed)
    else:
        study.sampler = optuna.samplers.NSGAIISampler(population_size=settings.population,
                                                      seed=seed)
    return study


def _write_ahead(engine) -> None:
    """SQLite in WAL mode with synchronous=NORMAL: readers never block the writer (several
    worker processes), and a commit needs no fsync of its own (a crash of the program loses
    nothing; a power cut may lose the last candidates)."""
    from sqlalchemy import event

    def pragmas(connection: object, record: object) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine, "connect", pragmas)
    engine.dispose()  # connections made before the listener reconnect with it


def fail_leftovers(study: optuna.Study) -> int:
    """Mark trials left RUNNING by a crashed search as failed (only when nothing else runs)."""
    optuna = _optuna()
    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for t in running:
        study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
    return len(running)


def choice_key(choices: dict) -> str:
    return json.dumps(choices, sort_keys=True)


def run_search(settings: SearchSettings, out: Path, *, control: RunControl | None = None,
               listener: SearchListener | None = None, data: DataArrays | None = None,
               worker: int = 0, scorer: Callable[..., tuple[float | None, str]] | None = None,
               ) -> SearchSummary:
    """Take candidates until the budget, the trial count or Stop; export after each one.

    `scorer(design, proxy_settings, control, data) -> (accuracy, status)` replaces the
    proxy training (the GUI test's fake); by default `proxy_score` trains for real.
    """
    optuna = _optuna()
    control, listener = control or RunControl(), listener or SearchListener()
    space, proxy = settings.make_space(), settings.proxy()
    study = open_study(settings, out, worker=worker)
    distributions = {name: optuna.distributions.CategoricalDistribution(options)
                     for name, options in space.choices.items()}
    if data is None and scorer is None:
        from .data import load_dataset

        listener.on_status(f"Loading dataset {settings.dataset}...")
        data = load_dataset(settings.dataset)
    scorer = scorer or proxy_score
    deadline = time.monotonic() + settings.budget_s
    trained, reuses, status = 0, 0, "budget"
    states = optuna.trial.TrialState
    while True:
        if control.stopped:
            status = "stopped"
            break
        if time.monotonic() >= deadline:
            break
        if settings.trials:  # distinct candidates scored or being trained (not reuses)
            taken = study.get_trials(deepcopy=False, states=(states.COMPLETE, states.RUNNING))
            fresh = [t for t in taken if _attrs(t).get("reused_from") is None]
            if len(fresh) >= settings.trials:
                status = "trials"
                break
        if reuses >= MAX_REUSES_IN_A_ROW:
            status = "finished"
            break
        trial = study.ask(distributions)
        choices = dict(trial.params)
        key = choice_key(choices)
        listener.on_candidate_started(trial.number, choices)
        done = _scored(study, key)
        if done is not None:  # the same candidate again: its stored result, not a new run
            reuses += 1
            attrs = {**_attrs(done), "number": trial.number, "reused_from": done.number,
                     "worker": worker}
            _tell(study, trial, attrs, list(done.values))
            listener.on_candidate(record_of(attrs))
            continue
        reuses = 0
        design = space.design(choices)
        report = design.graph.report()
        attrs = {"number": trial.number, "key": key, "choices": choices, "worker": worker,
                 "params": report.total_params, "flops": report.flops,
                 "design": _design_data(design, f"candidate {trial.number}"),
                 "accuracy": None, "seconds": 0.0, "error": "", "reused_from": None}
        t0 = time.perf_counter()
        try:
            accuracy, run_status = scorer(design, proxy, control, data)
        except TrainingError as exc:
            accuracy, run_status, attrs["error"] = None, "error", str(exc)
        attrs["seconds"] = round(time.perf_counter() - t0, 3)
        trained += 1
        if run_status == "stopped" or accuracy is None:
            attrs["error"] = attrs["error"] or "stopped"
            _tell(study, trial, attrs, None)
        else:
            attrs["accuracy"] = float(accuracy)
            _tell(study, trial, attrs, [float(accuracy), float(report.flops)])
        listener.on_candidate(record_of(attrs))
        export(study, out)
    records = export(study, out)
    listener.on_status(f"Search {status}: {len(records)} candidates scored")
    return SearchSummary(status, trained, records)


def proxy_score(design: Design, proxy: RunSettings, control: RunControl, data: DataArrays | None,
                listener: RunListener | None = None) -> tuple[float | None, str]:
    """Train `design` for the proxy run; its best validation accuracy, and the run's status."""
    import keras

    from .run import train_design

    keras.backend.clear_session()  # a long search must not keep every candidate's graph
    result = train_design(design, proxy, control=control, listener=listener, data=data)
    return result.best_val_accuracy, result.status


def _design_data(design: Design, title: str) -> dict:
    data = design_to_dict(design)
    data["title"] = title
    return data


def _scored(study, key: str):
    optuna = _optuna()
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        if _attrs(t).get("key") == key and _attrs(t).get("reused_from") is None:
            return t
    return None


def _tell(study, trial, attrs: dict, values: list[float] | None) -> None:
    optuna = _optuna()
    trial.set_user_attr("record", attrs)  # one attribute: one database commit
    if values is None:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    else:
        study.tell(trial, values)


def record_of(attrs: dict) -> dict:
    """One candidate as the exported record (the same keys whatever its outcome)."""
    keys = ("number", "worker", "choices", "params", "flops", "accuracy", "seconds", "error",
            "reused_from", "design")
    return {k: attrs.get(k) for k in keys}


def study_records(study: optuna.Study) -> list[dict]:
    """Every scored or failed candidate of the study, in trial order."""
    optuna = _optuna()
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
    return [record_of(_attrs(t)) for t in study.get_trials(deepcopy=False, states=states)
            if "choices" in _attrs(t)]


def _attrs(trial) -> dict:
    return trial.user_attrs.get("record") or {}


def pareto_front(records: list[dict]) -> list[dict]:
    """The scored records no other beats on both accuracy (higher) and FLOPs (lower), by
    FLOPs."""
    scored = [r for r in records if r.get("accuracy") is not None]
    front = [r for r in scored if not any(
        o["accuracy"] >= r["accuracy"] and o["flops"] <= r["flops"]
        and (o["accuracy"] > r["accuracy"] or o["flops"] < r["flops"]) for o in scored)]
    unique = {(r["accuracy"], r["flops"]): r for r in front}
    return sorted(unique.values(), key=lambda r: r["flops"])


def best_record(records: list[dict]) -> dict | None:
    """The most accurate scored candidate; fewer FLOPs break a tie."""
    scored = [r for r in records if r.get("accuracy") is not None]
    return max(scored, key=lambda r: (r["accuracy"], -r["flops"], -r["number"]), default=None)


def record_design(record: dict, settings: RunSettings | None = None) -> Design:
    design = design_from_dict(record["design"])
    if settings is not None:
        design = replace(design, settings=settings)
    return design


def export(study: optuna.Study, out: Path) -> list[dict]:
    """candidates.jsonl (one record per candidate) and best.json, each written atomically."""
    from cnn_explorer.model.files import write_text_atomic

    out = Path(out)
    records = study_records(study)
    write_text_atomic(out / CANDIDATES_FILE, "".join(json.dumps(r) + "\n" for r in records))
    best = best_record(records)
    if best is not None:
        proxy = RunSettings.from_dict(study.user_attrs.get("proxy") or {})
        design = record_design(best, RunSettings(dataset=proxy.dataset, seed=proxy.seed))
        design.title = f"best of search (candidate {best['number']})"
        save_design(design, out / BEST_FILE)
    return records


def read_records(out: Path) -> list[dict]:
    """The exported records of a search folder ([] when it has none yet)."""
    path = Path(out) / CANDIDATES_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def settings_dict(settings: SearchSettings) -> dict:
    return asdict(settings)


def default_out() -> Path:
    return Path(os.environ.get("CNN_EXPLORER_SEARCH_DIR", "searches")) / time.strftime(
        "%Y%m%d-%H%M%S")
