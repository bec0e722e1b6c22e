"""Re-inference after one parameter edit vs building the Keras model and counting its params.

Run: python benchmarks/inference_latency.py [--repeats 200]
Prints, for resnet50 and densenet-bc-100, the median time of one edit + re-inference (the
canvas's path after every edit), the median time of a Keras build + count_params() of the same
graph, and the ratio. Goal: under 5 ms and at least 100x faster than the Keras build.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--keras-repeats", type=int, default=3)
    args = parser.parse_args()
    import keras

    from cnn_explorer.keras.build import build_model
    from cnn_explorer.model.presets import build_preset

    print(f"{'preset':<28} {'edit+infer':>11} {'cold infer':>11} {'keras build':>12} "
          f"{'ratio':>8}")
    cases = (("resnet50", {}, "conv4_block3", "filters", (256, 128)),
             ("densenet-bc-100", {}, "dense2", "growth_rate", (12, 16)),
             ("plain-deep", {"depth": 200}, "stage2_conv5", "filters", (32, 40)))
    for name, knobs, block, field, values in cases:
        graph = build_preset(name, **knobs).graph
        name = f"{name}({len(graph)} blocks)"
        bid = graph.find(block).id
        state = {"i": 0}

        def edit(graph=graph, bid=bid, field=field, values=values, state=state) -> None:
            state["i"] += 1
            graph.set_param(bid, field, values[state["i"] % 2])
            graph.report()

        def cold(graph=graph) -> None:
            graph._inference_cache.clear()  # measure without the cache
            graph._report = None
            graph.report()

        def keras_build(graph=graph) -> None:
            keras.backend.clear_session()
            build_model(graph).count_params()

        edit_ms = median_ms(edit, args.repeats)
        cold_ms = median_ms(cold, max(10, args.repeats // 10))
        keras_ms = median_ms(keras_build, args.keras_repeats)
        print(f"{name:<28} {edit_ms:>9.2f}ms {cold_ms:>9.2f}ms {keras_ms:>10.1f}ms "
              f"{keras_ms / edit_ms:>7.0f}x")


if __name__ == "__main__":
    main()
