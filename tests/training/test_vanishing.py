"""Vanishing gradients are real and visible: the depth profile of a deep sigmoid net at init."""

from __future__ import annotations

import numpy as np
import pytest


def identity_residual_design(depth: int = 20):
    """ResNet-20's layout without batch norm, built from primitive blocks: y = x + F(x).

    The shortcut path stays an identity (no activation after the add, as in He et al. 2016,
    "Identity mappings"), so the gradient reaches the first layer through the additions.
    """
    from cnn_explorer.model.files import Design
    from cnn_explorer.model.graph import Graph

    g = Graph()
    last = g.add_block("input", {"height": 32, "width": 32, "channels": 3}, "input")

    def then(kind, name, src, **params):
        bid = g.add_block(kind, params, name)
        g.connect(src, bid)
        return bid

    last = then("conv2d", "stem", last, filters=16, activation="sigmoid")
    for stage, filters in enumerate((16, 32, 64), start=1):
        for b in range(1, (depth - 2) // 6 + 1):
            strides = 2 if stage > 1 and b == 1 else 1
            name = f"stage{stage}_block{b}"
            y = then("conv2d", f"{name}_conv1", last, filters=filters, strides=strides,
                     activation="sigmoid")
            y = then("conv2d", f"{name}_conv2", y, filters=filters, activation="linear")
            shortcut = last if strides == 1 else then(
                "conv2d", f"{name}_proj", last, filters=filters, kernel=1, strides=2,
                activation="linear")
            add = g.add_block("add", {}, f"{name}_add")
            g.connect(y, add, 0)
            g.connect(shortcut, add, 1)
            last = add
    last = then("global_avg_pool", "avg_pool", last)
    then("classifier", "predictions", last, classes=10)
    return Design(g, title=f"identity-residual-{depth}")


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
    residual = first_step_profile(identity_residual_design(20), sample)
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
    from cnn_explorer.training.records import block_norms
    from cnn_explorer.training.run import train_design
    from cnn_explorer.training.runlog import RunHistory

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
