"""The optimizer and learning-rate schedule of a run, defined once.

The app's instrumented run compiles with `make_optimizer`, and the exported script carries the
source of these functions verbatim (see `export.py`, which reads it from this file without
importing Keras), so a script trains with exactly the schedule the app used. Settings come as a
plain dict (`RunSettings.to_dict()` in the app, `RUN_SETTINGS` in the script).
"""

from __future__ import annotations

import keras


def total_steps(train_images: int, settings: dict) -> int:
    """Optimizer steps of the whole run: batches per epoch (the last may be partial) x epochs."""
    batches = max(1, -(-train_images // settings["batch_size"]))
    return batches * settings["epochs"]


def make_optimizer(settings: dict, total_steps: int) -> "keras.optimizers.Optimizer":
    """Adam or SGD with momentum; constant, cosine or step (x0.1 at 1/2 and 3/4) schedule;
    gradients clipped to a global norm when `clip_norm` is above 0 (Pascanu et al. 2013)."""
    lr = settings["learning_rate"]
    if settings["schedule"] == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(1, total_steps))
    elif settings["schedule"] == "step":
        bounds = [max(1, total_steps // 2), max(2, total_steps * 3 // 4)]
        lr = keras.optimizers.schedules.PiecewiseConstantDecay(bounds, [lr, lr / 10, lr / 100])
    clip = {"global_clipnorm": settings["clip_norm"]} if settings.get("clip_norm") else {}
    if settings["optimizer"] == "sgd":
        return keras.optimizers.SGD(lr, momentum=settings["momentum"], **clip)
    return keras.optimizers.Adam(lr, **clip)
