"""`storyline bench stories` and `bench store` on bad input: a clear `FILE:LINE: reason` and exit
status 2 (with --json one JSON document), copies that ingest drops scored in their original's
story, and rejected or ungrouped rows reported with exit status 1. Invented articles only."""
from __future__ import annotations

import json
import sqlite3
import sys

import pytest

from storyline.cli import main

FLOOD = [
    ("f1", "harbour.example", "Flood hits Redtown as river bursts banks",
     "Floods hit Redtown on Monday after the Blue River burst its banks. Mayor Anna Kovacs said 3,000 people "
     "were evacuated from the old town."),
    ("f2", "valley.example", "Redtown floods: river bursts banks, 14 dead",
     "Floods swept through Redtown on Monday when the Blue River burst its banks. Mayor Anna Kovacs said "
     "3,500 people were evacuated. At least 14 people died."),
    ("f3", "plain.example", "Redtown mayor says 3,000 evacuated after river floods",
     "Mayor Anna Kovacs of Redtown said 3,000 people were evacuated after the Blue River burst its banks "
     "on Monday. Twelve people died in the floods in Redtown."),
]
RATES = [
    ("r1", "harbour.example", "Central bank of Norland raises rates to 4%",
     "The central bank of Norland raised its key interest rate to 4% on Tuesday, citing inflation. "
     "Governor Lars Berg said inflation remained too high."),
    ("r2", "valley.example", "Norland rate rise to 4% surprises markets",
     "Norland's central bank lifted its key rate to 4 percent on Tuesday. Governor Lars Berg said inflation "
     "was still too high and markets were surprised."),
]


def _rows(day: str = "2031-03-04") -> list[dict]:
    return [{"id": i, "source": src, "title": t, "text": x, "published": day, "event": ev}
            for ev, group in (("flood", FLOOD), ("rates", RATES)) for i, src, t, x in group]


def _write(path, rows, blank_after: int | None = None) -> None:
    lines = [json.dumps(r) for r in rows]
    if blank_after is not None:
        lines.insert(blank_after, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ bench stories: bad input


def test_a_bad_json_line_names_its_real_line_and_exits_2(tmp_path, capsys):
    f = tmp_path / "bad.jsonl"
    rows = [json.dumps(r) for r in _rows()[:2]]
    f.write_text(rows[0] + "\n\n" + rows[1] + "\n" + '{"id": "x", "title": "broken\n', encoding="utf-8")
    assert main(["bench", "stories", str(f), "--no-baseline"]) == 2
    err = capsys.readouterr().err
    assert f"{f}:4: malformed JSON" in err and "Traceback" not in err
    assert main(["bench", "stories", str(f), "--no-baseline", "--json"]) == 2
    out = capsys.readouterr().out
    assert json.loads(out) == {"error": json.loads(out)["error"]} and f"{f}:4:" in json.loads(out)["error"]


@pytest.mark.parametrize("drop, message", [("event", "no 'event'"), ("id", "no 'id'")])
def test_a_row_without_id_or_event_is_named(tmp_path, capsys, drop, message):
    rows = _rows()
    del rows[2][drop]
    f = tmp_path / "rows.jsonl"
    _write(f, rows, blank_after=1)
    assert main(["bench", "stories", str(f), "--no-baseline", "--json"]) == 2
    cap = capsys.readouterr()
    assert f"{f}:4: {message}" in json.loads(cap.out)["error"] and f"{f}:4: {message}" in cap.err


def test_a_repeated_id_and_a_missing_file_are_refused(tmp_path, capsys):
    rows = _rows()
    rows[3]["id"] = rows[0]["id"]
    f = tmp_path / "rows.jsonl"
    _write(f, rows)
    assert main(["bench", "stories", str(f), "--no-baseline"]) == 2
    assert f"{f}:4: id 'f1' is also on line 1" in capsys.readouterr().err
    gone = tmp_path / "nonexistent.jsonl"
    assert main(["bench", "stories", str(gone), "--no-baseline", "--json"]) == 2
    cap = capsys.readouterr()
    assert json.loads(cap.out)["error"].startswith(f"{gone}: cannot read") and "Traceback" not in cap.err


def test_db_is_checked_up_front(tmp_path, capsys):
    f = tmp_path / "rows.jsonl"
    _write(f, _rows())
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"")
    assert main(["bench", "stories", str(f), "--db", str(taken), "--json"]) == 2
    assert "already exists" in json.loads(capsys.readouterr().out)["error"]
    assert main(["bench", "stories", str(f), "--db", str(tmp_path / "no" / "s.db")]) == 2
    assert "no directory" in capsys.readouterr().err
    assert main(["bench", "stories", str(f), "--direct", "--db", str(tmp_path / "d.db")]) == 2
    assert "--direct builds no store" in capsys.readouterr().err


