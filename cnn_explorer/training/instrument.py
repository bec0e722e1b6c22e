"""The instrumented train step: loss, accuracy and every trainable layer's gradient norm.

The gradients are computed once, as in `model.fit`; the per-layer L2 norms (kernel and bias
together), weight norms and update norms (how far this step moved the weights: the
update-to-weight ratio is update / weight) come from those same tensors inside the compiled
step and leave it as three small vectors, so instrumentation costs a few reductions and one
copy of the weights, not a second backward pass.
The wrapper reuses Keras' own `fit` loop (and its XLA compilation), so speed matches `fit`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

import keras
import tensorflow as tf

from cnn_explorer.keras.optimizer import make_loss, make_optimizer
from cnn_explorer.model.settings import RunSettings


@dataclass(frozen=True)
class LayerSlot:
    """One trainable layer, in depth order, and the block of the design it came from."""

    name: str
    kind: str  # Keras class name: Conv2D, Dense, BatchNormalization...
    depth: int  # 0 = nearest the input
    block: str = ""  # block id on the canvas ("" when unknown)

    @property
    def has_kernel(self) -> bool:
        """Conv and dense layers; the depth profile is read on these (BN scales are not depth)."""
        return self.kind not in ("BatchNormalization", "LayerNormalization", "GroupNormalization")

    def to_dict(self) -> dict:
        return asdict(self)


def trainable_layers(model: keras.Model) -> list[tuple[keras.layers.Layer, list[int]]]:
    """Layers owning trainable weights, in the model's topological (depth) order.

    Each comes with the indices of its variables in `model.trainable_variables`, so norms can
    be gathered from the flat gradient list the tape returns.
    """
    index = {id(v): i for i, v in enumerate(model.trainable_variables)}
    found = []
    for layer in leaf_layers(model):
        ids = [index[id(v)] for v in layer.trainable_weights if id(v) in index]
        if ids:
            found.append((layer, ids))
    return found


def leaf_layers(model: keras.Model) -> Iterator[keras.layers.Layer]:
    """Every layer, looking inside nested models (a Sequential stem in a functional model)."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # nested functional models: look inside
            yield from leaf_layers(layer)
        else:
            yield layer


class InstrumentedModel(keras.Model):
    """Wraps a design's model; `fit` on it also returns per-layer gradient and weight norms.

    Checkpoints save `inner`, the design's own model, so a `.keras` file loads without this
    class.
    """

    def __init__(self, inner: keras.Model, blocks: dict[str, str] | None = None,
                 test_flip: bool = False) -> None:
        super().__init__(name=f"instrumented_{inner.name}")
        self.inner = inner
        self.test_flip = test_flip
        blocks = blocks or {}
        picked = trainable_layers(inner)
        self.slots = [LayerSlot(layer.name, type(layer).__name__, depth, blocks.get(layer.name, ""))
                      for depth, (layer, _) in enumerate(picked)]
        self._groups = [ids for _, ids in picked]

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        probs = self.inner(inputs, training=training)
        if self.test_flip and not training:  # test-time flip: average with the mirror image
            probs = (probs + self.inner(tf.reverse(inputs, axis=[2]), training=False)) / 2
        return probs

    def train_step(self, data: tuple[tf.Tensor, tf.Tensor]) -> dict[str, tf.Tensor]:
        x, y = data
        variables = self.inner.trainable_variables
        with tf.GradientTape() as tape:
            probs = self.inner(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=probs, training=True)
            scaled = self.optimizer.scale_loss(loss)  # x the loss scale under mixed_float16
        grads = tape.gradient(scaled, variables)
        before = [tf.identity(v.value) for v in variables]  # read before the update
        self.optimizer.apply_gradients(zip(grads, variables))
        updates = [v.value - b for v, b in zip(variables, before)]
        self.compute_metrics(x, y, probs)  # the running means fit keeps, as in stock train_step
        hits = tf.equal(tf.argmax(probs, axis=-1, output_type=tf.int32), tf.cast(y, tf.int32))
        return {
            "loss": loss,
            "accuracy": tf.reduce_mean(tf.cast(hits, tf.float32)),
            "grad_norms": self._group_norms(grads) / self._loss_scale(),
            "weight_norms": self._group_norms(variables),
            "update_norms": self._group_norms(updates),
            "learning_rate": tf.cast(self.optimizer.learning_rate, tf.float32),
        }

    def _group_norms(self, tensors) -> tf.Tensor:
        return tf.stack([tf.linalg.global_norm([tf.cast(tensors[i], tf.float32) for i in ids])
                         for ids in self._groups])

    def _loss_scale(self) -> tf.Tensor:
        """The factor the gradients carry: the dynamic loss scale under mixed precision."""
        scale = getattr(self.optimizer, "dynamic_scale", None)
        return tf.cast(scale, tf.float32) if scale is not None else tf.constant(1.0)


def compile_instrumented(inner: keras.Model, settings: RunSettings, total_steps: int,
                         blocks: dict[str, str] | None = None) -> InstrumentedModel:
    """The wrapper, compiled like a plain classifier so evaluation (validation) is stock Keras.
    The optimizer is the one the exported script uses (`keras/optimizer.py`)."""
    model = InstrumentedModel(inner, blocks, test_flip=settings.test_flip)
    optimizer = make_optimizer(settings.to_dict(), total_steps)
    if mixed_precision(settings):
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(optimizer=optimizer, loss=make_loss(settings.to_dict()), metrics=["accuracy"])
    return model


def mixed_precision(settings: RunSettings) -> bool:
    """float16 compute with loss scaling: asked for, or `auto` and a GPU is visible."""
    if settings.precision == "auto":
        return bool(tf.config.list_logical_devices("GPU"))
    return settings.precision == "mixed_float16"


def precision_policy(settings: RunSettings) -> str:
    """The Keras dtype policy a run builds its model under."""
    return "mixed_float16" if mixed_precision(settings) else "float32"


def current_learning_rate(model: keras.Model) -> float:
    optimizer = model.optimizer
    lr = getattr(optimizer, "inner_optimizer", optimizer).learning_rate
    return float(keras.ops.convert_to_numpy(lr))
