"""`storyline bench NAME ...`: run one benchmark module from storyline.bench."""
from __future__ import annotations

import importlib
import pkgutil

from storyline import bench


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
        module.add_arguments(bp)
        bp.set_defaults(func=module.run)
