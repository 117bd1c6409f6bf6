"""assign_stories over the store, restarts, and the user's merge/split/move decisions.

All articles are invented: two floods in two invented towns (same kind, different events),
a port strike, and a wire copy.
"""
from __future__ import annotations

import json
import time

import pytest

from storyline.store import connect, transaction
from storyline.stories import persist
from storyline.stories.persist import assign_stories

FLOOD_A = ("Floods swamp Korvath after dam on the Ister gives way",
           "Rescue teams in Korvath pulled 40 residents from rooftops on Tuesday after the Ister dam gave way. "
           "Mayor Elira Dunmore said 12 people were missing and the old bridge had collapsed. "
           "The Korvath flood is the worst since 1987, the regional water board said.")
FLOOD_A2 = ("Korvath counts the missing as Ister floodwater recedes",
            "Mayor Elira Dunmore said on Wednesday that 12 people were still missing in Korvath after the Ister "
            "dam failure. Rescue teams searched the collapsed bridge area, and the water board blamed cracks "
            "found in the dam in 1987.")
FLOOD_B = ("Flash flood hits Pellano valley, farms under water",
           "Heavy rain sent a flash flood through the Pellano valley on Tuesday, drowning 300 sheep. "
           "Farmer Tomas Varga said the Sella river rose two metres in an hour. Governor Ines Halloway "
           "promised compensation for the Pellano farms.")
STRIKE = ("Dockers at Brennport walk out over pay",
          "Dock workers at Brennport began a 48-hour strike on Tuesday over pay, union leader Marek Osterby said. "
          "Container ships queued outside Brennport harbour as the port authority called for talks.")


def _add(con, title, text, outlet, published, stage="annotated", **extra):
    cur = con.execute(
        "INSERT INTO articles (external_id, outlet, published, title, text, format, content_hash, stage, ingested_at, "
        "parent_id, is_liveblog) VALUES (?, ?, ?, ?, ?, 'text', ?, ?, ?, ?, ?)",
        (extra.get("ext"), outlet, published, title, text, f"h{time.perf_counter_ns()}", stage, time.time(),
         extra.get("parent_id"), extra.get("is_liveblog", 0)),
    )
    return cur.lastrowid


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "s.db")
    yield c
    c.close()


def _story_of(con, aid):
    return con.execute("SELECT story_id FROM story_members WHERE article_id = ?", (aid,)).fetchone()[0]


def test_groups_same_event_and_separates_same_kind(con):
    with transaction(con):
        a1 = _add(con, *FLOOD_A, "north.example", "2031-05-06")
        b1 = _add(con, *FLOOD_B, "valley.example", "2031-05-06")
        s1 = _add(con, *STRIKE, "port.example", "2031-05-06")
        a2 = _add(con, *FLOOD_A2, "east.example", "2031-05-07")
    res = assign_stories(con)
    assert res["grouped"] == 4
    assert _story_of(con, a1) == _story_of(con, a2)
    assert len({_story_of(con, a1), _story_of(con, b1), _story_of(con, s1)}) == 3
    story = persist.get_story(con, _story_of(con, a1))
    assert story["n_articles"] == 2 and story["n_outlets"] == 2
    assert (story["first_seen"], story["last_seen"]) == ("2031-05-06", "2031-05-07")
    joined = next(m for m in story["members"] if m["article_id"] == a2)
    shared = joined["explanation"]["shared"]
    assert "Dunmore" in shared.get("entities", []) or "dunmore" in shared.get("words", [])
    assert res["touched"] == {_story_of(con, x) for x in (a1, b1, s1)}
    assert con.execute("SELECT count(*) FROM articles WHERE stage = 'grouped'").fetchone()[0] == 4


def restarted_after_first_run(path, *articles):
    """A store at ``path`` with one grouped run of ``articles`` ((title, text, outlet, date)
    each), opened again as a new process would open it: (connection, the articles' ids)."""
    con = connect(path)
    with transaction(con):
        ids = [_add(con, *a) for a in articles]
    assign_stories(con)
    con.close()
    return connect(path), ids


def test_incremental_run_after_restart_keeps_ids(tmp_path):
    # a new process: the grouper is rebuilt from the store
    con, (a1, b1) = restarted_after_first_run(tmp_path / "s.db", (*FLOOD_A, "north.example", "2031-05-06"),
                                              (*FLOOD_B, "valley.example", "2031-05-06"))
    before = {a1: _story_of(con, a1), b1: _story_of(con, b1)}
    with transaction(con):
        a2 = _add(con, *FLOOD_A2, "east.example", "2031-05-07")
    res = assign_stories(con)
    assert res["grouped"] == 1
    assert {a1: _story_of(con, a1), b1: _story_of(con, b1)} == before
    assert _story_of(con, a2) == before[a1]
    assert assign_stories(con)["grouped"] == 0  # nothing pending: idempotent
    con.close()


