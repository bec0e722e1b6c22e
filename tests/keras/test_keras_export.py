"""The exported Python script rebuilds exactly the model the app builds, layer for layer."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_explorer.keras.export import ExportError, export_python
from cnn_explorer.keras.operations import CLASSES, OPERATION_KINDS
from cnn_explorer.model.files import Design
from cnn_explorer.model.graph import Graph
from cnn_explorer.model.presets import build_preset

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def exported(designs, tmp_path_factory) -> dict[str, dict]:
    """Every design exported, then built by its own script in one fresh Python process."""
    folder = tmp_path_factory.mktemp("exported")
    paths = {}
    for name, design in designs.items():
        path = folder / (name.replace("-", "_") + ".py")
        path.write_text(export_python(design, path.name))
        paths[str(path)] = name
    done = subprocess.run([sys.executable, str(HERE / "dump_exported.py"), *paths],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {paths[p]: info for p, info in result.items()}


def _jsonable(config: dict) -> dict:
    return json.loads(json.dumps(config, default=str))


def test_exported_script_matches_design_layer_by_layer(designs, exported):
    for name, design in designs.items():
        report = design.graph.report()
        got = exported[name]
        out = report.blocks[report.output_ids[0]].output_shape
        assert got["params"] == report.total_params, name
        assert tuple(got["output"]) == out, name
        expected = {layer.name: (list(layer.output_shape), layer.params_total)
                    for layer in report.layers if layer.kind not in OPERATION_KINDS}
        actual = {n: (info["shape"], info["params"]) for n, info in got["layers"].items()}
        assert actual == expected, name
        calls = sorted([_op_class(layer.params["operation"]), list(layer.output_shape)]
                       for layer in report.layers if layer.kind in OPERATION_KINDS)
        assert got["operations"] == calls, name


def _op_class(operation: str) -> str:
    return next(cls for cls, op in CLASSES.items() if op == operation)


def test_exported_layers_have_the_same_keras_config_as_the_app_built(exported, built):
    for name, model in built.items():
        for layer in model.layers:
            config = exported[name]["layers"][layer.name]["config"]
            assert config == _jsonable(layer.get_config()), (name, layer.name)


def test_script_has_block_functions_build_model_and_distributed_main(designs):
    source = export_python(designs["resnet50"], "resnet50.py")
    tree = ast.parse(source)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"residual_block", "conv_bn_act_block", "build_model", "main"} <= set(functions)
    assert "dense_block" not in functions  # only the composite kinds the design uses
    args = [a.arg for a in functions["residual_block"].args.kwonlyargs]
    assert args[:3] == ["variant", "filters", "strides"] and args[-1] == "name"
    assert "MirroredStrategy" in source and "tfds.load" in source
    assert 'if __name__ == "__main__":' in source
    assert source.count("x = residual_block(x,") == 16  # [3, 4, 6, 3] bottleneck blocks


def test_run_settings_go_into_the_script():
    design = build_preset("plain-cnn")
    source = export_python(design)
    namespace: dict = {}
    settings_source = source[source.index("RUN_SETTINGS"):source.index("\n}\n") + 3]
    exec(settings_source, namespace)  # a literal dict: safe to evaluate
    assert namespace["RUN_SETTINGS"] == design.settings.to_dict()
    assert 'DATASET = "cifar100"' in source  # 100 classes -> CIFAR-100


def test_design_with_problems_is_not_exported():
    g = Graph()
    g.add_block("input", {}, "image")
    g.add_block("dense", {}, "fc")  # not connected
    with pytest.raises(ExportError, match="fc: input port 0 not connected"):
        export_python(Design(g))


def test_opaque_class_name_cannot_inject_code():
    g = Graph()
    image = g.add_block("input", {"height": 4, "width": 4, "channels": 1}, "image")
    bad = g.add_block("opaque", {"class_name": "Flatten.__init__; import os; os", "config": {},
                                 "input_shapes": [[4, 4, 1]], "output_shape": [16]}, "evil")
    g.connect(image, bad)
    with pytest.raises(ExportError, match="evil"):
        export_python(Design(g))


def _fake_cifar(name, image_shape):
    """Stands in for tensorflow-datasets: 120 random 32x32 images, 10 classes."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.random((120, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, 120)
    data = tf.data.Dataset.from_tensor_slices((x, y))
    return data, data.take(40)


