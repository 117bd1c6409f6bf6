"""Quality gate of the cleaning stage: floors on the labelled sets, pinned by hash.

As trafilatura's tests/eval_gate.py: the labelled data is pinned by a sha256,
so a change to the fixtures cannot move the scores unnoticed. After an
intended change to tests/data/cleaning, run `storyline bench clean` (and
with `--data tests/data/cleaning/heldout`), record the figures in
docs/benchmarks.md, then update the hashes here.
"""
from __future__ import annotations

import pytest

from storyline.bench.clean import DEFAULT_DATA, data_sha256, evaluate, load_labelled

SETS = {
    # name: (folder, sha256 of its *.txt, floors)
    "main": (DEFAULT_DATA, "dee259f3506947ed983d395b798885e8b8df3e4cd2715714b3e94828120fbad0",
             {"precision": 0.98, "recall": 0.95, "entry_accuracy": 0.95, "min_items": 40}),
    "heldout": (DEFAULT_DATA / "heldout", "26a9c23fa69441a09aea25039ee3fbce84072d1afbaa93bfe2d697d3bc1f2e81",
                {"precision": 0.98, "recall": 0.90, "entry_accuracy": 0.90, "min_items": 10}),
    "unseen": (DEFAULT_DATA / "unseen", "f0a9f4158b146ffdde12f77f23a69366f0869f8100b95e3d1400336a562658e3",
               {"precision": 0.98, "recall": 0.90, "entry_accuracy": 0.90, "min_items": 8}),
}


@pytest.mark.parametrize("name", sorted(SETS))
def test_cleaning_scores_hold_their_floors(name):
    folder, digest, floor = SETS[name]
    assert data_sha256(folder) == digest, f"labelled set {folder} changed: rerun the bench and update the hash"
    items = load_labelled(folder)
    assert len(items) >= floor["min_items"]
    assert sum(x.is_liveblog for x in items) >= len(items) // 4  # live blogs are well represented
    report = evaluate(items)
    errors = "\n".join(report["errors"])
    assert report["removal"]["precision"] >= floor["precision"], errors
    assert report["removal"]["recall"] >= floor["recall"], errors
    assert report["split"]["entry_accuracy"] >= floor["entry_accuracy"], errors
