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
file runs on a laptop and on a multi-GPU machine. On a cluster, start it on every machine with
TF_CONFIG naming all the workers and this one's index: it then trains as one model across them
(tf.distribute.MultiWorkerMirroredStrategy). `build_model()` alone needs only Keras.
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
    """CIFAR-10/100 from tensorflow-datasets, or a local .npz (x_train, y_train, x_test,
    y_test; uint8 images), scaled to [0, 1] (resized if the input differs)."""
    import tensorflow as tf

    def prepare(image, label):
        image = tf.cast(image, tf.float32) / 255.0
        if tuple(image.shape[:2]) != tuple(image_shape[:2]):
            image = tf.image.resize(image, image_shape[:2])
        return image, label

    if name.endswith(".npz"):
        import numpy as np

        with np.load(name, allow_pickle=False) as d:
            train, test = ((d[f"x_{{part}}"], d[f"y_{{part}}"].astype("int64"))
                           for part in ("train", "test"))
        train, test = (tf.data.Dataset.from_tensor_slices(part) for part in (train, test))
    else:
        import tensorflow_datasets as tfds

        train, test = tfds.load(name, split=["train", "test"], as_supervised=True)
    return train.map(prepare), test.map(prepare)


def choose_strategy():
    """Several workers in TF_CONFIG: MultiWorkerMirroredStrategy; several GPUs: Mirrored;
    otherwise the default. Call it first: a multi-worker strategy must precede other ops."""
    import json
    import os

    import tensorflow as tf

    cluster = json.loads(os.environ.get("TF_CONFIG") or "{{}}").get("cluster", {{}})
    if len(cluster.get("worker", [])) + len(cluster.get("chief", [])) > 1:
        return tf.distribute.MultiWorkerMirroredStrategy()
    if len(tf.config.list_physical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def fit_across_workers(strategy, model, train, epochs, steps):
    """Keras 3's `fit` cannot yet drive MultiWorkerMirroredStrategy (keras-team/keras#20585):
    this loop runs the model's own `train_step` on every replica, as `fit` does on GPUs."""
    import tensorflow as tf

    data = strategy.experimental_distribute_dataset(train)

    @tf.function
    def step(batch):
        logs = strategy.run(model.train_step, args=(batch,))
        return {{k: strategy.reduce("MEAN", v, axis=None) for k, v in logs.items()}}

    for epoch in range(epochs):
        for k, batch in enumerate(data):
            if steps and k >= steps:
                break
            logs = step(batch)
        print(f"epoch {{epoch + 1}}/{{epochs}}: "
              + ", ".join(f"{{k}} {{float(v):.4f}}" for k, v in logs.items()))
    average_statistics(strategy, model)


def average_statistics(strategy, model):
    """Batch norm's moving statistics are each worker's own (the trainable weights agree after
    every step): average them across the workers, so all end with the same model."""
    import tensorflow as tf

    stats = [v for v in model.non_trainable_variables if "float" in str(v.dtype)]

    @tf.function
    def mean_of_workers():
        local = strategy.run(lambda: [tf.identity(v.value) for v in stats])
        return [strategy.reduce("MEAN", value, axis=None) for value in local]

    for variable, mean in zip(stats, mean_of_workers() if stats else []):
        variable.assign(mean)


def evaluate_here(model, data, steps):
    """Loss and accuracy on this worker alone (every worker holds the same weights)."""
    import tensorflow as tf

    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    count, hits, loss = 0, 0, 0.0
    for k, (x, y) in enumerate(data):
        if steps and k >= steps:
            break
        probs = model(x, training=False)
        loss += float(loss_fn(y, probs)) * len(y)
        hits += int(tf.reduce_sum(tf.cast(tf.argmax(probs, -1) == tf.cast(y, tf.int64), "int32")))
        count += len(y)
    return loss / max(count, 1), hits / max(count, 1)


def weights_path(path, strategy):
    """Worker 0 (the chief) saves to `path`; every other worker to a path of its own."""
    import os

    resolver = getattr(strategy, "cluster_resolver", None)
    task = getattr(resolver, "task_id", 0) or 0
    if not task:
        return path
    folder, name = os.path.split(path)
    stem, dot, ext = name.partition(".")
    return os.path.join(folder, f"{{stem}}.worker{{task}}{{dot}}{{ext}}")


def augment(image, label):
    """Random horizontal flip and a random crop of the 4-pixel zero-padded image."""
    import tensorflow as tf

    h, w = image.shape[0], image.shape[1]
    image = tf.image.random_flip_left_right(image)
    image = tf.image.resize_with_crop_or_pad(image, h + 8, w + 8)
    return tf.image.random_crop(image, (h, w, image.shape[2])), label


{optimizer}


def main():
    import hashlib

    import tensorflow as tf

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=DATASET,
                        help="cifar10, cifar100 or a local .npz file (x_train, y_train, ...)")
    parser.add_argument("--epochs", type=int, default=RUN_SETTINGS["epochs"])
    parser.add_argument("--batch-size", type=int, default=RUN_SETTINGS["batch_size"],
                        help="global batch size, split across the GPUs and workers")
    parser.add_argument("--steps", type=int, default=None,
                        help="at most this many steps an epoch (a quick trial)")
    parser.add_argument("--save-weights", default="",
                        help="write the trained weights here (a .weights.h5 file; workers "
                             "other than worker 0 add .workerN to the name)")
    args = parser.parse_args()
    if not args.dataset.endswith(".npz") and args.dataset not in ("cifar10", "cifar100"):
        parser.error("--dataset: cifar10, cifar100 or a .npz file")
    strategy = choose_strategy()
    settings = dict(RUN_SETTINGS, epochs=args.epochs, batch_size=args.batch_size)
    keras.utils.set_random_seed(settings["seed"])
    gpus = tf.config.list_physical_devices("GPU")
    name = ("MultiWorkerMirroredStrategy" if isinstance(
        strategy, tf.distribute.MultiWorkerMirroredStrategy) else type(strategy).__name__)
    print(f"{{len(gpus)}} GPU(s) visible: {{name}}, "
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
    steps = total_steps(n_train - n_val, settings)
    if args.steps:
        steps = min(steps, args.steps * settings["epochs"])
    with strategy.scope():
        model.compile(optimizer=make_optimizer(settings, steps),
                      loss=make_loss(settings), metrics=["accuracy"])
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        options = tf.data.Options()  # every worker reads the data and takes its share
        policy = tf.data.experimental.AutoShardPolicy.DATA
        options.experimental_distribute.auto_shard_policy = policy
        fit_across_workers(strategy, model, train.with_options(options), settings["epochs"],
                           args.steps)
        loss, accuracy = evaluate_here(model, test, args.steps)
    else:
        model.fit(train, validation_data=val if n_val else None, epochs=settings["epochs"],
                  steps_per_epoch=args.steps, validation_steps=args.steps)
        loss, accuracy = model.evaluate(test, steps=args.steps)
    print(f"test loss {{loss:.4f}}, test accuracy {{accuracy:.4f}}")
    digest = hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest()
    print(f"weights sha256 {{digest}}")
    if args.save_weights:
        model.save_weights(weights_path(args.save_weights, strategy))


if __name__ == "__main__":
    main()
'''
