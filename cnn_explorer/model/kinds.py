"""The block vocabulary: every kind the palette offers, with its spec, expansion and a tooltip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import composites as c
from . import layers as ly
from .errors import UnknownKindError
from .spec import Spec


@dataclass(frozen=True)
class BlockKind:
    name: str          # stable id used in design files, e.g. "conv2d"
    title: str         # what the palette and cards show, e.g. "Conv2D"
    category: str      # "Layers" or "Blocks"
    spec: type[Spec]
    expand: Callable
    doc: str           # one sentence: what it is for (the tooltip)

    def input_ports(self, spec: Spec) -> int:
        if self.name == "input":
            return 0
        return getattr(spec, "inputs", 1)

    @property
    def composite(self) -> bool:
        return self.category == "Blocks"


def _kinds() -> list[BlockKind]:
    L, B = "Layers", "Blocks"
    k = BlockKind
    return [
        k("input", "Input", L, ly.InputSpec, ly.expand_input,
          "The image that enters the network: height x width x channels."),
        k("conv2d", "Conv2D", L, ly.Conv2DSpec, ly.one("conv2d", ly.conv_params),
          "Slides learned filters over the image; each filter finds one local pattern."),
        k("depthwise_conv2d", "DepthwiseConv2D", L, ly.DepthwiseConv2DSpec,
          ly.one("depthwise_conv2d", lambda s: dict(
              kernel=s.kernel, strides=s.strides, padding=s.padding,
              depth_multiplier=s.depth_multiplier, dilation=s.dilation,
              activation=s.activation, use_bias=s.use_bias)),
          "One filter per channel: the cheap spatial half of a separable convolution."),
        k("batch_norm", "BatchNorm", L, ly.BatchNormSpec, ly.one("batch_norm", lambda s: dict(
            momentum=s.momentum, epsilon=s.epsilon, center=s.center, scale=s.scale)),
          "Re-centres and re-scales activations per channel, so deep nets train."),
        k("activation", "Activation", L, ly.ActivationSpec,
          ly.one("activation", lambda s: dict(activation=s.activation)),
          "A non-linearity; sigmoid saturates and shrinks gradients, ReLU does not."),
        k("max_pool", "MaxPool", L, ly.PoolSpec, ly.one("max_pool", lambda s: dict(
            pool_size=s.pool_size, strides=s.strides, padding=s.padding)),
          "Keeps the strongest response in each window; stride < size overlaps (AlexNet)."),
        k("avg_pool", "AvgPool", L, ly.PoolSpec, ly.one("avg_pool", lambda s: dict(
            pool_size=s.pool_size, strides=s.strides, padding=s.padding)),
          "Averages each window: a smooth way to shrink the image."),
        k("global_avg_pool", "GlobalAvgPool", L, ly.GlobalAvgPoolSpec,
          ly.one("global_avg_pool", lambda s: dict(keepdims=s.keepdims)),
          "Averages each channel to one number: the parameter-free head of ResNet."),
        k("flatten", "Flatten", L, ly.EmptySpec, ly.one("flatten", lambda s: {}),
          "Unrolls an image into a vector so Dense layers can follow."),
        k("dense", "Dense", L, ly.DenseSpec, ly.one("dense", lambda s: dict(
            units=s.units, activation=s.activation, use_bias=s.use_bias,
            kernel_initializer=s.kernel_initializer)),
          "Fully connected: every input feeds every unit (where VGG's parameters live)."),
        k("dropout", "Dropout", L, ly.DropoutSpec, ly.one("dropout", lambda s: dict(rate=s.rate)),
          "Zeroes random units while training so the net cannot rely on any one."),
        k("add", "Add", L, ly.MergeSpec, ly.one("add", lambda s: {}),
          "Sums equal-shaped inputs: the skip connection of a residual block."),
        k("concatenate", "Concatenate", L, ly.MergeSpec, ly.one("concatenate", lambda s: {}),
          "Stacks inputs along channels: how DenseNet reuses every earlier feature map."),
        k("multiply", "Multiply", L, ly.MergeSpec, ly.one("multiply", lambda s: {}),
          "Element-wise product: how squeeze-excitation re-weights channels."),
        k("zero_padding2d", "ZeroPadding2D", L, ly.ZeroPaddingSpec,
          ly.one("zero_padding2d", lambda s: dict(padding=((s.top, s.bottom),
                                                           (s.left, s.right)))),
          "Adds a border of zeros around the image."),
        k("reshape", "Reshape", L, ly.ReshapeSpec,
          ly.one("reshape", lambda s: dict(target_shape=s.target_shape)),
          "Reinterprets the tensor with another shape of the same size."),
        k("classifier", "Classifier", L, ly.ClassifierSpec, ly.expand_classifier,
          "Dense + softmax: turns features into one probability per class."),
        k("opaque", "Imported layer", L, ly.OpaqueSpec, ly.one("opaque", lambda s: dict(
            class_name=s.class_name, config=s.config, input_shapes=s.input_shapes,
            output_shape=s.output_shape, trainable=s.trainable,
            non_trainable=s.non_trainable)),
          "A Keras layer kept as it was imported; it has no block of its own."),
        k("conv_bn_act", "Conv-BN-Act", B, c.ConvBnActSpec, c.expand_conv_bn_act,
          "Convolution, batch norm, activation: the unit modern CNNs are built from."),
        k("residual", "Residual block", B, c.ResidualSpec, c.expand_residual,
          "Learns F(x) = H(x) - x and adds x back, so depth does no harm (ResNet)."),
        k("dense_block", "Dense block", B, c.DenseBlockSpec, c.expand_dense_block,
          "Every layer sees all earlier feature maps, concatenated; growth rate k (DenseNet)."),
        k("transition", "Transition", B, c.TransitionSpec, c.expand_transition,
          "Between dense blocks: 1x1 conv compresses channels, pooling halves the size."),
        k("squeeze_excite", "Squeeze-Excitation", B, c.SqueezeExciteSpec,
          c.expand_squeeze_excite,
          "Channel attention: pool each channel, a small MLP with sigmoid re-weights them."),
        k("mbconv", "MBConv", B, c.MBConvSpec, c.expand_mbconv,
          "EfficientNet's inverted residual: widen, depthwise conv, SE, project back."),
        k("normal_cell", "Normal cell", B, c.CellSpec, c.expand_normal_cell,
          "A NASNet-style searched cell that keeps the size (stride 1)."),
        k("reduction_cell", "Reduction cell", B, c.CellSpec, c.expand_reduction_cell,
          "A NASNet-style searched cell that halves the size (stride 2)."),
    ]


KINDS: dict[str, BlockKind] = {k.name: k for k in _kinds()}
PALETTE_HIDDEN = ("opaque",)  # exists for imports only


def kind(name: str) -> BlockKind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKindError(f"unknown block kind {name!r}; known kinds: "
                               f"{', '.join(sorted(KINDS))}") from None
