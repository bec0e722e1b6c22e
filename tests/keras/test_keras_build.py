"""The builder makes, layer by layer, the shapes, parameter counts and settings the design says."""

from __future__ import annotations

import pytest

from cnn_explorer.keras.build import BuildError, build_model
from cnn_explorer.keras.operations import OPERATION_KINDS
from cnn_explorer.model.files import Design
from cnn_explorer.model.graph import Graph
from cnn_explorer.model.kinds import KINDS

# Spec parameter -> Keras config key, per primitive kind (what must reach the Keras layer).
CONFIG_KEYS = {
    "conv2d": {"filters": "filters", "kernel": "kernel_size", "strides": "strides",
               "padding": "padding", "dilation": "dilation_rate", "use_bias": "use_bias",
               "activation": "activation", "kernel_initializer": "kernel_initializer",
               "groups": "groups"},
    "depthwise_conv2d": {"kernel": "kernel_size", "strides": "strides", "padding": "padding",
                         "depth_multiplier": "depth_multiplier", "dilation": "dilation_rate",
                         "use_bias": "use_bias", "activation": "activation"},
    "dense": {"units": "units", "use_bias": "use_bias", "activation": "activation",
              "kernel_initializer": "kernel_initializer"},
    "batch_norm": {"momentum": "momentum", "epsilon": "epsilon", "center": "center",
                   "scale": "scale"},
    "activation": {"activation": "activation"},
    "max_pool": {"pool_size": "pool_size", "strides": "strides", "padding": "padding"},
    "avg_pool": {"pool_size": "pool_size", "strides": "strides", "padding": "padding"},
    "global_avg_pool": {"keepdims": "keepdims"},
    "dropout": {"rate": "rate"},
    "reshape": {"target_shape": "target_shape"},
    "zero_padding2d": {"padding": "padding"},
    "separable_conv2d": {"filters": "filters", "kernel": "kernel_size", "strides": "strides",
                         "padding": "padding", "depth_multiplier": "depth_multiplier",
                         "dilation": "dilation_rate", "use_bias": "use_bias",
                         "activation": "activation"},
    "normalization": {"invert": "invert"},
    "layer_norm": {"epsilon": "epsilon", "center": "center", "scale": "scale"},
    "layer_scale": {"init_values": "init_values", "projection_dim": "projection_dim"},
    "scaled_add": {"scale": "scale"},
}


def _expected(key: str, value):
    import keras

    if key == "activation":
        return keras.activations.serialize(keras.activations.get(value))
    if key == "kernel_initializer":
        return type(keras.initializers.get(value)).__name__
    if isinstance(value, (list, tuple)):
        return tuple(tuple(v) if isinstance(v, (list, tuple)) else v for v in value)
    return value


def _actual(key: str, value):
    if key == "kernel_initializer":
        return value["class_name"]
    if isinstance(value, (list, tuple)):
        return tuple(tuple(v) if isinstance(v, (list, tuple)) else v for v in value)
    return value


def test_the_kinds_design_uses_every_block_kind(designs):
    used = {b.kind for b in designs["every-kind"].graph.blocks()}
    assert used == set(KINDS)


def test_every_layer_has_the_designed_shape_and_parameter_count(designs, built):
    for name, design in designs.items():
        report = design.graph.report()
        model = built[name]
        assert model.count_params() == report.total_params, name
        assert len(model.operations) == len(report.layers), name
        made = {op.name: op for op in model.operations}  # layers and keras.ops calls
        for layer in report.layers:
            assert tuple(made[layer.name].output.shape[1:]) == layer.output_shape, layer.name
            if layer.kind in OPERATION_KINDS:  # x + 3.0: no weights
                assert layer.params_total == 0
                continue
            keras_layer = model.get_layer(layer.name)
            assert keras_layer.count_params() == layer.params_total, layer.name
            trainable = sum(int(w.numpy().size) for w in keras_layer.trainable_weights)
            assert trainable == layer.trainable, layer.name


def test_every_spec_parameter_reaches_the_keras_config(designs, built):
    checked = set()
    for name, design in designs.items():
        for layer in design.graph.report().layers:
            if layer.kind in OPERATION_KINDS:
                continue  # keras.ops calls have no config: test_operations_are_the_designed_ones
            config = built[name].get_layer(layer.name).get_config()
            for param, key in CONFIG_KEYS.get(layer.kind, {}).items():
                if param == "groups" and param not in layer.params:
                    continue  # composites' convolutions are ungrouped (Keras' default)
                assert _actual(key, config[key]) == _expected(key, layer.params[param]), (
                    name, layer.name, param)
                checked.add((layer.kind, param))
    assert {(k, p) for k, keys in CONFIG_KEYS.items() for p in keys} <= checked


