"""The seed notes' architectures as ready designs. Each preset is a function of a few knobs.

`build_preset("resnet56")`, `build_preset("plain-deep", depth=32)`,
`build_preset("efficientnet-b0", phi=1)`. Architectures are data where the papers make them
data (VGG's block list, EfficientNet's block table), as keras.applications writes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from .errors import DesignError, ParameterError
from .fast_presets import fast_cifar, fast_cifar_settings
from .files import Design
from .graph import Graph
from .settings import RunSettings
from .spec import ACTIVATIONS, check_value


class Chain:
    """Appends blocks one after another, connecting each to the one before."""

    def __init__(self, graph: Graph, height: int = 32, width: int = 32, channels: int = 3):
        self.graph = graph
        self.last = graph.add_block("input", {"height": height, "width": width,
                                              "channels": channels}, "input")

    def add(self, kind: str, name: str, **params: Any) -> str:
        bid = self.graph.add_block(kind, params, name)
        self.graph.connect(self.last, bid)
        self.last = bid
        return bid


def plain_cnn(g: Graph, classes: int = 100) -> None:
    """The notes' first CIFAR-100 model: conv16-pool-conv32-pool-flatten-dense256-dense100."""
    c = Chain(g)
    c.add("conv2d", "conv1", filters=16, padding="valid")
    c.add("max_pool", "pool1")
    c.add("conv2d", "conv2", filters=32, padding="valid")
    c.add("max_pool", "pool2")
    c.add("flatten", "flatten")
    c.add("dense", "fc1", units=256)
    c.add("classifier", "predictions", classes=classes)


def alexnet(g: Graph, classes: int = 10) -> None:
    """AlexNet scaled to 32x32: ReLU, overlapping 3x3/2 pooling, dropout in the dense head."""
    c = Chain(g)
    c.add("conv2d", "conv1", filters=96, kernel=3)
    c.add("max_pool", "pool1", pool_size=3, strides=2)
    c.add("conv2d", "conv2", filters=256, kernel=5)
    c.add("max_pool", "pool2", pool_size=3, strides=2)
    c.add("conv2d", "conv3", filters=384)
    c.add("conv2d", "conv4", filters=384)
    c.add("conv2d", "conv5", filters=256)
    c.add("max_pool", "pool5", pool_size=3, strides=2)
    c.add("flatten", "flatten")
    for i in (1, 2):
        c.add("dense", f"fc{i}", units=1024)
        c.add("dropout", f"drop{i}", rate=0.5)
    c.add("classifier", "predictions", classes=classes)


def vgg(g: Graph, num_cnn_list: tuple[int, ...] = (2, 2, 3, 3, 3),
        channel_list: tuple[int, ...] = (64, 128, 256, 512, 512), classes: int = 10) -> None:
    """The notes' `build_vgg`: blocks of 3x3 convs then a 2x2 pool, and a 4096-4096 head."""
    if len(num_cnn_list) != len(channel_list):
        raise ParameterError("vgg preset", "num_cnn_list", "as long as channel_list")
    c = Chain(g)
    for i, (num_cnn, channels) in enumerate(zip(num_cnn_list, channel_list), start=1):
        for j in range(1, num_cnn + 1):
            c.add("conv2d", f"block{i}_conv{j}", filters=channels)
        c.add("max_pool", f"block{i}_pool")
    c.add("flatten", "flatten")
    c.add("dense", "fc1", units=4096)
    c.add("dense", "fc2", units=4096)
    c.add("classifier", "predictions", classes=classes)


def _cifar_depth(depth: int, per_block: int) -> int:
    if depth < 8 or (depth - 2) % (3 * per_block):
        raise ParameterError("preset", "depth", f"{3 * per_block}n+2 (for example 20, 32, 44, "
                             "56, 110)", depth)
    return (depth - 2) // (3 * per_block)


