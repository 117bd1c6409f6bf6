"""`storyline bench store`: daily runs of an invented stream into a growing store, each run's
stories stage timed in a process of its own (docs/benchmarks.md, "Session 11")."""
from __future__ import annotations

import json

from storyline.bench.stream import synth_stream


def test_bench_store_times_each_days_run_and_scores_the_store(tmp_path, capsys):
    from storyline.cli import main

    rows = list(synth_stream(80, days=2, seed=3))  # about 40 a day over two days, and a third
    days = sorted({r["published"][:10] for r in rows})
    f = tmp_path / "stream.jsonl"
    late = tmp_path / "late.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows if r["published"][:10] in days[:2]), encoding="utf-8")
    late.write_text("".join(json.dumps(r) + "\n" for r in rows if r["published"][:10] not in days[:2]),
                    encoding="utf-8")
    db = tmp_path / "kept.db"
    assert main(["bench", "store", str(f), "--then", str(late), "--keep", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    runs = out["runs"]
    assert [r["run"] for r in runs] == [*days[:2], "then"]
    assert [r["articles"] for r in runs] == [sum(r["published"][:10] == d for r in rows) for d in days[:2]] + \
        [sum(r["published"][:10] not in days[:2] for r in rows)]
    assert all(r["grouped"] == r["articles"] and r["exit"] == 0 and r["errors"] == 0 for r in runs)
    assert all(r["seconds"] > 0 and r["peak_rss_mb"] > 20 for r in runs)
    assert out["f1"] >= 0.95  # the later runs joined the first run's stories, not new ones
    assert db.exists()  # --keep: the store is there to look at


def test_a_late_run_is_the_next_day_of_the_same_invented_stream():
    from storyline.bench.store import synth_rows

    name, rows, late = synth_rows(60, late=4, per_day=20)
    _, alone, none = synth_rows(60, per_day=20)
    assert rows == alone and none == []  # one day longer, the same days before it
    assert len(late) == 4 and {r["published"][:10] for r in late} == {"2031-01-04"}
    assert not {r["id"] for r in late} & {r["id"] for r in rows}
    assert name == "synth_stream(60, days=3), then 4 of its next day"
