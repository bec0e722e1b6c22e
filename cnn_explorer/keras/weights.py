"""A design's weights: kept beside it on import, loaded block by block when it is built.

The weights file is a Keras `.weights.h5` written by `model.save_weights` of the model the app
builds from the design, so the exported script's `build_model()` followed by
`model.load_weights(file)` reads it too. Inside the app the file is read with h5py, layer by
layer (Keras records each layer's name beside its variables), so that an edited block loses
only its own weights. A `.keras` checkpoint is read the same way, from its weights member.
Nothing here runs code from a file: weights are arrays, assigned to layers the app built.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.files import Design
from cnn_explorer.model.weights_ref import (
    WeightsRef,
    block_fingerprint,
    file_sha256,
    record_blocks,
    weights_path_for,
)

if TYPE_CHECKING:  # pragma: no cover
    import keras
    import numpy as np

_KERAS_MEMBER = "model.weights.h5"  # where a `.keras` archive keeps its weights


class WeightsProblem(DesignError):
    """A weights file cannot be read; the message says which and why."""


def leaf_layers(model: "keras.Model") -> list:
    """Every layer, looking inside nested models."""
    import keras

    out = []
    for layer in model.layers:
        out.extend(leaf_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return out


def save_weights_atomic(model: "keras.Model", path: str | os.PathLike) -> Path:
    """`model.save_weights` to a temporary file beside `path`, then one rename."""
    path = Path(path)
    if not path.name.endswith(".weights.h5"):
        raise ValueError(f"{path.name}: a weights file ends in .weights.h5")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name[:-len('.weights.h5')]}.partial.weights.h5")
    try:
        model.save_weights(tmp, overwrite=True)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def keep_weights(design: Design, model: "keras.Model", path: str | os.PathLike) -> WeightsRef:
    """Write `model`'s weights (a model built from `design`) to `path` and make the design
    name them, with their hash and what each block is now."""
    path = save_weights_atomic(model, path).resolve()
    design.weights = WeightsRef(str(path), file_sha256(path), record_blocks(design.graph))
    return design.weights


def import_with_weights(source: str | os.PathLike, design_path: str | os.PathLike) -> Design:
    """Import a `.keras` file and keep its weights as `<design>.weights.h5` beside
    `design_path`. The model is built from the checked config (safe mode); its weights come
    from the archive's weights file only, through `load_weights`, into that model."""
    from .build import build_model
    from .importer import ImportProblem, import_keras_model, load_checked_model

    source = Path(source)
    model = load_checked_model(source)
    try:
        _load_archive_weights(model, source)
    except Exception as exc:  # noqa: BLE001 - any failure means "the weights do not fit"
        text = (str(exc).strip() or type(exc).__name__).splitlines()[0][:300]
        raise ImportProblem(f"{source.name}: its weights could not be read: {text}") from None
    originals: dict = {}
    design = import_keras_model(model, originals)
    design.title = source.stem
    rebuilt = build_model(design.graph, name=model.name)
    copy_block_weights(originals, rebuilt)
    keep_weights(design, rebuilt, weights_path_for(design_path))
    return design


def _load_archive_weights(model: "keras.Model", source: Path) -> None:
    """The archive's weights into the model built from its config: layer by layer, by the
    names Keras saved beside them (fast: h5py reads), or by Keras' own `load_weights` (by
    structure) when a layer's name or shapes do not match."""
    stored = read_weights(source)
    pending = []
    for layer in leaf_layers(model):
        mine: dict = {}
        layer.save_own_variables(mine)
        if not mine:
            continue
        arrays = stored.get(layer.name)
        if arrays is None or len(arrays) != len(mine) or any(
                tuple(a.shape) != tuple(mine[str(i)].shape) for i, a in enumerate(arrays)):
            model.load_weights(source)
            return
        pending.append((layer, {str(i): a for i, a in enumerate(arrays)}))
    for layer, store in pending:
        layer.load_own_variables(store)


def copy_block_weights(originals: dict, rebuilt: "keras.Model") -> None:
    """Each imported layer's variables into the rebuilt layer of the same block name."""
    for layer in leaf_layers(rebuilt):
        source = originals.get(layer.name)
        if source is None or not source.weights:
            continue
        store: dict = {}
        source.save_own_variables(store)
        layer.load_own_variables(store)


