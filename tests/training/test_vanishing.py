"""Vanishing gradients are real and visible: the depth profile of a deep sigmoid net at init."""

from __future__ import annotations

import numpy as np
import pytest


def first_step_profile(design, sample):
    """Per-layer gradient norms of the instrumented step on one batch of real images, at init."""
    import keras
    import tensorflow as tf

    from cnn_explorer.model.settings import RunSettings
    from cnn_explorer.training.instrument import compile_instrumented
    from cnn_explorer.training.run import build_design_model

    settings = RunSettings(activation_override="sigmoid", seed=0)
    keras.utils.set_random_seed(0)
    model = build_design_model(design, settings)
    step = compile_instrumented(model, settings, 1)
    x = tf.constant(sample.x_train[:128].astype("float32") / 255)
    y = tf.constant(sample.y_train[:128].astype("int32"))
    kernel_layers = [i for i, s in enumerate(step.slots) if s.has_kernel]
    return step.train_step((x, y))["grad_norms"].numpy()[kernel_layers]


def test_plain_sigmoid_net_vanishes_but_residual_does_not(sample):
    from cnn_explorer.model.presets import build_preset

    plain = first_step_profile(build_preset("plain-deep", depth=20, batch_norm=False), sample)
    # The residual-deep preset keeps each shortcut an identity path (no activation after the
    # add, He et al. 2016), so the gradient reaches the first layer through the additions.
    residual = first_step_profile(build_preset("residual-deep", depth=20, batch_norm=False),
                                  sample)
    assert len(plain) == 20 and len(residual) == 22  # 19 convs + classifier; + 2 projections
    assert np.isfinite(plain).all() and np.isfinite(residual).all()
    assert plain[-1] / plain[0] >= 1000  # measured: about 3e12
    assert residual[-1] / residual[0] <= 100  # measured: about 20
    assert max(residual) / min(residual) <= 1000


@pytest.mark.parametrize("depth", [8])
def test_real_design_maps_every_layer_to_its_block(depth, sample, tmp_path):
    """The preset trains through the real builder, and each layer names the block it came from."""
    from cnn_explorer.model.presets import build_preset
    from cnn_explorer.model.settings import RunSettings
    from cnn_explorer.training.history import RunHistory
    from cnn_explorer.training.records import block_norms
    from cnn_explorer.training.run import train_design

    design = build_preset("residual-deep", depth=depth)
    history = RunHistory()
    settings = RunSettings(dataset="sample", epochs=1, batch_size=32, subset=64,
                           validation_split=0.5)
    result = train_design(design, settings, listener=history, data=sample,
                          checkpoint=tmp_path / "best.keras")
    assert result.status == "finished"
    blocks = {layer["block"] for layer in history.info.layers}
    assert "" not in blocks
    assert blocks == {b.id for b in design.graph.blocks() if b.kind not in
                      ("input", "global_avg_pool")}
    norms = block_norms(history.info.layers, history.latest_grad_norms())
    assert set(norms) == blocks and all(v > 0 for v in norms.values())
    assert (tmp_path / "best.design.json").exists()
