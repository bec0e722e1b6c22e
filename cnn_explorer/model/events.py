"""The graph's change events: one typed event per mutation, which views dispatch on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .graph import Block, Connection


@dataclass(frozen=True)
class GraphEvent:
    """Base of the graph's events; views dispatch on the subclass."""

    block_id: str


@dataclass(frozen=True)
class BlockAdded(GraphEvent):
    pass


@dataclass(frozen=True)
class BlockRemoved(GraphEvent):
    block: Block


@dataclass(frozen=True)
class Connected(GraphEvent):
    connection: Connection


@dataclass(frozen=True)
class Disconnected(GraphEvent):
    connection: Connection


@dataclass(frozen=True)
class ParamChanged(GraphEvent):
    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Renamed(GraphEvent):
    old: str
    new: str


@dataclass(frozen=True)
class TrainableChanged(GraphEvent):
    trainable: bool


@dataclass(frozen=True)
class Moved(GraphEvent):
    old: tuple[float, float] | None


@dataclass(frozen=True)
class Replaced(GraphEvent):
    """The whole content was swapped for another design's (open, New, preset, import, their
    undo): one event, so views rebuild once instead of following one event per block."""
