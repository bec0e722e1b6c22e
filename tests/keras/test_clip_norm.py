"""Gradient clipping (issue 13's "clip" fix): a run setting the app's optimizer and the
exported script both honour, and the fix that turns it on."""

from __future__ import annotations

import types
from dataclasses import replace

import numpy as np
import pytest

from cnn_explorer.keras.export import export_python
from cnn_explorer.model.fixes import CLIP_NORM, apply_fix
from cnn_explorer.model.presets import build_preset


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_the_app_and_the_exported_script_clip_to_the_setting(optimizer):
    from cnn_explorer.keras.build import build_model
    from cnn_explorer.training.instrument import compile_instrumented

    design = build_preset("plain-cnn", classes=10)
    design.settings = replace(design.settings, optimizer=optimizer, clip_norm=2.5)
    app = compile_instrumented(build_model(design.graph), design.settings, 10).optimizer
    module = types.ModuleType("exported")
    exec(compile(export_python(design), "exported.py", "exec"), module.__dict__)
    assert module.RUN_SETTINGS["clip_norm"] == 2.5
    script = module.make_optimizer(module.RUN_SETTINGS, 10)
    assert app.global_clipnorm == script.global_clipnorm == 2.5


def test_clipping_bounds_the_step_and_zero_means_off():
    import keras

    from cnn_explorer.keras.optimizer import make_optimizer

    settings = build_preset("plain-cnn").settings.to_dict()
    settings.update(optimizer="sgd", momentum=0.0, learning_rate=1.0)
    assert make_optimizer(settings, 10).global_clipnorm is None
    for clip, expected in ((0.0, 100.0), (1.0, 1.0)):
        var = keras.Variable(np.zeros(4, "float32"))
        opt = make_optimizer({**settings, "clip_norm": clip}, 10)
        opt.apply_gradients([(keras.ops.convert_to_tensor(np.full(4, 50.0, "float32")), var)])
        assert float(np.linalg.norm(keras.ops.convert_to_numpy(var))) == pytest.approx(
            expected, rel=1e-4)


def test_the_clip_fix_sets_the_norm_and_changes_nothing_else():
    design = build_preset("plain-deep", depth=8)
    fixed = apply_fix(design, "clip")
    assert fixed.settings.clip_norm == CLIP_NORM > 0
    assert design.settings.clip_norm == 0.0  # the original is untouched
    assert replace(fixed.settings, clip_norm=0.0) == design.settings
    assert [b.id for b in fixed.graph.blocks()] == [b.id for b in design.graph.blocks()]
