"""Import: Keras models onto the canvas and back, exactly; unsafe or broken files refused."""

from __future__ import annotations

import json
import zipfile
from collections import Counter

import pytest

from cnn_explorer.keras.build import build_model
from cnn_explorer.keras.importer import ImportProblem, import_keras_file, import_keras_model

APPLICATIONS = ("ResNet50", "DenseNet121", "MobileNetV2", "EfficientNetB0")


@pytest.fixture(scope="module")
def round_trips():
    """Each application (no weights, 32x32 input) imported, then rebuilt from the design."""
    import keras

    out = {}
    for name in APPLICATIONS:
        original = getattr(keras.applications, name)(weights=None, input_shape=(32, 32, 3))
        design = import_keras_model(original)
        out[name] = (original, design, build_model(design.graph))
    return out


@pytest.mark.parametrize("app", APPLICATIONS)
def test_application_round_trips_exactly(round_trips, app):
    original, design, rebuilt = round_trips[app]
    assert rebuilt.count_params() == original.count_params()
    assert design.graph.report().total_params == original.count_params()
    assert rebuilt.output.shape == original.output.shape
    assert {layer.name for layer in rebuilt.layers} == {layer.name for layer in original.layers}
    for layer in original.layers:
        twin = rebuilt.get_layer(layer.name)
        assert twin.output.shape == layer.output.shape, layer.name
        assert twin.count_params() == layer.count_params(), layer.name
        if type(layer).__name__ != "ReLU":  # ReLU(6.) comes back as Activation("relu6")
            assert _settings(twin) == _settings(layer), layer.name


def _settings(layer) -> str:
    """A layer's config without its name, and with the channel axis written as -1."""
    config = {k: v for k, v in layer.get_config().items() if k != "name"}
    if config.get("axis") in (3, [3], (3,), [-1], (-1,)):  # Normalization's axis is a tuple
        config["axis"] = -1
    return json.dumps(config, sort_keys=True, default=str)


def _opaque(design) -> Counter:
    return Counter(b.params["class_name"] for b in design.graph.blocks() if b.kind == "opaque")


def test_layers_map_to_primitive_blocks_by_type_and_config(round_trips):
    _, resnet, _ = round_trips["ResNet50"]
    assert not _opaque(resnet)  # every ResNet50 layer has an exact block
    conv = resnet.graph.find("conv1_conv")
    assert conv.kind == "conv2d"
    assert conv.params["kernel"] == 7 and conv.params["strides"] == 2
    assert conv.params["padding"] == "valid" and conv.params["use_bias"] is True
    kinds = Counter(b.kind for b in resnet.graph.blocks())
    assert kinds["add"] == 16 and kinds["batch_norm"] == 53 and kinds["zero_padding2d"] == 2
    _, mobilenet, _ = round_trips["MobileNetV2"]
    assert mobilenet.graph.find("Conv1_relu").params == {"activation": "relu6"}  # ReLU(6.)
    assert mobilenet.graph.find("expanded_conv_depthwise").kind == "depthwise_conv2d"
    _, densenet, _ = round_trips["DenseNet121"]
    assert densenet.graph.find("conv2_block1_concat").kind == "concatenate"  # axis=3 is last


def test_what_no_block_expresses_stays_opaque_with_class_and_config(round_trips):
    _, efficientnet, rebuilt = round_trips["EfficientNetB0"]
    opaque = _opaque(efficientnet)
    assert not opaque["Rescaling"] and not opaque["Normalization"]  # blocks of their own now
    # EfficientNet's VarianceScaling(fan_out) initializer has no name in the vocabulary
    assert efficientnet.graph.find("stem_conv").kind == "opaque"
    drop = next(b for b in efficientnet.graph.blocks()
                if b.kind == "opaque" and b.params["class_name"] == "Dropout")
    assert drop.params["config"]["noise_shape"]  # Dropout(noise_shape=...) has no block
    block = efficientnet.graph.find("rescaling")
    assert block.kind == "rescaling" and block.params["scale"] == (pytest.approx(1 / 255),)
    assert rebuilt.get_layer("stem_conv").get_config()["kernel_initializer"]["config"][
        "mode"] == "fan_out"


def _model(*middle, input_shape=(8, 8, 3)):
    import keras

    x = inputs = keras.Input(input_shape, name="image")
    for layer in middle:
        x = layer(x)
    return keras.Model(inputs, x, name="small")


def test_settings_a_block_cannot_hold_make_the_layer_opaque():
    from keras import layers, regularizers

    model = _model(layers.Conv2D(4, 3, kernel_regularizer=regularizers.L2(1e-4), name="reg"),
                   layers.Conv2D(4, 3, bias_initializer="ones", name="ones_bias"),
                   layers.BatchNormalization(axis=1, name="bn_rows"),
                   layers.Conv2D(4, 1, activation="relu", name="plain"),
                   layers.GlobalMaxPooling2D(name="gmp"))
    design = import_keras_model(model)
    kinds = {b.name: b.kind for b in design.graph.blocks()}
    assert kinds == {"image": "input", "reg": "opaque", "ones_bias": "opaque",
                     "bn_rows": "opaque", "plain": "conv2d", "gmp": "opaque"}
    assert design.graph.find("plain").params["activation"] == "relu"
    assert build_model(design.graph).count_params() == model.count_params()


def test_sequential_model_and_awkward_names():
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((16, 16, 1)), layers.Conv2D(2, 3, name="1st-conv"),
                              layers.Flatten(name="flat"), layers.Dense(5, name="flat.dense")])
    design = import_keras_model(model)
    names = [design.graph.block(bid).name for bid in design.graph.topological_order()]
    assert names[1:] == ["l1st_conv", "flat", "flat_dense"]
    assert design.graph.report().total_params == model.count_params()
    assert all(design.graph.position(bid) is not None for bid in design.graph.block_ids())


