"""The design model: pure Python (no Qt, no TensorFlow), fast, testable without a screen."""

from .errors import (
                     CycleError,
                     DesignError,
                     DesignFileError,
                     ParameterError,
                     PortError,
                     PortTakenError,
                     UnknownBlockError,
                     UnknownKindError,
)
from .graph import (
    Block,
    BlockAdded,
    BlockRemoved,
    Connected,
    Connection,
    Disconnected,
    Graph,
    GraphEvent,
    Moved,
    ParamChanged,
    Renamed,
)
from .inference import BlockInfo, Problem, Report, infer
from .kinds import KINDS, BlockKind, kind
from .settings import RunSettings

__all__ = [
    "Block", "BlockAdded", "BlockInfo", "BlockRemoved", "Connected", "Disconnected", "Moved",
    "ParamChanged", "Renamed", "BlockKind", "Connection", "CycleError", "DesignError",
    "DesignFileError", "Graph", "GraphEvent", "KINDS", "ParameterError", "PortError",
    "PortTakenError", "Problem", "Report", "RunSettings", "UnknownBlockError",
    "UnknownKindError", "infer", "kind",
]
