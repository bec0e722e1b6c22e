"""Block specs: frozen dataclasses whose fields are a block's parameters, validated on creation.

A field's metadata says what values are allowed; the inspector reads the same metadata to pick
an editor (spin box with the valid range, combo box for choices), so the rules live in one place.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from .errors import ParameterError

ACTIVATIONS = ("relu", "sigmoid", "tanh", "swish", "gelu", "elu", "selu", "softplus",
               "leaky_relu", "relu6", "hard_sigmoid", "hard_swish", "softmax", "linear")
INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
                "lecun_uniform", "random_normal", "random_uniform", "zeros", "ones", "orthogonal")
PADDINGS = ("valid", "same")


def param(default: Any, low: float | None = None, high: float | None = None,
          choices: tuple | None = None, doc: str = "", kind: str | None = None,
          step: float | None = None) -> Any:
    """A spec field: default value plus what is allowed (range or choices), a one-line doc and
    how an editor steps it (optional)."""
    if kind is None:
        kind = {bool: "bool", int: "int", float: "float", str: "choice" if choices else "str",
                tuple: "tuple", dict: "dict"}.get(type(default), "any")
    meta = {"low": low, "high": high, "choices": choices, "doc": doc, "kind": kind, "step": step}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Spec:
    """Base of every block spec. Subclasses declare fields with `param(...)`."""

    @classmethod
    def owner(cls) -> str:
        """How error messages name what holds these fields."""
        return cls.__name__

    def __post_init__(self) -> None:
        for f in fields(self):
            value = _check(self.owner(), f.name, f.metadata, getattr(self, f.name))
            object.__setattr__(self, f.name, value)

    def to_dict(self) -> dict:
        """JSON-ready parameters; a square size (3, 3) is written as 3."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.metadata.get("kind") == "size" and v[0] == v[1]:
                v = v[0]
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out


def spec_fields(spec_cls: type[Spec]) -> list[dict]:
    """What an editor needs per field: name, kind, default, low, high, choices, doc."""
    out = []
    for f in fields(spec_cls):
        default = f.default if f.default is not MISSING else f.default_factory()
        out.append({"name": f.name, "default": default, **f.metadata})
    return out


def _allowed(meta: dict) -> str:
    if meta["choices"]:
        return "one of " + ", ".join(map(str, meta["choices"]))
    low, high = meta["low"], meta["high"]
    noun = {"int": "a whole number", "float": "a number", "str": "text",
            "dataset": "a dataset name or a file path"}.get(meta["kind"], meta["kind"])
    if low is not None and high is not None:
        return f"{noun} from {low} to {high}"
    if low is not None:
        return f"{noun} >= {low}"
    return noun


def check_value(owner: str, name: str, meta: dict, value: Any) -> Any:
    """The value, normalised (3 -> (3, 3) for a size, 2 -> 2.0 for a float), or a
    ParameterError naming the owner, the field and what is allowed."""
    return _check(owner, name, meta, value)


def _check(block: str, name: str, meta: dict, value: Any) -> Any:
    kind = meta["kind"]
    bad = ParameterError(block, name, _allowed(meta), value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        if kind == "int":
            if int(value) != value:
                raise bad
            value = int(value)
        else:
            value = float(value)
        if value != value or (meta["low"] is not None and value < meta["low"]) or (
                meta["high"] is not None and value > meta["high"]):
            raise bad
        return value
    if kind == "choice":
        if value not in meta["choices"]:
            raise bad
        return value
    if kind == "size":  # a kernel / pool / stride size: n or (h, w)
        return _size(value, meta, bad)
    if kind == "shape":  # a tensor shape without the batch axis
        if not isinstance(value, (list, tuple)) or not value or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value):
            raise ParameterError(block, name, "a list of whole numbers >= 1", value)
        return tuple(value)
    if kind == "numbers":  # one number or one per channel; () where `low` allows none
        return _numbers(block, name, meta, value)
    if kind in ("str", "dataset"):
        if not isinstance(value, str):
            raise bad
        return value
    if kind == "dict" and not isinstance(value, dict):
        raise bad
    return value


def _size(value: Any, meta: dict, bad: ParameterError) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise bad
    low = meta["low"] if meta["low"] is not None else 1
    high = meta["high"]
    if any(v < low or (high is not None and v > high) for v in value):
        raise bad
    return (int(value[0]), int(value[1]))


MAX_NUMBERS = 4096


def _numbers(block: str, name: str, meta: dict, value: Any) -> tuple[float, ...]:
    """A number or a list of numbers (one per channel) as a tuple of floats; `low` is the
    fewest allowed (0 lets the list be empty)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    fewest = int(meta["low"]) if meta["low"] is not None else 1
    allowed = (f"a number or a list of {fewest} to {MAX_NUMBERS} finite numbers"
               if fewest else f"a list of up to {MAX_NUMBERS} finite numbers (or none)")
    if (not isinstance(value, (list, tuple)) or not fewest <= len(value) <= MAX_NUMBERS
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       and math.isfinite(v) for v in value)):
        raise ParameterError(block, name, allowed, value if len(repr(value)) < 80 else None)
    return tuple(float(v) for v in value)


def numbers_param(default: tuple, fewest: int = 1, doc: str = "") -> Any:
    """One number, or one per channel (a Rescaling scale, a Normalization mean)."""
    return param(tuple(default), fewest, None, doc=doc, kind="numbers")


def size_param(default: int, low: int = 1, high: int = 15, doc: str = "") -> Any:
    """A square-or-rectangular size (kernel, pool, stride): stored as (h, w)."""
    return param((default, default), low, high, doc=doc, kind="size")
