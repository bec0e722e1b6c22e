"""CIFAR-10 test accuracy reached in a fixed wall time: the fast-cifar preset beside the notes'
recipe, both trained by the app's own instrumented run, on the same data and budget.

Data: the offline CIFAR-10 copy (`train.npz`, 25,000 JPEG-decoded images, plus
`train_exact.npz`, 4,000 more that do not overlap: 29,000 train images; `test.npz`, the full
10,000-image test set). Each run trains for `--seconds` of wall time (compiling included),
its learning-rate schedule fitted to the budget (`RunSettings.time_budget_s`), validating
on 1,000 test images after each epoch, then the final model is scored on all 10,000 test
images (fast-cifar with its test-time flip). The notes' recipe is plain-cnn with a 10-class
head, Adam 1e-3, batch 128, no augmentation.

    python benchmarks/time_to_accuracy.py --seconds 600 [--scaling] [--data DIR]

`--scaling` also trains fast-cifar on 10,000 and 20,000 of the images for the same budget and
fits accuracy = a + b log(n) through the three sizes to estimate the full 50,000-image set
(an extrapolation: the budget, not the data, limits a run of a few epochs, so b is small).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
VALIDATION_IMAGES = 1000


def load(folder: Path, extra: bool = True):
    from cnn_explorer.training.data import CIFAR10_CLASSES, DataArrays

    train, test = np.load(folder / "train.npz"), np.load(folder / "test.npz")
    x, y = train["x"], train["y"]
    if extra and (folder / "train_exact.npz").exists():
        more = np.load(folder / "train_exact.npz")
        x, y = np.concatenate([x, more["x"]]), np.concatenate([y, more["y"]])
    return DataArrays("cifar10-offline", x, y.reshape(-1).astype(np.int64), test["x"],
                      test["y"].reshape(-1).astype(np.int64), CIFAR10_CLASSES)


def test_accuracy(model, data, flip: bool) -> float:
    from cnn_explorer.training.pipeline import eval_dataset

    probs = model.predict(eval_dataset(data.x_test, data.y_test, batch_size=500), verbose=0)
    if flip:
        probs = probs + model.predict(eval_dataset(data.x_test[:, :, ::-1], data.y_test,
                                                   batch_size=500), verbose=0)
    return float(np.mean(np.argmax(probs, -1) == data.y_test))


def run(name: str, design, settings, data, seconds: float, images: int = 0) -> dict:
    """The app's run (instrumented, validated each epoch) for `seconds`; the test score."""
    import keras

    from cnn_explorer.training.history import RunHistory
    from cnn_explorer.training.pipeline import Split
    from cnn_explorer.training.run import build_design_model, train_model

    settings = dataclasses.replace(settings, time_budget_s=seconds, epochs=1000,
                                   validation_split=0.0)
    n = images or len(data.x_train)
    split = Split(data.x_train[:n], data.y_train[:n], data.x_test[:VALIDATION_IMAGES],
                  data.y_test[:VALIDATION_IMAGES], data.class_names)
    keras.utils.set_random_seed(settings.seed)
    model = build_design_model(design, settings)
    history = RunHistory()
    start = time.perf_counter()
    train_model(model, split, settings, listener=history)
    elapsed = time.perf_counter() - start
    seen = len(history.steps) * settings.batch_size
    seconds_steps = history.seconds
    half = len(seconds_steps) // 2
    rate = ((len(seconds_steps) - half) * settings.batch_size /
            max(seconds_steps[-1] - seconds_steps[half], 1e-9)) if half > 2 else float("nan")
    result = {"name": name, "accuracy": test_accuracy(model, data, settings.test_flip),
              "elapsed": elapsed, "epochs": seen / n, "img_s": rate, "images": n}
    trained = float(seconds_steps[-1]) if len(seconds_steps) else 0.0
    print(f"{name:34s} test accuracy {result['accuracy']:.4f}: trained {trained:5.1f} s "
          f"(budget {seconds:.0f} s), {result['epochs']:.2f} epochs of {n:,} images, "
          f"{rate:,.0f} img/s in its second half; {elapsed:.0f} s in all with setup, "
          "compiling and the last validation", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/cifar10"))
    parser.add_argument("--seconds", type=float, default=600.0, help="budget of each run")
    parser.add_argument("--no-extra", action="store_true", help="leave out train_exact.npz")
    parser.add_argument("--scaling", action="store_true",
                        help="also 10k and 20k images, to estimate the full 50k set")
    parser.add_argument("--width", type=int, default=32, help="fast-cifar's first channels")
    parser.add_argument("--batch-size", type=int, help="fast-cifar's batch (default: preset)")
    parser.add_argument("--lr", type=float, help="fast-cifar's peak learning rate")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="fast-cifar's flip and crop (default: preset)")
    args = parser.parse_args()

    from cnn_explorer.model.presets import build_preset
    from cnn_explorer.model.settings import RunSettings

    data = load(args.data, extra=not args.no_extra)
    fast = build_preset("fast-cifar", width=args.width)
    changes = {"batch_size": args.batch_size, "learning_rate": args.lr, "augment": args.augment}
    fast.settings = dataclasses.replace(fast.settings, **{k: v for k, v in changes.items()
                                                          if v is not None})
    notes = build_preset("plain-cnn", classes=10)
    notes_settings = RunSettings(dataset=str(args.data), optimizer="adam", learning_rate=1e-3,
                                 batch_size=128, schedule="constant", seed=0)
    s = fast.settings
    print(f"CIFAR-10: {len(data.x_train):,} train images, {len(data.x_test):,} test images; "
          f"budget {args.seconds:.0f} s of wall time per run, on {os.cpu_count()} CPU(s)\n"
          f"fast-cifar: {fast.graph.report().total_params:,} parameters; {s.optimizer} "
          f"lr {s.learning_rate:g} nesterov={s.nesterov} batch {s.batch_size}, {s.schedule} "
          f"schedule (warm-up {s.warmup:g}) fitted to the budget, label smoothing "
          f"{s.label_smoothing:g}, weight decay {s.weight_decay:g}, augment={s.augment}, "
          f"test flip={s.test_flip}\nnotes' recipe: plain-cnn "
          f"{notes.graph.report().total_params:,} parameters, Adam 1e-3, batch 128\n", flush=True)
    best = run("fast-cifar (app run, time-fitted)", fast, fast.settings, data, args.seconds)
    base = run("notes' recipe (plain-cnn, Adam)", notes, notes_settings, data, args.seconds)
    print(f"\nfast-cifar / notes' recipe: {best['accuracy']:.4f} / {base['accuracy']:.4f} = "
          f"{best['accuracy'] / max(base['accuracy'], 1e-9):.2f}x the accuracy in "
          f"{args.seconds:.0f} s (goals: 0.85 in 600 s, 0.80 in 300 s)")
    if args.scaling:
        points = [(n, run(f"fast-cifar on {n:,} images", fast, fast.settings, data,
                          args.seconds, images=n)["accuracy"]) for n in (10_000, 20_000)]
        points.append((len(data.x_train), best["accuracy"]))
        logs = np.log([n for n, _ in points])
        slope, intercept = np.polyfit(logs, [a for _, a in points], 1)
        estimate = intercept + slope * math.log(50_000)
        print(f"accuracy vs train-set size at {args.seconds:.0f} s: " +
              ", ".join(f"{n:,}: {a:.4f}" for n, a in points) +
              f"\nestimate for the full 50,000 (least-squares a + b ln n, extrapolated): "
              f"{estimate:.4f} (b = {slope:+.4f} per e-fold of data)")


if __name__ == "__main__":
    main()