def read_weights(path: str | os.PathLike) -> dict[str, list["np.ndarray"]]:
    """Layer name -> its saved arrays (in Keras' own order), from a `.weights.h5` file or the
    weights member of a `.keras` archive."""
    import h5py
    import numpy as np

    path = Path(path)
    try:
        if path.suffix == ".keras":
            with zipfile.ZipFile(path) as archive:
                source = io.BytesIO(archive.read(_KERAS_MEMBER))
        else:
            source = path
        found: dict[str, list] = {}
        with h5py.File(source, "r") as fh:
            def visit(name: str, obj) -> None:
                if (isinstance(obj, h5py.Group) and name.endswith("vars")
                        and "name" in obj.attrs and len(obj)):
                    keys = sorted(obj.keys(), key=lambda k: int(k) if k.isdigit() else -1)
                    found.setdefault(str(obj.attrs["name"]), [np.asarray(obj[k]) for k in keys])
            fh.visititems(visit)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise WeightsProblem(f"{path.name} cannot be read as a weights file ({exc})") from None
    return found


def load_design_weights(model: "keras.Model", design: Design) -> list[str]:
    """Load the design's weights into `model` (built from it), block by block.

    Returns what the user should read: one summary line, and one line per block that could not
    take its weights (edited, new, or fed a different shape), which starts from its
    initialiser. A missing or changed file (its hash differs) loads nothing and says so.
    """
    ref = design.weights
    if ref is None:
        return []
    path = Path(ref.file)
    fresh = "the model starts from its initialisers"
    if not path.is_file():
        return [f"Weights file {path.name} not found: {fresh}."]
    try:
        if file_sha256(path) != ref.sha256:
            return [f"Weights file {path.name} has changed since the design named it (its "
                    f"sha256 differs): weights not loaded, {fresh}."]
        stored = read_weights(path)
    except (OSError, WeightsProblem) as exc:
        return [f"Weights not loaded: {exc}; {fresh}."]
    report = design.graph.report()
    layers = {layer.name: layer for layer in leaf_layers(model)}
    notes, loaded, total = [], 0, 0
    for block in design.graph.blocks():
        info = report.blocks.get(block.id)
        current = [layers[i.name] for i in info.layers if i.name in layers] if info else []
        if not any(layer.weights for layer in current):
            continue
        total += 1
        why = _why_not(block, ref.blocks.get(block.id), current, stored)
        if why:
            notes.append(f"block {block.name}: weights not loaded, {why}")
        else:
            loaded += 1
    head = f"Loaded weights for {loaded} of {total} blocks from {path.name}."
    return [head] + notes


def _why_not(block, record, current: list, stored: dict) -> str:
    """Load one block's layers; '' when done, else why not (nothing is assigned then)."""
    if record is None:
        return "it is new (it starts from its initialiser)"
    fingerprint, names = record
    if fingerprint != block_fingerprint(block) or len(names) != len(current):
        return "its parameters changed (it starts from its initialiser)"
    pending = []
    for layer, name in zip(current, names):
        mine: dict = {}
        layer.save_own_variables(mine)
        if not mine:
            continue
        arrays = stored.get(name)
        if arrays is None or len(arrays) != len(mine) or any(
                tuple(a.shape) != tuple(mine[str(i)].shape) for i, a in enumerate(arrays)):
            return "its input or weight shapes changed (it starts from its initialiser)"
        pending.append((layer, {str(i): a for i, a in enumerate(arrays)}))
    for layer, store in pending:
        layer.load_own_variables(store)
    return ""


def checkpoint_design(path: str | os.PathLike) -> Design:
    """A checkpoint the app saved (`x.keras` + `x.design.json`), reopened with its weights:
    the design, naming the `.keras` file as the weights it starts from."""
    from .checkpoint import load_trained_design

    path = Path(path).resolve()
    if not path.is_file():
        raise WeightsProblem(f"{path.name} does not exist or is not a file")
    from .importer import ImportProblem

    try:
        design = load_trained_design(path)
    except ImportProblem as exc:  # no design beside it, and the model does not import
        raise WeightsProblem(str(exc)) from None
    ref = WeightsRef(str(path), file_sha256(path), record_blocks(design.graph))
    return replace(design, weights=ref)