# ------------------------------------------------------------------ bench stories: the pipeline path


def test_a_copy_dropped_by_ingest_is_scored_in_its_originals_story_and_db_keeps_the_store(tmp_path, capsys):
    rows = _rows()
    copy = dict(rows[1], id="f2-again")  # same outlet and content as f2, a new id: ingest drops it
    f = tmp_path / "dup.jsonl"
    _write(f, rows + [copy])
    db = tmp_path / "kept.db"
    assert main(["bench", "stories", str(f), "--no-baseline", "--json", "--db", str(db)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["copies"] == 1 and out["ungrouped"] == []
    assert out["recall"] == 1.0 and out["f1"] == 1.0 and out["stories"] == 2
    assert out["store"] == str(db)
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5  # the copy was not stored
    con.close()


def test_a_rejected_row_is_named_and_the_exit_status_is_1(tmp_path, capsys):
    rows = _rows()
    rows.append({"id": "empty", "source": "harbour.example", "title": "", "text": "", "published": "2031-03-04",
                 "event": "rates"})
    f = tmp_path / "rej.jsonl"
    _write(f, rows, blank_after=2)
    assert main(["bench", "stories", str(f), "--no-baseline", "--json"]) == 1
    cap = capsys.readouterr()
    out = json.loads(cap.out)
    assert [(d["id"], d["line"]) for d in out["ungrouped"]] == [("empty", 7)]
    assert out["ungrouped"][0]["reason"].startswith("rejected: no 'text'")
    assert "1 labelled row in no story" in cap.err and f"{f}:7: id empty: rejected" in cap.err


# ------------------------------------------------------------------ bench store


def test_bench_store_reports_rejects_with_the_users_file_and_line(tmp_path, capsys):
    rows = _rows()
    rows.insert(3, {"id": "empty", "source": "harbour.example", "title": "", "text": "", "published": "2031-03-04",
                    "event": "rates"})
    f = tmp_path / "rej.jsonl"
    _write(f, rows, blank_after=1)  # "empty" is on line 5
    db = tmp_path / "kept.db"
    assert main(["bench", "store", str(f), "--keep", str(db), "--json"]) == 1
    cap = capsys.readouterr()
    out = json.loads(cap.out)
    assert [(d["id"], d["file"], d["line"]) for d in out["rejected"]] == [("empty", str(f), 5)]
    assert out["runs"][0]["rejects"] == 1 and out["ungrouped"][0]["id"] == "empty"
    assert f"{f}:5: id empty: no 'text'" in cap.err
    con = sqlite3.connect(db)  # the kept store names the user's file too, not a deleted temporary one
    assert con.execute("SELECT path, line FROM rejects").fetchall() == [(str(f), 5)]
    assert con.execute("SELECT DISTINCT source_path FROM articles").fetchall() == [(str(f),)]
    con.close()


def test_bench_store_reports_a_failed_child_step(tmp_path, capsys, monkeypatch):
    from storyline.bench import store as bench_store

    real = bench_store._storyline

    def failing(*args):
        if args[:3] == ("process", "--stages", "clean,annotate"):
            return [sys.executable, "-c", "import sys; print('clean broke', file=sys.stderr); sys.exit(3)"]
        return real(*args)

    monkeypatch.setattr(bench_store, "_storyline", failing)
    f = tmp_path / "rows.jsonl"
    _write(f, _rows())
    assert main(["bench", "store", str(f), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert any("process --stages clean,annotate failed (exit 3): clean broke" in m for m in out["messages"])
    assert out["runs"][0]["errors"] >= 1


def test_bench_store_checks_keep_up_front(tmp_path, capsys):
    f = tmp_path / "rows.jsonl"
    _write(f, _rows())
    bad = tmp_path / "nodir" / "store.db"
    assert main(["bench", "store", str(f), "--keep", str(bad), "--json"]) == 2
    cap = capsys.readouterr()
    assert json.loads(cap.out) == {"error": f"--keep {bad}: no directory {bad.parent}"}
    assert "Traceback" not in cap.err and not bad.parent.exists()
    f.write_text('{"id": "a", "text": "x"}\nnot json\n', encoding="utf-8")
    assert main(["bench", "store", str(f), "--json"]) == 2
    assert f"{f}:2: malformed JSON" in json.loads(capsys.readouterr().out)["error"]
