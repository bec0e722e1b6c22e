"""Images per second: the app's instrumented training against plain `model.fit`, same model.

Both sides train a copy of the same design (same initial weights) on the same tf.data
pipeline of real CIFAR-10 images (the bundled sample), one epoch at a time, alternating in one
process so machine noise hits both. The instrumented side records every layer's gradient,
weight and update norm every step, probes every block's activation statistics every
`signals.ACTIVATION_EVERY` steps, diagnoses the recent window every `run.DIAGNOSE_EVERY` steps,
and streams it all to a RunHistory, as the panel does.

    python benchmarks/training_overhead.py [--rounds 7] [--batch-size 128] \
        [--presets plain-cnn resnet20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def build_pair(preset: str, settings, steps: int):
    """Two identical Keras models: one for stock fit, one wrapped by the instrumented step."""
    import keras

    from cnn_explorer.keras.optimizer import make_optimizer
    from cnn_explorer.model.presets import build_preset
    from cnn_explorer.training.instrument import compile_instrumented
    from cnn_explorer.training.run import build_design_model, layer_blocks

    design = build_preset(preset, classes=10) if preset == "plain-cnn" else build_preset(preset)
    keras.utils.set_random_seed(0)
    plain = build_design_model(design, settings)
    keras.utils.set_random_seed(0)
    inner = build_design_model(design, settings)
    plain.compile(optimizer=make_optimizer(settings.to_dict(), steps),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    blocks = layer_blocks(design)
    return plain, compile_instrumented(inner, settings, steps, blocks), blocks


def time_epoch(model, dataset, callbacks, images: int) -> float:
    start = time.perf_counter()
    model.fit(dataset, epochs=1, verbose=0, shuffle=False, callbacks=callbacks)
    return images / (time.perf_counter() - start)


def measure(preset: str, rounds: int, batch_size: int) -> tuple[float, float]:
    from cnn_explorer.model.settings import RunSettings
    from cnn_explorer.training.data import load_sample
    from cnn_explorer.training.history import RunHistory
    from cnn_explorer.training.pipeline import train_dataset
    from cnn_explorer.training.records import RunControl
    from cnn_explorer.training.run import RunReporter

    data = load_sample()
    settings = RunSettings(batch_size=batch_size, grad_norm_every=1)
    images = len(data.x_train)
    dataset = train_dataset(data.x_train, data.y_train, batch_size=batch_size, seed=0,
                            augment=False)
    from cnn_explorer.training.signals import ActivationProbe

    plain, wrapped, blocks = build_pair(preset, settings, 1000)
    history = RunHistory()
    probe = ActivationProbe(wrapped.inner, blocks, data.x_test)
    reporter = RunReporter(wrapped, settings, RunControl(), history, None, probe)
    history.on_start(_info(wrapped, settings))
    time_epoch(plain, dataset, [], images)  # warm-up: tracing and XLA compilation
    time_epoch(wrapped, dataset, [reporter], images)
    fit_rates, app_rates = [], []
    for _ in range(rounds):
        fit_rates.append(time_epoch(plain, dataset, [], images))
        app_rates.append(time_epoch(wrapped, dataset, [reporter], images))
    assert history.grad_norms.shape[1] == len(wrapped.slots)  # norms really were recorded
    assert probe.model is not None and probe.stats()  # and activations were probed
    print(f"  {preset}: fit {[round(r) for r in fit_rates]}, instrumented "
          f"{[round(r) for r in app_rates]} img/s per round", flush=True)
    return fit_rates, app_rates


def _info(wrapped, settings):
    from cnn_explorer.training.records import RunInfo

    return RunInfo(layers=[s.to_dict() for s in wrapped.slots], epochs=1, steps_per_epoch=1,
                   batch_size=settings.batch_size, class_names=[], settings={})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--presets", nargs="+", default=["plain-cnn", "resnet20"])
    args = parser.parse_args()
    import tensorflow as tf

    print(f"TensorFlow {tf.__version__}, devices: "
          f"{[d.device_type for d in tf.config.list_physical_devices()]}, "
          f"batch {args.batch_size}, {args.rounds} alternating epochs of 1,800 images; best-of and "
          f"median of per-round ratios (robust to other load on the machine)")
    for preset in args.presets:
        fit_rates, app_rates = measure(preset, args.rounds, args.batch_size)
        paired = statistics.median(a / f for a, f in zip(app_rates, fit_rates))
        print(f"{preset:10s} model.fit best {max(fit_rates):6.0f} img/s | instrumented (norms "
              f"every step) best {max(app_rates):6.0f} img/s | ratio of bests "
              f"{max(app_rates) / max(fit_rates):.3f} | median paired ratio {paired:.3f}",
              flush=True)


if __name__ == "__main__":
    main()
