"""Run settings: what a training run needs besides the graph. Plain data, saved in design files.

Declared with the same field metadata as the block specs (`spec.param`: range, choices, doc),
so the training form builds its editors from it and the model and the form share one range.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .errors import ParameterError
from .spec import Spec, param

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "cosine", "step", "linear")
PRECISIONS = ("auto", "float32", "mixed_float16")  # auto: mixed_float16 on a GPU, else float32
DATASETS = ("sample", "cifar10", "cifar100")  # or a path to an .npz file
INITIALIZER_OVERRIDES = ("none", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal",
                         "random_normal", "zeros")
ACTIVATION_OVERRIDES = ("none", "relu", "sigmoid", "tanh", "swish", "gelu", "elu", "linear")
OWNER = "run settings"  # how errors name them


@dataclass(frozen=True)
class RunSettings(Spec):
    """Everything a run needs besides the design itself; frozen so a worker can hold a snapshot."""

    dataset: str = param("sample", kind="dataset",
                         doc="sample (bundled, offline), cifar10, cifar100, or a file path")
    optimizer: str = param("adam", choices=OPTIMIZERS)
    learning_rate: float = param(1e-3, 1e-6, 99.0, doc="step size of the optimizer", step=1e-4)
    momentum: float = param(0.9, 0.0, 0.999, doc="SGD only: how much of the last step carries on")
    nesterov: bool = param(False, doc="SGD only: Nesterov momentum (looks one step ahead)")
    weight_decay: float = param(0.0, 0.0, 1.0, step=1e-4,
                                doc="shrink every weight by lr x this each step; 0 = off")
    schedule: str = param("constant", choices=SCHEDULES,
                          doc="step: x0.1 at 1/2 and 3/4 of the run; cosine: smooth decay to 0; "
                              "linear: straight down to 0 at the end of the run")
    warmup: float = param(0.0, 0.0, 0.9, step=0.05,
                          doc="fraction of the run the learning rate climbs from 0 first")
    label_smoothing: float = param(0.0, 0.0, 0.9, step=0.05,
                                   doc="train towards (1-s) on the true class, s spread evenly")
    batch_size: int = param(128, 1, 8192, doc="images per step (also the memory estimate's)",
                            step=16)
    epochs: int = param(5, 1, 1000)
    subset: int = param(0, 0, 10_000_000, doc="train on the first n images; 0 = all", step=500)
    validation_split: float = param(0.1, 0.0, 0.9, doc="fraction held out for validation")
    augment: bool = param(False, doc="random flip, pad and crop")
    test_flip: bool = param(False, doc="validate on each image and its mirror, averaged")
    time_budget_s: float = param(0.0, 0.0, 604800.0, step=60.0,
                                 doc="train for this many seconds (schedule fitted to it, "
                                     "epochs = at most); 0 = off")
    precision: str = param("auto", choices=PRECISIONS,
                           doc="mixed_float16: float16 maths with loss scaling (fast on GPUs); "
                               "auto = on a GPU only")
    seed: int = param(0, 0, 2**31 - 1)
    initializer_override: str = param("none", choices=INITIALIZER_OVERRIDES,
                                      doc="study knob: re-initialise every kernel this way")
    activation_override: str = param("none", choices=ACTIVATION_OVERRIDES,
                                     doc="study knob: every hidden activation (gates kept)")
    grad_norm_every: int = param(1, 1, 1000, doc="record per-layer gradient norms every k steps")
    clip_norm: float = param(0.0, 0.0, 100.0, step=0.5,
                             doc="clip gradients to this global norm each step; 0 = off")

    @classmethod
    def owner(cls) -> str:
        return OWNER

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.dataset.strip() or len(self.dataset) > 4096:
            raise ParameterError(OWNER, "dataset", "a dataset name or a file path",
                                 self.dataset[:80])

    @classmethod
    def from_dict(cls, data: dict) -> "RunSettings":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ParameterError(OWNER, ", ".join(sorted(unknown)),
                                 f"one of {', '.join(sorted(known))}")
        return cls(**data)
