"""Single-layer blocks (the palette's "Layers"): each spec expands to exactly one Keras layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import shapes as rule
from .blockkind import BlockKind
from .errors import ParameterError
from .expand import Expander, Tensor
from .spec import ACTIVATIONS, INITIALIZERS, PADDINGS, Spec, numbers_param, param, size_param


@dataclass(frozen=True)
class InputSpec(Spec):
    height: int = param(32, 1, 4096, doc="image height in pixels")
    width: int = param(32, 1, 4096, doc="image width in pixels")
    channels: int = param(3, 1, 4096, doc="colour channels (3 for RGB)")


@dataclass(frozen=True)
class Conv2DSpec(Spec):
    filters: int = param(32, 1, 8192, doc="output channels: how many patterns it learns")
    kernel: tuple = size_param(3, doc="window size (3 = 3x3)")
    strides: tuple = size_param(1, high=8, doc="step of the window; 2 halves the size")
    padding: str = param("same", choices=PADDINGS, doc="same keeps the size, valid shrinks it")
    dilation: tuple = size_param(1, high=16, doc="gaps inside the window (atrous)")
    activation: str = param("relu", choices=ACTIVATIONS)
    use_bias: bool = param(True, doc="a learned offset per filter (redundant before BN)")
    kernel_initializer: str = param("glorot_uniform", choices=INITIALIZERS)
    groups: int = param(1, 1, 8192, doc="channel groups: each filter sees channels / groups "
                                        "inputs (groups = channels: one filter per channel)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if max(self.strides) > 1 and max(self.dilation) > 1:
            raise ParameterError(type(self).__name__, "dilation",
                                 "1 when strides > 1 (Keras allows only one of them)",
                                 self.dilation)


@dataclass(frozen=True)
class DepthwiseConv2DSpec(Spec):
    kernel: tuple = size_param(3)
    strides: tuple = size_param(1, high=8)
    padding: str = param("same", choices=PADDINGS)
    depth_multiplier: int = param(1, 1, 64, doc="filters per input channel")
    dilation: tuple = size_param(1, high=16)
    activation: str = param("linear", choices=ACTIVATIONS)
    use_bias: bool = param(False)


@dataclass(frozen=True)
class SeparableConv2DSpec(Spec):
    filters: int = param(32, 1, 8192, doc="output channels of the pointwise 1x1 step")
    kernel: tuple = size_param(3, doc="window of the depthwise step")
    strides: tuple = size_param(1, high=8)
    padding: str = param("same", choices=PADDINGS)
    depth_multiplier: int = param(1, 1, 64, doc="depthwise filters per input channel")
    dilation: tuple = size_param(1, high=16)
    activation: str = param("linear", choices=ACTIVATIONS)
    use_bias: bool = param(True)


@dataclass(frozen=True)
class RescalingSpec(Spec):
    scale: tuple = numbers_param((1 / 255,), doc="multiplier: one number or one per channel")
    offset: tuple = numbers_param((0.0,), doc="added after scaling: one number or one per "
                                             "channel")


@dataclass(frozen=True)
class NormalizationSpec(Spec):
    mean: tuple = numbers_param((), 0, doc="per-channel mean; empty: adapt() learns it")
    variance: tuple = numbers_param((), 0, doc="per-channel variance; empty with the mean")
    invert: bool = param(False, doc="undo a normalization instead (x * std + mean)")


@dataclass(frozen=True)
class LayerNormSpec(Spec):
    epsilon: float = param(1e-3, 1e-12, 1.0)
    center: bool = param(True, doc="learn an offset (beta) per channel")
    scale: bool = param(True, doc="learn a scale (gamma) per channel")


@dataclass(frozen=True)
class BatchNormSpec(Spec):
    momentum: float = param(0.99, 0.0, 0.9999, doc="how slowly running statistics move")
    epsilon: float = param(1e-3, 1e-7, 1.0)
    center: bool = param(True, doc="learn an offset (beta)")
    scale: bool = param(True, doc="learn a scale (gamma)")


@dataclass(frozen=True)
class ActivationSpec(Spec):
    activation: str = param("relu", choices=ACTIVATIONS)


@dataclass(frozen=True)
class PoolSpec(Spec):
    pool_size: tuple = size_param(2, high=16)
    strides: tuple = size_param(2, high=16, doc="smaller than the pool size: overlapping pooling")
    padding: str = param("valid", choices=PADDINGS)


@dataclass(frozen=True)
class GlobalAvgPoolSpec(Spec):
    keepdims: bool = param(False, doc="keep a 1x1 image instead of a flat vector")


@dataclass(frozen=True)
class EmptySpec(Spec):
    pass


@dataclass(frozen=True)
class DenseSpec(Spec):
    units: int = param(128, 1, 65536)
    activation: str = param("relu", choices=ACTIVATIONS)
    use_bias: bool = param(True)
    kernel_initializer: str = param("glorot_uniform", choices=INITIALIZERS)


@dataclass(frozen=True)
class DropoutSpec(Spec):
    rate: float = param(0.5, 0.0, 0.95, doc="fraction of units zeroed while training")


@dataclass(frozen=True)
class MergeSpec(Spec):
    inputs: int = param(2, 2, 16, doc="how many input ports")


@dataclass(frozen=True)
class ClassifierSpec(Spec):
    classes: int = param(10, 1, 100000, doc="10 for CIFAR-10, 100 for CIFAR-100")


@dataclass(frozen=True)
class ZeroPaddingSpec(Spec):
    top: int = param(1, 0, 512)
    bottom: int = param(1, 0, 512)
    left: int = param(1, 0, 512)
    right: int = param(1, 0, 512)


@dataclass(frozen=True)
class ReshapeSpec(Spec):
    target_shape: tuple = param((1, 1, 1), kind="shape")


MAX_OPAQUE_COUNT = 10**15  # parameters of one imported layer
MAX_OPAQUE_DIM = 2**31 - 1


@dataclass(frozen=True)
class OpaqueSpec(Spec):
    """An imported Keras layer with no block of its own; kept whole so nothing is dropped."""

    class_name: str = param("Layer")
    config: dict = param({})
    input_shapes: list = param([], kind="any")
    output_shape: list = param([1], kind="any")
    trainable: int = param(0, 0, MAX_OPAQUE_COUNT)
    non_trainable: int = param(0, 0, MAX_OPAQUE_COUNT)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < len(self.class_name) <= 100:
            raise ParameterError(type(self).__name__, "class_name", "a Keras class name",
                                 self.class_name[:100])
        _check_opaque_shape("output_shape", self.output_shape)
        if not isinstance(self.input_shapes, (list, tuple)) or len(self.input_shapes) > 64:
            raise ParameterError(type(self).__name__, "input_shapes", "a list of shapes")
        for shape in self.input_shapes:
            _check_opaque_shape("input_shapes", shape)


def _check_opaque_shape(name: str, shape: object) -> None:
    """A shape without the batch axis: 1 to 8 whole numbers from 1 to 2^31 - 1."""
    if not isinstance(shape, (list, tuple)) or not 0 < len(shape) <= 8 or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 < d <= MAX_OPAQUE_DIM
            for d in shape):
        raise ParameterError("OpaqueSpec", name, f"a list of 1 to 8 whole numbers from 1 to "
                             f"{MAX_OPAQUE_DIM}", shape if len(repr(shape)) < 80 else None)


def conv_params(s: Conv2DSpec) -> dict:
    return dict(filters=s.filters, kernel=s.kernel, strides=s.strides, padding=s.padding,
                dilation=s.dilation, activation=s.activation, use_bias=s.use_bias,
                kernel_initializer=s.kernel_initializer)


def one(kind: str, params: Callable[[Spec], dict]) -> Callable:
    """An expansion for a single-layer block: the layer takes the block's own name."""

    def expand(e: Expander, x: list[Tensor], s: Spec) -> Tensor:
        return e.layer(None, kind, x, **params(s))

    return expand


