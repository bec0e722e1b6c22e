"""The design graph: blocks with stable ids, connections between ports, and change events.

Views never edit it directly: undo commands call the mutation API (`add_block`, `remove_block`,
`connect`, `disconnect`, `set_param`, `rename`, `move`), and each call emits one typed event
(`BlockAdded`, `Connected`, `ParamChanged`, ...) to subscribers. Blocks are frozen, their
parameters included, and lists are copies, so no view can change the design behind its back.
Names and connections are checked here, once (`check_name`, `check_connect`, `fresh_name`).
Inference is cached and recomputed lazily after a change (`report()`).
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .errors import (
    CycleError,
    DesignError,
    ParameterError,
    PortError,
    PortTakenError,
    UnknownBlockError,
)
from .events import (  # noqa: F401 (re-exported: views import the events from here)
    BlockAdded,
    BlockRemoved,
    Connected,
    Disconnected,
    GraphEvent,
    Moved,
    ParamChanged,
    Renamed,
    Replaced,
    TrainableChanged,
)
from .frozen import FrozenParams, freeze
from .kinds import kind as lookup_kind
from .order import topological_sort
from .spec import Spec, spec_fields

if TYPE_CHECKING:  # pragma: no cover
    from .inference import Report

NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")  # always fullmatch: "$" allows a "\n"
NAME_RULE = "a letter then letters, digits or _ (at most 64; it becomes the Keras layer name)"


def check_name(name: str) -> None:
    """Raise ParameterError unless `name` can be a block (and Keras layer) name."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ParameterError(f"block '{name}'", "name", NAME_RULE, name)


@dataclass(frozen=True)
class Block:
    id: str
    kind: str
    name: str
    params: dict = field(default_factory=dict)
    trainable: bool = True  # False: frozen for fine-tuning (its weights do not move)

    def __post_init__(self) -> None:
        if not isinstance(self.params, FrozenParams):
            object.__setattr__(self, "params", freeze(self.params))

    def spec(self) -> Spec:
        return self._spec

    @cached_property
    def _spec(self) -> Spec:  # blocks are immutable, so validate once
        return spec_for(self.kind, self.params, self.name)

    @cached_property
    def params_key(self) -> str:
        """A hashable fingerprint of the parameters (for the inference cache)."""
        return json.dumps(self.params, sort_keys=True, default=str)


@dataclass(frozen=True)
class Connection:
    """An edge from the output of `src` to input port `port` of `dst`."""

    src: str
    dst: str
    port: int = 0


def spec_for(kind_name: str, params: dict, block_name: str = "") -> Spec:
    """Validate parameters for a kind; errors name the block, the field and what is allowed."""
    bk = lookup_kind(kind_name)
    label = f"block '{block_name}' ({bk.title})" if block_name else bk.title
    try:
        return bk.spec(**params)
    except ParameterError as exc:
        raise ParameterError(label, exc.field, exc.allowed, exc.value) from None
    except TypeError as exc:  # an unknown field name
        allowed = ", ".join(f["name"] for f in spec_fields(bk.spec)) or "no parameters"
        raise ParameterError(label, "parameters", f"among: {allowed}", str(exc)) from None


def fresh_name(base: str, taken: set[str] | frozenset[str]) -> str:
    """`base_1`, `base_2`, ...: the first not taken (a trailing `_3` of base is dropped first)."""
    stem = base.rstrip("0123456789").rstrip("_") or "block"
    n = 1
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"


