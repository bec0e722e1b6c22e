"""Run by test_export in a fresh process: build each exported script's model and print, as JSON,
every layer's output shape, parameter count and Keras config, and each keras.ops call's class
and shape (what the test compares)."""

import importlib.util
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def describe(path: str) -> dict:
    spec = importlib.util.spec_from_file_location("exported", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # only defines functions; __main__ does not run
    model = module.build_model()
    layers = {layer.name: {"shape": list(layer.output.shape[1:]), "params": layer.count_params(),
                           "config": layer.get_config()} for layer in model.layers}
    import keras

    operations = sorted([type(op).__name__, list(op.output.shape[1:])]
                        for op in model.operations
                        if not isinstance(op, keras.layers.Layer))  # keras.ops calls: x + 3.0
    return {"params": model.count_params(), "output": list(model.output.shape[1:]),
            "layers": layers, "operations": operations}


if __name__ == "__main__":
    print(json.dumps({path: describe(path) for path in sys.argv[1:]}, default=str))