def expand_input(e: Expander, x: list[Tensor], s: InputSpec) -> Tensor:
    return e.layer(None, "input", [], shape=(s.height, s.width, s.channels))


def expand_classifier(e: Expander, x: list[Tensor], s: ClassifierSpec) -> Tensor:
    return e.layer(None, "dense", x, units=s.classes, activation="softmax", use_bias=True,
                   kernel_initializer="glorot_uniform")


def _layer(name: str, title: str, spec: type[Spec], params: Callable[[Spec], dict], doc: str,
           family: str, key_params: tuple[str, ...], layer_rule: Callable) -> BlockKind:
    """A single-layer kind: its one layer has the kind's name, parameters and shape rule."""
    return BlockKind(name, title, "Layers", spec, one(name, params), doc, family, key_params,
                     layer_rule)


def _pool(s: PoolSpec) -> dict:
    return dict(pool_size=s.pool_size, strides=s.strides, padding=s.padding)


def _none(s: Spec) -> dict:
    return {}


LAYER_KINDS: list[BlockKind] = [
    BlockKind("input", "Input", "Layers", InputSpec, expand_input,
              "The image that enters the network: height x width x channels.", "io",
              ("height", "width", "channels"), rule.input_layer),
    _layer("conv2d", "Conv2D", Conv2DSpec, lambda s: {**conv_params(s), "groups": s.groups},
           "Slides learned filters over the image; each filter finds one local pattern.",
           "conv", ("filters", "kernel", "strides"), rule.conv2d),
    _layer("depthwise_conv2d", "DepthwiseConv2D", DepthwiseConv2DSpec, lambda s: dict(
        kernel=s.kernel, strides=s.strides, padding=s.padding,
        depth_multiplier=s.depth_multiplier, dilation=s.dilation, activation=s.activation,
        use_bias=s.use_bias),
        "One filter per channel: the cheap spatial half of a separable convolution.",
        "conv", ("kernel", "strides"), rule.depthwise_conv2d),
    _layer("separable_conv2d", "SeparableConv2D", SeparableConv2DSpec, lambda s: dict(
        filters=s.filters, kernel=s.kernel, strides=s.strides, padding=s.padding,
        depth_multiplier=s.depth_multiplier, dilation=s.dilation, activation=s.activation,
        use_bias=s.use_bias),
        "Depthwise then pointwise convolution in one layer: Xception's cheap convolution.",
        "conv", ("filters", "kernel", "strides"), rule.separable_conv2d),
    _layer("rescaling", "Rescaling", RescalingSpec, lambda s: dict(
        scale=s.scale, offset=s.offset),
        "x * scale + offset: maps pixel values 0..255 into the range the network expects.",
        "norm", ("scale", "offset"), rule.rescaling),
    _layer("normalization", "Normalization", NormalizationSpec, lambda s: dict(
        mean=s.mean, variance=s.variance, invert=s.invert),
        "(x - mean) / sqrt(variance) per channel, with fixed or adapted statistics.",
        "norm", ("mean",), rule.normalization),
    _layer("layer_norm", "LayerNorm", LayerNormSpec, lambda s: dict(
        epsilon=s.epsilon, center=s.center, scale=s.scale),
        "Normalises each position over its channels (no batch statistics): ConvNeXt's norm.",
        "norm", ("epsilon",), rule.layer_norm),
    _layer("batch_norm", "BatchNorm", BatchNormSpec, lambda s: dict(
        momentum=s.momentum, epsilon=s.epsilon, center=s.center, scale=s.scale),
        "Re-centres and re-scales activations per channel, so deep nets train.",
        "norm", ("momentum",), rule.batch_norm),
    _layer("activation", "Activation", ActivationSpec, lambda s: dict(activation=s.activation),
           "A non-linearity; sigmoid saturates and shrinks gradients, ReLU does not.",
           "act", ("activation",), rule.elementwise),
    _layer("max_pool", "MaxPool", PoolSpec, _pool,
           "Keeps the strongest response in each window; stride < size overlaps (AlexNet).",
           "pool", ("pool_size", "strides"), rule.max_pool),
    _layer("avg_pool", "AvgPool", PoolSpec, _pool,
           "Averages each window: a smooth way to shrink the image.",
           "pool", ("pool_size", "strides"), rule.avg_pool),
    _layer("global_avg_pool", "GlobalAvgPool", GlobalAvgPoolSpec,
           lambda s: dict(keepdims=s.keepdims),
           "Averages each channel to one number: the parameter-free head of ResNet.",
           "pool", ("keepdims",), rule.global_avg_pool),
    _layer("flatten", "Flatten", EmptySpec, _none,
           "Unrolls an image into a vector so Dense layers can follow.",
           "shape", (), rule.flatten),
    _layer("dense", "Dense", DenseSpec, lambda s: dict(
        units=s.units, activation=s.activation, use_bias=s.use_bias,
        kernel_initializer=s.kernel_initializer),
        "Fully connected: every input feeds every unit (where VGG's parameters live).",
        "dense", ("units", "activation"), rule.dense),
    _layer("dropout", "Dropout", DropoutSpec, lambda s: dict(rate=s.rate),
           "Zeroes random units while training so the net cannot rely on any one.",
           "dense", ("rate",), rule.identity),
    _layer("add", "Add", MergeSpec, _none,
           "Sums equal-shaped inputs: the skip connection of a residual block.",
           "merge", ("inputs",), rule.add),
    _layer("concatenate", "Concatenate", MergeSpec, _none,
           "Stacks inputs along channels: how DenseNet reuses every earlier feature map.",
           "merge", ("inputs",), rule.concatenate),
    _layer("multiply", "Multiply", MergeSpec, _none,
           "Element-wise product: how squeeze-excitation re-weights channels.",
           "merge", ("inputs",), rule.multiply),
    _layer("zero_padding2d", "ZeroPadding2D", ZeroPaddingSpec,
           lambda s: dict(padding=((s.top, s.bottom), (s.left, s.right))),
           "Adds a border of zeros around the image.",
           "shape", ("top", "bottom", "left", "right"), rule.zero_padding2d),
    _layer("reshape", "Reshape", ReshapeSpec, lambda s: dict(target_shape=s.target_shape),
           "Reinterprets the tensor with another shape of the same size.",
           "shape", ("target_shape",), rule.reshape),
    BlockKind("classifier", "Classifier", "Layers", ClassifierSpec, expand_classifier,
              "Dense + softmax: turns features into one probability per class.", "io",
              ("classes",)),
    _layer("opaque", "Imported layer", OpaqueSpec, lambda s: dict(
        class_name=s.class_name, config=s.config, input_shapes=s.input_shapes,
        output_shape=s.output_shape, trainable=s.trainable, non_trainable=s.non_trainable),
        "A Keras layer kept as it was imported; it has no block of its own.",
        "shape", ("class_name",), rule.opaque),
]
