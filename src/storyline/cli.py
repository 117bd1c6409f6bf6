"""The `storyline` command line.

Each module in ``storyline.commands`` defines ``register(sub)``, which adds its
subcommands to the argparse sub-parser collection; every subcommand sets
``func`` (called with the parsed args, returning the exit status). Common
options every command accepts: ``--db FILE`` and ``--json``.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from storyline import __version__, commands
from storyline.store import DEFAULT_DB


# The arguments being parsed, so that command modules can skip heavy set-up for
# commands that are not being run (None: build everything, e.g. for help).
ARGV: list[str] | None = None


def common_parser() -> argparse.ArgumentParser:
    """Options shared by every subcommand (use as ``parents=[common_parser()]``)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--db", default=DEFAULT_DB, metavar="FILE", help=f"the store (default: {DEFAULT_DB})")
    p.add_argument("--json", action="store_true", help="machine output (documented in docs/json.md)")
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storyline",
        description="Turn news articles from many outlets into stories and compare what each outlet reports.",
    )
    parser.add_argument("--version", action="version", version=f"storyline {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"storyline.commands.{info.name}")
        register = getattr(module, "register", None)
        if register:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    global ARGV
    ARGV = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
