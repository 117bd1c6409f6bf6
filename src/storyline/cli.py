"""The `storyline` command line.

Each module in ``storyline.commands`` defines ``register(sub)``, which adds its
subcommands to the argparse sub-parser collection; every subcommand sets
``func`` (called with the parsed args, returning the exit status). Common
options every command accepts: ``--db FILE`` and ``--json``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sqlite3
import sys

from storyline import __version__, commands
from storyline.store import DEFAULT_DB, StoreError


# The arguments being parsed, so that command modules can skip heavy set-up for
# commands that are not being run (None: build everything, e.g. for help).
ARGV: list[str] | None = None


class _Parser(argparse.ArgumentParser):
    """argparse, plus the ``--json`` error object: a usage error still prints argparse's usage and
    message on standard error with exit status 2, and with ``--json`` in the arguments also
    ``{"error": MESSAGE}`` on standard output (docs/json.md)."""

    def error(self, message: str):
        if ARGV is not None and any(len(a) >= 4 and "--json".startswith(a) for a in ARGV):  # "--js" too
            from storyline.commands.term import dumps

            print(dumps({"error": message}))
        super().error(message)


def _fail(args, message: str, status: int) -> int:
    """``storyline: MESSAGE`` on standard error (control characters removed: it can carry file
    names), and with ``--json`` ``{"error": MESSAGE}`` on standard output; returns ``status``."""
    from storyline.commands.term import dumps, safe

    print(f"storyline: {safe(message)}", file=sys.stderr)
    if getattr(args, "json", False):
        print(dumps({"error": message}))
    return status


def common_parser() -> argparse.ArgumentParser:
    """Options shared by every subcommand (use as ``parents=[common_parser()]``)."""
    p = _Parser(add_help=False)
    p.add_argument("--db", default=DEFAULT_DB, metavar="FILE", help=f"the store (default: {DEFAULT_DB})")
    p.add_argument("--json", action="store_true", help="machine output (documented in docs/json.md)")
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="storyline",
        description="Turn news articles from many outlets into stories and compare what each outlet reports.",
    )
    parser.add_argument("--version", action="version", version=f"storyline {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
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
    except StoreError as exc:  # a --db that is missing, a directory, or not a store
        return _fail(args, str(exc), 2)
    except sqlite3.OperationalError as exc:  # locked past the busy timeout, disk full, read-only file
        db = getattr(args, "db", DEFAULT_DB)
        hint = " (another process is writing it; try again when it ends)" if "locked" in str(exc) else ""
        return _fail(args, f"{db}: {exc}{hint}", 1)
    except sqlite3.DatabaseError as exc:  # a damaged store
        return _fail(args, f"{getattr(args, 'db', DEFAULT_DB)}: {exc}", 1)


if __name__ == "__main__":
    sys.exit(main())
