"""`cnn-explorer scale`: compound scaling of a design or preset on the command line."""

from __future__ import annotations

import argparse
import sys

from .cli import add_design_arguments, design_from_args
from .errors import DesignError
from .files import save_design
from .scaling import ALPHA, BETA, GAMMA, Scaling, scale_design


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scale", help="compound-scale a design's width, depth and resolution "
                                     "by phi (EfficientNet)")
    add_design_arguments(p)
    p.add_argument("--phi", type=float, required=True, help="the compound coefficient (0 = same)")
    p.add_argument("--alpha", type=float, default=ALPHA, help=f"depth base (default {ALPHA})")
    p.add_argument("--beta", type=float, default=BETA, help=f"width base (default {BETA})")
    p.add_argument("--gamma", type=float, default=GAMMA,
                   help=f"resolution base (default {GAMMA})")
    p.add_argument("-o", "--output", required=True, help="the scaled design (.json)")
    p.set_defaults(func=cmd_scale)


def cmd_scale(args: argparse.Namespace) -> int:
    try:
        design = design_from_args(args)
        scaling = Scaling(args.phi, args.alpha, args.beta, args.gamma)
        scaled = scale_design(design, scaling)
        save_design(scaled, args.output)
    except DesignError as exc:
        print(f"cnn-explorer scale: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cnn-explorer scale: cannot write {args.output}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    before, after = design.graph.report(), scaled.graph.report()
    print(f"phi {scaling.phi:g}: depth x{scaling.depth:.3f}, width x{scaling.width:.3f}, "
          f"resolution x{scaling.resolution:.3f} (alpha*beta^2*gamma^2 = "
          f"{scaling.flops_factor:.3f})")
    print(f"parameters {before.total_params:,} -> {after.total_params:,} "
          f"(x{after.total_params / max(1, before.total_params):.2f}); FLOPs "
          f"{before.flops:,} -> {after.flops:,} (x{after.flops / max(1, before.flops):.2f})")
    print(f"wrote {args.output}")
    return 0 if after.ok else 1
