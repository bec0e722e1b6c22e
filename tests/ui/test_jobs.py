"""The one background-thread style: a Job's result or typed failure arrives on the GUI thread."""

from __future__ import annotations

import threading

from cnn_explorer.ui.jobs import Job, JobFailure


class NoSuchDataset(Exception):
    pass


def run(qtbot, job: Job, signal) -> list:
    with qtbot.waitSignal(signal, timeout=10_000) as got:
        job.start()
    job.wait(5000)
    return got.args


def test_a_result_comes_back_from_another_thread(qtbot):
    seen = {}

    def work(report):
        seen["thread"] = threading.current_thread().name
        report("halfway")
        return 42

    job = Job(work, name="answer")
    statuses: list[str] = []
    job.status.connect(statuses.append)
    assert run(qtbot, job, job.done) == [42]
    assert seen["thread"] == "answer" and threading.current_thread().name != "answer"
    qtbot.waitUntil(lambda: statuses == ["halfway"])


def test_an_expected_error_keeps_its_type_and_its_words(qtbot):
    def work(report):
        raise NoSuchDataset("cifar100 is not cached and there is no network")

    job = Job(work, lambda: (NoSuchDataset,))  # named on the job's own thread
    [failure] = run(qtbot, job, job.failed)
    assert isinstance(failure, JobFailure) and isinstance(failure.error, NoSuchDataset)
    assert failure.expected and failure.message == "cifar100 is not cached and there is no network"


def test_an_unexpected_error_says_it_was_unexpected_and_what_it_was(qtbot):
    job = Job(lambda report: {}["missing"], (NoSuchDataset,))
    [failure] = run(qtbot, job, job.failed)
    assert not failure.expected and failure.message == "Unexpected error: KeyError: 'missing'"