def test_keras_file_round_trip(tmp_path):
    from keras import layers

    model = _model(layers.Conv2D(4, 3, name="conv"), layers.ReLU(name="relu"),
                   layers.Rescaling(0.5, name="half"), layers.GlobalAveragePooling2D(name="gap"))
    path = tmp_path / "small.keras"
    model.save(path)
    design = import_keras_file(path)
    assert design.title == "small"
    assert [b.kind for b in design.graph.blocks()] == [
        "input", "conv2d", "activation", "rescaling", "global_avg_pool"]
    assert design.graph.find("half").params["scale"] == (0.5,)
    assert build_model(design.graph).count_params() == model.count_params()


def test_lambda_layer_in_a_file_is_refused_without_running_it(tmp_path):
    import keras
    from keras import layers

    marker = tmp_path / "ran"

    def touch(x):
        marker.write_text("code ran")
        return x

    model = _model(layers.Lambda(touch, name="sneaky"))
    path = tmp_path / "lambda.keras"
    model.save(path)
    marker.unlink()
    with pytest.raises(ImportProblem, match="'sneaky' is a Lambda layer"):
        import_keras_file(path)
    assert not marker.exists()
    with pytest.raises(ImportProblem, match="'sneaky' is a Lambda layer"):
        import_keras_model(model)
    assert keras  # imported for the layers above


def test_custom_layer_is_refused_by_name(tmp_path):
    import keras

    @keras.saving.register_keras_serializable(package="tests")
    class Doubler(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    model = _model(Doubler(name="doubler"))
    path = tmp_path / "custom.keras"
    model.save(path)
    with pytest.raises(ImportProblem, match="'doubler' uses the custom object 'Doubler'"):
        import_keras_file(path)
    with pytest.raises(ImportProblem, match="'doubler' is of the custom class 'Doubler'"):
        import_keras_model(model)


def test_corrupt_files_give_clear_errors(tmp_path):
    from keras import layers

    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"\x00not a zip at all" * 10)
    with pytest.raises(ImportProblem, match="not a .keras model \\(not a zip archive\\)"):
        import_keras_file(junk)
    good = tmp_path / "good.keras"
    _model(layers.Flatten(name="flat")).save(good)
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ImportProblem, match="truncated.keras"):
        import_keras_file(truncated)
    empty = tmp_path / "empty.keras"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("metadata.json", "{}")
    with pytest.raises(ImportProblem, match="no config.json"):
        import_keras_file(empty)
    broken = tmp_path / "broken.keras"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("config.json", "{not json")
    with pytest.raises(ImportProblem, match="corrupt"):
        import_keras_file(broken)
    with pytest.raises(ImportProblem, match="does not exist"):
        import_keras_file(tmp_path / "missing.keras")


def test_nested_models_are_imported_flat():
    import keras
    from keras import layers

    stem = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(8, 3, name="stem_conv"),
                             layers.BatchNormalization(name="stem_bn")], name="stem")
    head = _model(layers.GlobalAveragePooling2D(name="gap"), layers.Dense(4, name="fc"),
                  input_shape=(14, 14, 8))
    x = inputs = keras.Input((16, 16, 3), name="image")
    y = stem(x)
    y = layers.Add(name="skip")([y, layers.Activation("relu", name="relu")(y)])
    model = keras.Model(inputs, head(y), name="outer")
    design = import_keras_model(model)
    order = [design.graph.block(b) for b in design.graph.topological_order()]
    assert [(b.name, b.kind) for b in order] == [
        ("image", "input"), ("stem_conv", "conv2d"), ("stem_bn", "batch_norm"),
        ("relu", "activation"), ("skip", "add"), ("gap", "global_avg_pool"), ("fc", "dense")]
    rebuilt = build_model(design.graph)
    assert rebuilt.count_params() == model.count_params()
    assert rebuilt.output.shape == model.output.shape


def test_models_a_design_cannot_hold_are_refused():
    import keras
    from keras import layers

    inner = _model(layers.Flatten(name="flat"))
    x = keras.Input((8, 8, 3))
    twice = keras.Model(x, layers.Add()([inner(x), inner(layers.ReLU()(x))]))
    with pytest.raises(ImportProblem, match="nested model 'small' is called more than once"):
        import_keras_model(twice)
    shared = layers.Dense(4, name="shared")
    v = keras.Input((4,))
    twice = keras.Model(v, shared(shared(v)))
    with pytest.raises(ImportProblem, match="'shared' is shared"):
        import_keras_model(twice)
    with pytest.raises(ImportProblem, match="not built"):
        import_keras_model(keras.Sequential([layers.Dense(2)]))


def test_inputs_a_design_cannot_hold_are_refused():
    import keras
    from keras import layers

    free = keras.Input((None, None, 3), name="any_size")
    with pytest.raises(ImportProblem, match="'any_size'.*not fully known"):
        import_keras_model(keras.Model(free, layers.Conv2D(2, 3)(free)))
    flat = keras.Input((10,), name="vector")
    with pytest.raises(ImportProblem, match="'vector' has shape \\(10,\\); designs take images"):
        import_keras_model(keras.Model(flat, layers.Dense(2)(flat)))


def test_layers_reused_in_another_model_still_import():
    """A layer is shared only if this model calls it twice; a second model does not count."""
    import keras
    from keras import layers

    conv = layers.Conv2D(2, 3, name="conv")
    a = keras.Input((8, 8, 3))
    first = keras.Model(a, conv(a))
    b = keras.Input((8, 8, 3))
    keras.Model(b, conv(b))  # conv now has two nodes, one per model
    design = import_keras_model(first)
    assert design.graph.find("conv").kind == "conv2d"
