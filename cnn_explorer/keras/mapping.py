"""Keras layer -> block: which primitive block kind (and parameters) a Keras layer is, if any.

A layer is matched by its class and config, never by its name. `candidate` proposes a block;
the importer then keeps it only if the builder, given that block, would make a layer with the
same config, output shape and parameter count (`same_config`). Anything else stays an opaque
block that keeps the layer's class and config, so no setting is ever dropped silently.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Callable

from cnn_explorer.model.spec import ACTIVATIONS, INITIALIZERS

Candidate = tuple[str, dict]  # (block kind, block params)


@lru_cache(maxsize=1)
def _activation_names() -> dict[str, str]:
    """Keras' serialized activation name -> the block vocabulary's name ('silu' -> 'swish')."""
    import keras

    names = {}
    for name in ACTIVATIONS:
        names.setdefault(keras.activations.serialize(keras.activations.get(name)), name)
    return names


@lru_cache(maxsize=1)
def _initializer_names() -> dict[str, str]:
    """Keras' serialized initializer (as JSON) -> the block vocabulary's initializer name."""
    import keras

    return {_key(keras.initializers.serialize(keras.initializers.get(name))): name
            for name in INITIALIZERS}


def _key(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def activation_name(value) -> str | None:
    return _activation_names().get(value if isinstance(value, str) else "")


def initializer_name(value) -> str | None:
    return _initializer_names().get(_key(value))


def _conv(c: dict, shapes: list) -> Candidate | None:
    act, init = activation_name(c["activation"]), initializer_name(c["kernel_initializer"])
    if act is None or init is None:
        return None
    return "conv2d", dict(filters=c["filters"], kernel=list(c["kernel_size"]),
                          strides=list(c["strides"]), padding=c["padding"],
                          dilation=list(c["dilation_rate"]), activation=act,
                          use_bias=c["use_bias"], kernel_initializer=init)


def _depthwise(c: dict, shapes: list) -> Candidate | None:
    act = activation_name(c["activation"])
    if act is None:
        return None
    return "depthwise_conv2d", dict(kernel=list(c["kernel_size"]), strides=list(c["strides"]),
                                    padding=c["padding"], depth_multiplier=c["depth_multiplier"],
                                    dilation=list(c["dilation_rate"]), activation=act,
                                    use_bias=c["use_bias"])


def _dense(c: dict, shapes: list) -> Candidate | None:
    act, init = activation_name(c["activation"]), initializer_name(c["kernel_initializer"])
    if act is None or init is None:
        return None
    return "dense", dict(units=c["units"], activation=act, use_bias=c["use_bias"],
                         kernel_initializer=init)


def _relu(c: dict, shapes: list) -> Candidate | None:
    """ReLU(max_value=6) is exactly the relu6 activation; other thresholds have no block."""
    if c.get("negative_slope") or c.get("threshold"):
        return None
    fn = {None: "relu", 6.0: "relu6"}.get(c.get("max_value"), None)
    return ("activation", {"activation": fn}) if fn else None


def _activation(c: dict, shapes: list) -> Candidate | None:
    act = activation_name(c["activation"])
    return ("activation", {"activation": act}) if act else None


def _pool(kind: str) -> Callable[[dict, list], Candidate]:
    return lambda c, shapes: (kind, dict(pool_size=list(c["pool_size"]),
                                         strides=list(c["strides"] or c["pool_size"]),
                                         padding=c["padding"]))


def _merge(kind: str) -> Callable[[dict, list], Candidate]:
    return lambda c, shapes: (kind, {"inputs": len(shapes)})


def _zero_padding(c: dict, shapes: list) -> Candidate:
    (top, bottom), (left, right) = c["padding"]
    return "zero_padding2d", dict(top=top, bottom=bottom, left=left, right=right)


CANDIDATES: dict[str, Callable[[dict, list], Candidate | None]] = {
    "Conv2D": _conv,
    "DepthwiseConv2D": _depthwise,
    "Dense": _dense,
    "BatchNormalization": lambda c, s: ("batch_norm", dict(
        momentum=c["momentum"], epsilon=c["epsilon"], center=c["center"], scale=c["scale"])),
    "Activation": _activation,
    "ReLU": _relu,
    "MaxPooling2D": _pool("max_pool"),
    "AveragePooling2D": _pool("avg_pool"),
    "GlobalAveragePooling2D": lambda c, s: ("global_avg_pool", {"keepdims": c["keepdims"]}),
    "Flatten": lambda c, s: ("flatten", {}),
    "Dropout": lambda c, s: ("dropout", {"rate": c["rate"]}),
    "Add": _merge("add"),
    "Multiply": _merge("multiply"),
    "Concatenate": _merge("concatenate"),
    "Reshape": lambda c, s: ("reshape", {"target_shape": list(c["target_shape"])}),
    "ZeroPadding2D": _zero_padding,
}
# Classes the builder makes from the block it maps to, so their configs can be compared whole.
# (ReLU is rebuilt as an Activation layer; its mapper checks the config itself.)
SAME_CLASS = set(CANDIDATES) - {"ReLU"}


def candidate(class_name: str, config: dict, input_shapes: list) -> Candidate | None:
    """The block a layer may be, before checking that the builder reproduces it exactly."""
    propose = CANDIDATES.get(class_name)
    if propose is None:
        return None
    try:
        return propose(config, input_shapes)
    except (KeyError, TypeError, ValueError):  # a config shape this mapper does not know
        return None


def comparable(config: dict, input_rank: int) -> str:
    """A layer config without its name, with `axis` = last axis written as -1, as JSON."""
    config = {k: v for k, v in config.items() if k != "name"}
    if config.get("axis") in (input_rank - 1, [input_rank - 1], [-1]):
        config["axis"] = -1
    return _key(config)


def same_config(original: dict, rebuilt: dict, input_rank: int) -> bool:
    return comparable(original, input_rank) == comparable(rebuilt, input_rank)
