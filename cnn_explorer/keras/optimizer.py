"""The optimizer, learning-rate schedule and loss of a run, defined once.

The app's instrumented run compiles with `make_optimizer` and `make_loss`, and the exported
script carries the source of these functions verbatim (see `export.py`, which reads it from
this file without importing Keras), so a script trains with exactly the schedule the app used.
Settings come as a plain dict (`RunSettings.to_dict()` in the app, `RUN_SETTINGS` in the
script); keys added later are read with `.get`, so older settings still work.
"""

from __future__ import annotations

import keras


def total_steps(train_images: int, settings: dict) -> int:
    """Optimizer steps of the whole run: batches per epoch (the last may be partial) x epochs."""
    batches = max(1, -(-train_images // settings["batch_size"]))
    return batches * settings["epochs"]


def warmup_linear(peak: float, total_steps: int, warmup_steps: int = 0):
    """Linear from 0 to `peak` over `warmup_steps`, then linear down to 0 at `total_steps`:
    the one-cycle shape that fast CIFAR recipes (airbench, Smith's super-convergence) use."""
    total = max(1, int(total_steps))
    warmup = min(max(0, int(warmup_steps)), total - 1)

    class WarmupLinear(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            step = keras.ops.cast(step, "float32") + 1.0
            up = keras.ops.minimum(step / max(1, warmup), 1.0)
            down = (total - step) / max(1, total - warmup)
            rising = keras.ops.cast(step <= warmup, "float32")
            return peak * keras.ops.clip(rising * up + (1.0 - rising) * down, 0.0, 1.0)

        def get_config(self) -> dict:
            return {"peak": peak, "total_steps": total, "warmup_steps": warmup}

    return WarmupLinear()


def make_optimizer(settings: dict, total_steps: int) -> "keras.optimizers.Optimizer":
    """Adam or SGD with (Nesterov) momentum; constant, cosine, step (x0.1 at 1/2 and 3/4) or
    linear schedule, after a linear warm-up over the first `warmup` fraction of steps;
    decoupled weight decay; gradients clipped to a global norm when `clip_norm` is above 0
    (Pascanu et al. 2013)."""
    lr = settings["learning_rate"]
    warmup = int(settings.get("warmup", 0.0) * total_steps)
    if settings["schedule"] == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(
            0.0 if warmup else lr, decay_steps=max(1, total_steps - warmup),
            warmup_target=lr if warmup else None, warmup_steps=warmup)
    elif settings["schedule"] == "step":
        bounds = [max(1, total_steps // 2), max(2, total_steps * 3 // 4)]
        lr = keras.optimizers.schedules.PiecewiseConstantDecay(bounds, [lr, lr / 10, lr / 100])
    elif settings["schedule"] == "linear":
        lr = warmup_linear(lr, total_steps, warmup)
    extra = {"global_clipnorm": settings["clip_norm"]} if settings.get("clip_norm") else {}
    if settings.get("weight_decay"):
        extra["weight_decay"] = settings["weight_decay"]
    if settings["optimizer"] == "sgd":
        return keras.optimizers.SGD(lr, momentum=settings["momentum"],
                                    nesterov=bool(settings.get("nesterov")), **extra)
    return keras.optimizers.Adam(lr, **extra)


def make_loss(settings: dict):
    """Cross-entropy on the softmax output; with `label_smoothing` s the target is 1-s on the
    true class plus s spread over all classes (Szegedy et al. 2016)."""
    smoothing = float(settings.get("label_smoothing", 0.0))
    if not smoothing:
        return "sparse_categorical_crossentropy"

    def smoothed_crossentropy(y_true, y_pred):
        classes = keras.ops.shape(y_pred)[-1]
        labels = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
        target = keras.ops.one_hot(labels, classes, dtype=y_pred.dtype)
        target = target * (1.0 - smoothing) + smoothing / keras.ops.cast(classes, y_pred.dtype)
        return keras.losses.categorical_crossentropy(target, y_pred)

    return smoothed_crossentropy
