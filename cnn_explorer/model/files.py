"""Design files: versioned JSON (blocks, connections, canvas positions, run settings).

Saved atomically (temp file in the same folder, fsync, rename) so a crash or a full disk never
leaves half a file. Loading checks everything and raises `DesignFileError` with the reason;
JSON is data only, so nothing in a design file can execute code.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
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
    """Replace `path` with `text` so a reader sees the old file or the new one, never half.

    Writes through a symlink to the file it points to (the link stays a link), keeps an
    existing file's permission bits (a new file gets the usual umask ones, not mkstemp's
    0600), keeps the temporary name within 255 bytes whatever the target's name, and first
    removes temporaries that an earlier, killed save of the same file left behind.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    stem = _temp_stem(target.name)
    _remove_stale_temps(folder, stem)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f"{stem}{os.getpid()}.", suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if hasattr(os, "fchmod"):  # POSIX
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


TEMP_SUFFIX = ".cnnx-tmp"


def _temp_stem(name: str) -> str:
    """'.<start of the name>.<hash of the name>.': short, and the same for every save of it."""
    digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    start = name.encode("utf-8", "surrogateescape")[:80].decode("utf-8", "ignore")
    return f".{start}.{digest}."


def _remove_stale_temps(folder: Path, stem: str) -> None:
    """Temporaries of this file whose writing process is gone (a save that was killed)."""
    try:
        leftovers = [p for p in folder.iterdir()
                     if p.name.startswith(stem) and p.name.endswith(TEMP_SUFFIX)]
    except OSError:
        return
    for p in leftovers:
        pid = p.name[len(stem):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            try:
                p.unlink()
            except OSError:
                pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
