"""Source templates of the exported script: one Keras block function per composite block kind.

Each function is written the way keras.applications writes its blocks (`def block(x, ...,
name)`), and makes exactly the layers, with exactly the names, that the design model's
`expand_*` function of the same kind describes (see cnn_explorer/model/composites.py); the
export round-trip test holds the two side by side. `{signature}` is filled with the spec's
fields and their defaults, so a call only spells out what differs from the default.
"""

from __future__ import annotations

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

BLOCKS = {
    "conv_bn_act": '''
def conv_bn_act_block({signature}):
    """Convolution, batch norm, activation."""
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=use_bias,
                      kernel_initializer=kernel_initializer, name=name + "_conv")(x)
    return act(bn(x, name + "_bn"), activation, name + "_act")
''',
    "residual": '''
def residual_block({signature}):
    """y = act(F(x) + shortcut(x)); the shortcut projects (1x1 conv) when the shape changes."""
    kw = dict(use_bias=use_bias, kernel_initializer=kernel_initializer)
    norm = bn if batch_norm else (lambda y, name: y)
    if variant == "basic":
        out_channels = filters
        y = conv(x, filters, 3, strides, name + "_conv1", **kw)
        y = act(norm(y, name + "_bn1"), activation, name + "_act1")
        y = norm(conv(y, filters, 3, 1, name + "_conv2", **kw), name + "_bn2")
    else:
        out_channels = filters * expansion
        y = conv(x, filters, 1, strides, name + "_conv1", **kw)
        y = act(norm(y, name + "_bn1"), activation, name + "_act1")
        y = conv(y, filters, 3, 1, name + "_conv2", **kw)
        y = act(norm(y, name + "_bn2"), activation, name + "_act2")
        y = norm(conv(y, out_channels, 1, 1, name + "_conv3", **kw), name + "_bn3")
    if se_ratio:
        y = squeeze_excite(y, out_channels // se_ratio, name + "_se")
    shortcut = x
    if strides != 1 or x.shape[-1] != out_channels:
        shortcut = conv(x, out_channels, 1, strides, name + "_shortcut_conv", **kw)
        shortcut = norm(shortcut, name + "_shortcut_bn")
    y = layers.Add(name=name + "_add")([y, shortcut])
    return act(y, activation, name + "_out") if activation_after_add else y
''',
    "dense_block": '''
def dense_block({signature}):
    """DenseNet: each layer BN-ReLU-(1x1 conv 4k, BN-ReLU)-3x3 conv k, concatenated onto x."""
    for i in range(1, num_layers + 1):
        p = f"{{name}}_l{{i}}"
        h = act(bn(x, p + "_bn1", 1.001e-5), "relu", p + "_relu1")
        if bottleneck:
            h = conv(h, 4 * growth_rate, 1, 1, p + "_conv1")
            h = act(bn(h, p + "_bn2", 1.001e-5), "relu", p + "_relu2")
        h = conv(h, growth_rate, 3, 1, p + "_conv2")
        if dropout:
            h = layers.Dropout(dropout, name=p + "_drop")(h)
        x = layers.Concatenate(name=p + "_concat")([x, h])
    return x
''',
    "transition": '''
def transition_block({signature}):
    """Between dense blocks: BN-ReLU, 1x1 conv keeping a fraction of channels, 2x2 pool."""
    y = act(bn(x, name + "_bn", 1.001e-5), "relu", name + "_relu")
    y = conv(y, max(1, int(x.shape[-1] * compression)), 1, 1, name + "_conv")
    return layers.AveragePooling2D(2, strides=2, name=name + "_pool")(y)
''',
    "squeeze_excite": '''
def squeeze_excite_block({signature}):
    """Channel attention with reduction ratio r."""
    return squeeze_excite(x, x.shape[-1] // ratio, name + "_se")
''',
    "mbconv": '''
def mbconv_block({signature}):
    """EfficientNet's inverted residual: expand 1x1, depthwise kxk, SE, project 1x1, skip."""
    c_in = x.shape[-1]
    y = x
    if expand_ratio != 1:
        y = conv(y, c_in * expand_ratio, 1, 1, name + "_expand_conv")
        y = act(bn(y, name + "_expand_bn"), activation, name + "_expand_act")
    y = layers.DepthwiseConv2D(kernel, strides=strides, padding="same", use_bias=False,
                               name=name + "_dwconv")(y)
    y = act(bn(y, name + "_bn"), activation, name + "_act")
    if se_ratio > 0:
        y = squeeze_excite(y, max(1, int(c_in * se_ratio)), name + "_se")
    y = bn(conv(y, filters, 1, 1, name + "_project_conv"), name + "_project_bn")
    if strides == 1 and c_in == filters:
        if drop_rate > 0:
            y = layers.Dropout(drop_rate, name=name + "_drop")(y)
        y = layers.Add(name=name + "_add")([y, x])
    return y
''',
    "normal_cell": '''
def normal_cell({signature}):
    """NASNet-style cell, stride 1: three two-branch sums, concatenated (3 x filters)."""
    p = bn(conv(act(x, "relu", name + "_in_relu"), filters, 1, 1, name + "_in_conv"),
           name + "_in_bn")
    b1 = layers.Add(name=name + "_b1_add")([sep_conv(p, filters, 3, 1, name + "_b1_sep3"), p])
    b2 = layers.Add(name=name + "_b2_add")([sep_conv(p, filters, 5, 1, name + "_b2_sep5"),
                                            sep_conv(p, filters, 3, 1, name + "_b2_sep3")])
    pool = layers.AveragePooling2D(3, strides=1, padding="same", name=name + "_b3_avg")(p)
    b3 = layers.Add(name=name + "_b3_add")([pool, p])
    return layers.Concatenate(name=name + "_concat")([b1, b2, b3])
''',
    "reduction_cell": '''
def reduction_cell({signature}):
    """NASNet-style cell, stride 2: every branch halves height and width."""
    p = bn(conv(act(x, "relu", name + "_in_relu"), filters, 1, 1, name + "_in_conv"),
           name + "_in_bn")
    b1 = layers.Add(name=name + "_b1_add")([sep_conv(p, filters, 5, 2, name + "_b1_sep5"),
                                            sep_conv(p, filters, 7, 2, name + "_b1_sep7")])
    pool = layers.MaxPooling2D(3, strides=2, padding="same", name=name + "_b2_max")(p)
    b2 = layers.Add(name=name + "_b2_add")([pool, sep_conv(p, filters, 7, 2, name + "_b2_sep7")])
    pool = layers.AveragePooling2D(3, strides=2, padding="same", name=name + "_b3_avg")(p)
    b3 = layers.Add(name=name + "_b3_add")([pool, sep_conv(p, filters, 5, 2, name + "_b3_sep5")])
    return layers.Concatenate(name=name + "_concat")([b1, b2, b3])
''',
}

# Function name per composite kind (what the call sites use).
FUNCTION_NAMES = {"conv_bn_act": "conv_bn_act_block", "residual": "residual_block",
                  "dense_block": "dense_block", "transition": "transition_block",
                  "squeeze_excite": "squeeze_excite_block", "mbconv": "mbconv_block",
                  "normal_cell": "normal_cell", "reduction_cell": "reduction_cell"}

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
    train, test = load_data(args.dataset, model.input_shape[1:])
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
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train, validation_data=val if n_val else None, epochs=settings["epochs"])
    loss, accuracy = model.evaluate(test)
    print(f"test loss {{loss:.4f}}, test accuracy {{accuracy:.4f}}")


if __name__ == "__main__":
    main()
'''
