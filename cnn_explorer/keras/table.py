"""One row per primitive layer kind: how it becomes a Keras layer and how a Keras layer becomes it.

The builder (`build.layer_args`), the Python exporter (defaults left out, positional arguments)
and the importer (`mapping.candidate`) all read this table, so a new single-layer block kind is
its spec and BlockKind (model/layers.py) plus one row here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .names import activation_name, initializer_name

Candidate = tuple[str, dict]  # (block kind, block params)


@dataclass(frozen=True)
class KerasRow:
    kind: str                     # the layer kind in the design model, e.g. "conv2d"
    class_name: str               # the Keras class, e.g. "Conv2D"
    args: Callable[[dict], dict]  # layer params -> Keras keyword arguments (without the name)
    # Keras config (+ input shapes) -> the block that may be this layer, or None
    to_block: Callable[[dict, list], Candidate | None]
    defaults: dict = field(default_factory=dict)  # Keras defaults the exporter leaves out
    positional: tuple[str, ...] = ()              # arguments the exporter writes positionally
    # where the class lives: keras.layers, or a keras.applications file for the layers those
    # files define themselves (ConvNeXt's LayerScale), taken from Keras, never from a file
    module: str = "keras.layers"


def _conv_args(p: dict) -> dict:
    return dict(filters=p["filters"], kernel_size=p["kernel"], strides=p["strides"],
                padding=p["padding"], dilation_rate=p["dilation"], activation=p["activation"],
                use_bias=p["use_bias"], kernel_initializer=p["kernel_initializer"],
                groups=p.get("groups", 1))


def _conv_block(c: dict, shapes: list) -> Candidate | None:
    act, init = activation_name(c["activation"]), initializer_name(c["kernel_initializer"])
    if act is None or init is None:
        return None
    return "conv2d", dict(filters=c["filters"], kernel=list(c["kernel_size"]),
                          strides=list(c["strides"]), padding=c["padding"],
                          dilation=list(c["dilation_rate"]), activation=act,
                          use_bias=c["use_bias"], kernel_initializer=init,
                          groups=c.get("groups", 1))


def _depthwise_args(p: dict) -> dict:
    return dict(kernel_size=p["kernel"], strides=p["strides"], padding=p["padding"],
                depth_multiplier=p["depth_multiplier"], dilation_rate=p["dilation"],
                activation=p["activation"], use_bias=p["use_bias"],
                depthwise_initializer="glorot_uniform")


def _depthwise_block(c: dict, shapes: list) -> Candidate | None:
    act = activation_name(c["activation"])
    if act is None:
        return None
    return "depthwise_conv2d", dict(kernel=list(c["kernel_size"]), strides=list(c["strides"]),
                                    padding=c["padding"], depth_multiplier=c["depth_multiplier"],
                                    dilation=list(c["dilation_rate"]), activation=act,
                                    use_bias=c["use_bias"])


def _separable_args(p: dict) -> dict:
    return dict(filters=p["filters"], kernel_size=p["kernel"], strides=p["strides"],
                padding=p["padding"], depth_multiplier=p["depth_multiplier"],
                dilation_rate=p["dilation"], activation=p["activation"], use_bias=p["use_bias"],
                depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform")


def _separable_block(c: dict, shapes: list) -> Candidate | None:
    act = activation_name(c["activation"])
    if act is None:
        return None
    return "separable_conv2d", dict(filters=c["filters"], kernel=list(c["kernel_size"]),
                                    strides=list(c["strides"]), padding=c["padding"],
                                    depth_multiplier=c["depth_multiplier"],
                                    dilation=list(c["dilation_rate"]), activation=act,
                                    use_bias=c["use_bias"])


def _numbers(values) -> float | list | None:
    """A spec's numbers as Keras writes them: one number plain, several as a list."""
    if not values:
        return None
    return float(values[0]) if len(values) == 1 else [float(v) for v in values]


def _last_axis(c: dict, shapes: list) -> bool:
    axis = c.get("axis", -1)
    axis = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    return axis in ([-1], [len(shapes[0])])  # the batch axis is axis 0


def _normalization_block(c: dict, shapes: list) -> Candidate | None:
    if not _last_axis(c, shapes):
        return None
    return "normalization", dict(mean=_listed(c["mean"]), variance=_listed(c["variance"]),
                                 invert=c["invert"])


