"""Try every keras.applications model: import it onto the canvas, rebuild it, export it, compare.

    python benchmarks/keras_roundtrip.py            # every application (several minutes)
    python benchmarks/keras_roundtrip.py ResNet50 NASNetMobile

For each model (weights=None, the smallest square input it accepts from 32 up) it prints a
Markdown row: exact (parameter count, output shape, and every layer's shape, count and config
equal after import -> build, and after import -> export -> build_model; layers of nested models
are compared one by one, keras.ops calls such as `x + 3.0` by class), the blocks that stayed
opaque (Keras layers no block expresses exactly) and, when not exact, why; then N of 40. Run by
hand; the CI tests cover ResNet50, DenseNet121, MobileNetV2, EfficientNetB0, MobileNetV3Small,
ConvNeXt (small widths) and the Inception-ResNet block.
"""

from __future__ import annotations

import inspect
import os
import sys
import time
import types
from collections import Counter

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SIZES = (32, 75, 224, 331)  # Xception/Inception need 71/75; NASNetLarge wants 331


def applications() -> list[str]:
    import keras

    return sorted(name for name, fn in vars(keras.applications).items()
                  if name[:1].isupper() and inspect.isfunction(fn))


def make(name: str):
    """The application at the smallest input size it accepts, and that size."""
    import keras

    last = None
    for size in SIZES:
        try:
            build = getattr(keras.applications, name)
            return build(weights=None, input_shape=(size, size, 3)), size
        except ValueError as exc:  # "input must be at least 75x75", ...
            last = exc
    raise last


def exported_model(design):
    from cnn_explorer.keras.export import export_python

    module = types.ModuleType("exported")
    exec(compile(export_python(design), "exported.py", "exec"), module.__dict__)
    return module.build_model()


def try_one(name: str) -> dict:
    from cnn_explorer.keras.build import build_model
    from cnn_explorer.keras.compare import layer_mismatches
    from cnn_explorer.keras.importer import ImportProblem, import_keras_model

    start = time.perf_counter()
    original, size = make(name)
    row = {"model": name, "input": size, "params": original.count_params()}
    try:
        design = import_keras_model(original)
    except ImportProblem as exc:
        return {**row, "exact": False, "why": f"not importable: {exc}"}
    opaque = Counter(b.params["class_name"] for b in design.graph.blocks() if b.kind == "opaque")
    row["blocks"] = len(design.graph.blocks())
    row["opaque"] = ", ".join(f"{k} x{v}" for k, v in opaque.most_common()) or "-"
    problems = []
    for how, make_again in (("build", lambda: build_model(design.graph)),
                            ("export", lambda: exported_model(design))):
        rebuilt = make_again()
        if rebuilt.count_params() != original.count_params():
            problems.append(f"{how}: {rebuilt.count_params():,} parameters")
        if rebuilt.output.shape != original.output.shape:
            problems.append(f"{how}: output {rebuilt.output.shape}")
        problems += [f"{how}: {m}" for m in layer_mismatches(original, rebuilt)[:3]]
    row["exact"] = not problems
    row["why"] = "; ".join(problems)
    row["seconds"] = round(time.perf_counter() - start, 1)
    return row


def main(names: list[str]) -> int:
    import keras

    names = names or applications()
    print(f"keras {keras.__version__}; {len(names)} application(s)\n")
    print("| model | input | params | exact | blocks | kept opaque | why not exact |")
    print("|---|---|---|---|---|---|---|")
    exact = 0
    for name in names:
        try:
            row = try_one(name)
        except Exception as exc:  # noqa: BLE001 - report and go on to the next model
            row = {"model": name, "exact": False, "why": f"{type(exc).__name__}: {exc}"}
        exact += bool(row["exact"])
        why = str(row.get("why", "")).splitlines()[0][:160] if row.get("why") else ""
        print(f"| {row['model']} | {row.get('input', '?')} | {row.get('params', 0):,} | "
              f"{'yes' if row['exact'] else 'no'} | {row.get('blocks', '-')} | "
              f"{row.get('opaque', '-')} | {why} |", flush=True)
        keras.backend.clear_session()
    print(f"\n{exact} of {len(names)} round-trip exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