@pytest.mark.parametrize("gpus", [0, 2])
def test_exported_main_trains_under_a_distribution_strategy(monkeypatch, capsys, gpus):
    """The script's __main__ path runs end to end (one replica; MirroredStrategy when it sees
    two GPUs), with the design's optimizer, schedule, subset, split and augmentation."""
    import types
    from dataclasses import replace

    import tensorflow as tf

    design = build_preset("plain-cnn", classes=10)
    design.settings = replace(design.settings, optimizer="sgd", schedule="cosine", augment=True,
                              subset=96, batch_size=32, epochs=1, validation_split=0.25)
    module = types.ModuleType("exported")
    exec(compile(export_python(design), "exported.py", "exec"), module.__dict__)
    module.load_data = _fake_cifar
    real = tf.config.list_physical_devices
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: ["GPU"] * gpus if kind == "GPU" else real(kind))
    monkeypatch.setattr(sys, "argv", ["exported.py", "--epochs", "1"])
    module.main()
    out = capsys.readouterr().out
    strategy = "MirroredStrategy" if gpus > 1 else "_DefaultDistributionStrategy"
    assert f"{gpus} GPU(s) visible: {strategy}, 1 replica(s)" in out
    assert "test accuracy" in out


def test_a_hostile_title_stays_inside_the_docstring():
    design = build_preset("plain-cnn")
    design.title = 'x"""\nimport os; os.system("echo hi")\n"""\\'
    tree = ast.parse(export_python(design, 'a"""b.py'))
    assert not any(isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                   for node in tree.body)
    assert ast.get_docstring(tree).startswith("x''' import os; os.system('echo hi')")
    assert {type(node).__name__ for node in tree.body} <= {"Expr", "Import", "ImportFrom",
                                                           "Assign", "FunctionDef", "If"}


@pytest.mark.parametrize("schedule", ["step", "cosine", "constant"])
def test_exported_script_schedules_the_learning_rate_as_the_app_does(schedule):
    """The script's optimizer gives the same learning rate as the app's instrumented run at
    every step that matters (start, around both step boundaries, the end)."""
    import math
    import types
    from dataclasses import replace

    from cnn_explorer.keras.build import build_model
    from cnn_explorer.training.instrument import compile_instrumented

    design = build_preset("plain-cnn", classes=10)
    design.settings = replace(design.settings, optimizer="sgd", schedule=schedule,
                              learning_rate=0.2, batch_size=128, epochs=3)
    module = types.ModuleType("exported")
    exec(compile(export_python(design), "exported.py", "exec"), module.__dict__)
    images = 1000  # 7.8 batches: the last batch of an epoch is partial
    app_total = math.ceil(images / 128) * 3  # what the app's run reports (steps_per_epoch x epochs)
    script_total = module.total_steps(images, module.RUN_SETTINGS)
    assert script_total == app_total == 24
    app = compile_instrumented(build_model(design.graph), design.settings, app_total).optimizer
    script = module.make_optimizer(module.RUN_SETTINGS, script_total)
    assert type(script) is type(app)

    def rate(optimizer, step):
        lr = optimizer._learning_rate
        return float(lr(step)) if callable(lr) else float(lr)

    for step in (0, 1, 10, 11, 12, 13, 17, 18, 19, 23, 24):
        assert rate(script, step) == pytest.approx(rate(app, step), rel=1e-6), step
    if schedule == "step":
        assert [rate(app, s) for s in (11, 13, 19)] == pytest.approx([0.2, 0.02, 0.002])