def resnet_cifar(g: Graph, depth: int = 20, classes: int = 10, se_ratio: int = 0,
                 batch_norm: bool = True, activation: str = "relu",
                 activation_after_add: bool = True, width: int = 16) -> None:
    """The ResNet paper's CIFAR nets: a 3x3 stem, three stages of 16/32/64 channels (width)."""
    n = _cifar_depth(depth, 2)
    c = Chain(g)
    if batch_norm:
        c.add("conv_bn_act", "stem", filters=width, activation=activation)
    else:
        c.add("conv2d", "stem", filters=width, activation=activation)
    for stage, filters in enumerate((width, 2 * width, 4 * width), start=1):
        for b in range(1, n + 1):
            strides = 2 if stage > 1 and b == 1 else 1
            c.add("residual", f"stage{stage}_block{b}", filters=filters, strides=strides,
                  se_ratio=se_ratio, batch_norm=batch_norm, activation=activation,
                  activation_after_add=activation_after_add)
    c.add("global_avg_pool", "avg_pool")
    c.add("classifier", "predictions", classes=classes)


def plain_deep(g: Graph, depth: int = 20, classes: int = 10, batch_norm: bool = True,
               activation: str = "relu", width: int = 16) -> None:
    """ResNet's plain counterpart: the same layers without shortcuts (degradation problem)."""
    n = _cifar_depth(depth, 2)
    c = Chain(g)
    kind = "conv_bn_act" if batch_norm else "conv2d"
    c.add(kind, "stem", filters=width, activation=activation)
    for stage, filters in enumerate((width, 2 * width, 4 * width), start=1):
        for i in range(1, 2 * n + 1):
            strides = 2 if stage > 1 and i == 1 else 1
            c.add(kind, f"stage{stage}_conv{i}", filters=filters, strides=strides,
                  activation=activation)
    c.add("global_avg_pool", "avg_pool")
    c.add("classifier", "predictions", classes=classes)


def resnet50(g: Graph, classes: int = 10) -> None:
    """Bottleneck stages [3, 4, 6, 3] (conv_block then identity_blocks), on a 32x32 input."""
    c = Chain(g)
    c.add("zero_padding2d", "conv1_pad", top=3, bottom=3, left=3, right=3)
    c.add("conv_bn_act", "conv1", filters=64, kernel=7, strides=2, padding="valid")
    c.add("zero_padding2d", "pool1_pad")
    c.add("max_pool", "pool1", pool_size=3, strides=2)
    for stage, (blocks, filters) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512)), start=2):
        for b in range(1, blocks + 1):
            strides = 2 if stage > 2 and b == 1 else 1
            c.add("residual", f"conv{stage}_block{b}", variant="bottleneck", filters=filters,
                  strides=strides)
    c.add("global_avg_pool", "avg_pool")
    c.add("classifier", "predictions", classes=classes)


def densenet_bc(g: Graph, depth: int = 100, growth_rate: int = 12, compression: float = 0.5,
                classes: int = 10) -> None:
    """DenseNet-BC for CIFAR: three dense blocks of (depth-4)/6 bottleneck layers each."""
    if (depth - 4) % 6:
        raise ParameterError("densenet-bc preset", "depth", "6n+4 (for example 40, 100, 190)",
                             depth)
    layers = (depth - 4) // 6
    c = Chain(g)
    c.add("conv2d", "stem", filters=2 * growth_rate, activation="linear", use_bias=False,
          kernel_initializer="he_normal")
    for i in (1, 2, 3):
        c.add("dense_block", f"dense{i}", layers=layers, growth_rate=growth_rate)
        if i < 3:
            c.add("transition", f"transition{i}", compression=compression)
    c.add("batch_norm", "final_bn")
    c.add("activation", "final_relu", activation="relu")
    c.add("global_avg_pool", "avg_pool")
    c.add("classifier", "predictions", classes=classes)


# EfficientNet-B0's block table (kernel, repeats, filters_out, expand_ratio, strides), as in
# keras.applications.efficientnet DEFAULT_BLOCKS_ARGS.
EFFICIENTNET_B0 = ((3, 1, 16, 1, 1), (3, 2, 24, 6, 2), (5, 2, 40, 6, 2), (3, 3, 80, 6, 2),
                   (5, 3, 112, 6, 1), (5, 4, 192, 6, 2), (3, 1, 320, 6, 1))
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15  # depth, width, resolution bases of compound scaling


def round_filters(filters: int, width: float, divisor: int = 8) -> int:
    filters *= width
    new = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(new + divisor if new < 0.9 * filters else new)


