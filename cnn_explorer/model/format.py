"""How numbers, shapes and counts read, everywhere (canvas, inspector, layer table, CLI).

Pure functions, so the CLI and every view print the same text for the same number.
"""

from __future__ import annotations

from typing import Iterable

_SI = (("G", 1e9), ("M", 1e6), ("k", 1e3))


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """'1 block', '2 blocks', '0 layers'."""
    return f"{n:,} {noun if n == 1 else (nouns or noun + 's')}"


def flops(n: float) -> str:
    """FLOPs with an SI prefix: '0 FLOPs', '950 FLOPs', '40.81 MFLOPs'."""
    return f"{si(n)}FLOPs"


def si(n: float, digits: int = 2) -> str:
    """A number with an SI prefix and a trailing space: '950 ', '1.50 k', '40.81 M'."""
    for unit, size in _SI:
        if abs(n) >= size:
            return f"{n / size:.{digits}f} {unit}"
    return f"{int(n)} "


def short(n: float) -> str:
    """A table cell: '0', '950', '40.81 M'."""
    return si(n).rstrip()


def count(n: int) -> str:
    """A short parameter count for a card's layer rows: '950', '12.3k', '1.20M'."""
    if n >= 1_000_000:
        return f"{n / 1e6:.2f}M"
    if n >= 10_000:
        return f"{n / 1e3:.1f}k"
    return str(n)


def shape(dims: Iterable[int] | None) -> str:
    """A shape without the batch axis, as in messages: '(16, 16, 64)'."""
    if dims is None:
        return "?"
    return "(" + ", ".join(str(d) for d in dims) + ")"


def tensor_shape(dims: Iterable[int] | None) -> str:
    """A tensor's shape with its batch axis N, as shown on cards: '(N, 32, 32, 3)'."""
    if dims is None:
        return "?"
    return "(" + ", ".join(["N", *(str(d) for d in dims)]) + ")"


def size_bytes(n: int) -> str:
    """Memory: '512 B', '1.5 kB', '2.0 MB' (powers of 1024)."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def design_size(blocks: int, layers: int) -> str:
    """'1 block, 1 layer', '12 blocks, 40 layers'."""
    return f"{plural(blocks, 'block')}, {plural(layers, 'layer')}"