class Graph:
    def __init__(self) -> None:
        self._blocks: dict[str, Block] = {}
        self._connections: list[Connection] = []
        self._positions: dict[str, tuple[float, float]] = {}
        self._listeners: list[Callable[[GraphEvent], None]] = []
        self._next_id = 1
        self._batched: list[GraphEvent] | None = None
        self._report = None
        self._inference_cache: dict = {}

    # ---- reading (copies only) -----------------------------------------------------------
    def blocks(self) -> list[Block]:
        return list(self._blocks.values())

    def block(self, block_id: str) -> Block:
        try:
            return self._blocks[block_id]  # frozen dataclass; params copied on write
        except KeyError:
            raise UnknownBlockError(block_id) from None

    def block_ids(self) -> list[str]:
        return list(self._blocks)

    def connections(self) -> list[Connection]:
        return list(self._connections)

    def position(self, block_id: str) -> tuple[float, float] | None:
        return self._positions.get(block_id)

    def positions(self) -> dict[str, tuple[float, float]]:
        return dict(self._positions)

    def find(self, name: str) -> Block:
        for b in self._blocks.values():
            if b.name == name:
                return b
        raise UnknownBlockError(name)

    def input_ports(self, block_id: str) -> int:
        b = self.block(block_id)
        return lookup_kind(b.kind).input_ports(b.spec())

    def incoming(self, block_id: str) -> dict[int, str]:
        return {c.port: c.src for c in self._connections if c.dst == block_id}

    def outgoing(self, block_id: str) -> list[Connection]:
        return [c for c in self._connections if c.src == block_id]

    def __len__(self) -> int:
        return len(self._blocks)

    def __contains__(self, block_id: object) -> bool:
        return block_id in self._blocks

    def copy(self) -> "Graph":
        """A detached snapshot (no listeners): what a training worker gets."""
        g = Graph()
        g._blocks = dict(self._blocks)
        g._connections = list(self._connections)
        g._positions = dict(self._positions)
        g._next_id = self._next_id
        return g

    @classmethod
    def restore(cls, blocks: list[Block], connections: list[Connection],
                positions: dict[str, tuple[float, float]]) -> "Graph":
        """A graph from parts already checked (a design file being loaded): linear in their
        number, where `add_block`/`connect` each re-check the whole graph."""
        g = cls()
        g._blocks = {b.id: b for b in blocks}
        g._connections = list(connections)
        g._positions = dict(positions)
        numbers = [int(b.id[1:]) for b in blocks if b.id[:1] == "b" and b.id[1:].isdigit()]
        g._next_id = max(numbers, default=0) + 1
        return g

    def replace(self, source: "Graph") -> None:
        """Hold exactly what `source` holds, announced by one `Replaced` event.

        `source` is already checked (a loaded or built design), so this is linear in its
        size; removing and re-adding block by block re-checked names and cycles against the
        whole graph for every block, quadratic on a 400-block import.
        """
        self._blocks = dict(source._blocks)
        self._connections = list(source._connections)
        self._positions = dict(source._positions)
        self._next_id = max(self._next_id, source._next_id)
        self._emit(Replaced(""))

    # ---- events ----------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[GraphEvent], None]) -> None:
        self._listeners.append(listener)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many edits (a preset load, a paste): events are delivered once it ends."""
        outer = self._batched is None
        if outer:
            self._batched = []
        try:
            yield
        finally:
            if outer:
                events, self._batched = self._batched, None
                for event in events:
                    self._deliver(event)

    def _emit(self, event: GraphEvent) -> None:
        self._report = None
        if self._batched is not None:
            self._batched.append(event)
        else:
            self._deliver(event)

    def _deliver(self, event: GraphEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # ---- mutation --------------------------------------------------------------------------
    def add_block(self, kind: str, params: dict | None = None, name: str | None = None,
                  block_id: str | None = None, position: tuple[float, float] | None = None,
                  trainable: bool = True) -> str:
        bk = lookup_kind(kind)
        name = name or self.unique_name(bk.name)
        self.check_name(name, None)
        spec = spec_for(kind, dict(params or {}), name)
        if block_id is None:
            block_id = f"b{self._next_id}"
        if block_id in self._blocks:
            raise DesignError(f"block id {block_id!r} is already used")
        digits = block_id[1:]
        if block_id.startswith("b") and digits.isdigit():
            self._next_id = max(self._next_id, int(digits) + 1)
        while f"b{self._next_id}" in self._blocks:
            self._next_id += 1
        self._blocks[block_id] = Block(block_id, kind, name, spec.to_dict(), bool(trainable))
        if position is not None:
            self._positions[block_id] = (float(position[0]), float(position[1]))
        self._emit(BlockAdded(block_id))
        return block_id

    def remove_block(self, block_id: str) -> tuple[Block, list[Connection]]:
        """Remove a block and its connections; returns both so an undo can put them back."""
        block = self.block(block_id)
        removed = [c for c in self._connections if block_id in (c.src, c.dst)]
        for c in removed:
            self.disconnect(c.dst, c.port)
        del self._blocks[block_id]
        self._positions.pop(block_id, None)
        self._emit(BlockRemoved(block_id, block))
        return block, removed

    def check_connect(self, src: str, dst: str, port: int = 0) -> None:
        """Raise the typed error that `connect` would raise, without connecting."""
        self.block(src)
        ports = self.input_ports(dst)
        if not 0 <= port < ports:
            name = self.block(dst).name
            raise PortError(f"block '{name}' has no input port {port}"
                            + (" (it has no inputs)" if ports == 0 else f" (ports 0-{ports - 1})"))
        if port in self.incoming(dst):
            raise PortTakenError(f"input port {port} of '{self.block(dst).name}' is already "
                                 "connected; disconnect it first")
        if src == dst or dst in self._ancestors(src):
            raise CycleError(f"connecting '{self.block(src).name}' to "
                             f"'{self.block(dst).name}' would make a cycle")

    def connect(self, src: str, dst: str, port: int = 0) -> Connection:
        self.check_connect(src, dst, port)
        conn = Connection(src, dst, port)
        self._connections.append(conn)
        self._emit(Connected(dst, conn))
        return conn

    def disconnect(self, dst: str, port: int = 0) -> Connection:
        for conn in self._connections:
            if conn.dst == dst and conn.port == port:
                self._connections.remove(conn)
                self._emit(Disconnected(dst, conn))
                return conn
        raise DesignError(f"input port {port} of '{self.block(dst).name}' is not connected")

    def set_param(self, block_id: str, name: str, value: Any) -> Any:
        """Set one parameter (validated); returns the old value for undo."""
        block = self.block(block_id)
        params = dict(block.params)
        old = params.get(name)
        params[name] = value
        spec = spec_for(block.kind, params, block.name)
        new_params = spec.to_dict()
        if name not in new_params:
            raise ParameterError(f"block '{block.name}'", name, "a parameter of this block")
        ports_before = self.input_ports(block_id)
        self._blocks[block_id] = replace(block, params=new_params)
        if self.input_ports(block_id) < ports_before:  # fewer merge inputs: drop extra edges
            for conn in [c for c in self._connections if c.dst == block_id
                         and c.port >= self.input_ports(block_id)]:
                self.disconnect(conn.dst, conn.port)
        self._emit(ParamChanged(block_id, name, old, self._blocks[block_id].params[name]))
        return old

    def rename(self, block_id: str, name: str) -> str:
        block = self.block(block_id)
        self.check_name(name, block_id)
        self._blocks[block_id] = replace(block, name=name)
        self._emit(Renamed(block_id, block.name, name))
        return block.name

    def set_trainable(self, block_id: str, trainable: bool) -> bool:
        """Freeze (False) or unfreeze a block for fine-tuning; returns the old flag for undo."""
        block = self.block(block_id)
        self._blocks[block_id] = replace(block, trainable=bool(trainable))
        self._emit(TrainableChanged(block_id, bool(trainable)))
        return block.trainable

    def move(self, block_id: str, position: tuple[float, float]) -> tuple[float, float] | None:
        self.block(block_id)
        old = self._positions.get(block_id)
        self._positions[block_id] = (float(position[0]), float(position[1]))
        self._emit(Moved(block_id, old))
        return old

    def unique_name(self, base: str) -> str:
        """A name no block has yet: `base_1`, `base_2`, ..."""
        return fresh_name(base, self.names())

    def names(self) -> set[str]:
        return {b.name for b in self._blocks.values()}

    def check_new_names(self, names: list[str]) -> None:
        """Raise what adding blocks with these names would raise (valid, free, distinct)."""
        for name in names:
            self.check_name(name)
        if len(set(names)) != len(names):
            raise DesignError("two new blocks would have the same name")

    def check_name(self, name: str, block_id: str | None = None) -> None:
        """Raise what `add_block` / `rename` would raise for this name (block_id: the block
        being renamed, which may keep its own name)."""
        check_name(name)
        for b in self._blocks.values():
            if b.name == name and b.id != block_id:
                raise DesignError(f"another block is already named {name!r}")

    # ---- order and inference -----------------------------------------------------------------
    def _ancestors(self, block_id: str) -> set[str]:
        parents: dict[str, list[str]] = {}
        for c in self._connections:
            parents.setdefault(c.dst, []).append(c.src)
        seen, stack = set(), [block_id]
        while stack:
            for p in parents.get(stack.pop(), []):
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    def topological_order(self) -> list[str]:
        """Blocks in an order where each comes after all its inputs (Kahn, stable by id order)."""
        order = topological_sort(self._blocks, ((c.src, c.dst) for c in self._connections))
        if len(order) != len(self._blocks):
            raise CycleError("the graph has a cycle")
        return order

    def report(self) -> Report:
        """Shapes, parameters, FLOPs and problems of the current design (cached)."""
        if self._report is None:
            from .inference import infer
            self._report = infer(self, cache=self._inference_cache)
        return self._report
