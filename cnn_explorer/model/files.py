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

from .errors import CycleError, DesignError, DesignFileError, ParameterError
from .frozen import thaw
from .graph import Block, Connection, Graph, check_name, spec_for
from .kinds import kind as lookup_kind
from .safejson import loads_bounded
from .settings import RunSettings
from .weights_ref import WeightsRef

SCHEMA_VERSION = 1
MAX_FILE_BYTES = 50_000_000
MAX_BLOCKS = 100_000
MAX_COORDINATE = 1e9  # canvas coordinates, in pixels


@dataclass
class Design:
    """What a design file holds: the graph, its run settings and a title."""

    graph: Graph = field(default_factory=Graph)
    settings: RunSettings = field(default_factory=RunSettings)
    title: str = "untitled"
    weights: WeightsRef | None = None  # the weights it starts from (imported, a checkpoint)

    def snapshot(self) -> "Design":
        """A detached copy for a worker thread: later edits do not reach it."""
        return Design(self.graph.copy(), self.settings, self.title, self.weights)


def design_to_dict(design: Design, folder: Path | None = None) -> dict:
    """The design file's content; `folder`: where it is written (weights paths relative)."""
    g = design.graph
    data = {
        "schema_version": SCHEMA_VERSION,
        "app": "cnn-explorer",
        "title": design.title,
        "blocks": [{"id": b.id, "kind": b.kind, "name": b.name, "params": thaw(b.params),
                    **({} if b.trainable else {"trainable": False})} for b in g.blocks()],
        "connections": [{"src": c.src, "dst": c.dst, "port": c.port} for c in g.connections()],
        "positions": {bid: list(p) for bid, p in g.positions().items()},
        "run_settings": design.settings.to_dict(),
    }
    if design.weights is not None:
        data["weights"] = design.weights.to_dict(folder)
    return data


def design_from_dict(data: dict, folder: Path | None = None) -> Design:
    """Check every part of a parsed design and build it, in time linear in its size."""
    if not isinstance(data, dict):
        raise DesignFileError("the file is not a design: expected a JSON object at the top")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise DesignFileError("the file has no schema_version: it is not a CNN Explorer design")
    if version > SCHEMA_VERSION:
        raise DesignFileError(f"the file was written by a newer CNN Explorer (schema version "
                              f"{version}; this one reads up to {SCHEMA_VERSION}): please update")
    blocks = _blocks(_list(data, "blocks"))
    connections = _connections(_list(data, "connections"), blocks)
    graph = Graph.restore(list(blocks.values()), connections, _positions(data, blocks))
    try:
        graph.topological_order()
    except CycleError:
        raise DesignFileError("the connections make a cycle; networks here are acyclic") from None
    try:
        settings = RunSettings.from_dict(_object(data, "run_settings"))
    except ParameterError as exc:  # it names the run settings itself
        raise DesignFileError(str(exc)) from None
    except (DesignError, TypeError) as exc:
        raise DesignFileError(f"run settings: {exc}") from None
    title = data.get("title") or "untitled"
    if not isinstance(title, str):
        raise DesignFileError(f"the title must be text (got {type(title).__name__})")
    weights = WeightsRef.from_dict(data["weights"], folder) if data.get("weights") else None
    return Design(graph, settings, title[:200], weights)


def _blocks(items: list) -> dict[str, Block]:
    if len(items) > MAX_BLOCKS:
        raise DesignFileError(f"the design has {len(items):,} blocks; at most {MAX_BLOCKS:,}")
    named = {b.get("name") for b in items if isinstance(b, dict) and isinstance(b.get("name"), str)}
    counters: dict[str, int] = {}
    blocks: dict[str, Block] = {}
    for i, b in enumerate(items):
        if not isinstance(b, dict) or not {"id", "kind"} <= set(b):
            raise DesignFileError(f"block #{i + 1} needs at least an id and a kind")
        bid, kind_name, name, params = b["id"], b["kind"], b.get("name"), b.get("params")
        where = f"block #{i + 1}"
        if isinstance(bid, int) and not isinstance(bid, bool):
            bid = str(bid)
        if not isinstance(bid, str) or not 0 < len(bid) <= 64:
            raise DesignFileError(f"{where}: its id must be text of 1 to 64 characters")
        if not isinstance(kind_name, str):
            raise DesignFileError(f"{where}: its kind must be text (got {_type(kind_name)})")
        if name is not None and not isinstance(name, str):
            raise DesignFileError(f"{where}: its name must be text (got {_type(name)})")
        if params is not None and not isinstance(params, dict):
            raise DesignFileError(f"{where} ({name or bid}): params must be an object of "
                                  f"name -> value (got {_type(params)})")
        if bid in blocks:
            raise DesignFileError(f"{where}: the id {bid!r} is already used")
        trainable = b.get("trainable", True)
        if not isinstance(trainable, bool):
            raise DesignFileError(f"{where} ({name or bid}): trainable must be true or false")
        try:
            bk = lookup_kind(kind_name)
            if not name:  # as Graph.unique_name does, without a scan per block
                n = counters.get(bk.name, 0) + 1
                while f"{bk.name}_{n}" in named:
                    n += 1
                counters[bk.name] = n
                name = f"{bk.name}_{n}"
                named.add(name)
            check_name(name)
            spec = spec_for(kind_name, dict(params or {}), name)
        except DesignError as exc:
            raise DesignFileError(f"{where} ({name or bid}): {exc}") from None
        block = blocks[bid] = Block(bid, kind_name, name, spec.to_dict(), trainable)
        block.__dict__["_spec"] = spec  # Block caches its spec (cached_property): checked once
    seen: set[str] = set()
    for b in blocks.values():
        if b.name in seen:
            raise DesignFileError(f"two blocks are named {b.name!r}; names must be unique")
        seen.add(b.name)
    return blocks


