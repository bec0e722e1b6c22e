"""Immutable parameter values: what a Block holds, so no view can change a design behind the
graph's back (and no edit of a copy reaches the original)."""

from __future__ import annotations

from typing import Any


class FrozenParams(dict):
    """A block's parameters: a dict that refuses every change (nested lists become tuples).

    Change a parameter with `Graph.set_param` (an undo command in the app); `dict(params)`
    gives a mutable copy.
    """

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("block parameters are read-only: use Graph.set_param to change one")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple:
        return (FrozenParams, (dict(self),))

    def __copy__(self) -> "FrozenParams":
        return self

    def __deepcopy__(self, memo: dict) -> "FrozenParams":
        return self


def freeze(value: Any) -> Any:
    """An immutable copy of a JSON-like value: dicts become FrozenParams, lists tuples."""
    if isinstance(value, dict):
        return FrozenParams({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A mutable, JSON-ready copy of a frozen value: FrozenParams become dicts, tuples lists."""
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value
