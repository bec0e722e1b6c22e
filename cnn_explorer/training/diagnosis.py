"""Gradient health, diagnosed: a run's signals turned into findings a learner can act on.

Pure Python over the run's records (no TensorFlow, no Qt): each finding names the blocks it
concerns, the evidence (numbers) and the fixes to try, in the words of the seed notes. Findings
are data: the run log stores them and a reopened log shows them again.

Thresholds are named below with where they come from; they are deliberately wide, so a finding
means something is clearly wrong rather than a little off.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field

# A first layer receiving under 1/1000 of the last layer's gradient learns ~1000x slower: the
# vanishing regime Hochreiter (1991) and Glorot & Bengio (2010) describe. Healthy CIFAR nets
# with BN or shortcuts stay within ~100x (this app measures ~20x for residual-deep, sigmoid,
# no BN, and ~3e12x for plain-deep).
VANISHING_RATIO = 1e-3
# Update-to-weight ratio: ~1e-3 per step is the healthy rule of thumb (Karpathy, CS231n
# "Neural Networks Part 3": ratios far above 1e-3 mean the learning rate is too high, far
# below mean too low). Two orders of magnitude either way is "far".
UPDATE_RATIO_HIGH, UPDATE_RATIO_LOW = 1e-1, 1e-5
# Dead ReLUs: a unit that is zero for every probe image passes back no gradient (Maas et al.
# 2013 on leaky ReLU; Lu et al. 2019 "Dying ReLU"). Half a block dead is a problem.
DEAD_FRACTION = 0.5
# Saturation: sigmoid/tanh outputs where the slope is under ~2-4% of its peak (signals.py);
# Glorot & Bengio (2010) saw whole sigmoid layers saturate and stall. Half a block is a problem.
SATURATED_FRACTION = 0.5
# Exploding: the gradient norm growing 1000x over the run (Pascanu et al. 2013) or any NaN/inf.
EXPLODING_GROWTH = 1e3
# Not learning: the loss fell by under 2% from the first to the last tenth of the run.
FLAT_LOSS_DROP = 0.02
# Overfitting: validation loss 20% above its best while the training loss keeps falling, or a
# train-validation accuracy gap of 0.15.
OVERFIT_VAL_RISE, OVERFIT_GAP = 0.20, 0.15
# Degradation: the deeper plain net's training error exceeds the residual one's by 5 points
# (He et al. 2016, Fig. 1: the 56-layer plain net trains worse than the 20-layer one).
DEGRADATION_GAP = 0.05
SUSTAINED = 0.6  # a signal must hold on this fraction of its recorded steps (second half of run)

FIXES = {
    "relu": "Use ReLU instead of a saturating activation",
    "batch_norm": "Insert BatchNorm after each convolution",
    "residual": "Wrap the blocks in residual blocks (identity shortcuts)",
    "he_init": "Use He initialisation",
    "lr_down": "Divide the learning rate by 10",
    "lr_up": "Multiply the learning rate by 10",
    "clip": "Clip gradients (global norm 1.0)",
    "dropout": "Add dropout before the classifier",
    "augment": "Turn on augmentation (flip and crop)",
}


@dataclass
class Finding:
    code: str  # vanishing, exploding, dead_relu, saturated, lr_high, lr_low, ...
    title: str
    message: str
    blocks: list[str] = field(default_factory=list)  # block ids, input side first
    evidence: dict = field(default_factory=dict)
    fixes: list[str] = field(default_factory=list)  # keys of FIXES
    severity: str = "warning"  # or "error"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class Signals:
    """What diagnosis reads, gathered from a run's records (see `from_records`)."""

    layers: list[dict]  # RunInfo.layers: name, kind, depth, block
    steps: list[dict]  # StepRecord dicts, in order
    epochs: list[dict] = field(default_factory=list)
    block_names: dict[str, str] = field(default_factory=dict)  # block id -> name for messages
    diverged: str = ""  # the run's own divergence message, if any


def diagnose(s: Signals) -> list[Finding]:
    """Every finding the signals support, most serious first."""
    found = [f for check in (_exploding, _vanishing, _dead, _saturated, _learning_rate,
                             _not_learning, _overfitting) if (f := check(s))]
    return sorted(found, key=lambda f: f.severity != "error")


