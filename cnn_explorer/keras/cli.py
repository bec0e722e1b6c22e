"""`cnn-explorer export` and `cnn-explorer import`: the Keras bridge on the command line.

Export needs no TensorFlow (it writes source); import loads Keras only when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from cnn_explorer.model.cli import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_PROBLEMS,
    add_design_arguments,
    design_from_args,
)
from cnn_explorer.model.errors import DesignError


def register(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("export", help="write a design as a standalone Keras Python script")
    add_design_arguments(e)
    e.add_argument("-o", "--output", help="the .py file to write (default: print it)")
    e.set_defaults(func=cmd_export)
    i = sub.add_parser("import", help="turn a .keras model into a design file")
    i.add_argument("model", help="a .keras file (loaded in safe mode: no Lambda, no custom code)")
    i.add_argument("-o", "--output", help="the design .json to write "
                   "(default: MODEL with .json instead of .keras)")
    i.add_argument("--no-weights", action="store_true", help="import the architecture only "
                   "(by default the weights go to DESIGN.weights.h5 beside the design)")
    i.set_defaults(func=cmd_import)


def _fail(command: str, message: str, code: int) -> int:
    print(f"cnn-explorer {command}: {message}", file=sys.stderr)
    return code


def cmd_export(args: argparse.Namespace) -> int:
    """Exit 0 on success, 2 for an unreadable design or output path, 1 for a design with
    problems."""
    from cnn_explorer.model.files import write_text_atomic

    from .export import ExportError, export_python

    try:
        design = design_from_args(args)
    except DesignError as exc:
        return _fail("export", str(exc), EXIT_INVALID)
    filename = Path(args.output).name if args.output else "model.py"
    try:
        source = export_python(design, filename)
    except ExportError as exc:
        return _fail("export", str(exc), EXIT_PROBLEMS)
    if not args.output:
        sys.stdout.write(source)
        return 0
    try:
        write_text_atomic(Path(args.output), source)
    except OSError as exc:
        return _fail("export", f"cannot write {args.output}: {exc.strerror or exc}",
                     EXIT_INVALID)
    print(f"wrote {args.output}: {design.title}, {design.graph.report().total_params:,} "
          "parameters")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Exit 0 on success, 2 for a model that cannot be read or imported safely."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from cnn_explorer.model.files import save_design

    from .importer import ImportProblem, import_keras_file
    from .weights import import_with_weights

    source = Path(args.model)
    output = Path(args.output) if args.output else source.with_suffix(".json")
    try:
        design = (import_keras_file(source) if args.no_weights
                  else import_with_weights(source, output))
    except (ImportProblem, DesignError) as exc:
        return _fail("import", str(exc), EXIT_INVALID)
    except OSError as exc:  # the weights file could not be written
        return _fail("import", f"cannot write the weights beside {output}: "
                     f"{exc.strerror or exc}", EXIT_INVALID)
    try:
        save_design(design, output)
    except OSError as exc:
        return _fail("import", f"cannot write {output}: {exc.strerror or exc}", EXIT_INVALID)
    blocks = design.graph.blocks()
    opaque = Counter(b.params["class_name"] for b in blocks if b.kind == "opaque")
    kept = ("; kept as imported layers: " + ", ".join(f"{n} x{c}" for n, c in opaque.items())
            if opaque else "")
    weights = f", weights in {Path(design.weights.file).name}" if design.weights else ""
    print(f"wrote {output}: {len(blocks)} blocks, "
          f"{design.graph.report().total_params:,} parameters{kept}{weights}")
    return EXIT_OK
