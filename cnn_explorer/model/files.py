"""Design files: versioned JSON (blocks, connections, canvas positions, run settings).

Saved atomically (temp file in the same folder, fsync, rename) so a crash or a full disk never
leaves half a file. Loading checks everything and raises `DesignFileError` with the reason;
JSON is data only, so nothing in a design file can execute code.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DesignError, DesignFileError
from .graph import Graph
from .settings import RunSettings

SCHEMA_VERSION = 1
MAX_FILE_BYTES = 50_000_000


@dataclass
class Design:
    """What a design file holds: the graph, its run settings and a title."""

    graph: Graph = field(default_factory=Graph)
    settings: RunSettings = field(default_factory=RunSettings)
    title: str = "untitled"

    def snapshot(self) -> "Design":
        """A detached copy for a worker thread: later edits do not reach it."""
        return Design(self.graph.copy(), self.settings, self.title)


def design_to_dict(design: Design) -> dict:
    g = design.graph
    return {
        "schema_version": SCHEMA_VERSION,
        "app": "cnn-explorer",
        "title": design.title,
        "blocks": [{"id": b.id, "kind": b.kind, "name": b.name, "params": b.params}
                   for b in g.blocks()],
        "connections": [{"src": c.src, "dst": c.dst, "port": c.port} for c in g.connections()],
        "positions": {bid: list(p) for bid, p in g.positions().items()},
        "run_settings": design.settings.to_dict(),
    }


def design_from_dict(data: dict) -> Design:
    if not isinstance(data, dict):
        raise DesignFileError("the file is not a design: expected a JSON object at the top")
    version = data.get("schema_version")
    if not isinstance(version, int):
        raise DesignFileError("the file has no schema_version: it is not a CNN Explorer design")
    if version > SCHEMA_VERSION:
        raise DesignFileError(f"the file was written by a newer CNN Explorer (schema version "
                              f"{version}; this one reads up to {SCHEMA_VERSION}): please update")
    graph = Graph()
    blocks = _list(data, "blocks")
    for i, b in enumerate(blocks):
        if not isinstance(b, dict) or not {"id", "kind"} <= set(b):
            raise DesignFileError(f"block #{i + 1} needs at least an id and a kind")
        try:
            graph.add_block(str(b["kind"]), b.get("params") or {}, b.get("name"),
                            block_id=str(b["id"]))
        except DesignError as exc:
            raise DesignFileError(f"block #{i + 1} ({b.get('name') or b['id']}): {exc}") from None
    for i, c in enumerate(_list(data, "connections")):
        if not isinstance(c, dict) or not {"src", "dst"} <= set(c):
            raise DesignFileError(f"connection #{i + 1} needs a src and a dst")
        for end in ("src", "dst"):
            if c[end] not in graph.block_ids():
                raise DesignFileError(f"connection #{i + 1} points to a block that does not "
                                      f"exist: {end} = {c[end]!r}")
        try:
            graph.connect(c["src"], c["dst"], int(c.get("port", 0)))
        except (DesignError, ValueError, TypeError) as exc:
            raise DesignFileError(f"connection #{i + 1}: {exc}") from None
    positions = data.get("positions") or {}
    if not isinstance(positions, dict):
        raise DesignFileError("positions must be an object of block id -> [x, y]")
    for bid, pos in positions.items():
        if bid in graph.block_ids():
            try:
                graph.move(bid, (float(pos[0]), float(pos[1])))
            except (TypeError, ValueError, IndexError):
                raise DesignFileError(f"position of block {bid!r} is not [x, y]") from None
    try:
        settings = RunSettings.from_dict(data.get("run_settings") or {})
    except (DesignError, TypeError) as exc:
        raise DesignFileError(f"run settings: {exc}") from None
    return Design(graph, settings, str(data.get("title") or "untitled"))


def _list(data: dict, key: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise DesignFileError(f"'{key}' must be a list")
    return value


def load_design(path: str | os.PathLike) -> Design:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DesignFileError(f"{path.name} is larger than {MAX_FILE_BYTES // 1_000_000} MB; "
                                  "it is not a design file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DesignFileError(f"{path} does not exist") from None
    except UnicodeDecodeError:
        raise DesignFileError(f"{path.name} is not a text file (is it a .keras model? "
                              "use Import Keras model)") from None
    except OSError as exc:
        raise DesignFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DesignFileError(f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                              f"column {exc.colno}") from None
    design = design_from_dict(data)
    if design.title == "untitled":
        design.title = path.stem
    return design


def save_design(design: Design, path: str | os.PathLike) -> None:
    """Write atomically: the old file stays whole until the new one is complete on disk."""
    write_text_atomic(Path(path), json.dumps(design_to_dict(design), indent=1) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
