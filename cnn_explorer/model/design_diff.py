"""Block-level differences between two designs, as short lines of text (the Search tab's
"diff against best"). Blocks are matched by name: the search spaces name blocks by their
place (stage2_block1, s1_normal1_b2_op1_dw), so equal names mean the same place."""

from __future__ import annotations

from .files import Design

MAX_LINES = 40


def diff_designs(design: Design, other: Design, *, limit: int = MAX_LINES) -> list[str]:
    """What `design` has that `other` does not: '+' blocks only here, '-' blocks only there,
    '~' the same block with another kind, parameters or inputs. Empty when they match."""
    mine, theirs = _blocks(design), _blocks(other)
    lines: list[str] = []
    for name, (kind, params, inputs) in mine.items():
        if name not in theirs:
            lines.append(f"+ {name} ({kind})")
            continue
        o_kind, o_params, o_inputs = theirs[name]
        if kind != o_kind:
            lines.append(f"~ {name}: {o_kind} -> {kind}")
            continue
        changed = [f"{k} {o_params.get(k)} -> {v}" for k, v in params.items()
                   if o_params.get(k) != v]
        if inputs != o_inputs:
            changed.append(f"inputs {', '.join(o_inputs)} -> {', '.join(inputs)}")
        if changed:
            lines.append(f"~ {name}: " + "; ".join(changed))
    lines += [f"- {name} ({kind})" for name, (kind, _, _) in theirs.items() if name not in mine]
    if len(lines) > limit:
        lines = lines[:limit] + [f"... and {len(lines) - limit} more"]
    return lines


def _blocks(design: Design) -> dict[str, tuple[str, dict, list[str]]]:
    g = design.graph
    names = {b.id: b.name for b in g.blocks()}
    inputs: dict[str, list[tuple[int, str]]] = {b.id: [] for b in g.blocks()}
    for c in g.connections():
        inputs[c.dst].append((c.port, names[c.src]))
    return {b.name: (b.kind, dict(b.params), [n for _, n in sorted(inputs[b.id])])
            for b in g.blocks()}
