"""Hostile `.keras` files (issue 10), built here with zipfile: each is refused with an
ImportProblem that names the problem, before Keras builds anything from it."""

from __future__ import annotations

import json
import os
import struct
import zipfile

import pytest

from cnn_explorer.cli import main
from cnn_explorer.keras.archive_check import MAX_IMPORT_PARAMS, check_archive, estimate_params
from cnn_explorer.keras.importer import ImportProblem, import_keras_file


@pytest.fixture(scope="module")
def base_config(tmp_path_factory) -> dict:
    """The config.json of a small real model, to mutate."""
    import keras

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, name="conv"),
                              keras.layers.Flatten(name="flat"),
                              keras.layers.Dense(3, name="dense")])
    path = tmp_path_factory.mktemp("base") / "base.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def keras_file(tmp_path, config, name="m.keras", extra: dict | None = None):
    path = tmp_path / name
    text = config if isinstance(config, str) else json.dumps(config)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", text)
        for member, data in (extra or {}).items():
            archive.writestr(member, data)
    return path


def patch_member(path, member: str, flag: int | None = None, method: int | None = None):
    """Set a member's general-purpose flag or compression method in both zip headers."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, flag_at, method_at, name_at in ((b"PK\x03\x04", 6, 8, 30),
                                                   (b"PK\x01\x02", 8, 10, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at:start + name_at + len(name)] == name:
                if flag is not None:
                    data[start + flag_at:start + flag_at + 2] = struct.pack("<H", flag)
                if method is not None:
                    data[start + method_at:start + method_at + 2] = struct.pack("<H", method)
            start += 4
    path.write_bytes(bytes(data))


def test_the_base_file_imports(tmp_path, base_config):
    design = import_keras_file(keras_file(tmp_path, base_config))
    assert [b.kind for b in design.graph.blocks()] == ["input", "conv2d", "flatten", "dense"]


def test_an_encrypted_config_member(tmp_path, base_config):
    path = keras_file(tmp_path, base_config)
    patch_member(path, "config.json", flag=0x1)
    with pytest.raises(ImportProblem, match="config.json is encrypted"):
        import_keras_file(path)


def test_an_unsupported_compression_method(tmp_path, base_config):
    path = keras_file(tmp_path, base_config)
    patch_member(path, "config.json", method=99)
    with pytest.raises(ImportProblem, match="compression method 99"):
        import_keras_file(path)


def test_a_5000_digit_number(tmp_path, base_config):
    text = json.dumps(base_config).replace('"filters": 4', '"filters": ' + "4" * 5000)
    with pytest.raises(ImportProblem, match="5000 digits"):
        import_keras_file(keras_file(tmp_path, text))


@pytest.mark.parametrize("depth", [900, 990, 5000])
def test_deep_nesting(tmp_path, depth):
    text = '{"class_name": "Sequential", "config": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(ImportProblem, match="nests"):
        import_keras_file(keras_file(tmp_path, text))


def test_nan_in_the_config(tmp_path, base_config):
    text = json.dumps(base_config).replace('"filters": 4', '"filters": NaN')
    with pytest.raises(ImportProblem, match="NaN"):
        import_keras_file(keras_file(tmp_path, text))


def test_a_huge_dense_layer_is_refused_from_its_config(tmp_path, base_config):
    config = json.loads(json.dumps(base_config))
    dense = config["config"]["layers"][-1]
    dense["config"]["units"] = 50_000_000
    assert estimate_params(config)[0] > MAX_IMPORT_PARAMS
    with pytest.raises(ImportProblem, match="at least 7,250,000,112 parameters"):
        import_keras_file(keras_file(tmp_path, config))


def test_an_oversize_weights_member(tmp_path, base_config):
    path = keras_file(tmp_path, base_config)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("model.weights.h5", "w") as fh:
            for _ in range(80):
                fh.write(bytes(2**20))
    with pytest.raises(ImportProblem, match="model.weights.h5 unpacks to 80 MiB"):
        import_keras_file(path)


def test_a_class_registered_in_this_process_does_not_run(tmp_path, base_config):
    import keras

    marker = tmp_path / "ran"

    @keras.saving.register_keras_serializable(package="evil")
    class EvilLayer(keras.layers.Layer):
        def __init__(self, **kwargs):
            marker.write_text("init ran")
            super().__init__(**kwargs)

        def call(self, x):
            marker.write_text("call ran")
            return x

    config = json.loads(json.dumps(base_config))
    config["config"]["layers"].insert(2, {"class_name": "evil>EvilLayer",
                                          "config": {"name": "evil"}})
    with pytest.raises(ImportProblem, match="'evil' uses the custom object 'evil>EvilLayer'"):
        import_keras_file(keras_file(tmp_path, config))
    assert not marker.exists()


@pytest.mark.parametrize("entry, reason", [
    ({"module": "keras.layers", "class_name": "NoSuchLayer", "config": {"name": "x"}},
     "custom object 'NoSuchLayer'"),
    ({"module": "os", "class_name": "system", "config": {"name": "x"}}, "custom object 'system'"),
    ({"class_name": "Dense", "config": {"name": "x", "units": 2}}, "from no module"),
    ({"module": "keras.layers", "class_name": "Dense", "registered_name": "pkg>Dense",
      "config": {"name": "x", "units": 2}}, "from pkg>Dense"),
    ({"module": "keras.layers", "class_name": "TorchModuleWrapper", "config": {"name": "x"}},
     "unpickles"),
    ({"module": "keras.layers", "class_name": "TFSMLayer", "config": {"name": "x"}},
     "SavedModel"),
    ({"module": "keras.layers", "class_name": "Lambda", "config": {"name": "x"}}, "Lambda"),
    ({"module": "keras.layers", "class_name": "Activation",
      "config": {"name": "x", "activation": {"module": "builtins", "class_name": "function",
                                              "config": "eval", "registered_name": "eval"}}},
     "custom object 'function'"),
    ({"module": "keras.layers", "class_name": "Activation",
      "config": {"name": "x", "activation": {"class_name": "__lambda__", "config": {}}}},
     "custom object '__lambda__'"),
])
def test_only_keras_own_classes_are_allowed(tmp_path, base_config, entry, reason):
    config = json.loads(json.dumps(base_config))
    config["config"]["layers"].insert(2, entry)
    with pytest.raises(ImportProblem, match=reason):
        check_archive(keras_file(tmp_path, config))


def test_a_damaged_deflated_config(tmp_path, base_config):
    """Found by fuzzing: a flipped byte inside deflated data raised zlib.error."""
    path = tmp_path / "damaged.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", json.dumps(base_config) * 4)
    data = bytearray(path.read_bytes())
    start = data.find(b"config.json") + len("config.json")
    for i in range(start + 20, start + 60):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(ImportProblem, match="damaged.keras"):
        import_keras_file(path)


def test_a_registered_name_that_is_not_text(tmp_path, base_config):
    """Found by fuzzing: a list as registered_name raised TypeError (unhashable)."""
    config = json.loads(json.dumps(base_config))
    config["config"]["layers"][1]["registered_name"] = ["x"]
    with pytest.raises(ImportProblem, match="'conv' uses the custom object 'Conv2D'"):
        import_keras_file(keras_file(tmp_path, config))


def test_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "pipe.keras"
    os.mkfifo(fifo)
    with pytest.raises(ImportProblem, match="not a regular file"):
        import_keras_file(fifo)


def test_the_command_line_exits_2_and_writes_nothing(tmp_path, base_config, capsys):
    path = keras_file(tmp_path, json.dumps(base_config).replace('"filters": 4', '"filters": 1e999'))
    out = tmp_path / "out.json"
    assert main(["import", str(path), "-o", str(out)]) == 2
    assert "too large" in capsys.readouterr().err
    assert not out.exists()
