"""Which cards, or which edges, lie in a rectangle of the canvas: a coarse grid of rectangles.

Edge routing asks "which cards are in this edge's way?" and a moved card asks "which edges
ran past my old place?". Qt's own scene index answers through every item near the rectangle
(cards, ports, edges), calling back into Python for each one's bounding rect: about a
millisecond per question on a 400-block design, asked once per edge, so opening one was
quadratic. This grid holds only what is asked for and answers in time proportional to the
cells the rectangle covers and the items found there.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Generic, Hashable, Iterator, TypeVar

from PySide6.QtCore import QRectF

T = TypeVar("T", bound=Hashable)
CELL = 400.0  # pixels: a card (220 x 96) touches at most four cells


class SpatialIndex(Generic[T]):
    def __init__(self, cell: float = CELL) -> None:
        self.cell = cell
        self._cells: dict[tuple[int, int], set[T]] = defaultdict(set)
        self._rects: dict[T, tuple[float, float, float, float]] = {}

    def __len__(self) -> int:
        return len(self._rects)

    def __contains__(self, item: object) -> bool:
        return item in self._rects

    def _keys(self, left: float, top: float, right: float,
              bottom: float) -> Iterator[tuple[int, int]]:
        c = self.cell
        for i in range(int(left // c), int(right // c) + 1):
            for j in range(int(top // c), int(bottom // c) + 1):
                yield (i, j)

    def put(self, item: T, rect: QRectF) -> None:
        """Record (or move) `item` at `rect`, in scene coordinates."""
        box = (rect.left(), rect.top(), rect.right(), rect.bottom())
        old = self._rects.get(item)
        if old == box:
            return
        if old is not None:
            self.drop(item)
        self._rects[item] = box
        for key in self._keys(*box):
            self._cells[key].add(item)

    def drop(self, item: T) -> None:
        box = self._rects.pop(item, None)
        if box is None:
            return
        for key in self._keys(*box):
            members = self._cells.get(key)
            if members is not None:
                members.discard(item)
                if not members:
                    del self._cells[key]

    def clear(self) -> None:
        self._cells.clear()
        self._rects.clear()

    def rect(self, item: T) -> QRectF | None:
        box = self._rects.get(item)
        return None if box is None else QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1])

    def find(self, rect: QRectF) -> set[T]:
        """Every item whose rectangle intersects `rect` (touching edges do not count; a
        rectangle of negative width or height counts as its normalised self, as in Qt)."""
        rect = rect.normalized()
        left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
        if right <= left or bottom <= top:
            return set()
        found: set[T] = set()
        seen: set[T] = set()
        for key in self._keys(left, top, right, bottom):
            for item in self._cells.get(key, ()):
                if item in seen:
                    continue
                seen.add(item)
                l2, t2, r2, b2 = self._rects[item]
                if l2 < right and left < r2 and t2 < bottom and top < b2:
                    found.add(item)
        return found
