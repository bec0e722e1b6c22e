"""Composite blocks (the palette's "Blocks"): each expands to the layers its paper describes.

Each `expand_*` is written like a Keras functional-API block function (keras.applications'
`block1`, `conv_block`, `dense_block`), so what the canvas shows is what the builder makes.
Below each sits `KERAS_*`, the same block as the exported script writes it (plain text: this
package imports no Keras); change the two together, the export round-trip test compares them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .blockkind import BlockKind
from .expand import Expander, Tensor
from .spec import ACTIVATIONS, INITIALIZERS, PADDINGS, Spec, param, size_param


@dataclass(frozen=True)
class ConvBnActSpec(Spec):
    filters: int = param(64, 1, 8192)
    kernel: tuple = size_param(3)
    strides: tuple = size_param(1, high=8)
    padding: str = param("same", choices=PADDINGS)
    activation: str = param("relu", choices=ACTIVATIONS)
    use_bias: bool = param(False, doc="BN already learns an offset")
    kernel_initializer: str = param("he_normal", choices=INITIALIZERS)


@dataclass(frozen=True)
class ResidualSpec(Spec):
    variant: str = param("basic", choices=("basic", "bottleneck"),
                         doc="basic: 3x3+3x3; bottleneck: 1x1-3x3-1x1")
    filters: int = param(64, 1, 8192, doc="channels of the 3x3 convolutions")
    strides: int = param(1, 1, 4, doc="2 halves the size (the shortcut then projects)")
    expansion: int = param(4, 1, 8, doc="bottleneck output = filters x expansion")
    activation: str = param("relu", choices=ACTIVATIONS)
    se_ratio: int = param(0, 0, 64, doc="squeeze-excitation ratio r inside; 0 = none")
    batch_norm: bool = param(True, doc="batch norm after each convolution")
    activation_after_add: bool = param(True, doc="off keeps the shortcut a pure identity "
                                       "path, so gradients pass through untouched")
    use_bias: bool = param(False)
    kernel_initializer: str = param("he_normal", choices=INITIALIZERS)


@dataclass(frozen=True)
class DenseBlockSpec(Spec):
    layers: int = param(6, 1, 128, doc="n layers, each sees every earlier feature map")
    growth_rate: int = param(12, 1, 512, doc="k: channels each layer adds")
    bottleneck: bool = param(True, doc="1x1 conv to 4k channels first (DenseNet-B)")
    dropout: float = param(0.0, 0.0, 0.9)


@dataclass(frozen=True)
class TransitionSpec(Spec):
    compression: float = param(0.5, 0.05, 1.0, doc="theta: fraction of channels kept")


@dataclass(frozen=True)
class SqueezeExciteSpec(Spec):
    ratio: int = param(16, 1, 256, doc="r: channels shrink by r in the excitation MLP")


@dataclass(frozen=True)
class MBConvSpec(Spec):
    filters: int = param(16, 1, 8192, doc="output channels")
    expand_ratio: int = param(6, 1, 16, doc="channels widen by this before the depthwise conv")
    kernel: tuple = size_param(3, high=9)
    strides: int = param(1, 1, 4)
    se_ratio: float = param(0.25, 0.0, 1.0, doc="SE width as a fraction of the input channels")
    activation: str = param("swish", choices=ACTIVATIONS)
    drop_rate: float = param(0.0, 0.0, 0.9, doc="dropout before the skip add")


@dataclass(frozen=True)
class CellSpec(Spec):
    filters: int = param(32, 1, 4096, doc="channels of every branch; the cell outputs 3x")


def conv(e: Expander, x: Tensor, local: str, filters: int, kernel: int = 3, strides: int = 1,
         use_bias: bool = False, init: str = "he_normal", activation: str = "linear",
         gate: bool = False) -> Tensor:
    return e.layer(local, "conv2d", x, gate=gate, filters=filters, kernel=(kernel, kernel),
                   strides=(strides, strides), padding="same", dilation=(1, 1),
                   activation=activation, use_bias=use_bias, kernel_initializer=init)


def _no_norm(e: Expander, x: Tensor, local: str, epsilon: float = 1e-3) -> Tensor:
    return x  # a residual block built without batch norm (for the vanishing-gradient study)


def bn(e: Expander, x: Tensor, local: str, epsilon: float = 1e-3) -> Tensor:
    return e.layer(local, "batch_norm", x, momentum=0.99, epsilon=epsilon, center=True,
                   scale=True)


def act(e: Expander, x: Tensor, local: str, fn: str) -> Tensor:
    return e.layer(local, "activation", x, activation=fn)


def squeeze_excite(e: Expander, x: Tensor, reduced: int, prefix: str = "se") -> Tensor:
    """Squeeze (global average pool to 1x1xC), excite (C -> C/r -> C, sigmoid), re-weight."""
    channels = x.shape[-1]
    s = e.layer(f"{prefix}_squeeze", "global_avg_pool", x, keepdims=True)
    s = conv(e, s, f"{prefix}_reduce", max(1, reduced), 1, use_bias=True, activation="relu",
             init="glorot_uniform")
    s = conv(e, s, f"{prefix}_expand", channels, 1, use_bias=True, activation="sigmoid",
             init="glorot_uniform", gate=True)
    return e.layer(f"{prefix}_excite", "multiply", [x, s])


def expand_conv_bn_act(e: Expander, x: list[Tensor], s: ConvBnActSpec) -> Tensor:
    y = e.layer("conv", "conv2d", x, filters=s.filters, kernel=s.kernel, strides=s.strides,
                padding=s.padding, dilation=(1, 1), activation="linear", use_bias=s.use_bias,
                kernel_initializer=s.kernel_initializer)
    return act(e, bn(e, y, "bn"), "act", s.activation)


KERAS_CONV_BN_ACT = '''def conv_bn_act_block({signature}):
    """Convolution, batch norm, activation."""
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=use_bias,
                      kernel_initializer=kernel_initializer, name=name + "_conv")(x)
    return act(bn(x, name + "_bn"), activation, name + "_act")
'''  # the exported twin of the function above


def expand_residual(e: Expander, x: list[Tensor], s: ResidualSpec) -> Tensor:
    """y = act(F(x) + shortcut(x)); the shortcut is identity unless the shape changes."""
    x0 = x[0]
    kw = dict(use_bias=s.use_bias, init=s.kernel_initializer)
    norm = bn if s.batch_norm else _no_norm
    if s.variant == "basic":
        out_channels = s.filters
        y = act(e, norm(e, conv(e, x0, "conv1", s.filters, 3, s.strides, **kw), "bn1"), "act1",
                s.activation)
        y = norm(e, conv(e, y, "conv2", s.filters, 3, **kw), "bn2")
    else:
        out_channels = s.filters * s.expansion
        y = act(e, norm(e, conv(e, x0, "conv1", s.filters, 1, s.strides, **kw), "bn1"), "act1",
                s.activation)
        y = act(e, norm(e, conv(e, y, "conv2", s.filters, 3, **kw), "bn2"), "act2", s.activation)
        y = norm(e, conv(e, y, "conv3", out_channels, 1, **kw), "bn3")
    if s.se_ratio:
        y = squeeze_excite(e, y, out_channels // s.se_ratio)
    shortcut = x0
    if s.strides != 1 or x0.shape[-1] != out_channels:
        shortcut = norm(e, conv(e, x0, "shortcut_conv", out_channels, 1, s.strides, **kw),
                      "shortcut_bn")
    y = e.layer("add", "add", [y, shortcut])
    return act(e, y, "out", s.activation) if s.activation_after_add else y


KERAS_RESIDUAL = '''def residual_block({signature}):
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
'''  # the exported twin of the function above


def expand_dense_block(e: Expander, x: list[Tensor], s: DenseBlockSpec) -> Tensor:
    """Each layer: BN-ReLU-(1x1 conv 4k, BN-ReLU)-3x3 conv k, concatenated onto its input."""
    y = x[0]
    for i in range(1, s.layers + 1):
        h = act(e, bn(e, y, f"l{i}_bn1", 1.001e-5), f"l{i}_relu1", "relu")
        if s.bottleneck:
            h = conv(e, h, f"l{i}_conv1", 4 * s.growth_rate, 1)
            h = act(e, bn(e, h, f"l{i}_bn2", 1.001e-5), f"l{i}_relu2", "relu")
        h = conv(e, h, f"l{i}_conv2", s.growth_rate, 3)
        if s.dropout:
            h = e.layer(f"l{i}_drop", "dropout", h, rate=s.dropout)
        y = e.layer(f"l{i}_concat", "concatenate", [y, h])
    return y


KERAS_DENSE_BLOCK = '''def dense_block({signature}):
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
'''  # the exported twin of the function above


def expand_transition(e: Expander, x: list[Tensor], s: TransitionSpec) -> Tensor:
    y = act(e, bn(e, x[0], "bn", 1.001e-5), "relu", "relu")
    y = conv(e, y, "conv", max(1, int(x[0].shape[-1] * s.compression)), 1)
    return e.layer("pool", "avg_pool", y, pool_size=(2, 2), strides=(2, 2), padding="valid")


KERAS_TRANSITION = '''def transition_block({signature}):
    """Between dense blocks: BN-ReLU, 1x1 conv keeping a fraction of channels, 2x2 pool."""
    y = act(bn(x, name + "_bn", 1.001e-5), "relu", name + "_relu")
    y = conv(y, max(1, int(x.shape[-1] * compression)), 1, 1, name + "_conv")
    return layers.AveragePooling2D(2, strides=2, name=name + "_pool")(y)
'''  # the exported twin of the function above


def expand_squeeze_excite(e: Expander, x: list[Tensor], s: SqueezeExciteSpec) -> Tensor:
    return squeeze_excite(e, x[0], x[0].shape[-1] // s.ratio if x[0].shape else 1, prefix="se")


KERAS_SQUEEZE_EXCITE = '''def squeeze_excite_block({signature}):
    """Channel attention with reduction ratio r."""
    return squeeze_excite(x, x.shape[-1] // ratio, name + "_se")
'''  # the exported twin of the function above


def expand_mbconv(e: Expander, x: list[Tensor], s: MBConvSpec) -> Tensor:
    """EfficientNet's inverted residual: expand 1x1, depthwise kxk, SE, project 1x1, skip."""
    x0 = x[0]
    c_in = x0.shape[-1]
    y = x0
    if s.expand_ratio != 1:
        y = act(e, bn(e, conv(e, y, "expand_conv", c_in * s.expand_ratio, 1), "expand_bn"),
                "expand_act", s.activation)
    y = e.layer("dwconv", "depthwise_conv2d", y, kernel=s.kernel, strides=(s.strides, s.strides),
                padding="same", depth_multiplier=1, dilation=(1, 1), activation="linear",
                use_bias=False)
    y = act(e, bn(e, y, "bn"), "act", s.activation)
    if s.se_ratio > 0:
        y = squeeze_excite(e, y, max(1, int(c_in * s.se_ratio)))
    y = bn(e, conv(e, y, "project_conv", s.filters, 1), "project_bn")
    if s.strides == 1 and c_in == s.filters:
        if s.drop_rate > 0:
            y = e.layer("drop", "dropout", y, rate=s.drop_rate)
        y = e.layer("add", "add", [y, x0])
    return y