def test_operations_are_the_designed_ones(built):
    """An elementwise block is the keras.ops call it names, on its tensors and constant in
    the designed order."""
    from keras import KerasTensor

    calls = {op.name: op for op in built["every-kind"].operations}
    found = {}
    for name in ("plus3", "one_minus", "maxed"):
        op = calls[name]
        args = op._inbound_nodes[0].arguments.args
        found[name] = (type(op).__name__,
                       ["tensor" if isinstance(a, KerasTensor) else a for a in args])
    assert found == {"plus3": ("Add", ["tensor", 3.0]),
                     "one_minus": ("Subtract", [1.0, "tensor"]),
                     "maxed": ("Maximum", ["tensor", "tensor"])}


def test_non_default_conv_settings_end_up_in_keras(built):
    config = built["every-kind"].get_layer("conv_dilated").get_config()
    assert config["padding"] == "valid" and config["dilation_rate"] == (2, 2)
    assert config["use_bias"] is False and config["activation"] == "tanh"
    assert config["kernel_initializer"]["class_name"] == "HeNormal"
    assert config["kernel_size"] == (5, 3)


def test_composite_layers_follow_the_spec(built):
    model = built["every-kind"]
    assert model.get_layer("cba_conv").get_config()["kernel_initializer"]["class_name"] == \
        "LecunNormal"
    assert model.get_layer("cba_act").get_config()["activation"] == "silu"  # swish
    assert model.get_layer("res_bottleneck_conv3").get_config()["use_bias"] is True
    names = {layer.name for layer in model.layers}
    assert "res_bottleneck_bn1" not in names  # batch_norm=False
    assert "res_bottleneck_se_excite" in names and "mb_drop" in names
    assert model.get_layer("dense_l2_drop").get_config()["rate"] == 0.2


def test_overrides_replace_initializers_and_hidden_activations(designs):
    model = build_model(designs["plain-cnn"].graph, initializer_override="zeros",
                        activation_override="tanh")
    assert model.get_layer("conv1").get_config()["activation"] == "tanh"
    assert model.get_layer("conv1").get_config()["kernel_initializer"]["class_name"] == "Zeros"
    assert model.get_layer("predictions").get_config()["activation"] == "softmax"


def test_imported_lambda_is_never_rebuilt():
    g = Graph()
    image = g.add_block("input", {"height": 4, "width": 4, "channels": 1}, "image")
    lam = g.add_block("opaque", {"class_name": "Lambda", "config": {}, "input_shapes": [[4, 4, 1]],
                                 "output_shape": [4, 4, 1]}, "lam")
    g.connect(image, lam)
    with pytest.raises(BuildError, match="lam: 'Lambda' is not a built-in Keras layer"):
        build_model(g)


def test_design_with_problems_is_not_built():
    g = Graph()
    g.add_block("input", {}, "image")
    with pytest.raises(BuildError, match="no Input|no output|problem"):
        build_model(Design(g).graph)


def test_the_override_spares_gates_by_what_they_are_not_by_their_name():
    """SE's sigmoid gate keeps its sigmoid; a user's conv that merely ends in 'se_expand'
    gets the override like any other hidden layer."""
    from cnn_explorer.keras.build import layer_args

    g = Graph()
    x = g.add_block("input", {"height": 8, "width": 8, "channels": 16}, "image")
    conv = g.add_block("conv2d", {"filters": 16, "activation": "relu"}, "my_se_expand")
    se = g.add_block("squeeze_excite", {"ratio": 4}, "att")
    g.connect(x, conv)
    g.connect(conv, se)
    layers = {layer.name: layer for layer in g.report().layers}
    assert layers["att_se_expand"].gate and not layers["my_se_expand"].gate
    act = {name: layer_args(layer, activation="tanh")[1]["activation"]
           for name, layer in layers.items() if "activation" in layer.params}
    assert act == {"my_se_expand": "tanh", "att_se_reduce": "tanh", "att_se_expand": "sigmoid"}


def test_one_keras_row_serves_builder_exporter_and_importer():
    """Every single-layer kind (but input, the classifier and imported layers) has one row in
    the Keras table, and the importer's candidates are that table plus the ReLU alias."""
    from cnn_explorer.keras import mapping
    from cnn_explorer.keras.table import BY_CLASS, BY_KIND
    from cnn_explorer.model.kinds import KINDS

    layers = {k.name for k in KINDS.values() if not k.composite}
    assert set(BY_KIND) == layers - {"input", "classifier", "opaque", *OPERATION_KINDS}
    assert set(mapping.CANDIDATES) == set(BY_CLASS) | {"ReLU"}
    for row in BY_KIND.values():
        assert set(row.positional) <= set(row.args(_params_of(row.kind)))
        assert set(row.defaults) <= set(row.args(_params_of(row.kind))), row.kind


def _params_of(kind):
    from cnn_explorer.model.expand import Expander, Tensor
    from cnn_explorer.model.kinds import KINDS

    e = Expander("x")
    bk = KINDS[kind]
    shape = {"dense": (4,), "reshape": (1, 1, 1)}.get(kind, (8, 8, 4))
    inputs = [Tensor("a", shape) for _ in range(bk.input_ports(bk.spec()))]
    bk.expand(e, inputs, bk.spec())
    return e.layers[0].params