def _connections(items: list, blocks: dict[str, Block]) -> list[Connection]:
    taken: set[tuple[str, int]] = set()
    out = []
    for i, c in enumerate(items):
        where = f"connection #{i + 1}"
        if not isinstance(c, dict) or not {"src", "dst"} <= set(c):
            raise DesignFileError(f"{where} needs a src and a dst")
        for end in ("src", "dst"):
            if not isinstance(c[end], str) or c[end] not in blocks:
                raise DesignFileError(f"{where} points to a block that does not "
                                      f"exist: {end} = {c[end]!r}")
        src, dst, port = c["src"], c["dst"], c.get("port", 0)
        if not isinstance(port, int) or isinstance(port, bool):
            raise DesignFileError(f"{where}: port must be a whole number (got {port!r})")
        block = blocks[dst]
        ports = lookup_kind(block.kind).input_ports(block.spec())
        if not 0 <= port < ports:
            raise DesignFileError(f"{where}: block '{block.name}' has no input port {port}"
                                  + (" (it has no inputs)" if ports == 0
                                     else f" (ports 0-{ports - 1})"))
        if (dst, port) in taken:
            raise DesignFileError(f"{where}: input port {port} of '{block.name}' is already "
                                  "connected")
        if src == dst:
            raise DesignFileError(f"{where}: '{block.name}' cannot feed itself")
        taken.add((dst, port))
        out.append(Connection(src, dst, port))
    return out


def _positions(data: dict, blocks: dict[str, Block]) -> dict[str, tuple[float, float]]:
    positions = _object(data, "positions")
    out = {}
    for bid, pos in positions.items():
        if bid not in blocks:
            continue
        if (not isinstance(pos, (list, tuple)) or len(pos) != 2 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool)
                and abs(v) <= MAX_COORDINATE for v in pos)):
            raise DesignFileError(f"position of block {bid!r} is not [x, y] with numbers "
                                  f"within +-{MAX_COORDINATE:g}")
        out[bid] = (float(pos[0]), float(pos[1]))
    return out


def _list(data: dict, key: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise DesignFileError(f"'{key}' must be a list")
    return value


def _object(data: dict, key: str) -> dict:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise DesignFileError(f"'{key}' must be an object (got {_type(value)})")
    return value


def _type(value: object) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            type(None): "null"}.get(type(value), "a number")


def read_text_bounded(path: str | os.PathLike, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; DesignFileError otherwise.

    A FIFO, a device (/dev/zero) or a folder is refused before it is opened, so reading never
    blocks, and at most `limit` + 1 bytes are read even if the file grows meanwhile.
    """
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise DesignFileError(f"{path} is {what}; a design is a .json file")
        if info.st_size > limit:
            raise DesignFileError(f"{path.name} is larger than {limit / 1e6:g} MB; "
                                  "it is not a design file")
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise DesignFileError(f"{path} does not exist") from None
    except OSError as exc:
        raise DesignFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise DesignFileError(f"{path.name} is larger than {limit / 1e6:g} MB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DesignFileError(f"{path.name} is not a text file (is it a .keras model? "
                              "use Import Keras model)") from None


def load_design(path: str | os.PathLike) -> Design:
    path = Path(path)
    data = loads_bounded(read_text_bounded(path), path.name)
    design = design_from_dict(data, path.resolve().parent)
    if design.title == "untitled":
        design.title = path.stem
    return design


def save_design(design: Design, path: str | os.PathLike) -> None:
    """Write atomically: the old file stays whole until the new one is complete on disk."""
    folder = Path(os.path.realpath(path)).parent
    write_text_atomic(Path(path), json.dumps(design_to_dict(design, folder), indent=1) + "\n")


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
