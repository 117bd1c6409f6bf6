"""Benchmarks that print figures: `storyline bench NAME ...`.

Each module here defines ``DESCRIPTION`` (one line), ``add_arguments(parser)``
and ``run(args) -> int``; ``storyline.commands.bench`` discovers them. Shared
helpers: ``shared_data()`` finds ../shared/data next to the repo.
"""
from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_data() -> Path:
    """The labelled evaluation data beside the repo (may not exist in a user's clone)."""
    return REPO_ROOT.parent / "shared" / "data"
