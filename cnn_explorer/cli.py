"""`cnn-explorer`: with no sub-command (or a design file) it opens the app; else a headless tool.

Each sub-command lives beside the code it drives and registers itself here through a
`register(subparsers)` function, so the command line imports TensorFlow only for the
sub-commands that need it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules with a `register(subparsers)` function; each sets `func=...` on its parser.
SUBCOMMAND_MODULES = (
    "cnn_explorer.model.cli",
    "cnn_explorer.keras.cli",
    "cnn_explorer.training.headless",
    "cnn_explorer.training.diagnose_cli",
)
SUBCOMMANDS = ("presets", "summary", "export", "import", "train", "diagnose")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnn-explorer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
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
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in SUBCOMMANDS and not argv[0].startswith("-"):
        from cnn_explorer.ui.app import run_app  # Qt only when the window is wanted

        return run_app(argv[0] if argv else None)
    args = build_parser().parse_args(argv)
    if not getattr(args, "func", None):
        build_parser().print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
