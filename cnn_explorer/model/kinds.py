"""The block vocabulary: every kind the palette offers. Each kind is declared beside its spec
(single layers in layers.py and elementwise.py, composite blocks in composites.py); this
module only gathers them.
"""

from __future__ import annotations

from typing import Callable

from .blockkind import BlockKind
from .composites import BLOCK_KINDS
from .elementwise import ELEMENTWISE_KINDS
from .errors import UnknownKindError
from .layers import LAYER_KINDS

__all__ = ["BlockKind", "KINDS", "LAYER_RULES", "PALETTE_HIDDEN", "kind"]

KINDS: dict[str, BlockKind] = {k.name: k
                               for k in [*LAYER_KINDS, *ELEMENTWISE_KINDS, *BLOCK_KINDS]}
# Layer kind -> its shape/param/FLOP rule: what the expander computes each layer with.
LAYER_RULES: dict[str, Callable] = {k.name: k.rule for k in KINDS.values() if k.rule}
PALETTE_HIDDEN = ("opaque",)  # exists for imports only


def kind(name: str) -> BlockKind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKindError(f"unknown block kind {name!r}; known kinds: "
                               f"{', '.join(sorted(KINDS))}") from None
