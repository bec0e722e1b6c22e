"""Run settings: what a training run needs besides the graph. Plain data, saved in design files."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from .errors import ParameterError

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "cosine", "step")
DATASETS = ("sample", "cifar10", "cifar100")  # or a path to an .npz file
INITIALIZER_OVERRIDES = ("none", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal",
                         "random_normal", "zeros")
ACTIVATION_OVERRIDES = ("none", "relu", "sigmoid", "tanh", "swish", "gelu", "elu", "linear")


@dataclass(frozen=True)
class RunSettings:
    """Everything a run needs besides the design itself; frozen so a worker can hold a snapshot."""

    dataset: str = "sample"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.9
    schedule: str = "constant"
    batch_size: int = 128
    epochs: int = 5
    subset: int = 0  # 0 = every training image
    validation_split: float = 0.1
    augment: bool = False
    seed: int = 0
    initializer_override: str = "none"
    activation_override: str = "none"
    grad_norm_every: int = 1  # record per-layer gradient norms every k steps

    def __post_init__(self) -> None:
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("initializer_override", self.initializer_override, INITIALIZER_OVERRIDES)
        _choice("activation_override", self.activation_override, ACTIVATION_OVERRIDES)
        if not isinstance(self.dataset, str) or not 0 < len(self.dataset) <= 4096:
            raise ParameterError("run settings", "dataset", "a dataset name or an .npz path",
                                 self.dataset if isinstance(self.dataset, str) else None)
        for name in ("learning_rate", "momentum", "validation_split"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParameterError("run settings", name, "a number")
        if not isinstance(self.augment, bool):
            raise ParameterError("run settings", "augment", "true or false")
        if not (0 < self.learning_rate < 100):
            raise ParameterError("run settings", "learning_rate", "a number in (0, 100)")
        if not (0 <= self.momentum < 1):
            raise ParameterError("run settings", "momentum", "a number in [0, 1)")
        for name, low, high in (("batch_size", 1, 2**20), ("epochs", 1, 10**6),
                                ("subset", 0, 10**9), ("seed", 0, 2**32 - 1),
                                ("grad_norm_every", 1, 10**6)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ParameterError("run settings", name, f"a whole number from {low} to "
                                     f"{high:,}")
        if not (0 <= self.validation_split < 1):
            raise ParameterError("run settings", "validation_split", "a number in [0, 1)")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunSettings":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ParameterError("run settings", ", ".join(sorted(unknown)),
                                 f"one of {', '.join(sorted(known))}")
        return cls(**data)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ParameterError("run settings", name, f"one of {', '.join(allowed)}")