def efficientnet(g: Graph, phi: float = 0.0, classes: int = 10, base_resolution: int = 32) -> None:
    """B0 scaled by phi: depth x ALPHA^phi, width x BETA^phi, resolution x GAMMA^phi."""
    if not 0 <= phi <= 7:
        raise ParameterError("efficientnet preset", "phi", "a number from 0 to 7", phi)
    depth, width = ALPHA ** phi, BETA ** phi
    size = int(round(base_resolution * GAMMA ** phi))
    c = Chain(g, size, size)
    c.add("conv_bn_act", "stem", filters=round_filters(32, width), strides=2, activation="swish")
    for i, (k, repeats, out, expand, strides) in enumerate(EFFICIENTNET_B0, start=1):
        for j in range(1, int(math.ceil(depth * repeats)) + 1):
            c.add("mbconv", f"block{i}{chr(96 + j)}" if j < 27 else f"block{i}_{j}",
                  filters=round_filters(out, width), expand_ratio=expand, kernel=k,
                  strides=strides if j == 1 else 1)
    c.add("conv_bn_act", "top", filters=round_filters(1280, width), kernel=1, activation="swish")
    c.add("global_avg_pool", "avg_pool")
    c.add("dropout", "top_dropout", rate=0.2)
    c.add("classifier", "predictions", classes=classes)


def nasnet_cells(g: Graph, filters: int = 16, normal_per_stage: int = 2, classes: int = 10) -> None:
    """NASNet's macro structure: N normal cells, a reduction cell, repeated, channels doubling."""
    c = Chain(g)
    c.add("conv_bn_act", "stem", filters=2 * filters)
    for stage in (1, 2, 3):
        f = filters * 2 ** (stage - 1)
        for i in range(1, normal_per_stage + 1):
            c.add("normal_cell", f"stage{stage}_normal{i}", filters=f)
        if stage < 3:
            c.add("reduction_cell", f"stage{stage}_reduce", filters=2 * f)
    c.add("activation", "final_relu", activation="relu")
    c.add("global_avg_pool", "avg_pool")
    c.add("classifier", "predictions", classes=classes)


@dataclass(frozen=True)
class Knob:
    """One setting of a preset: its default, what is allowed, and how a dialog steps it."""

    name: str
    default: Any
    low: float | None = None
    high: float | None = None
    step: float = 1
    hint: str = ""  # a rule the range cannot say, e.g. "6n+2" for CIFAR ResNet depths
    choices: tuple | None = None
    doc: str = ""

    @property
    def kind(self) -> str:
        if self.choices:
            return "choice"
        return {bool: "bool", int: "int", float: "float"}.get(type(self.default), "any")

    def check(self, preset: str, value: Any) -> Any:
        meta = {"low": self.low, "high": self.high, "choices": self.choices, "kind": self.kind,
                "doc": self.doc}
        return check_value(f"preset {preset}", self.name, meta, value)


def _classes(default: int) -> Knob:
    return Knob("classes", default, 1, 100000, doc="outputs of the classifier")


_DEPTH_DOC = "layers with weights; CIFAR ResNets take 6n+2"
_ACTIVATION = Knob("activation", "relu", choices=ACTIVATIONS, doc="every hidden activation")
_BATCH_NORM = Knob("batch_norm", True, doc="without it, deep plain nets stop learning")
_WIDTH = Knob("width", 16, 4, 256, 4, doc="channels of the first stage (then 2x, 4x)")


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    build: Callable[..., None]
    knobs: tuple[Knob, ...]
    settings: Callable[..., RunSettings] | None = None  # its recipe, given `classes`

    @property
    def defaults(self) -> dict:
        return {k.name: k.default for k in self.knobs}

    def knob(self, name: str) -> Knob:
        for k in self.knobs:
            if k.name == name:
                return k
        allowed = ", ".join(k.name for k in self.knobs) or "none"
        raise ParameterError(f"preset {self.name}", name, f"one of its knobs ({allowed})")


