"""Source templates of the exported script: header, shared helpers and the training `main()`.

Each composite block kind's Keras function is written the way keras.applications writes its
blocks (`def block(x, ..., name)`) and sits beside its expander in model/composites.py (it is
text there; nothing in the model imports Keras); it makes exactly the layers, with exactly the
names, that the expander describes, and the export round-trip test holds the two side by side.
`{signature}` is filled with the spec's fields and their defaults, so a call only spells out
what differs from the default.
"""

from __future__ import annotations

import re

from cnn_explorer.model.kinds import KINDS

# Helpers the block functions share; emitted once when any composite block is used.
HELPERS = '''
def conv(x, filters, kernel, strides, name, use_bias=False, kernel_initializer="he_normal",
         activation="linear", padding="same"):
    """The convolution the blocks use: no bias before batch norm, He initialisation."""
    return layers.Conv2D(filters, kernel, strides=strides, padding=padding,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, name=name)(x)


def bn(x, name, epsilon=1e-3):
    return layers.BatchNormalization(momentum=0.99, epsilon=epsilon, name=name)(x)


def act(x, activation, name):
    return layers.Activation(activation, name=name)(x)


def squeeze_excite(x, reduced, name):
    """Squeeze (global average pool to 1x1xC), excite (C -> reduced -> C, sigmoid), re-weight."""
    channels = x.shape[-1]
    s = layers.GlobalAveragePooling2D(keepdims=True, name=name + "_squeeze")(x)
    s = conv(s, max(1, reduced), 1, 1, name + "_reduce", use_bias=True,
             kernel_initializer="glorot_uniform", activation="relu")
    s = conv(s, channels, 1, 1, name + "_expand", use_bias=True,
             kernel_initializer="glorot_uniform", activation="sigmoid")
    return layers.Multiply(name=name + "_excite")([x, s])


def sep_conv(x, filters, kernel, strides, name):
    """NASNet's separable branch: ReLU, depthwise kxk, pointwise 1x1, batch norm."""
    y = act(x, "relu", name + "_relu")
    y = layers.DepthwiseConv2D(kernel, strides=strides, padding="same", use_bias=False,
                               name=name + "_dw")(y)
    return bn(conv(y, filters, 1, 1, name + "_pw"), name + "_bn")
'''

# Each composite's function sits beside its expander (`keras_source` on its BlockKind in
# model/composites.py), so the two are edited together; the export tests hold them equal.
BLOCKS = {k.name: k.keras_source for k in KINDS.values() if k.composite}
# Function name per composite kind (what the call sites use).
FUNCTION_NAMES = {name: re.search(r"def (\w+)\(", source).group(1)
                  for name, source in BLOCKS.items()}

# Spec fields whose names would shadow a module the script uses.
RENAMED_FIELDS = {"layers": "num_layers"}

HEADER = '''"""{title}: a CNN exported by CNN Explorer ({params:,} parameters, output {output}).

Run `python {filename}` to train it on {dataset} with the design's run settings; it uses every
GPU it sees (tf.distribute.MirroredStrategy) and the default strategy otherwise, so the same
file runs on a laptop and on a multi-GPU machine. `build_model()` alone needs only Keras.
"""

import argparse
{json_import}
import keras
from keras import layers

# The run settings saved with the design.
RUN_SETTINGS = {settings}
'''

MAIN = '''

def load_data(name, image_shape):
    """CIFAR-10/100 from tensorflow-datasets, scaled to [0, 1] (resized if the input differs)."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    def prepare(image, label):
        image = tf.cast(image, tf.float32) / 255.0
        if tuple(image.shape[:2]) != tuple(image_shape[:2]):
            image = tf.image.resize(image, image_shape[:2])
        return image, label

    train, test = tfds.load(name, split=["train", "test"], as_supervised=True)
    return train.map(prepare), test.map(prepare)


def augment(image, label):
    """Random horizontal flip and a random crop of the 4-pixel zero-padded image."""
    import tensorflow as tf

    h, w = image.shape[0], image.shape[1]
    image = tf.image.random_flip_left_right(image)
    image = tf.image.resize_with_crop_or_pad(image, h + 8, w + 8)
    return tf.image.random_crop(image, (h, w, image.shape[2])), label


{optimizer}


def main():
    import tensorflow as tf

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["cifar10", "cifar100"], default=DATASET)
    parser.add_argument("--epochs", type=int, default=RUN_SETTINGS["epochs"])
    parser.add_argument("--batch-size", type=int, default=RUN_SETTINGS["batch_size"],
                        help="global batch size, split across the GPUs")
    args = parser.parse_args()
    settings = dict(RUN_SETTINGS, epochs=args.epochs, batch_size=args.batch_size)
    keras.utils.set_random_seed(settings["seed"])
    gpus = tf.config.list_physical_devices("GPU")
    strategy = (tf.distribute.MirroredStrategy() if len(gpus) > 1
                else tf.distribute.get_strategy())
    print(f"{{len(gpus)}} GPU(s) visible: {{type(strategy).__name__}}, "
          f"{{strategy.num_replicas_in_sync}} replica(s)")
    with strategy.scope():
        model = build_model()
{load_weights}    train, test = load_data(args.dataset, model.input_shape[1:])
    if settings["subset"]:
        train = train.take(settings["subset"])
    n_train = int(train.cardinality())
    n_val = int(n_train * settings["validation_split"])
    train = train.shuffle(n_train, seed=settings["seed"], reshuffle_each_iteration=False)
    val, train = train.take(n_val), train.skip(n_val)
    train = train.shuffle(10_000, seed=settings["seed"])
    if settings["augment"]:
        train = train.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    batch = settings["batch_size"]
    train = train.batch(batch).prefetch(tf.data.AUTOTUNE)
    val, test = val.batch(batch), test.batch(batch)
    with strategy.scope():
        model.compile(optimizer=make_optimizer(settings, total_steps(n_train - n_val, settings)),
                      loss=make_loss(settings), metrics=["accuracy"])
    model.fit(train, validation_data=val if n_val else None, epochs=settings["epochs"])
    loss, accuracy = model.evaluate(test)
    print(f"test loss {{loss:.4f}}, test accuracy {{accuracy:.4f}}")


if __name__ == "__main__":
    main()
'''
