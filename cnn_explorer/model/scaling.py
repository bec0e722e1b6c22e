"""Compound scaling of any design (EfficientNet, Tan & Le 2019): one coefficient phi scales
width, depth and resolution together.

- width: every `filters` and `units` x beta^phi, rounded to a multiple of 8 (EfficientNet's
  `round_filters`); a dense block's growth rate x beta^phi, rounded to a whole number (12 would
  jump to 16 at a multiple of 8); the classifier keeps its class count.
- depth: each stage keeps ceil(n x alpha^phi) blocks, the new ones copies of its last block
  (stride 1). A stage is a block that sets a new output shape followed by the blocks of the same
  kind on the main path that keep it (ResNet's stages, EfficientNet's MBConv groups). The stem
  and a lone head block (EfficientNet's 1x1 'top') are not stages. A dense block is deepened
  inside: its layer count n becomes ceil(n x alpha^phi).
- resolution: the input's height and width x gamma^phi, rounded.

A pure function of the design's data: the Scale dialog, `cnn-explorer scale` and the search
share it, and phi = 0 gives the same design back. New blocks get no canvas position (the app
lays the design out again when it has blocks without one).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

from .errors import ParameterError
from .files import Design, design_from_dict, design_to_dict

# The paper's grid-searched bases for EfficientNet-B0 (section 3.3): alpha * beta^2 * gamma^2 ~ 2.
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15
WIDTH_FIELDS = {"filters": 8, "units": 8, "growth_rate": 1}  # field -> rounding divisor
# Kinds whose blocks a stage repeats: feature extractors, not pooling, merges or heads.
REPEATABLE_KINDS = frozenset({"conv2d", "depthwise_conv2d", "conv_bn_act", "residual", "mbconv",
                              "normal_cell", "separable_conv2d"})
DEPTH_FIELDS = {"dense_block": "layers"}  # kinds deepened inside rather than repeated
MAX_PHI = 8.0


@dataclass(frozen=True)
class Scaling:
    """How much each dimension grows per unit of phi."""

    phi: float = 0.0
    alpha: float = ALPHA  # depth
    beta: float = BETA    # width
    gamma: float = GAMMA  # resolution

    def __post_init__(self) -> None:
        if not (isinstance(self.phi, (int, float)) and -2.0 <= self.phi <= MAX_PHI):
            raise ParameterError("scaling", "phi", f"a number from -2 to {MAX_PHI:g}", self.phi)
        for name in ("alpha", "beta", "gamma"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 1.0 <= value <= 4.0):
                raise ParameterError("scaling", name, "a number from 1 to 4", value)

    @property
    def flops_factor(self) -> float:
        """alpha * beta^2 * gamma^2: how much one unit of phi multiplies the FLOPs."""
        return self.alpha * self.beta ** 2 * self.gamma ** 2

    @property
    def depth(self) -> float:
        return self.alpha ** self.phi

    @property
    def width(self) -> float:
        return self.beta ** self.phi

    @property
    def resolution(self) -> float:
        return self.gamma ** self.phi

    def only(self, dimension: str) -> "Scaling":
        """The same phi applied to one dimension alone ("width", "depth" or "resolution")."""
        keep = {"depth": "alpha", "width": "beta", "resolution": "gamma"}[dimension]
        bases = {k: (getattr(self, k) if k == keep else 1.0) for k in ("alpha", "beta", "gamma")}
        return Scaling(self.phi, **bases)


def round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """EfficientNet's rounding: the nearest multiple of `divisor`, never 10% below the target."""
    if width == 1.0:
        return filters
    target = filters * width
    if divisor == 1:
        return max(1, int(round(target)))
    new = max(divisor, int(target + divisor / 2) // divisor * divisor)
    return int(new + divisor if new < 0.9 * target else new)


def stages(design: Design) -> list[list[str]]:
    """The runs of repeatable blocks that depth scaling deepens, each in order (block ids)."""
    graph, report = design.graph, design.graph.report()
    incoming: dict[str, list[str]] = {bid: [] for bid in report.order}
    outgoing: dict[str, list[str]] = {bid: [] for bid in report.order}
    for c in graph.connections():
        incoming[c.dst].append(c.src)
        outgoing[c.src].append(c.dst)
    runs: list[list[str]] = []
    for bid in report.order:
        block, shape = graph.block(bid), report.blocks[bid].output_shape
        if block.kind not in REPEATABLE_KINDS and block.kind not in DEPTH_FIELDS or shape is None:
            continue
        prev = incoming[bid][0] if len(incoming[bid]) == 1 else None
        if (runs and prev == runs[-1][-1] and outgoing[prev] == [bid]
                and graph.block(prev).kind == block.kind
                and report.blocks[prev].output_shape == shape):
            runs[-1].append(bid)
        else:
            runs.append([bid])
    return [run for i, run in enumerate(runs) if not _stem_or_head(design, runs, i)]


def _stem_or_head(design: Design, runs: list[list[str]], i: int) -> bool:
    """A lone first or last block whose neighbouring stage is of another kind (ResNet's and
    EfficientNet's stem, EfficientNet's 1x1 'top') is not a stage: the papers scale the stages."""
    if len(runs[i]) != 1 or len(runs) < 2 or i not in (0, len(runs) - 1):
        return False
    kind = design.graph.block(runs[i][0]).kind
    return design.graph.block(runs[1 if i == 0 else -2][0]).kind != kind


def scale_design(design: Design, scaling: Scaling) -> Design:
    """A new design: `design` scaled by `scaling` (the original is left as it was)."""
    data = design_to_dict(design)  # a fresh, mutable copy: the original is never touched
    if scaling.phi != 0:
        runs = stages(design)  # measured on the unscaled design
        _scale_width(data, scaling.width)
        _scale_resolution(data, scaling.resolution)
        _scale_depth(data, runs, scaling.depth)
    scaled = design_from_dict(data)
    scaled.title = design.title
    return scaled


def _scale_width(data: dict, width: float) -> None:
    for block in data["blocks"]:
        if block["kind"] == "classifier":
            continue
        for name, divisor in WIDTH_FIELDS.items():
            if isinstance(block["params"].get(name), int):
                block["params"][name] = round_filters(block["params"][name], width, divisor)


def _scale_resolution(data: dict, resolution: float) -> None:
    for block in data["blocks"]:
        if block["kind"] == "input":
            for name in ("height", "width"):
                block["params"][name] = max(1, int(round(block["params"][name] * resolution)))


def _scale_depth(data: dict, runs: list[list[str]], depth: float) -> None:
    for block in data["blocks"]:
        field = DEPTH_FIELDS.get(block["kind"])
        if field and isinstance(block["params"].get(field), int) and depth > 1:
            block["params"][field] = math.ceil(block["params"][field] * depth - 1e-9)
    by_id = {b["id"]: b for b in data["blocks"]}
    taken = {b["name"] for b in data["blocks"]}
    next_id = 1 + max((int(b["id"][1:]) for b in data["blocks"]
                       if b["id"][:1] == "b" and b["id"][1:].isdigit()), default=0)
    for run in runs:
        if by_id[run[0]]["kind"] in DEPTH_FIELDS:
            continue  # deepened inside above
        wanted = max(1, math.ceil(len(run) * depth - 1e-9))
        if wanted <= len(run):
            continue  # a phi below 0 never removes blocks: that would lose the user's work
        last = by_id[run[-1]]
        tail = last["id"]
        consumers = [c for c in data["connections"] if c["src"] == last["id"]]
        for i in range(len(run) + 1, wanted + 1):
            new = copy.deepcopy(last)
            new["id"], next_id = f"b{next_id}", next_id + 1
            new["name"] = _fresh_name(_stem_name(last["name"]), i, taken)
            if "strides" in new["params"]:
                new["params"]["strides"] = 1
            data["blocks"].append(new)
            data["connections"].append({"src": tail, "dst": new["id"], "port": 0})
            tail = new["id"]
        for c in consumers:
            c["src"] = tail


def _stem_name(name: str) -> str:
    """'stage2_block3' -> 'stage2_block'; 'conv1' -> 'conv'."""
    return name.rstrip("0123456789") or "block"


def _fresh_name(base: str, i: int, taken: set[str]) -> str:
    name = f"{base}{i}"
    while name in taken:
        name += "_x"
    taken.add(name)
    return name[:64]
