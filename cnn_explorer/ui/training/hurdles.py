"""Why a design cannot train yet on given run settings, and the one-click fix if there is one.

Pure checks over the design's cached inference report and the dataset's known class count;
the session refuses a run on a blocking hurdle and the panel shows the first one.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_explorer.model.files import Design
from cnn_explorer.model.settings import RunSettings
from cnn_explorer.training.availability import dataset_classes


@dataclass(frozen=True)
class Hurdle:
    """Why the design cannot train yet, the block to show, and a one-click fix if there is one."""

    message: str
    block_id: str | None = None
    fix: tuple[str, str, int] | None = None  # (block id, parameter, value)
    fix_text: str = ""
    blocks_training: bool = True  # False: flagged, but a run would still be sound


def design_classes(design: Design) -> tuple[str, str, int] | None:
    """(block id, class-count parameter, classes) of the design's single classifier output."""
    report = design.graph.report()
    if len(report.output_ids) != 1:
        return None
    bid = report.output_ids[0]
    params = design.graph.block(bid).params
    for name in ("classes", "units"):
        if isinstance(params.get(name), int):
            return bid, name, params[name]
    return None


def hurdle(design: Design, settings: RunSettings) -> Hurdle | None:
    """The first reason this design cannot train on these settings, or None."""
    problems = design.graph.report().problems
    if problems:
        first = problems[0]
        name = design.graph.block(first.block_id).name if first.block_id else "the design"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Hurdle(f"Fix the design first: {name}: {first.message}{more}", first.block_id)
    wanted, have = dataset_classes(settings.dataset), design_classes(design)
    if wanted is not None and have is not None and have[2] != wanted:
        bid, param, classes = have
        fewer = classes < wanted  # labels beyond the last output cannot be learned at all
        return Hurdle(f"The design predicts {classes} classes but {settings.dataset} has "
                      f"{wanted}.", bid, (bid, param, wanted), f"Set classes to {wanted}",
                      blocks_training=fewer)
    return None


def blocking(found: Hurdle | None) -> Hurdle | None:
    return found if found is not None and found.blocks_training else None