def _depth(default: int, low: int = 8, high: int = 200, hint: str = "6n+2") -> Knob:
    return Knob("depth", default, low, high, step=6, hint=hint, doc=_DEPTH_DOC)


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("plain-cnn", "the notes' starter: conv16-pool-conv32-pool-dense256-dense100 "
           "(CIFAR-100)", plain_cnn, (_classes(100),)),
    Preset("alexnet", "AlexNet at CIFAR size: ReLU, overlapping pooling, dropout",
           alexnet, (_classes(10),)),
    Preset("vgg16", "VGG-16 from the notes' block list [2,2,3,3,3] x [64..512], CIFAR-10 head",
           vgg, (Knob("num_cnn_list", (2, 2, 3, 3, 3), doc="convolutions per block"),
                 Knob("channel_list", (64, 128, 256, 512, 512), doc="channels per block"),
                 _classes(10))),
    Preset("vgg19", "VGG-19: block list [2,2,4,4,4]", vgg,
           (Knob("num_cnn_list", (2, 2, 4, 4, 4), doc="convolutions per block"),
            Knob("channel_list", (64, 128, 256, 512, 512), doc="channels per block"),
            _classes(10))),
    Preset("resnet20", "ResNet-20 for CIFAR (paper table: 0.27M parameters)", resnet_cifar,
           (_depth(20), _classes(10))),
    Preset("resnet56", "ResNet-56 for CIFAR (paper table: 0.85M parameters)", resnet_cifar,
           (_depth(56), _classes(10))),
    Preset("resnet50", "ResNet-50: bottleneck stages [3,4,6,3] on a 32x32 input", resnet50,
           (_classes(10),)),
    Preset("densenet-bc-100", "DenseNet-BC, L=100, growth rate k=12 (about 0.8M parameters)",
           densenet_bc, (_depth(100, 10, 250, "6n+4"),
                         Knob("growth_rate", 12, 1, 64, doc="k: channels each layer adds"),
                         _classes(10))),
    Preset("se-resnet", "ResNet-20 with squeeze-excitation (r=8) inside every residual block",
           resnet_cifar, (_depth(20), Knob("se_ratio", 8, 0, 64, doc="SE reduction ratio r"),
                          _classes(10))),
    Preset("efficientnet-b0", "EfficientNet-B0 on CIFAR; phi scales depth, width, resolution",
           efficientnet, (Knob("phi", 0.0, 0.0, 7.0, 0.25, doc="compound scaling exponent"),
                          _classes(10))),
    Preset("nasnet-cells", "NASNet-style normal and reduction cells stacked", nasnet_cells,
           (Knob("filters", 16, 4, 256, 4, doc="channels of the first stage's cells"),
            _classes(10))),
    Preset("fast-cifar", "airbench-shaped net and recipe for CIFAR-10 in minutes on a CPU "
           "(SGD Nesterov, time-fitted warm-up/linear schedule, label smoothing, test flip)",
           fast_cifar, (Knob("width", 32, 8, 256, 8, doc="channels of the first block (x2, x4)"),
                        _classes(10)), fast_cifar_settings),
    Preset("plain-deep", "plain net of depth N (no shortcuts): shows the degradation problem",
           plain_deep, (_depth(20), _classes(10), _BATCH_NORM, _ACTIVATION, _WIDTH)),
    Preset("residual-deep", "residual net of depth N: the same layers plus identity shortcuts "
           "(no activation after the add)", resnet_cifar,
           (_depth(20), _classes(10), _BATCH_NORM, _ACTIVATION,
            Knob("activation_after_add", False, doc="on: ReLU after the add, as in ResNet"),
            _WIDTH)),
]}


def build_preset(name: str, **params: Any) -> Design:
    """A new design for the preset; `params` override its defaults (depth, phi, classes...)."""
    try:
        preset = PRESETS[name]
    except KeyError:
        raise DesignError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}") from None
    values = preset.defaults
    for knob, value in params.items():  # an unknown knob raises, naming the allowed ones
        values[knob] = preset.knob(knob).check(name, value)
    graph = Graph()
    try:
        preset.build(graph, **values)
    except (TypeError, ValueError, ZeroDivisionError, IndexError) as exc:
        raise ParameterError(f"preset {name}", ", ".join(params) or "defaults",
                             "values this preset can be built with", str(exc)) from None
    classes = values.get("classes", 10)
    settings = (preset.settings(classes) if preset.settings else
                RunSettings(dataset="cifar100" if classes == 100 else "sample"))
    title = name if not params else name + "(" + ", ".join(f"{k}={v}" for k, v in
                                                         params.items()) + ")"
    return Design(graph, settings, title)

