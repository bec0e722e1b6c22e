"""Training without Qt: datasets, the instrumented train step, runs, run logs, `cnn-explorer train`.

- `data`: CIFAR-10/100 via tensorflow-datasets (bounded download, then cached), the bundled
  sample, local .npz files and official binary archives, all as in-memory uint8 arrays.
- `pipeline`: subset, validation split, tf.data with on-the-fly scaling and augmentation.
- `instrument`: a `fit`-compatible wrapper whose step also returns per-layer gradient norms.
- `run`: one run from a design snapshot to checkpoint, log and confusion matrix.
- `records`, `history`, `runlog`: what a run reports, the listener interface, the in-memory
  history the plots draw, JSON Lines logs.
- `headless`: the `train` sub-command.

Importing this package (or `records`, `history`, `runlog`, `data`) does not import TensorFlow.
"""
