"""Which weights a design starts from: a weights file beside it, its hash, and what each block
was when the weights were saved.

The file itself (a Keras `.weights.h5`, or a `.keras` checkpoint) is read by the Keras bridge;
this module is pure data. A block keeps its saved weights only while its kind and parameters
are those recorded here (its *fingerprint*); an edited block starts from its initialiser.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DesignFileError

if TYPE_CHECKING:  # pragma: no cover
    from .graph import Block, Graph

WEIGHTS_SUFFIX = ".weights.h5"


@dataclass(frozen=True)
class WeightsRef:
    """`file`: the weights file (absolute once loaded, or as the design file wrote it);
    `blocks`: block id -> (fingerprint, the Keras layer names its weights were saved under)."""

    file: str
    sha256: str
    blocks: dict = field(default_factory=dict)

    def to_dict(self, folder: Path | None = None) -> dict:
        """The design file's `weights` entry; the path is relative to `folder` when the file
        lies in it (so a design and its weights move together)."""
        path = Path(self.file)
        if folder is not None and path.is_absolute():
            try:
                path = path.relative_to(Path(folder).resolve())
            except ValueError:
                pass
        return {"file": path.as_posix(), "sha256": self.sha256,
                "blocks": {bid: [fp, list(names)] for bid, (fp, names) in self.blocks.items()}}

    @classmethod
    def from_dict(cls, data: object, folder: Path | None = None) -> "WeightsRef":
        if not isinstance(data, dict) or not isinstance(data.get("file"), str) or not data["file"]:
            raise DesignFileError("'weights' must be an object with a file name")
        sha = data.get("sha256")
        if not isinstance(sha, str) or len(sha) != 64:
            raise DesignFileError("'weights' needs the sha256 of its file (64 hex digits)")
        blocks = data.get("blocks") or {}
        if not isinstance(blocks, dict):
            raise DesignFileError("'weights.blocks' must be an object")
        checked = {}
        for bid, entry in blocks.items():
            if (not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[0], str)
                    or not isinstance(entry[1], list)
                    or not all(isinstance(n, str) for n in entry[1])):
                raise DesignFileError(f"'weights.blocks' entry of block {bid!r} must be "
                                      "[fingerprint, [layer names]]")
            checked[bid] = (entry[0], tuple(entry[1]))
        path = Path(data["file"])
        if folder is not None and not path.is_absolute():
            path = Path(folder) / path
        return cls(str(path), sha, checked)


def block_fingerprint(block: "Block") -> str:
    """What a block is, for its weights: its kind and parameters (not its name or position)."""
    text = json.dumps([block.kind, block.params_key])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def record_blocks(graph: "Graph") -> dict:
    """Every block's fingerprint and the names of the layers it expands to, now."""
    report = graph.report()
    return {b.id: (block_fingerprint(b),
                   tuple(layer.name for layer in report.blocks[b.id].layers))
            for b in graph.blocks() if b.id in report.blocks}


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def weights_path_for(design_path: str | os.PathLike) -> Path:
    """`x.json` -> `x.weights.h5`, beside it."""
    path = Path(design_path)
    return path.with_name(path.stem + WEIGHTS_SUFFIX)