KERAS_MBCONV = '''def mbconv_block({signature}):
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
'''  # the exported twin of the function above


def sep_conv(e: Expander, x: Tensor, local: str, filters: int, kernel: int, strides: int) -> Tensor:
    """NASNet's separable branch: ReLU, depthwise kxk, pointwise 1x1, BN."""
    y = act(e, x, f"{local}_relu", "relu")
    y = e.layer(f"{local}_dw", "depthwise_conv2d", y, kernel=(kernel, kernel),
                strides=(strides, strides), padding="same", depth_multiplier=1, dilation=(1, 1),
                activation="linear", use_bias=False)
    return bn(e, conv(e, y, f"{local}_pw", filters, 1), f"{local}_bn")


def _pool(e: Expander, x: Tensor, local: str, kind: str, strides: int) -> Tensor:
    return e.layer(local, kind, x, pool_size=(3, 3), strides=(strides, strides), padding="same")


def _cell_input(e: Expander, x: Tensor, filters: int) -> Tensor:
    return bn(e, conv(e, act(e, x, "in_relu", "relu"), "in_conv", filters, 1), "in_bn")


def expand_normal_cell(e: Expander, x: list[Tensor], s: CellSpec) -> Tensor:
    """Stride 1: three two-branch combinations (sep convs, pooling, identity), concatenated."""
    p = _cell_input(e, x[0], s.filters)
    b1 = e.layer("b1_add", "add", [sep_conv(e, p, "b1_sep3", s.filters, 3, 1), p])
    b2 = e.layer("b2_add", "add", [sep_conv(e, p, "b2_sep5", s.filters, 5, 1),
                                   sep_conv(e, p, "b2_sep3", s.filters, 3, 1)])
    b3 = e.layer("b3_add", "add", [_pool(e, p, "b3_avg", "avg_pool", 1), p])
    return e.layer("concat", "concatenate", [b1, b2, b3])


