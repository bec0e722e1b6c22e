"""Feature maps: what one block of a trained model outputs for one test image, channel by
channel (issue 13, part 3). Reads a run's checkpoint (`run.keras`) and the design beside it;
imports TensorFlow, so the app calls it on a worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .records import TrainingError

if TYPE_CHECKING:
    from cnn_explorer.model.files import Design

    from .data import DataArrays

MAX_CHANNELS = 256  # more tiles than this are unreadable at any panel size


@dataclass(frozen=True)
class FeatureMaps:
    image: np.ndarray  # the test image, uint8 (H, W, 3)
    label: str  # its class name
    block_name: str
    maps: np.ndarray  # the block's output for it, float (H, W, C); a vector is (1, 1, C)
    channels: int  # all the block's channels (maps may hold only the first MAX_CHANNELS)


def block_output_layer(design: Design, block_id: str) -> str:
    """The Keras layer whose output is the block's output (its last primitive layer)."""
    info = design.graph.report().blocks.get(block_id)
    if info is None or not info.layers:
        raise TrainingError("this block has no layer in the trained model")
    return info.layers[-1].name


def feature_maps(checkpoint: str | Path, block_id: str, data: DataArrays,
                 index: int) -> FeatureMaps:
    """The block's output for test image `index` of `data` (training.data.DataArrays)."""
    import keras

    from cnn_explorer.keras.checkpoint import load_trained_design

    checkpoint = Path(checkpoint)
    if not checkpoint.exists():
        raise TrainingError(f"the run saved no model at {checkpoint} (a run that stopped "
                            "before its first epoch ended keeps none)")
    design = load_trained_design(checkpoint)
    if block_id not in design.graph.block_ids():
        raise TrainingError("the trained model has no such block (the design was edited)")
    try:
        model = keras.saving.load_model(checkpoint, compile=False)
        layer = model.get_layer(block_output_layer(design, block_id))
        probe = keras.Model(model.input, layer.output)
    except (ValueError, OSError) as exc:
        raise TrainingError(f"cannot read the trained model {checkpoint.name}: {exc}") from exc
    index = int(np.clip(index, 0, len(data.x_test) - 1))
    image = data.x_test[index]
    out = np.asarray(probe(image[None].astype("float32") / 255.0, training=False))[0]
    out = out.reshape((1, 1, -1)) if out.ndim == 1 else out
    if out.ndim != 3:
        raise TrainingError(f"the block's output has shape {out.shape}: not channels of an "
                            "image")
    return FeatureMaps(image, data.class_names[int(data.y_test[index])],
                       design.graph.block(block_id).name, out[..., :MAX_CHANNELS],
                       out.shape[-1])


def activation_bands(steps: list[int], activations: list[dict], block_id: str
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(steps, percentiles (steps, len(signals.QUANTILES))) of one block's activations over a
    run: what the probe recorded every few steps (RunHistory.activation_steps/.activations)."""
    rows = [(step, stats[block_id]["q"]) for step, stats in zip(steps, activations)
            if len(stats.get(block_id, {}).get("q", ())) > 0]
    if not rows:
        return np.zeros(0), np.zeros((0, 0))
    width = len(rows[-1][1])
    rows = [(step, q) for step, q in rows if len(q) == width]
    return (np.asarray([step for step, _ in rows], float),
            np.asarray([q for _, q in rows], float))
