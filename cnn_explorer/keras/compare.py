"""Is a rebuilt model the original, layer for layer? The round-trip check that the import
tests and `benchmarks/keras_roundtrip.py` share."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from .mapping import same_config
from .operations import is_operation
from .weights import leaf_layers

if TYPE_CHECKING:
    import keras

# Layer classes the design rebuilds as another class that computes the same thing.
SAME_AS = {("ReLU", "Activation")}  # ReLU(6.) comes back as Activation("relu6")


def operations(model: "keras.Model") -> Counter:
    """The keras.ops calls (not layers) of a model, by class: `x + 3.0` is one Add."""
    return Counter(type(op).__name__ for op in model.operations if is_operation(op))


def layer_mismatches(original: "keras.Model", rebuilt: "keras.Model") -> list[str]:
    """What differs, layer by layer (inside nested models too): a missing or extra layer, its
    output shape, parameter count, class or config, and the keras.ops calls. Empty: the same."""
    bad = []
    twins = {layer.name: layer for layer in leaf_layers(rebuilt)}
    names = {layer.name for layer in leaf_layers(original)}
    bad += [f"{name} is extra" for name in sorted(set(twins) - names)]
    for layer in leaf_layers(original):
        twin = twins.get(layer.name)
        if twin is None:
            bad.append(f"{layer.name} missing")
            continue
        if twin.output.shape != layer.output.shape or twin.count_params() != layer.count_params():
            bad.append(f"{layer.name}: {twin.output.shape}/{twin.count_params()} vs "
                       f"{layer.output.shape}/{layer.count_params()}")
        classes = (type(layer).__name__, type(twin).__name__)
        if classes[0] != classes[1] and classes not in SAME_AS:
            bad.append(f"{layer.name}: a {classes[1]}, was a {classes[0]}")
        elif classes[0] == classes[1] and not same_config(layer.get_config(), twin.get_config(),
                                                          len(layer.output.shape)):
            bad.append(f"{layer.name}: config differs")
    if operations(rebuilt) != operations(original):
        bad.append(f"keras.ops calls {dict(operations(rebuilt))} vs {dict(operations(original))}")
    return bad