KERAS_NORMAL_CELL = '''def normal_cell({signature}):
    """NASNet-style cell, stride 1: three two-branch sums, concatenated (3 x filters)."""
    p = bn(conv(act(x, "relu", name + "_in_relu"), filters, 1, 1, name + "_in_conv"),
           name + "_in_bn")
    b1 = layers.Add(name=name + "_b1_add")([sep_conv(p, filters, 3, 1, name + "_b1_sep3"), p])
    b2 = layers.Add(name=name + "_b2_add")([sep_conv(p, filters, 5, 1, name + "_b2_sep5"),
                                            sep_conv(p, filters, 3, 1, name + "_b2_sep3")])
    pool = layers.AveragePooling2D(3, strides=1, padding="same", name=name + "_b3_avg")(p)
    b3 = layers.Add(name=name + "_b3_add")([pool, p])
    return layers.Concatenate(name=name + "_concat")([b1, b2, b3])
'''  # the exported twin of the function above


def expand_reduction_cell(e: Expander, x: list[Tensor], s: CellSpec) -> Tensor:
    """Stride 2: every branch halves the size, so the cell halves height and width."""
    p = _cell_input(e, x[0], s.filters)
    b1 = e.layer("b1_add", "add", [sep_conv(e, p, "b1_sep5", s.filters, 5, 2),
                                   sep_conv(e, p, "b1_sep7", s.filters, 7, 2)])
    b2 = e.layer("b2_add", "add", [_pool(e, p, "b2_max", "max_pool", 2),
                                   sep_conv(e, p, "b2_sep7", s.filters, 7, 2)])
    b3 = e.layer("b3_add", "add", [_pool(e, p, "b3_avg", "avg_pool", 2),
                                   sep_conv(e, p, "b3_sep5", s.filters, 5, 2)])
    return e.layer("concat", "concatenate", [b1, b2, b3])


