"""Design -> `keras.Model`: one Keras layer per expanded layer, with the same names and shapes.

The design model has already expanded every block into primitive layers (with hierarchical
names such as `stage2_block1_conv1`), so building is a walk over those layers in topological
order. Keras is imported here, lazily, and nowhere in the model package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnn_explorer.model.expand import LayerInfo

from . import operations
from .table import BY_KIND

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from cnn_explorer.model.graph import Graph

# Activations an override must not touch: the output distribution (softmax) and "none"
# (linear); gates are marked by the expander (LayerInfo.gate).
_KEEP = ("linear", "softmax")


class BuildError(Exception):
    """The design cannot be built (it has problems); the message lists them."""


def _activation(layer: LayerInfo, fn: str, override: str) -> str:
    if override == "none" or fn in _KEEP or layer.gate:
        return fn
    return override


def layer_args(layer: LayerInfo, initializer: str = "none",
               activation: str = "none") -> tuple[str, dict]:
    """The Keras layer class name and keyword arguments for one expanded layer.

    Read from the Keras table (table.py), shared by the builder and the Python exporter, so
    the exported script makes exactly the layers the app builds. The run's study knobs
    replace initializers and hidden activations. Opaque layers are not covered (they are
    deserialized whole).
    """
    row = BY_KIND.get(layer.kind)
    if row is None:
        raise BuildError(f"no Keras layer for kind {layer.kind!r} (layer {layer.name})")
    kwargs = row.args(layer.params)
    if "activation" in kwargs:
        kwargs["activation"] = _activation(layer, kwargs["activation"], activation)
    if initializer != "none":
        for key in ("kernel_initializer", "depthwise_initializer", "pointwise_initializer"):
            if key in kwargs:
                kwargs[key] = initializer
    return row.class_name, {**kwargs, "name": layer.name}


def make_layer(layer: LayerInfo, initializer: str = "none", activation: str = "none",
               dtype: str | None = None) -> keras.layers.Layer:
    """The Keras layer for one expanded layer (without calling it); `dtype` overrides the
    global dtype policy (the output layer stays float32 under mixed precision)."""
    import importlib

    if layer.kind == "opaque":
        return _opaque(layer)
    cls, kwargs = layer_args(layer, initializer, activation)
    # keras.layers, or Keras' own copy of a keras.applications file (never a user's file)
    return getattr(importlib.import_module(BY_KIND[layer.kind].module), cls)(
        **kwargs, **({"dtype": dtype} if dtype else {}))


def _opaque(layer: LayerInfo):
    """An imported layer rebuilt from its Keras class and config: built-in classes only,
    deserialized in safe mode, so a design file can never make Keras run code."""
    import keras

    class_name = layer.params["class_name"]
    cls = getattr(keras.layers, class_name, None)
    built_in = isinstance(cls, type) and issubclass(cls, keras.layers.Layer)
    if class_name == "Lambda" or not built_in:
        raise BuildError(f"imported layer {layer.name}: {class_name!r} is not a built-in Keras "
                         "layer, so it cannot be rebuilt safely")
    config = dict(layer.params["config"])
    config["name"] = layer.name
    try:
        return keras.saving.deserialize_keras_object(
            {"module": "keras.layers", "class_name": class_name, "config": config,
             "registered_name": None}, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - any failure is reported with the layer's name
        raise BuildError(f"cannot rebuild imported layer {layer.name} ({class_name}): "
                         f"{exc}") from None


def frozen_layers(graph: Graph) -> set[str]:
    """Names of the layers of frozen blocks (fine-tuning: their weights do not move)."""
    report = graph.report()
    return {layer.name for b in graph.blocks() if not b.trainable and b.id in report.blocks
            for layer in report.blocks[b.id].layers}


def build_model(graph: Graph, *, initializer_override: str = "none",
                activation_override: str = "none", name: str = "cnn_explorer") -> "keras.Model":
    """Build the Keras functional model of a design that has no problems; the layers of
    frozen blocks are built with `trainable=False`."""
    import keras

    report = graph.report()
    if report.problems:
        listed = "; ".join(
            (graph.block(p.block_id).name + ": " if p.block_id else "") + p.message
            for p in report.problems[:5])
        raise BuildError(f"the design has {len(report.problems)} problem(s): {listed}")
    tensors = {}
    inputs = []
    frozen = frozen_layers(graph)
    # Under mixed precision the output layers compute in float32: a float16 softmax loses the
    # small probabilities the loss needs (Keras' mixed precision guide).
    mixed = keras.config.dtype_policy().name != "float32"
    last = {report.blocks[bid].layers[-1].name for bid in report.output_ids} if mixed else ()
    for layer in report.layers:
        if layer.kind == "input":
            t = keras.Input(shape=tuple(layer.params["shape"]), name=layer.name)
            inputs.append(t)
        else:
            args = [tensors[n] for n in layer.inputs]
            if layer.kind in operations.OPERATION_KINDS:  # x + 3.0: a keras.ops call
                t = operations.apply(layer, args)
            else:
                keras_layer = make_layer(layer, initializer_override, activation_override,
                                         "float32" if layer.name in last else None)
                if layer.name in frozen:
                    keras_layer.trainable = False
                t = keras_layer(args if len(args) > 1 else args[0])
        tensors[layer.name] = t
    outputs = [tensors[report.blocks[bid].layers[-1].name] for bid in report.output_ids]
    if not outputs:
        raise BuildError("the design has no output block")
    return keras.Model(inputs if len(inputs) > 1 else inputs[0],
                       outputs if len(outputs) > 1 else outputs[0], name=name)