def _listed(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _layer_norm_block(c: dict, shapes: list) -> Candidate | None:
    if not _last_axis(c, shapes) or c.get("rms_scaling"):
        return None
    return "layer_norm", dict(epsilon=c["epsilon"], center=c["center"], scale=c["scale"])


def _dense_block(c: dict, shapes: list) -> Candidate | None:
    act, init = activation_name(c["activation"]), initializer_name(c["kernel_initializer"])
    if act is None or init is None:
        return None
    return "dense", dict(units=c["units"], activation=act, use_bias=c["use_bias"],
                         kernel_initializer=init)


def _activation_block(c: dict, shapes: list) -> Candidate | None:
    act = activation_name(c["activation"])
    return ("activation", {"activation": act}) if act else None


def _pool_args(p: dict) -> dict:
    return dict(pool_size=p["pool_size"], strides=p["strides"], padding=p["padding"])


def _pool_block(kind: str) -> Callable[[dict, list], Candidate]:
    return lambda c, shapes: (kind, dict(pool_size=list(c["pool_size"]),
                                         strides=list(c["strides"] or c["pool_size"]),
                                         padding=c["padding"]))


def _merge_block(kind: str) -> Callable[[dict, list], Candidate]:
    return lambda c, shapes: (kind, {"inputs": len(shapes)})


def _zero_padding_block(c: dict, shapes: list) -> Candidate:
    (top, bottom), (left, right) = c["padding"]
    return "zero_padding2d", dict(top=top, bottom=bottom, left=left, right=right)


_CONV_DEFAULTS = dict(strides=1, padding="valid", dilation_rate=1, activation="linear",
                      use_bias=True)
ROWS: list[KerasRow] = [
    KerasRow("conv2d", "Conv2D", _conv_args, _conv_block,
             {**_CONV_DEFAULTS, "kernel_initializer": "glorot_uniform", "groups": 1},
             ("filters", "kernel_size")),
    KerasRow("depthwise_conv2d", "DepthwiseConv2D", _depthwise_args, _depthwise_block,
             {**_CONV_DEFAULTS, "depth_multiplier": 1, "depthwise_initializer": "glorot_uniform"},
             ("kernel_size",)),
    KerasRow("dense", "Dense", lambda p: dict(units=p["units"], activation=p["activation"],
                                              use_bias=p["use_bias"],
                                              kernel_initializer=p["kernel_initializer"]),
             _dense_block,
             dict(activation="linear", use_bias=True, kernel_initializer="glorot_uniform"),
             ("units",)),
    KerasRow("batch_norm", "BatchNormalization",
             lambda p: dict(momentum=p["momentum"], epsilon=p["epsilon"], center=p["center"],
                            scale=p["scale"]),
             lambda c, s: ("batch_norm", dict(momentum=c["momentum"], epsilon=c["epsilon"],
                                              center=c["center"], scale=c["scale"])),
             dict(momentum=0.99, epsilon=1e-3, center=True, scale=True)),
    KerasRow("activation", "Activation", lambda p: dict(activation=p["activation"]),
             _activation_block, positional=("activation",)),
    KerasRow("max_pool", "MaxPooling2D", _pool_args, _pool_block("max_pool"),
             dict(padding="valid"), ("pool_size",)),
    KerasRow("avg_pool", "AveragePooling2D", _pool_args, _pool_block("avg_pool"),
             dict(padding="valid"), ("pool_size",)),
    KerasRow("global_avg_pool", "GlobalAveragePooling2D",
             lambda p: {"keepdims": p.get("keepdims")},
             lambda c, s: ("global_avg_pool", {"keepdims": c["keepdims"]}),
             dict(keepdims=False)),
    KerasRow("flatten", "Flatten", lambda p: {}, lambda c, s: ("flatten", {})),
    KerasRow("dropout", "Dropout", lambda p: {"rate": p.get("rate")},
             lambda c, s: ("dropout", {"rate": c["rate"]}), positional=("rate",)),
    KerasRow("add", "Add", lambda p: {}, _merge_block("add")),
    KerasRow("multiply", "Multiply", lambda p: {}, _merge_block("multiply")),
    KerasRow("concatenate", "Concatenate", lambda p: {"axis": -1}, _merge_block("concatenate"),
             dict(axis=-1)),
    KerasRow("reshape", "Reshape", lambda p: {"target_shape": tuple(p.get("target_shape") or ())},
             lambda c, s: ("reshape", {"target_shape": list(c["target_shape"])}),
             positional=("target_shape",)),
    KerasRow("zero_padding2d", "ZeroPadding2D",
             lambda p: {"padding": tuple(map(tuple, p.get("padding") or ()))},
             _zero_padding_block, positional=("padding",)),
]
ROWS += [
    KerasRow("separable_conv2d", "SeparableConv2D", _separable_args, _separable_block,
             {**_CONV_DEFAULTS, "depth_multiplier": 1, "depthwise_initializer": "glorot_uniform",
              "pointwise_initializer": "glorot_uniform"}, ("filters", "kernel_size")),
    KerasRow("rescaling", "Rescaling",
             lambda p: dict(scale=_numbers(p["scale"]), offset=_numbers(p["offset"])),
             lambda c, s: ("rescaling", dict(scale=_listed(c["scale"]),
                                             offset=_listed(c["offset"]))),
             dict(offset=0.0), ("scale",)),
    KerasRow("normalization", "Normalization",
             lambda p: dict(axis=-1, mean=_numbers(p["mean"]), variance=_numbers(p["variance"]),
                            invert=p["invert"]),
             _normalization_block, dict(axis=-1, mean=None, variance=None, invert=False)),
    KerasRow("layer_norm", "LayerNormalization",
             lambda p: dict(epsilon=p["epsilon"], center=p["center"], scale=p["scale"]),
             _layer_norm_block, dict(epsilon=1e-3, center=True, scale=True)),
    # keras.applications' own layers, rebuilt from Keras' copy of their class
    KerasRow("layer_scale", "LayerScale",
             lambda p: dict(init_values=p["init_values"], projection_dim=p["projection_dim"]),
             lambda c, s: ("layer_scale", {"init_values": c["init_values"]}),
             positional=("init_values", "projection_dim"),
             module="keras.src.applications.convnext"),
    KerasRow("scaled_add", "CustomScaleLayer", lambda p: dict(scale=p["scale"]),
             lambda c, s: ("scaled_add", {"scale": c["scale"]}) if len(s) == 2 else None,
             positional=("scale",), module="keras.src.applications.inception_resnet_v2"),
]
BY_KIND: dict[str, KerasRow] = {row.kind: row for row in ROWS}
BY_CLASS: dict[str, KerasRow] = {row.class_name: row for row in ROWS}
