"""JSON parsing with bounds, for files that may be hostile (design files, `.keras` configs).

`json.loads` alone accepts NaN and Infinity, turns `1e400` into infinity, converts any integer
literal (a 4,301-digit one raises ValueError) and recurses once per nesting level (1,000 `[`
raise RecursionError). `loads_bounded` refuses each of these with a `DesignFileError` that
names the problem, in time linear in the text and before the parser recurses.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from itertools import accumulate
from typing import Any

from .errors import DesignFileError

MAX_DEPTH = 64             # a design nests about 6 deep; a Keras config about 12
MAX_INT_DIGITS = 18        # any real count, size or id fits in 18 digits

_KEEP = b'"[]{}'
_DROP = bytes(sorted(set(range(256)) - set(_KEEP)))
_DEPTH_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_LONG_NUMBER = re.compile(r"[0-9]{%d}|[eE][+-]?[0-9]{3}" % (MAX_INT_DIGITS + 1))


def nesting_depth(text: str) -> int:
    """The deepest nesting of [ and { outside strings (no recursion; linear time, in C)."""
    plain = text.replace("\\\\", "").replace('\\"', "")  # escapes first: each " now delimits
    reduced = plain.encode("utf-8", "surrogatepass").translate(None, _DROP)
    brackets = b"".join(reduced.split(b'"')[::2])  # what lies outside strings
    return max(accumulate(array("b", brackets.translate(_DEPTH_STEP))), default=0)


def loads_bounded(text: str, what: str = "the file", max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON that may be hostile; raise DesignFileError naming `what` and the problem.

    Lone UTF-16 surrogates (`"\\ud800"`, which no output encoding can write) become U+FFFD.
    """
    depth = nesting_depth(text)
    if depth > max_depth:
        raise DesignFileError(f"{what} nests {depth} levels deep; at most {max_depth} are allowed")
    numbers = {}
    if _LONG_NUMBER.search(text):  # only then can a number be too long or overflow: check each
        numbers = {"parse_int": _integer, "parse_float": _float}
    try:
        data = json.loads(text, parse_constant=_constant, **numbers)
    except json.JSONDecodeError as exc:
        raise DesignFileError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                              f"column {exc.colno}") from None
    except RecursionError:  # the depth check makes this unreachable; never let it escape
        raise DesignFileError(f"{what} nests too deeply") from None
    if _SURROGATE_ESCAPE.search(text):
        data = _replace_surrogates(data)
    return data


def _constant(name: str) -> Any:
    raise DesignFileError(f"{name} is not a number a design can hold (NaN and Infinity are "
                          "not allowed)")


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise DesignFileError(f"the number {digits[:20]}... has {len(digits.lstrip('-'))} "
                              f"digits; at most {MAX_INT_DIGITS} are allowed")
    return int(digits)


def _float(literal: str) -> float:
    if len(literal) > 64:
        raise DesignFileError(f"the number {literal[:20]}... is {len(literal)} characters long")
    value = float(literal)
    if not math.isfinite(value):
        raise DesignFileError(f"the number {literal} is too large (beyond 1.8e308)")
    return value


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    return value
