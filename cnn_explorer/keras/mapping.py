"""Keras layer -> block: which primitive block kind (and parameters) a Keras layer is, if any.

A layer is matched by its class and config, never by its name. `candidate` proposes a block
(from the Keras table's `to_block`, keras/table.py); the importer then keeps it only if the
builder, given that block, would make a layer with the same config, output shape and parameter
count (`same_config`). Anything else stays an opaque block that keeps the layer's class and
config, so no setting is ever dropped silently.
"""

from __future__ import annotations

from typing import Callable

from .names import key as _key
from .table import BY_CLASS, Candidate


def _relu(c: dict, shapes: list) -> Candidate | None:
    """ReLU(max_value=6) is exactly the relu6 activation; other thresholds have no block."""
    if c.get("negative_slope") or c.get("threshold"):
        return None
    fn = {None: "relu", 6.0: "relu6"}.get(c.get("max_value"), None)
    return ("activation", {"activation": fn}) if fn else None


CANDIDATES: dict[str, Callable[[dict, list], Candidate | None]] = {
    **{cls: row.to_block for cls, row in BY_CLASS.items()},
    "ReLU": _relu,  # rebuilt as an Activation layer; its mapper checks the config itself
}
# Classes the builder makes from the block it maps to, so their configs can be compared whole.
SAME_CLASS = set(BY_CLASS)


def candidate(class_name: str, config: dict, input_shapes: list,
              module: str = "keras.layers") -> Candidate | None:
    """The block a layer may be, before checking that the builder reproduces it exactly.

    `module` is where the layer's class is defined: a class from a keras.applications file
    (ConvNeXt's LayerScale) is matched only when it is that very class, never another class
    that happens to share its name."""
    propose = CANDIDATES.get(class_name)
    row = BY_CLASS.get(class_name)
    if propose is None or (row is not None and row.module != "keras.layers"
                           and module != row.module):
        return None
    try:
        return propose(config, input_shapes)
    except (KeyError, TypeError, ValueError):  # a config shape this mapper does not know
        return None


def comparable(config: dict, input_rank: int) -> str:
    """A layer config without its name, with `axis` = last axis written as -1 and numbers
    compared by value (an offset of -1 is -1.0), as JSON."""
    config = {k: v for k, v in config.items() if k != "name"}
    axis = config.get("axis")
    if (list(axis) if isinstance(axis, (list, tuple)) else [axis]) in (
            [input_rank - 1], [-1]):
        config["axis"] = -1
    return _key(_by_value(config))


def _by_value(value):
    if isinstance(value, dict):
        return {k: _by_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_by_value(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def same_config(original: dict, rebuilt: dict, input_rank: int) -> bool:
    return comparable(original, input_rank) == comparable(rebuilt, input_rank)
