"""Fixtures for training tests: tiny real data and tiny models, so each test takes seconds."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def sample():
    from cnn_explorer.training.data import load_sample

    return load_sample()


@pytest.fixture(scope="session")
def tiny_split(sample):
    """192 train and 64 validation images of the bundled sample."""
    from cnn_explorer.training.pipeline import split_data

    return split_data(sample, subset=256, validation_split=0.25, seed=0)


@pytest.fixture
def tiny_model():
    return make_tiny_model


@pytest.fixture
def tiny_settings():
    return make_tiny_settings


def make_tiny_model(batch_norm: bool = True):
    """conv -> (bn) -> pool -> dense softmax: three or four trainable layers, fast on CPU."""
    import keras

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, activation="relu", name="conv1")(inputs)
    if batch_norm:
        x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.Conv2D(8, 3, strides=2, activation="relu", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs)


def make_tiny_settings(**changes):
    from cnn_explorer.model.settings import RunSettings

    base = dict(dataset="sample", batch_size=32, epochs=1, subset=256, validation_split=0.25)
    return RunSettings(**{**base, **changes})


def make_tiny_design(broken: bool = False):
    """input -> conv (stride 2) -> global pool -> classifier, built with the model API.

    `broken` adds an Add block with one input missing, so the design does not build.
    """
    from cnn_explorer.model.files import Design
    from cnn_explorer.model.graph import Graph
    from cnn_explorer.model.settings import RunSettings

    g = Graph()
    last = g.add_block("input", {"height": 32, "width": 32, "channels": 3}, "input")
    for kind, name, params in (("conv2d", "conv1", {"filters": 8, "strides": 2}),
                               ("global_avg_pool", "pool", {}),
                               ("classifier", "predictions", {"classes": 10})):
        bid = g.add_block(kind, params, name)
        g.connect(last, bid)
        last = bid
    if broken:
        add = g.add_block("add", {}, "dangling_add")
        g.connect(last, add, 0)
    settings = RunSettings(dataset="sample", batch_size=32, epochs=1, subset=160,
                           validation_split=0.2)
    return Design(g, settings, "tiny-broken" if broken else "tiny")


@pytest.fixture
def tiny_design():
    return make_tiny_design


@pytest.fixture(autouse=True)
def collect_dead_widgets():
    """Dead Qt objects of a test are collected on the GUI thread, not by a later worker."""
    yield
    import gc

    gc.collect()