def test_exact_copy_is_linked_and_counts_outlet_once(con):
    with transaction(con):
        a1 = _add(con, *FLOOD_A, "wire.example", "2031-05-06")
        c1 = _add(con, "Dam bursts in Korvath", FLOOD_A[1], "paper.example", "2031-05-06")
        c2 = _add(con, "Korvath dam failure", FLOOD_A[1], "paper.example", "2031-05-06")
    res = assign_stories(con)
    assert res["duplicates"] == 2
    row = con.execute("SELECT duplicate_of, dup_kind FROM articles WHERE id = ?", (c1,)).fetchone()
    assert tuple(row) == (a1, "exact")
    sid = _story_of(con, a1)
    assert _story_of(con, c1) == _story_of(con, c2) == sid
    story = persist.get_story(con, sid)
    assert story["n_articles"] == 1  # copies are not separate reports
    assert story["n_outlets"] == 2
    assert con.execute("SELECT text FROM articles WHERE id = ?", (c1,)).fetchone()[0] == FLOOD_A[1]


def test_liveblog_container_is_not_grouped_but_its_entries_are(con):
    with transaction(con):
        page = _add(con, "Live: storms and strikes", "", "live.example", "2031-05-06", is_liveblog=1)
        e1 = _add(con, *FLOOD_A, "live.example", "2031-05-06", parent_id=page)
        e2 = _add(con, *STRIKE, "live.example", "2031-05-06", parent_id=page)
        a2 = _add(con, *FLOOD_A2, "east.example", "2031-05-06")
    res = assign_stories(con)
    assert res["containers"] == 1 and res["grouped"] == 3
    assert con.execute("SELECT count(*) FROM story_members WHERE article_id = ?", (page,)).fetchone()[0] == 0
    assert _story_of(con, e1) == _story_of(con, a2) != _story_of(con, e2)


def test_decisions_are_kept_by_later_runs(con):
    with transaction(con):
        a1 = _add(con, *FLOOD_A, "north.example", "2031-05-06")
        a2 = _add(con, *FLOOD_A2, "east.example", "2031-05-07")
        b1 = _add(con, *FLOOD_B, "valley.example", "2031-05-06")
    assign_stories(con)
    sa, sb = _story_of(con, a1), _story_of(con, b1)
    # merge B into A: every article is in A, B points at A
    merged = persist.merge_stories(con, sa, sb)
    assert merged["n_articles"] == 3
    assert con.execute("SELECT merged_into FROM stories WHERE id = ?", (sb,)).fetchone()[0] == sa
    # a later valley article goes to the merged story, not to a new one and not to B
    with transaction(con):
        b2 = _add(con, "Pellano farmers count losses after flood", FLOOD_B[1].replace("Heavy rain", "Rain"),
                  "farm.example", "2031-05-08")
    assign_stories(con)
    assert _story_of(con, b2) == sa
    # split the valley articles off again: new story, pinned, logged
    new = persist.split_story(con, sa, [b1])
    assert new["id"] not in (sa, sb) and _story_of(con, b1) == new["id"]
    assert con.execute("SELECT pinned FROM story_members WHERE article_id = ?", (b1,)).fetchone()[0] == 1
    # move b2 next to b1
    persist.move_article(con, b2, new["id"])
    assert _story_of(con, b2) == new["id"]
    ops = [r[0] for r in con.execute("SELECT op FROM story_decisions ORDER BY id")]
    assert ops == ["merge", "split", "move"]
    # the next run puts a new Korvath article with the flood A story and leaves the pinned ones alone
    with transaction(con):
        a3 = _add(con, "Korvath dam: engineers inspect Ister cracks", FLOOD_A2[1], "dam.example", "2031-05-08")
    assign_stories(con)
    assert _story_of(con, a3) == sa
    assert _story_of(con, b1) == _story_of(con, b2) == new["id"]
    assert persist.get_story(con, new["id"])["n_articles"] == 2


def test_decision_errors(con):
    with transaction(con):
        a1 = _add(con, *FLOOD_A, "north.example", "2031-05-06")
    assign_stories(con)
    sa = _story_of(con, a1)
    with pytest.raises(ValueError):
        persist.merge_stories(con, sa, sa)
    with pytest.raises(LookupError):
        persist.split_story(con, sa, [a1 + 100])
    with pytest.raises(ValueError):
        persist.split_story(con, sa, [a1])
    with pytest.raises(LookupError):
        persist.move_article(con, a1, 999)


