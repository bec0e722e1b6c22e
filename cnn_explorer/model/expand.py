"""Expansion: a block turns into primitive layers, with shapes and costs worked out as it goes.

A block's `expand` function receives an `Expander` and its input tensors and calls
`expander.layer(...)` once per primitive layer, exactly as a Keras functional-API block function
would call layers. Because each call computes the output shape at once, an expansion can decide
from shapes (a residual block adds a 1x1 projection only when the shape changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .shapes import Shape


@dataclass(frozen=True)
class Tensor:
    """A symbolic tensor during expansion: the layer that makes it and its shape."""

    layer: str
    shape: Shape


@dataclass(frozen=True)
class LayerInfo:
    """One primitive layer of the expanded network: what the Keras builder makes from it."""

    name: str
    kind: str
    params: dict
    inputs: tuple[str, ...]
    output_shape: Shape
    trainable: int
    non_trainable: int
    flops: int
    gate: bool = False  # its activation is a gate (SE's sigmoid), not a study knob


    @property
    def params_total(self) -> int:
        return self.trainable + self.non_trainable


class Expander:
    """Collects the layers of one block; names are `prefix_local` (hierarchical, as in Keras)."""

    def __init__(self, prefix: str | None, rules: dict[str, Callable] | None = None) -> None:
        if rules is None:  # the kinds' rules (kinds.py imports this module, so look up late)
            from .kinds import LAYER_RULES as rules
        self.prefix = prefix
        self.rules = rules
        self.layers: list[LayerInfo] = []

    def name(self, local: str | None) -> str:
        if local is None:  # a single-layer block: the layer takes the block's name
            return self.prefix
        return f"{self.prefix}_{local}" if self.prefix else local

    def layer(self, local: str | None, kind: str, inputs: Tensor | list[Tensor],
              gate: bool = False, **params: object) -> Tensor:
        """Add one primitive layer; `gate` marks an activation that gates (an attention
        weight in [0, 1]) so a run's activation override leaves it alone."""
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        cost = self.rules[kind](params, [t.shape for t in inputs])  # may raise ShapeProblem
        name = self.name(local)
        self.layers.append(LayerInfo(name, kind, params, tuple(t.layer for t in inputs),
                                     cost.output_shape, cost.trainable, cost.non_trainable,
                                     cost.flops, gate))
        return Tensor(name, cost.output_shape)
