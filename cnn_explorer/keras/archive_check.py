"""Checks of a `.keras` file before Keras sees it: the archive, its config, the classes it names
and the size of the model it describes.

A `.keras` file is a zip with `config.json` (the architecture) and the weights. Here the zip
is opened without trusting it (no encrypted member, only stored or deflated ones, bounded
sizes), `config.json` is parsed with bounds (no NaN, no 5,000-digit number, no deep nesting),
every class it names must be one of Keras' own (found in Keras' modules, not in the registry
of custom objects, which is how a class of the file's choosing would run), and the parameter
count the config asks for is estimated from it and refused past MAX_IMPORT_PARAMS before
anything is built. Weights are never read: a design is an architecture.
"""

from __future__ import annotations

import importlib
import math
import re
import stat
import zipfile
import zlib
from pathlib import Path

from cnn_explorer.model.errors import DesignFileError
from cnn_explorer.model.safejson import loads_bounded

MAX_CONFIG_BYTES = 20_000_000
MAX_CONFIG_DEPTH = 100        # a functional model nests about 12 deep, each nested model ~6 more
MAX_IMPORT_PARAMS = 100_000_000  # 400 MB of float32 weights; ResNet-50 has 25.6M
MAX_MEMBERS = 1_000
WEIGHTS_SLACK_BYTES = 64 * 2**20  # HDF5 bookkeeping, optimizer variables
ALLOWED_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
DATA_CLASSES = {"__keras_tensor__", "__tensor__", "__numpy__", "__bytes__", "__ellipsis__",
                "__slice__"}
REFUSED_CLASSES = {"Lambda": "its Python code is not loaded (that could run anything)",
                   "TFSMLayer": "it loads and runs a TensorFlow SavedModel from disk",
                   "TorchModuleWrapper": "it unpickles a PyTorch module (that could run anything)",
                   "JaxLayer": "it wraps Python functions", "FlaxLayer": "it wraps Python code"}