def _recorded(s: Signals, key: str) -> list[dict]:
    """Steps that carry `key`, from the second half of the run (the first steps warm up)."""
    rows = [st for st in s.steps if st.get(key)]
    return rows[len(rows) // 2:] if len(rows) > 3 else rows


def _name(s: Signals, block: str) -> str:
    return s.block_names.get(block, block)


def _kernel_columns(s: Signals) -> list[int]:
    return [i for i, layer in enumerate(s.layers) if layer.get("kind") not in
            ("BatchNormalization", "LayerNormalization", "GroupNormalization")]


def _vanishing(s: Signals) -> Finding | None:
    cols = _kernel_columns(s)
    rows = _recorded(s, "grad_norms")
    if len(cols) < 3 or not rows:
        return None
    weak_rows, ratios, weak_layers = 0, [], set()
    for row in rows:
        norms = [row["grad_norms"][i] for i in cols]
        last = norms[-1]
        if not (last > 0 and all(map(math.isfinite, norms))):
            continue
        ratios.append(norms[0] / last)
        weak = [i for i, n in zip(cols, norms) if n < VANISHING_RATIO * last]
        if ratios[-1] < VANISHING_RATIO:
            weak_rows += 1
            weak_layers.update(weak)
    if not ratios or weak_rows < SUSTAINED * len(ratios):
        return None
    blocks = _blocks_of(s, sorted(weak_layers))
    ratio = statistics.median(ratios)
    where = (f"by block {_name(s, blocks[-1])}: it and the {len(blocks) - 1} blocks before it"
             if blocks else "near the input: the first layers")
    return Finding(
        "vanishing", "Vanishing gradients",
        f"Going back from the output, the gradient has vanished {where} get under "
        f"1/{1 / VANISHING_RATIO:.0f} of the last layer's gradient (the first layer gets "
        f"{ratio:.1e} of it), so they barely learn. This is why residual connections exist: "
        "an identity shortcut carries the gradient past the blocks unchanged.",
        blocks, {"first_to_last_ratio": ratio, "threshold": VANISHING_RATIO,
                 "steps": len(ratios), "steps_below": weak_rows},
        ["residual", "batch_norm", "relu", "he_init"], "error")


def _blocks_of(s: Signals, columns: list[int]) -> list[str]:
    out: list[str] = []
    for i in columns:
        block = s.layers[i].get("block", "")
        if block and block not in out:
            out.append(block)
    return out


def _exploding(s: Signals) -> Finding | None:
    losses = [st["loss"] for st in s.steps]
    bad = [st["step"] for st in s.steps if not math.isfinite(st["loss"])
           or not all(map(math.isfinite, st.get("grad_norms") or []))]
    rows = [st for st in s.steps if st.get("grad_norms")]
    totals = [math.sqrt(sum(n * n for n in st["grad_norms"])) for st in rows
              if all(map(math.isfinite, st["grad_norms"]))]
    growth = max(totals[len(totals) // 2:]) / max(min(totals[:max(1, len(totals) // 4)]), 1e-30) \
        if len(totals) >= 4 else 1.0
    if not (bad or s.diverged or growth > EXPLODING_GROWTH):
        return None
    evidence = {"first_bad_step": bad[0] if bad else None, "growth": growth,
                "first_loss": losses[0] if losses else None,
                "last_loss": losses[-1] if losses else None}
    cause = s.diverged or (f"a NaN or infinite value appeared at step {bad[0]}" if bad else
                           f"the gradient norm grew {growth:.0f}x")
    return Finding("exploding", "Exploding gradients / divergence",
                   f"Training diverged or is about to: {cause}. The steps are too big for the "
                   "loss surface; a smaller learning rate or gradient clipping tames them, and "
                   "BatchNorm keeps activations in range.",
                   _blocks_of(s, _kernel_columns(s)[-1:]), evidence,
                   ["lr_down", "clip", "batch_norm"], "error")


def _activation_finding(s: Signals, key: str, limit: float) -> tuple[list[str], dict]:
    rows = _recorded(s, "activations")
    hits: dict[str, list[float]] = {}
    for row in rows:
        for block, stats in row["activations"].items():
            if key in stats:
                hits.setdefault(block, []).append(stats[key])
    blocks = [b for b, v in hits.items() if len(v) and
              sum(x >= limit for x in v) >= SUSTAINED * len(v)]
    return blocks, {b: round(statistics.mean(hits[b]), 4) for b in blocks}


def _dead(s: Signals) -> Finding | None:
    blocks, evidence = _activation_finding(s, "dead", DEAD_FRACTION)
    if not blocks:
        return None
    names = ", ".join(_name(s, b) for b in blocks[:4]) + ("..." if len(blocks) > 4 else "")
    return Finding("dead_relu", "Dead ReLUs",
                   f"In {names}, over half the ReLU channels output zero for every image: "
                   "they pass back no gradient and have stopped learning. Large negative biases "
                   "or a too-high learning rate kill them; He initialisation and a lower "
                   "learning rate revive training.",
                   blocks, {"dead_fraction": evidence, "threshold": DEAD_FRACTION},
                   ["he_init", "lr_down", "batch_norm"])


def _saturated(s: Signals) -> Finding | None:
    blocks, evidence = _activation_finding(s, "saturated", SATURATED_FRACTION)
    if not blocks:
        return None
    names = ", ".join(_name(s, b) for b in blocks[:4]) + ("..." if len(blocks) > 4 else "")
    return Finding("saturated", "Saturated sigmoid / tanh",
                   f"In {names}, most sigmoid/tanh outputs sit at their flat ends, where the "
                   "slope is almost zero: the gradient dies there. ReLU does not saturate for "
                   "positive inputs; BatchNorm keeps inputs in the steep middle.",
                   blocks, {"saturated_fraction": evidence, "threshold": SATURATED_FRACTION},
                   ["relu", "batch_norm"])


def _learning_rate(s: Signals) -> Finding | None:
    rows = _recorded(s, "update_norms")
    cols = _kernel_columns(s)
    ratios = []
    for row in rows:
        for i in cols:
            w, u = row["weight_norms"][i] if row.get("weight_norms") else 0, row["update_norms"][i]
            if w > 0 and math.isfinite(u) and math.isfinite(w):
                ratios.append(u / w)
    if not ratios:
        return None
    median = statistics.median(ratios)
    evidence = {"median_update_ratio": median, "healthy": 1e-3}
    if median > UPDATE_RATIO_HIGH:
        return Finding("lr_high", "Learning rate too high",
                       f"Each step moves the weights by {median:.1e} of their size (healthy: "
                       "about 1e-3): the optimiser overshoots.", [], evidence, ["lr_down", "clip"])
    if median < UPDATE_RATIO_LOW:
        return Finding("lr_low", "Learning rate too low",
                       f"Each step moves the weights by only {median:.1e} of their size "
                       "(healthy: about 1e-3): training will crawl.", [], evidence, ["lr_up"])
    return None


def _not_learning(s: Signals) -> Finding | None:
    losses = [st["loss"] for st in s.steps if math.isfinite(st["loss"])]
    if len(losses) < 20:
        return None
    tenth = max(2, len(losses) // 10)
    first, last = statistics.mean(losses[:tenth]), statistics.mean(losses[-tenth:])
    if first <= 0 or (first - last) / first >= FLAT_LOSS_DROP:
        return None
    return Finding("not_learning", "Not learning",
                   f"The loss went from {first:.3f} to {last:.3f} (under "
                   f"{FLAT_LOSS_DROP:.0%} lower): the network is not learning. Look at the "
                   "other findings; a wrong learning rate or vanishing gradients are the usual "
                   "causes.", [], {"first_loss": first, "last_loss": last},
                   ["lr_up", "lr_down", "batch_norm"])


def _overfitting(s: Signals) -> Finding | None:
    epochs = [e for e in s.epochs if e.get("val_loss") is not None]
    if len(epochs) < 3:
        return None
    best = min(e["val_loss"] for e in epochs)
    last = epochs[-1]
    rising = last["val_loss"] > (1 + OVERFIT_VAL_RISE) * best and \
        last["loss"] < epochs[0]["loss"]
    gap = (last.get("accuracy") or 0) - (last.get("val_accuracy") or 0)
    if not (rising or gap > OVERFIT_GAP):
        return None
    return Finding("overfitting", "Overfitting",
                   f"Validation is parting from training (validation loss {last['val_loss']:.3f}"
                   f" against its best {best:.3f}; accuracy gap {gap:.2f}): the network is "
                   "memorising the training images.", [],
                   {"val_loss": last["val_loss"], "best_val_loss": best, "gap": gap},
                   ["augment", "dropout"])


def degradation(plain: Signals, residual: Signals, labels: tuple[str, str]) -> Finding | None:
    """The degradation problem: the plain net trains worse than its residual twin."""
    def train_error(s: Signals) -> float | None:
        accs = [st["accuracy"] for st in s.steps[-max(1, len(s.steps) // 10):]]
        return 1 - statistics.mean(accs) if accs else None

    a, b = train_error(plain), train_error(residual)
    if a is None or b is None or a - b < DEGRADATION_GAP:
        return None
    return Finding("degradation", "Degradation",
                   f"{labels[0]} ends with training error {a:.1%} against {b:.1%} for "
                   f"{labels[1]}: the deeper plain net trains worse, although it could copy the "
                   "shallower one. This is the degradation problem that residual learning "
                   "solves.", [], {"plain_train_error": a, "residual_train_error": b},
                   ["residual"], "error")


def from_records(info: dict, steps: list[dict], epochs: list[dict],
                 block_names: dict[str, str] | None = None, diverged: str = "") -> Signals:
    return Signals(list(info.get("layers", [])), list(steps), list(epochs),
                   dict(block_names or {}), diverged)
