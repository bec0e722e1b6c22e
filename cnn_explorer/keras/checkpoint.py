"""Trained models on disk: the `.keras` file and, beside it, the design it was built from.

The design JSON (`run.design.json` beside `run.keras`) is what reopens on the canvas, with the
same blocks, names, parameters and positions; the `.keras` file holds the weights.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from cnn_explorer.model.files import Design, load_design, save_design

if TYPE_CHECKING:  # pragma: no cover
    import keras


def design_path(path: str | os.PathLike) -> Path:
    """Where the design of a trained model is kept: `x.keras` -> `x.design.json`."""
    return Path(path).with_suffix(".design.json")


def save_model_atomic(model: "keras.Model", path: str | os.PathLike) -> Path:
    """Write a `.keras` file so that a crash mid-save leaves the previous file whole: the model
    goes to a hidden temporary file beside it, which then replaces the target in one step."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path.name}: a trained model is saved as a .keras file")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial.keras")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def save_design_beside(design: Design, path: str | os.PathLike) -> Path:
    """The design a checkpoint was trained from, as `x.design.json` beside `x.keras`."""
    target = design_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_design(design, target)
    return target


def save_trained(model: "keras.Model", design: Design, path: str | os.PathLike) -> None:
    """Write the trained model (`path`, .keras) and its design beside it, both atomically."""
    save_model_atomic(model, path)
    save_design_beside(design, path)


def load_trained_design(path: str | os.PathLike) -> Design:
    """The design of a trained model: its saved design JSON, or, when that is missing (a
    `.keras` file from elsewhere), the model imported safely from the `.keras` file."""
    path = Path(path)
    beside = design_path(path)
    if beside.exists():
        return load_design(beside)
    from .importer import import_keras_file

    return import_keras_file(path)
