"""Shared designs for the Keras bridge tests: every preset, and one design that uses every
block kind with non-default parameters (so a parameter the builder or exporter ignores shows)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from cnn_explorer.model.files import Design  # noqa: E402
from cnn_explorer.model.graph import Graph  # noqa: E402
from cnn_explorer.model.presets import PRESETS, build_preset  # noqa: E402


def kinds_design() -> Design:
    """Every block kind once, each with parameters away from their defaults."""
    g = Graph()
    last = None

    def add(kind: str, name: str, srcs: list[str] | None = None, **params) -> str:
        nonlocal last
        bid = g.add_block(kind, params, name)
        for port, src in enumerate(srcs if srcs is not None else [last]):
            g.connect(src, bid, port)
        last = bid
        return bid

    last = g.add_block("input", {"height": 40, "width": 36, "channels": 2}, "image")
    add("conv2d", "conv_dilated", filters=8, kernel=(5, 3), padding="valid", dilation=2,
        activation="tanh", use_bias=False, kernel_initializer="he_normal", groups=2)
    add("depthwise_conv2d", "depthwise", kernel=3, strides=2, padding="valid",
        depth_multiplier=2, activation="relu", use_bias=True)
    add("batch_norm", "norm", momentum=0.9, epsilon=1e-5, center=False, scale=True)
    add("activation", "elu", activation="elu")
    add("zero_padding2d", "pad", top=1, bottom=2, left=0, right=3)
    add("max_pool", "max_pool", pool_size=3, strides=1, padding="same")
    add("avg_pool", "avg_pool", pool_size=(2, 3), strides=(1, 2), padding="valid")
    add("separable_conv2d", "sep", filters=6, kernel=(3, 5), strides=1, padding="same",
        depth_multiplier=2, activation="relu", use_bias=False)
    add("rescaling", "rescale", scale=[0.5, 2, 1, 1, 1, 0.25], offset=-1)
    add("normalization", "norm_fixed", mean=0.5, variance=2.0, invert=True)
    add("normalization", "norm_adapt")
    add("layer_norm", "ln", epsilon=1e-5, center=False)
    scaled = add("layer_scale", "ls", init_values=0.1)
    add("elementwise", "plus3", operation="add", constant=3.0)
    one_minus = add("elementwise", "one_minus", operation="subtract", constant=1,
                    constant_first=True)
    maxed = add("elementwise", "maxed", [scaled, one_minus], operation="maximum", inputs=2)
    add("scaled_add", "damped", [scaled, maxed], scale=0.2)
    add("conv_bn_act", "cba", filters=12, kernel=1, strides=(1, 1), padding="valid",
        activation="swish", use_bias=True, kernel_initializer="lecun_normal")
    add("residual", "res_bottleneck", variant="bottleneck", filters=4, strides=1, expansion=2,
        activation="selu", se_ratio=2, batch_norm=False, use_bias=True,
        kernel_initializer="he_uniform")
    add("residual", "res_basic", filters=16, strides=2, activation="gelu")
    add("squeeze_excite", "se", ratio=4)
    add("mbconv", "mb", filters=16, expand_ratio=3, kernel=5, strides=1, se_ratio=0.5,
        activation="gelu", drop_rate=0.1)
    add("dense_block", "dense", layers=2, growth_rate=4, bottleneck=False, dropout=0.2)
    trunk = add("transition", "trans", compression=0.75)
    a = add("activation", "branch_a", [trunk], activation="sigmoid")
    b = add("activation", "branch_b", [trunk], activation="tanh")
    summed = add("add", "sum3", [trunk, a, b], inputs=3)
    product = add("multiply", "product", [a, b])
    add("concatenate", "cat3", [summed, product, trunk], inputs=3)
    add("normal_cell", "normal", filters=4)
    add("reduction_cell", "reduce", filters=6)
    add("opaque", "layer_norm", class_name="LayerNormalization",
        config={"axis": -1, "epsilon": 0.01}, input_shapes=[[2, 1, 18]],
        output_shape=[2, 1, 18], trainable=36, non_trainable=0)
    add("global_avg_pool", "gap", keepdims=True)
    add("reshape", "squash", target_shape=[18])
    add("dense", "fc", units=16, activation="softplus", use_bias=False,
        kernel_initializer="glorot_normal")
    add("dropout", "drop", rate=0.3)
    add("reshape", "unflat", target_shape=[4, 4])
    add("flatten", "flat")
    add("classifier", "predictions", classes=7)
    return Design(g, title="every kind")


def all_designs() -> dict[str, Design]:
    designs = {name: build_preset(name) for name in PRESETS}
    designs["every-kind"] = kinds_design()
    return designs


@pytest.fixture(scope="session")
def designs() -> dict[str, Design]:
    return all_designs()


@pytest.fixture(scope="session")
def built(designs):
    """Each design built once (the expensive part), shared by every test that needs it."""
    from cnn_explorer.keras.build import build_model

    return {name: build_model(d.graph) for name, d in designs.items()}
