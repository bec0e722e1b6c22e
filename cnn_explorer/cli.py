"""`cnn-explorer`: with no sub-command (or a design file) it opens the app; else a headless tool.

Each sub-command lives beside the code it drives and registers itself here through a
`register(subparsers)` function, so the command line imports TensorFlow only for the
sub-commands that need it. Whatever goes wrong ends in one line on stderr and a documented
exit code (EXIT_CODES); a bug's traceback goes to a log file, or to stderr with --debug.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from cnn_explorer.model.cli import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_NO_DISPLAY,
    EXIT_OK,
    EXIT_PROBLEMS,
)

# Modules with a `register(subparsers)` function; each sets `func=...` on its parser.
SUBCOMMAND_MODULES = (
    "cnn_explorer.model.cli",
    "cnn_explorer.model.scale_cli",
    "cnn_explorer.keras.cli",
    "cnn_explorer.training.headless",
    "cnn_explorer.training.search_cli",
    "cnn_explorer.training.scale_train",
    "cnn_explorer.training.diagnose_cli",
)
SUBCOMMANDS = ("presets", "summary", "scale", "export", "import", "train", "search",
               "train-variants", "diagnose")
EXIT_CODES = f"""\
exit codes:
  {EXIT_OK}   done (summary: the design has no problems)
  {EXIT_PROBLEMS}   the design has problems, or training failed
  {EXIT_INVALID}   an input is unreadable or invalid (design, .keras, dataset, output path),
      or the command line is wrong
  {EXIT_NO_DISPLAY}   no display: the window cannot open
  {EXIT_INTERNAL}  internal error (a bug): one line on stderr; the traceback is written
      to a log file, or to stderr with --debug
  {EXIT_INTERRUPTED} interrupted (Ctrl+C)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnn-explorer", description=__doc__.splitlines()[0],
        usage="cnn-explorer [--debug] [DESIGN.json | {" + ",".join(SUBCOMMANDS) + "} ...]",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(SUBCOMMANDS) + "}")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a layer not built yet must not break the others
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    _tolerant_output()
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        print("cnn-explorer: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - a bug: one line, the traceback kept aside
        return _internal_error(exc, debug)


def _dispatch(argv: list[str]) -> int:
    if not argv:
        return _open_window(None)
    first = argv[0]
    if first not in SUBCOMMANDS and not first.startswith("-"):
        problem = _window_argument_problem(argv)
        if problem:
            print(f"cnn-explorer: {problem}\n{_usage()}", file=sys.stderr)
            return EXIT_INVALID
        return _open_window(first)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2), already printed
        return EXIT_OK if exc.code in (0, None) else EXIT_INVALID
    if not getattr(args, "func", None):
        build_parser().print_help()
        return EXIT_INVALID
    return int(args.func(args) or 0)


def _window_argument_problem(argv: list[str]) -> str | None:
    """Why `cnn-explorer WORD ...` cannot open the window with WORD, or None if it can."""
    first = argv[0]
    path = Path(first)
    if not path.exists():
        if path.suffix == ".json" or os.sep in first:
            return f"{first} does not exist"
        return (f"{first!r} is neither a sub-command ({', '.join(SUBCOMMANDS)}) nor an "
                "existing design file")
    if len(argv) > 1:
        return (f"unexpected {' '.join(argv[1:])!r} after {first!r}; to open a design give "
                "only its file")
    from cnn_explorer.model.errors import DesignError
    from cnn_explorer.model.files import load_design

    try:
        load_design(path)  # read and checked here, so a bad file never opens a window
    except DesignError as exc:
        return str(exc)
    return None


def _usage() -> str:
    return (f"usage: cnn-explorer [DESIGN.json] | cnn-explorer {{{','.join(SUBCOMMANDS)}}} "
            "... (see cnn-explorer --help)")


def _open_window(path: str | None) -> int:
    from cnn_explorer.ui.app import run_app  # Qt only when the window is wanted

    code = run_app(path)
    return EXIT_NO_DISPLAY if code == EXIT_NO_DISPLAY else code


def _tolerant_output() -> None:
    """Text that no console encoding can show (a title in another script) must not crash."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):  # not a text stream we can change
            pass


def _internal_error(exc: BaseException, debug: bool) -> int:
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    line = f"cnn-explorer: internal error: {type(exc).__name__}: {first}"
    if debug:
        traceback.print_exc()
        print(line, file=sys.stderr)
        return EXIT_INTERNAL
    try:
        fd, log = tempfile.mkstemp(prefix=f"cnn-explorer-error-{time.strftime('%Y%m%d-%H%M%S')}-",
                                   suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            traceback.print_exc(file=fh)
        where = f"the traceback is in {log}"
    except OSError:
        where = "run again with --debug for the traceback"
    print(f"{line} ({where}; please report it)", file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