KERAS_REDUCTION_CELL = '''def reduction_cell({signature}):
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
'''  # the exported twin of the function above


def _block(name: str, title: str, spec: type[Spec], expand, keras_source: str, doc: str,
           key_params: tuple[str, ...]) -> BlockKind:
    return BlockKind(name, title, "Blocks", spec, expand, doc, "block", key_params,
                     keras_source=keras_source)


BLOCK_KINDS: list[BlockKind] = [
    _block("conv_bn_act", "Conv-BN-Act", ConvBnActSpec, expand_conv_bn_act, KERAS_CONV_BN_ACT,
           "Convolution, batch norm, activation: the unit modern CNNs are built from.",
           ("filters", "kernel", "strides")),
    _block("residual", "Residual block", ResidualSpec, expand_residual, KERAS_RESIDUAL,
           "Learns F(x) = H(x) - x and adds x back, so depth does no harm (ResNet).",
           ("variant", "filters", "strides")),
    _block("dense_block", "Dense block", DenseBlockSpec, expand_dense_block, KERAS_DENSE_BLOCK,
           "Every layer sees all earlier feature maps, concatenated; growth rate k (DenseNet).",
           ("layers", "growth_rate")),
    _block("transition", "Transition", TransitionSpec, expand_transition, KERAS_TRANSITION,
           "Between dense blocks: 1x1 conv compresses channels, pooling halves the size.",
           ("compression",)),
    _block("squeeze_excite", "Squeeze-Excitation", SqueezeExciteSpec, expand_squeeze_excite,
           KERAS_SQUEEZE_EXCITE,
           "Channel attention: pool each channel, a small MLP with sigmoid re-weights them.",
           ("ratio",)),
    _block("mbconv", "MBConv", MBConvSpec, expand_mbconv, KERAS_MBCONV,
           "EfficientNet's inverted residual: widen, depthwise conv, SE, project back.",
           ("filters", "expand_ratio", "kernel", "strides")),
    _block("normal_cell", "Normal cell", CellSpec, expand_normal_cell, KERAS_NORMAL_CELL,
           "A NASNet-style searched cell that keeps the size (stride 1).", ("filters",)),
    _block("reduction_cell", "Reduction cell", CellSpec, expand_reduction_cell,
           KERAS_REDUCTION_CELL,
           "A NASNet-style searched cell that halves the size (stride 2).", ("filters",)),
]
