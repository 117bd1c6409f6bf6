"""`storyline bench NAME ...`: run one benchmark module from storyline.bench.

A module's ``DB_HELP`` says what ``--db`` does for it (its value is None when not given);
without ``DB_HELP`` the benchmark does not use ``--db``. Bad input (an unreadable file, a bad
line, a bad path: ``storyline.bench.stories.InputError``) ends the benchmark with
``storyline bench NAME: MESSAGE`` on standard error and exit status 2, and with ``--json``
``{"error": MESSAGE}`` on standard output.
"""
from __future__ import annotations

import functools
import importlib
import pkgutil
import sys

from storyline import bench


def _guarded(run, name: str):
    """``run`` with :class:`InputError` turned into a message and exit status 2."""
    @functools.wraps(run)
    def guarded(args) -> int:
        from storyline.bench.stories import InputError
        from storyline.commands.term import dumps, safe

        try:
            return run(args)
        except InputError as exc:
            if getattr(args, "json", False):
                print(dumps({"error": str(exc)}))
            print(f"storyline bench {name}: {safe(exc)}", file=sys.stderr)
            return 2
    return guarded


def register(sub) -> None:
    from storyline import cli
    from storyline.cli import common_parser

    p = sub.add_parser("bench", help="run a benchmark that prints figures")
    names = p.add_subparsers(dest="bench", metavar="NAME")
    if cli.ARGV is not None and "bench" not in cli.ARGV:
        return  # benchmark modules import heavy libraries: load them only when a benchmark runs
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"storyline.bench.{info.name}")
        if not hasattr(module, "run"):
            continue
        bp = names.add_parser(info.name, help=getattr(module, "DESCRIPTION", ""), parents=[common_parser()])
        for action in bp._actions:
            if action.dest == "db":
                action.help = getattr(module, "DB_HELP", "not used by this benchmark")
        module.add_arguments(bp)
        bp.set_defaults(func=_guarded(module.run, info.name), db=None)
