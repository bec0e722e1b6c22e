"""`cnn-explorer presets` and `cnn-explorer summary`: the design model on the command line.

No TensorFlow here: a summary of ResNet-50 prints in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import format as fmt
from .errors import DesignError, DesignFileError
from .files import Design, load_design
from .presets import PRESETS, build_preset
from .safejson import loads_bounded

# Exit codes of every sub-command (documented in `cnn-explorer --help` and the README).
EXIT_OK = 0            # done; for summary: the design has no problems
EXIT_PROBLEMS = 1      # the design was read but has problems (or training failed)
EXIT_INVALID = 2       # an input is unreadable or invalid, or the command line is wrong
EXIT_NO_DISPLAY = 3    # the window cannot open: no display
EXIT_INTERNAL = 70     # a bug in CNN Explorer: one line on stderr, the traceback in a log file
EXIT_INTERRUPTED = 130


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("presets", help="list the preset architectures")
    p.set_defaults(func=cmd_presets)
    s = sub.add_parser("summary", help="print shapes, parameters and FLOPs of a design")
    add_design_arguments(s)
    s.add_argument("--json", action="store_true", help="print the summary as JSON")
    s.add_argument("--batch-size", type=int, default=128,
                   help="batch size for the activation-memory estimate (default 128)")
    s.set_defaults(func=cmd_summary)


def add_design_arguments(parser: argparse.ArgumentParser) -> None:
    """DESIGN.json or --preset NAME [--param key=value ...]: shared by every sub-command."""
    parser.add_argument("design", nargs="?", help="a design file (.json)")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="use a preset instead")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a preset knob, e.g. --param depth=56 or --param phi=1")


def design_from_args(args: argparse.Namespace) -> Design:
    """Load the design the arguments name; raises DesignError with the reason."""
    if bool(args.design) == bool(args.preset):
        raise DesignError("give either a design file or --preset NAME")
    if args.preset:
        params = {}
        for item in args.param:
            key, equals, value = item.partition("=")
            if not equals:
                raise DesignError(f"--param {item!r} must be KEY=VALUE, e.g. depth=56")
            try:
                params[key] = loads_bounded(value, f"--param {key}")
            except DesignFileError:
                params[key] = value  # a word: the preset says whether it fits
        return build_preset(args.preset, **params)
    return load_design(args.design)


def cmd_presets(args: argparse.Namespace) -> int:
    width = max(map(len, PRESETS))
    for preset in PRESETS.values():
        print(f"{preset.name:<{width}}  {preset.description}")
    return 0


def summary_dict(design: Design, batch_size: int = 128) -> dict:
    g = design.graph
    report = g.report()
    layers = []
    for bid in report.order:
        info = report.blocks[bid]
        for layer in info.layers:
            layers.append({"block": g.block(bid).name, "layer": layer.name, "kind": layer.kind,
                           "output_shape": list(layer.output_shape),
                           "params": layer.params_total, "trainable": layer.trainable,
                           "flops": layer.flops})
    return {
        "title": design.title,
        "total_params": report.total_params,
        "trainable_params": report.trainable_params,
        "non_trainable_params": report.non_trainable_params,
        "flops": report.flops,
        "activation_bytes": report.activation_bytes(batch_size),
        "batch_size": batch_size,
        "layers": layers,
        "problems": [{"block": g.block(p.block_id).name if p.block_id else None,
                      "message": p.message} for p in report.problems],
    }


def cmd_summary(args: argparse.Namespace) -> int:
    try:
        design = design_from_args(args)
    except DesignError as exc:
        print(f"cnn-explorer summary: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if not 1 <= args.batch_size <= 1_000_000:
        print("cnn-explorer summary: --batch-size must be from 1 to 1,000,000", file=sys.stderr)
        return EXIT_INVALID
    data = summary_dict(design, args.batch_size)
    if args.json:
        print(json.dumps(data, indent=1))
    else:
        print(format_table(data))
    return EXIT_PROBLEMS if data["problems"] else EXIT_OK


def format_table(data: dict) -> str:
    rows = [("Block", "Layer (kind)", "Output shape", "Params", "FLOPs")]
    for layer in data["layers"]:
        rows.append((layer["block"], f"{layer['layer']} ({layer['kind']})",
                     fmt.tensor_shape(layer["output_shape"]), f"{layer['params']:,}",
                     fmt.short(layer["flops"])))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    line = "-" * (sum(widths) + 8)
    out = [f'Design "{data["title"]}"', line]
    for i, row in enumerate(rows):
        out.append("  ".join(c.ljust(w) if j < 3 else c.rjust(w)
                             for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            out.append(line)
    out += [line,
            f"Total params: {data['total_params']:,}",
            f"Trainable params: {data['trainable_params']:,}",
            f"Non-trainable params: {data['non_trainable_params']:,}",
            f"FLOPs (2 x multiply-adds, per image): {fmt.flops(data['flops'])}",
            f"Activation memory at batch {data['batch_size']}: "
            f"{data['activation_bytes'] / 2**20:,.1f} MiB"]
    if data["problems"]:
        out.append(f"Problems ({len(data['problems'])}):")
        out += [f"  - {p['block'] + ': ' if p['block'] else ''}{p['message']}"
                for p in data["problems"]]
    else:
        out.append("No problems.")
    return "\n".join(out)

