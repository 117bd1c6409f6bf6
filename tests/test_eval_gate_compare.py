"""Evaluation gate for the comparison stage: floors on our invented gold set, pinned by hash.

The gold set (tests/data/compare/stories) is hashed so that editing a story
cannot move a score unnoticed: change a story, update GOLD_SHA256 and say why
in the commit. The gate runs the comparison with its own fallback finders
(no annotator: fast and deterministic); `storyline bench compare` also runs
it with storyline.annotate and the figures are in docs/benchmarks.md.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from storyline.bench.compare import DEFAULT_DATA, evaluate

GOLD_SHA256 = "79a1cbd1a06d15bc72b1b9431e990d894bcd05fc753a2b2e2222e90b83b2a30c"
FLOORS = {  # measured figures minus a small margin; the target is 0.9 each
    "quote grouping": {"precision": 0.95, "recall": 0.9},
    "discrepancies": {"precision": 0.95, "recall": 0.95},
    "unique details": {"precision": 0.9, "recall": 0.95},
    "facts (pairs)": {"precision": 0.9, "recall": 0.95},
}


def gold_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted((folder / "stories").glob("*.json")):
        h.update(p.name.encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def test_gold_set_is_pinned_and_large_enough():
    stories = sorted((DEFAULT_DATA / "stories").glob("*.json"))
    assert len(stories) >= 12
    assert gold_hash(DEFAULT_DATA) == GOLD_SHA256, "gold set changed: update GOLD_SHA256 and say why"


@pytest.fixture(scope="module")
def result():
    return evaluate(DEFAULT_DATA, use_annotate=False)


@pytest.mark.parametrize("measure", sorted(FLOORS))
def test_floor(result, measure):
    got = result["scores"][measure]
    for key, floor in FLOORS[measure].items():
        assert got[key] >= floor, f"{measure} {key} {got[key]} < floor {floor}\n" + "\n".join(result["errors"])
