"""Can a dataset be had right now, and how many classes does it have? Asked before a run, fast.

No TensorFlow and no download here: a CIFAR dataset is available when tensorflow-datasets has
it cached, when the official archive sits in tfds' manual folder, or when the download host
answers within a second or two. The app asks this before Train, so that an offline machine
gets a question within 2 s instead of a run on some other dataset.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .data import ARCHIVES, DOWNLOAD_URLS, manual_archive_path, tfds_data_dir

PROBE_TIMEOUT_S = 1.5
KNOWN_CLASSES = {"sample": 10, "cifar10": 10, "cifar100": 100}


@dataclass(frozen=True)
class Availability:
    name: str
    available: bool
    how: str  # "cache", "archive", "download", "bundled", "file", or why not

    def __bool__(self) -> bool:
        return self.available


def dataset_classes(name: str) -> int | None:
    """Class count of a named dataset; None for a local file (known only once it is read)."""
    return KNOWN_CLASSES.get(name)


def is_cached(name: str) -> bool:
    """tensorflow-datasets has prepared `name` (any version) in its data folder."""
    return any((tfds_data_dir() / name).glob("*/dataset_info.json"))


def host_reachable(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """Whether the host of `url` accepts a TCP connection within `timeout_s` (DNS included:
    the probe runs on a daemon thread, so a hanging resolver cannot hold the caller)."""
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    answer: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((parsed.hostname, port), timeout=timeout_s):
                answer.append(True)
        except OSError:
            answer.append(False)

    thread = threading.Thread(target=probe, daemon=True, name="dataset-probe")
    thread.start()
    thread.join(timeout_s)
    return bool(answer and answer[0])


def availability(name: str, timeout_s: float = PROBE_TIMEOUT_S) -> Availability:
    """Whether `name` ('sample', 'cifar10', 'cifar100' or a local file) can be loaded now."""
    if name == "sample":
        return Availability(name, True, "bundled")
    if name in ARCHIVES:
        if is_cached(name):
            return Availability(name, True, "cache")
        if manual_archive_path(name).exists():
            return Availability(name, True, "archive")
        if host_reachable(DOWNLOAD_URLS[name], timeout_s):
            return Availability(name, True, "download")
        return Availability(name, False, f"{name} is not cached on this computer and cannot be "
                                         "downloaded (no network?)")
    path = Path(name).expanduser()
    if path.exists():
        return Availability(name, True, "file")
    return Availability(name, False, f"there is no file {path}")

