"""Keras' serialized activation and initializer names -> the block vocabulary's names."""

from __future__ import annotations

import json
from functools import lru_cache

from cnn_explorer.model.spec import ACTIVATIONS, INITIALIZERS


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

    return {key(keras.initializers.serialize(keras.initializers.get(name))): name
            for name in INITIALIZERS}


def key(value: object) -> str:
    """A JSON text that compares configs whole (sorted keys)."""
    return json.dumps(value, sort_keys=True, default=str)


def activation_name(value: object) -> str | None:
    return _activation_names().get(value if isinstance(value, str) else "")


def initializer_name(value: object) -> str | None:
    return _initializer_names().get(key(value))