def test_cli_list_show_and_decide(tmp_path, capsys):
    from storyline.cli import main

    db = str(tmp_path / "c.db")
    con = connect(db)
    with transaction(con):
        a1 = _add(con, *FLOOD_A, "north.example", "2031-05-06")
        _add(con, *FLOOD_A2, "east.example", "2031-05-07")
        b1 = _add(con, "Strike \x1b[31m at Brennport", STRIKE[1], "port.example", "2031-05-06")
    assign_stories(con)
    sa, sb = _story_of(con, a1), _story_of(con, b1)
    con.close()
    assert main(["stories", "--db", db, "--json", "--min-outlets", "2"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in listed] == [sa]
    assert main(["stories", "--db", db, "--query", "Brennport"]) == 0
    out = capsys.readouterr().out
    assert str(sb) in out and "\x1b" not in out
    assert "1 outlet     1 article " in out and "outlets" not in out  # counts agree with their nouns
    assert main(["stories", "--db", db]) == 0
    assert "2 outlets    2 articles" in capsys.readouterr().out
    assert main(["story", str(sa), "--db", db, "--no-compare"]) == 0
    out = capsys.readouterr().out
    assert "Dunmore" in out and "north.example" in out and "east.example" in out
    assert main(["merge", str(sa), str(sb), "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_articles"] == 3
    assert main(["split", str(sa), str(b1), "--db", db]) == 0
    capsys.readouterr()
    assert main(["story", "999", "--db", db]) == 2


def test_automatic_merge_is_written_with_merged_into(con):
    from test_stories_group import BOTH, BREACH, RESCUE  # tests/ is on sys.path (pytest prepend mode)

    with transaction(con):
        a = _add(con, *BREACH, "north.example", "2031-05-06")
        b = _add(con, *RESCUE, "east.example", "2031-05-06")
        c = _add(con, *BOTH, "south.example", "2031-05-06")
    assign_stories(con)
    sid = _story_of(con, a)
    assert _story_of(con, b) == _story_of(con, c) == sid
    gone = con.execute("SELECT id FROM stories WHERE merged_into = ?", (sid,)).fetchall()
    assert len(gone) == 1 and persist.resolve(con, gone[0][0]) == sid
    assert persist.get_story(con, sid)["n_articles"] == 3


@pytest.mark.parametrize("backlog", [False, True])
def test_an_article_the_features_cannot_read_is_rejected_and_the_run_goes_on(con, monkeypatch, backlog):
    from storyline.pipeline import ProcessSummary, group_pending
    from storyline.stories.group import Settings

    with transaction(con):
        a1 = _add(con, *FLOOD_A, "north.example", "2031-05-06")
        bad = _add(con, "Broken", "Text the feature code chokes on.", "odd.example", "2031-05-06")
        con.execute("UPDATE articles SET source_path = 'feeds/odd.jsonl', source_line = 7 WHERE id = ?", (bad,))
        a2 = _add(con, *FLOOD_A2, "east.example", "2031-05-07")
        s1 = _add(con, *STRIKE, "port.example", "2031-05-06")
    real = persist.doc_from_article
    error = "ValueError: invalid literal for int() with base 10: '²'"  # the kind of bug session 11 fixed

    def doc_from_article(row, *a, **k):
        if row["id"] == bad:
            raise ValueError(error.split(": ", 1)[1])
        return real(row, *a, **k)

    monkeypatch.setattr(persist, "doc_from_article", doc_from_article)
    if backlog:  # the three readable articles clustered by the backlog pass
        counts = assign_stories(con, settings=Settings.load(backlog_min=2, backlog_density=0.0))
        assert counts["backlog"] == 3
        messages = counts["errors"]
    else:  # one by one, through the pipeline's stage (its summary sets the exit status)
        summary = ProcessSummary()
        group_pending(con, summary=summary)
        counts, messages = {"grouped": summary.grouped}, summary.errors
    assert counts["grouped"] == 3
    assert _story_of(con, a1) == _story_of(con, a2) != _story_of(con, s1)
    assert con.execute("SELECT stage FROM articles WHERE id = ?", (bad,)).fetchone()[0] == "failed"
    assert con.execute("SELECT count(*) FROM story_members WHERE article_id = ?", (bad,)).fetchone()[0] == 0
    reject = con.execute("SELECT path, line, reason FROM rejects").fetchone()
    assert tuple(reject) == ("feeds/odd.jsonl", 7, f"grouping failed: {error}")
    assert messages == [f"article {bad} (feeds/odd.jsonl): grouping failed: {error}"]
    assert assign_stories(con)["grouped"] == 0  # not retried on every run: it is rejected
