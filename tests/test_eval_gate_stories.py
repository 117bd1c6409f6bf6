"""Eval gate for story grouping: B-cubed F1 floors on pinned labelled data.

Runs the shipped configuration on ECB+ dev and NewsWCL50 with text-only features (no spaCy:
fast and independent of the annotate stage) and fails when F1 drops below the floor. The data
is pinned by sha256, so a changed file cannot move a score unnoticed. Figures and the commands
that produced them: docs/benchmarks.md, "Stories". Skips when ../shared is absent.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from storyline.bench.stories import group_direct, read_jsonl
from storyline.stories import Settings
from storyline.stories.metrics import score

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "clustering"

# file -> (sha256, {mode: B-cubed F1 floor}). "backlog": the shipped settings on a whole file, so
# the backlog pass runs (measured 0.956 and 1.000 with its attach step, docs/stories.md,
# session 6; 0.922 and 1.000 before it); "incremental":
# the same with backlog = false, the one-by-one grouper every run under 20 articles (40 before session 9) or of mostly single reports uses (0.904
# and 0.947 with the nearest-member attach, session 8; 0.874 and 0.933 before); "runs": the file fed in 4 runs, each clustered and joined to the stories of the
# runs before (session 7: dev 0.937, 0.915 when only the first run was; session 9: 0.951, a
# joining cluster no longer carries the members its story does not take; NewsWCL50's runs of 12
# articles go one by one: 0.947 since session 8, 0.933 before).
GATES = {
    "ecbplus_dev.jsonl": ("672433837b0fa174663d8c2b99b356d8231f4f8752c0753b12c9755864bad7c1",
                          {"backlog": 0.93, "incremental": 0.89, "runs": 0.94}),
    "newswcl50.jsonl": ("9b2d539ada9578d20dd094e7f897b2598ee2dba4a5b274b5abcdf0aa6d0758d3",
                        {"backlog": 0.95, "incremental": 0.94, "runs": 0.92}),
}


@pytest.mark.parametrize("mode", ["backlog", "incremental", "runs"])
@pytest.mark.parametrize("name", sorted(GATES))
def test_bcubed_floor(name, mode):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is absent (a user's clone): eval gate skipped")
    sha, floors = GATES[name]
    floor = floors[mode]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, f"{name} changed: re-measure and re-pin"
    rows = read_jsonl(path)
    res = group_direct(rows, annotate=False, settings=Settings.load(backlog=mode != "incremental"),
                       runs=4 if mode == "runs" else 1)
    assert ("backlog pass" in res["path"]) == (mode == "backlog" or (mode == "runs" and len(rows) >= 160))
    s = score([r["event"] for r in rows], res["pred"])
    print(f"{name} ({mode}): B3 P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f} ARI {s.ari:.3f} stories {s.n_pred}")
    assert s.f1 >= floor, f"{name} ({mode}): B-cubed F1 {s.f1:.3f} below the floor {floor}"
