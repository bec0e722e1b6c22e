"""Test accuracy reached in a fixed time: the app's headless training beside plain `model.fit`.

`plain-cnn` with a 10-class head, trained on the offline CIFAR-10 copy (25,000 JPEG-decoded
train images, the full 10,000-image test set) for the same wall-clock budget each, then
scored on the test set. The app's run records every layer's gradient norm every step, holds
out 1,000 images for per-epoch validation and saves the best checkpoint, all inside its
budget; `fit` only trains.

    python benchmarks/time_to_accuracy.py [--data /work/shared/data/cifar10] [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def load(folder: Path):
    from cnn_explorer.training.data import CIFAR10_CLASSES, DataArrays

    train, test = np.load(folder / "train.npz"), np.load(folder / "test.npz")
    return DataArrays("cifar10-offline", train["x"], train["y"].astype(np.int64), test["x"],
                      test["y"].astype(np.int64), CIFAR10_CLASSES)


def test_accuracy(model, data) -> float:
    from cnn_explorer.training.pipeline import eval_dataset

    probs = model.predict(eval_dataset(data.x_test, data.y_test, batch_size=500), verbose=0)
    return float(np.mean(np.argmax(probs, -1) == data.y_test))


def run_app(design, settings, data, seconds: float) -> tuple[float, int, float]:
    """The app's run (instrumented, validated, checkpointed), stopped when the budget is spent."""
    import keras

    from cnn_explorer.training.history import RunHistory
    from cnn_explorer.training.pipeline import split_data
    from cnn_explorer.training.records import RunControl
    from cnn_explorer.training.run import build_design_model, train_model

    keras.utils.set_random_seed(settings.seed)
    model = build_design_model(design, settings)
    split = split_data(data, subset=0, validation_split=1000 / len(data.x_train),
                       seed=settings.seed)
    control, history = RunControl(), RunHistory()
    timer = threading.Timer(seconds, control.stop)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        timer.start()
        train_model(model, split, settings, control=control, listener=history,
                    checkpoint=Path(tmp) / "best.keras")
        elapsed = time.perf_counter() - start
        timer.cancel()
    images = int(history.steps[-1]) * settings.batch_size if len(history.steps) else 0
    return test_accuracy(model, data), images, elapsed


class _TimeBudget:
    def __new__(cls, seconds: float):
        import keras

        class TimeBudget(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.start = time.perf_counter()
                self.steps = 0

            def on_train_batch_end(self, batch, logs=None):
                self.steps += 1
                if time.perf_counter() - self.start >= seconds:
                    self.model.stop_training = True

        return TimeBudget()


def run_fit(design, settings, data, seconds: float) -> tuple[float, int, float]:
    """Stock Keras: same model, optimizer and pipeline, no instrumentation, no validation."""
    import keras

    from cnn_explorer.keras.optimizer import make_optimizer
    from cnn_explorer.training.pipeline import train_dataset
    from cnn_explorer.training.run import build_design_model

    keras.utils.set_random_seed(settings.seed)
    model = build_design_model(design, settings)
    model.compile(optimizer=make_optimizer(settings.to_dict(), 10**6),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data.x_train[1000:], data.y_train[1000:]  # the same 24,000 images the app trains on
    budget = _TimeBudget(seconds)
    start = time.perf_counter()
    model.fit(train_dataset(x, y, batch_size=settings.batch_size, seed=settings.seed,
                            augment=settings.augment),
              epochs=1000, verbose=0, shuffle=False, callbacks=[budget])
    elapsed = time.perf_counter() - start
    return test_accuracy(model, data), budget.steps * settings.batch_size, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/cifar10"))
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    from cnn_explorer.model.presets import build_preset
    from cnn_explorer.model.settings import RunSettings

    data = load(args.data)
    design = build_preset("plain-cnn", classes=10)
    settings = RunSettings(dataset=str(args.data), batch_size=args.batch_size, epochs=1000,
                           learning_rate=1e-3, optimizer="adam", seed=0)
    print(f"plain-cnn (10 classes), {len(data.x_train):,} train / {len(data.x_test):,} test "
          f"images, Adam 1e-3, batch {args.batch_size}, budget {args.seconds:.0f} s each")
    for name, runner in (("app (instrumented, headless)", run_app), ("plain model.fit", run_fit)):
        accuracy, images, elapsed = runner(design, settings, data, args.seconds)
        print(f"{name:30s} test accuracy {accuracy:.4f} after {elapsed:5.1f} s, "
              f"{images / len(data.x_train):.1f} epochs ({images / elapsed:,.0f} img/s)",
              flush=True)


if __name__ == "__main__":
    main()
