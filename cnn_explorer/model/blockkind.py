"""What the app knows about one block kind, declared beside its spec (layers.py, composites.py).

A primitive kind (a single layer) also names the pure shape/parameter/FLOP rule of its layer
(`rule`, from shapes.py); the Keras side adds one row in `keras/table.py`. The canvas and the
palette read `family` (icon and colour) and `key_params` (what a card shows) from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .spec import Spec

FAMILIES = ("io", "conv", "norm", "act", "pool", "dense", "merge", "shape", "block")


@dataclass(frozen=True)
class BlockKind:
    name: str          # stable id used in design files, e.g. "conv2d"
    title: str         # what the palette and cards show, e.g. "Conv2D"
    category: str      # "Layers" or "Blocks"
    spec: type[Spec]
    expand: Callable
    doc: str           # one sentence: what it is for (the tooltip)
    family: str = "shape"               # icon and colour family (see FAMILIES)
    key_params: tuple[str, ...] = ()    # the parameters a card shows, in order
    rule: Callable | None = None        # a primitive layer's shape/param/FLOP rule
    keras_source: str = ""              # a composite's exported Keras function (text)

    def input_ports(self, spec: Spec) -> int:
        if self.name == "input":
            return 0
        return getattr(spec, "inputs", 1)

    @property
    def composite(self) -> bool:
        return self.category == "Blocks"