_MODULE = re.compile(r"keras(\.[A-Za-z_][A-Za-z0-9_]*)*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ImportProblem(Exception):
    """The model cannot be imported; the message says which layer and why."""


def check_archive(path: Path) -> dict:
    """The checked config of a `.keras` file; ImportProblem with the reason otherwise."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError:
        raise ImportProblem(f"{path} does not exist") from None
    if not stat.S_ISREG(info.st_mode):
        raise ImportProblem(f"{path} is not a regular file")
    if path.suffix.lower() in (".h5", ".hdf5"):
        raise ImportProblem(f"{path.name} is a legacy HDF5 file, which cannot be loaded safely; "
                            "re-save the model as .keras (model.save('model.keras'))")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_members(path, members)
            member = archive.getinfo("config.json")
            if member.file_size > MAX_CONFIG_BYTES:
                raise ImportProblem(f"{path.name}: config.json is implausibly large "
                                    f"({member.file_size / 1e6:.0f} MB)")
            with archive.open(member) as fh:
                raw = fh.read(MAX_CONFIG_BYTES + 1)
    except (zipfile.BadZipFile, EOFError):
        raise ImportProblem(f"{path.name} is not a .keras model (not a zip archive): the file "
                            "is corrupt or of another type") from None
    except KeyError:
        raise ImportProblem(f"{path.name} is not a .keras model: it has no config.json") from None
    except (zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError, ValueError,
            zlib.error) as exc:
        raise ImportProblem(f"{path.name} is corrupt: its config.json cannot be read "
                            f"({_first_line(exc)})") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ImportProblem(f"{path.name}: config.json is implausibly large")
    try:
        config = loads_bounded(raw.decode("utf-8"), "its config.json", MAX_CONFIG_DEPTH)
    except UnicodeDecodeError as exc:
        raise ImportProblem(f"{path.name} is corrupt: its config.json cannot be read "
                            f"({_first_line(exc)})") from None
    except DesignFileError as exc:
        raise ImportProblem(f"{path.name} is corrupt: {exc}") from None
    if not isinstance(config, dict):
        raise ImportProblem(f"{path.name} is corrupt: its config.json is not an object")
    refuse_unknown_classes(config, "the model")
    params, complete = estimate_params(config)
    if params > MAX_IMPORT_PARAMS:
        raise ImportProblem(f"{path.name} describes a model of at least {params:,} parameters "
                            f"({4 * params / 2**30:.1f} GiB); at most {MAX_IMPORT_PARAMS:,} "
                            "can be imported")
    limit = 4 * (params if complete else MAX_IMPORT_PARAMS) * 2 + WEIGHTS_SLACK_BYTES
    for m in members:
        if m.filename != "config.json" and m.file_size > limit:
            raise ImportProblem(f"{path.name}: {m.filename} unpacks to {m.file_size / 2**20:,.0f}"
                                f" MiB, far more than the {params:,} parameters its config "
                                "describes; the file is not a plain .keras model")
    return config


def _check_members(path: Path, members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise ImportProblem(f"{path.name} holds {len(members):,} files; a .keras model holds 3")
    for m in members:
        if m.flag_bits & 0x1:
            raise ImportProblem(f"{path.name}: {m.filename} is encrypted; a .keras model is not")
        if m.compress_type not in ALLOWED_COMPRESSION:
            raise ImportProblem(f"{path.name}: {m.filename} uses compression method "
                                f"{m.compress_type}; a .keras model is stored or deflated")


def refuse_unknown_classes(config: dict, owner: str) -> None:
    """Raise ImportProblem on any class or function the config names that is not one of
    Keras' own, or on any name that Keras would look up among registered custom objects."""
    import keras

    custom = set(keras.saving.get_custom_objects())
    _walk(config, owner, custom)


def _walk(obj, owner: str, custom: set[str]) -> None:
    if isinstance(obj, str):
        if obj in custom:
            raise ImportProblem(f"{owner} names the registered custom object {obj!r}, which "
                                "is not loaded; only built-in Keras classes can be imported")
        return
    if isinstance(obj, list):
        for item in obj:
            _walk(item, owner, custom)
        return
    if not isinstance(obj, dict):
        return
    if "class_name" in obj and "config" in obj:
        inner = obj["config"]
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            owner = f"layer {inner['name']!r}"
        _check_class(obj, owner, custom)
    for key, value in obj.items():
        _walk(key, owner, custom)
        _walk(value, owner, custom)


def _check_class(obj: dict, owner: str, custom: set[str]) -> None:
    class_name, module = obj["class_name"], obj.get("module")
    registered = obj.get("registered_name")
    if not isinstance(class_name, str):
        raise ImportProblem(f"{owner}: class_name must be text")
    if class_name in DATA_CLASSES:
        return
    if class_name in REFUSED_CLASSES:
        raise ImportProblem(f"{owner} is a {class_name} layer: {REFUSED_CLASSES[class_name]}; "
                            "replace it with a built-in layer")
    name = obj["config"] if class_name == "function" else class_name
    custom_hint = (registered if isinstance(registered, str)
                   and registered not in (class_name, name) else None)
    if (not isinstance(name, str) or not _IDENTIFIER.fullmatch(name) or custom_hint
            or not isinstance(registered, (str, type(None))) or registered in custom
            or not isinstance(module, str)
            or not (_MODULE.fullmatch(module) or module == "builtins")
            or _resolve(module, name) is None):
        source = custom_hint or module or "no module"
        raise ImportProblem(f"{owner} uses the custom object {class_name!r} (from {source}), "
                            "which is not loaded; only built-in Keras classes can be imported")


def _resolve(module: str, name: str):
    """The Keras class or function `module.name`, or None if Keras has no such thing."""
    candidates = ([f"keras.{m}" for m in ("activations", "losses", "metrics", "initializers")]
                  if module == "builtins" else [module])
    for candidate in candidates:
        try:
            obj = getattr(importlib.import_module(candidate), name, None)
        except ImportError:
            obj = None
        if obj is not None and str(getattr(obj, "__module__", "")).startswith("keras"):
            return obj
    return None


def estimate_params(config: dict) -> tuple[int, bool]:
    """At least how many parameters the config's layers ask for, from their settings and
    build shapes; and whether every layer with weights was one this estimate knows."""
    total, complete = 0, True
    for layer in _layers(config):
        count = _layer_params(layer)
        if count is None:
            complete = False
        else:
            total += count
    return total, complete


def _layers(config: dict, depth: int = 0) -> list[dict]:
    inner = config.get("config")
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(layers, list) or depth > 20:
        return [config]
    out = []
    for layer in layers:
        if isinstance(layer, dict):
            out += _layers(layer, depth + 1)
    return out


_NO_WEIGHTS = re.compile(r"InputLayer|Activation|ReLU|LeakyReLU|ELU|Softmax|Dropout|"
                         r"SpatialDropout\dD|GaussianNoise|GaussianDropout|Flatten|Reshape|"
                         r"Permute|Rescaling|Resizing|CenterCrop|ZeroPadding\dD|Cropping\dD|"
                         r"UpSampling\dD|(Global)?(Max|Average)Pooling\dD|Add|Subtract|Multiply|"
                         r"Average|Maximum|Minimum|Concatenate|Dot|Identity|RepeatVector")


def _layer_params(layer: dict) -> int | None:
    name, cfg = layer.get("class_name"), layer.get("config")
    if not isinstance(name, str) or not isinstance(cfg, dict):
        return 0
    shape = (layer.get("build_config") or {}).get("input_shape") if isinstance(
        layer.get("build_config"), dict) else None
    channels = _last_dim(shape)
    bias = lambda n: n if cfg.get("use_bias", True) else 0  # noqa: E731
    if name == "Dense":
        units = _number(cfg.get("units"))
        return channels * units + bias(units)
    if name.startswith("Conv") or name.startswith("SeparableConv"):
        filters, kernel = _number(cfg.get("filters")), _prod(cfg.get("kernel_size"))
        groups = max(_number(cfg.get("groups", 1)), 1)
        if name.startswith("Separable"):
            mult = _number(cfg.get("depth_multiplier", 1))
            return kernel * channels * mult + channels * mult * filters + bias(filters)
        return kernel * max(channels // groups, 1) * filters + bias(filters)
    if name.startswith("DepthwiseConv"):
        out = channels * _number(cfg.get("depth_multiplier", 1))
        return _prod(cfg.get("kernel_size")) * out + bias(out)
    if name in ("BatchNormalization", "LayerNormalization", "GroupNormalization"):
        return 4 * channels
    if name == "Embedding":
        return _number(cfg.get("input_dim")) * _number(cfg.get("output_dim"))
    if name in ("LSTM", "GRU", "SimpleRNN"):
        units, gates = _number(cfg.get("units")), {"LSTM": 4, "GRU": 3}.get(name, 1)
        return gates * units * (channels + units + 1)
    return 0 if _NO_WEIGHTS.fullmatch(name) else None


def _last_dim(shape) -> int:
    while isinstance(shape, list) and shape and isinstance(shape[0], list):
        shape = shape[0]  # several inputs: the first one's
    if isinstance(shape, list) and shape:
        return _number(shape[-1])
    return 1


def _number(value) -> int:
    """A count from a config: whole and positive, else 1 (a lower bound either way)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 1:
        return 1
    return int(min(value, 10**15))


def _prod(value) -> int:
    if isinstance(value, list):
        return math.prod(_number(v) for v in value[:8])
    return _number(value)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
