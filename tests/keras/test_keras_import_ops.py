"""Import of what keras.applications writes beyond plain layers: keras.ops calls (`x + 3.0`,
`inputs + residual`), its own LayerScale and CustomScaleLayer, and Rescaling, Normalization,
LayerNormalization and SeparableConv2D as blocks. Each model comes back layer for layer with
the same config and parameter count, from the design and from the exported script."""

from __future__ import annotations

import types
from collections import Counter

import pytest

from cnn_explorer.keras.build import build_model
from cnn_explorer.keras.compare import layer_mismatches, operations
from cnn_explorer.keras.export import export_python
from cnn_explorer.keras.importer import ImportProblem, import_keras_file, import_keras_model


def mobilenet_v3_small():
    import keras

    return keras.applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3))


def convnext_narrow():
    """ConvNeXt exactly as keras.applications builds it, with narrow stages (fast to build)."""
    from keras.src.applications.convnext import ConvNeXt

    return ConvNeXt(depths=[1, 1, 2, 1], projection_dims=[8, 16, 24, 32], weights=None,
                    input_shape=(32, 32, 3), name="convnext_narrow", classes=10)


def inception_resnet_blocks():
    """Inception-ResNet's three residual blocks (with their CustomScaleLayer), as
    keras.applications builds them."""
    import keras
    from keras.src.applications.inception_resnet_v2 import inception_resnet_block

    x = inputs = keras.Input((9, 9, 16), name="image")
    x = inception_resnet_block(x, 0.17, "block35", 1)
    x = inception_resnet_block(x, 0.1, "block17", 1)
    x = inception_resnet_block(x, 1.0, "block8", 1, activation=None)
    return keras.Model(inputs, x, name="inception_resnet_blocks")


MODELS = {"MobileNetV3Small": mobilenet_v3_small, "ConvNeXt": convnext_narrow,
          "InceptionResNet": inception_resnet_blocks}


@pytest.fixture(scope="module")
def imported():
    import keras

    out = {}
    for name, make in MODELS.items():
        keras.backend.clear_session()
        original = make()
        design = import_keras_model(original)
        module = types.ModuleType("exported")
        exec(compile(export_python(design), "exported.py", "exec"), module.__dict__)
        out[name] = (original, design, build_model(design.graph), module.build_model())
    return out


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("how", ["build", "export"])
def test_model_comes_back_layer_for_layer(imported, name, how):
    original, design, built, exported = imported[name]
    rebuilt = built if how == "build" else exported
    assert design.graph.report().total_params == original.count_params()
    assert rebuilt.count_params() == original.count_params()
    assert rebuilt.output.shape == original.output.shape
    assert layer_mismatches(original, rebuilt) == []


def _kinds(design) -> Counter:
    return Counter(b.kind for b in design.graph.blocks())


def test_hard_sigmoid_is_two_elementwise_blocks_with_their_constants(imported):
    original, design, _, _ = imported["MobileNetV3Small"]
    assert operations(original) == {"Add": 9, "Multiply": 9}  # x + 3.0, then * (1 / 6)
    ops = [b for b in design.graph.blocks() if b.kind == "elementwise"]
    assert Counter((b.params["operation"], b.params["constant"]) for b in ops) == {
        ("add", 3.0): 9, ("multiply", 1 / 6): 9}
    assert _kinds(design)["rescaling"] == 1
    assert "keras.ops.add(x, 3.0)" in export_python(design)


def test_convnext_parts_are_blocks(imported):
    original, design, _, _ = imported["ConvNeXt"]
    kinds = _kinds(design)
    assert kinds["layer_scale"] == 5 and kinds["layer_norm"] == 1 + 5 + 3 + 1  # stem, blocks,
    # downsampling, head
    assert kinds["normalization"] == 1
    sums = [b for b in design.graph.blocks() if b.kind == "elementwise"]
    assert len(sums) == 5 and all(b.params["inputs"] == 2 for b in sums)  # inputs + x
    depthwise = design.graph.find("convnext_narrow_stage_0_block_0_depthwise_conv")
    assert depthwise.kind == "conv2d" and depthwise.params["groups"] == 8  # one per channel
    scale = next(b for b in design.graph.blocks() if b.kind == "layer_scale")
    assert scale.params["init_values"] == 1e-6
    report = design.graph.report()
    assert report.blocks[scale.id].layers[0].trainable == report.blocks[scale.id].output_shape[-1]
    source = export_python(design)
    assert "from keras.src.applications.convnext import LayerScale" in source


def test_inception_resnet_scaled_adds_are_blocks(imported):
    _, design, built, _ = imported["InceptionResNet"]
    scaled = {b.name: b.params["scale"] for b in design.graph.blocks() if b.kind == "scaled_add"}
    assert sorted(scaled.values()) == [0.1, 0.17, 1.0]
    assert all(design.graph.report().blocks[design.graph.find(n).id].layers[0].params_total == 0
               for n in scaled)
    assert {type(layer).__name__ for layer in built.layers} >= {"CustomScaleLayer"}


def test_keras_file_with_layer_scale_and_ops_imports_without_loading_its_code(tmp_path):
    import keras
    from keras.src.applications.convnext import LayerScale

    x = inputs = keras.Input((8, 8, 4), name="image")
    y = keras.layers.LayerNormalization(epsilon=1e-6, name="ln")(x)
    y = LayerScale(0.5, 4, name="gamma")(y)
    x = (x + y) * 0.5
    model = keras.Model(inputs, x, name="tiny")
    path = tmp_path / "tiny.keras"
    model.save(path)
    design = import_keras_file(path)
    assert [(b.name, b.kind) for b in design.graph.blocks()][1:3] == [
        ("ln", "layer_norm"), ("gamma", "layer_scale")]
    assert _kinds(design)["elementwise"] == 2
    rebuilt = build_model(design.graph)
    assert rebuilt.count_params() == model.count_params() == 8 + 4


def test_a_layer_that_only_shares_a_keras_class_name_is_not_mapped():
    import keras

    class LayerScale(keras.layers.Layer):  # not keras.applications' class
        def __init__(self, init_values, projection_dim, **kwargs):
            super().__init__(**kwargs)
            self.init_values, self.projection_dim = init_values, projection_dim

        def call(self, x):
            return x * 2.0

        def get_config(self):
            return {**super().get_config(), "init_values": self.init_values,
                    "projection_dim": self.projection_dim}

    x = keras.Input((4, 4, 2))
    model = keras.Model(x, LayerScale(0.1, 2, name="impostor")(x))
    with pytest.raises(ImportProblem, match="'impostor' is of the custom class 'LayerScale'"):
        import_keras_model(model)


def test_an_operation_no_block_expresses_is_refused_by_name():
    import keras

    x = keras.Input((4, 4, 2))
    model = keras.Model(x, keras.ops.sin(x))
    with pytest.raises(ImportProblem, match=r"operation 'sin' \(keras.src.ops.numpy.Sin\) is a "
                                            "raw Keras op that no block expresses"):
        import_keras_model(model)
    y = keras.Input((4, 4, 2))
    model = keras.Model(y, keras.ops.add(y, keras.ops.ones((1, 4, 4, 2))))  # not a number
    with pytest.raises(ImportProblem, match="no block expresses"):
        import_keras_model(model)
