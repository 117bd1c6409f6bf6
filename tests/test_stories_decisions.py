"""The user's merge/split/move against the awkward cases: copies, articles that are not ready,
live-blog pages, revisions, a run grouping the store at the same time, stale comparisons, and
the CLI's errors. Invented articles (tests/test_stories_persist.py's floods and strike)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from storyline.cli import main
from storyline.store import connect, transaction
from storyline.stories import persist
from storyline.stories.persist import StoreBusy, assign_stories
from test_stories_persist import FLOOD_A, FLOOD_A2, FLOOD_B, STRIKE, _add, _story_of  # tests/ is on sys.path


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "s.db")


def _copy(con, of: int, outlet: str, published: str) -> int:
    """A wire copy of article ``of`` from another outlet, linked as the grouper links copies."""
    title, text = con.execute("SELECT title, text FROM articles WHERE id = ?", (of,)).fetchone()
    return _add(con, title, text, outlet, published)


def _grouped(db):
    """Floods A (two reports and a wire copy of the first), flood B and the strike, grouped."""
    con = connect(db)
    with transaction(con):
        a1 = _add(con, *FLOOD_A, "north.example", "2031-05-06")
        a2 = _add(con, *FLOOD_A2, "east.example", "2031-05-07")
        c1 = _copy(con, a1, "wire.example", "2031-05-06")
        b1 = _add(con, *FLOOD_B, "valley.example", "2031-05-06")
        s1 = _add(con, *STRIKE, "port.example", "2031-05-06")
    assign_stories(con)
    assert con.execute("SELECT duplicate_of FROM articles WHERE id = ?", (c1,)).fetchone()[0] == a1
    assert _story_of(con, c1) == _story_of(con, a1) == _story_of(con, a2)
    return con, a1, a2, c1, b1, s1


def test_move_refuses_articles_that_cannot_be_placed(db):
    con, a1, a2, c1, b1, s1 = _grouped(db)
    sa = _story_of(con, a1)
    with transaction(con):
        raw = _add(con, "Ferry delayed at Brennport", "The morning ferry left two hours late.", "port.example",
                   "2031-05-07", stage="ingested")
        page = _add(con, "Live: storms across the north", "", "live.example", "2031-05-07", stage="grouped",
                    is_liveblog=1)
        entry = _add(con, *FLOOD_A2, "live.example", "2031-05-07", parent_id=page)
        con.execute("UPDATE articles SET stage = 'superseded' WHERE id = ?", (a2,))
        rev = _add(con, FLOOD_A2[0], FLOOD_A2[1] + " Updated.", "east.example", "2031-05-07")
        con.execute("UPDATE articles SET revision_of = ? WHERE id = ?", (a2, rev))
    with pytest.raises(ValueError, match=r"not ready to be placed \(stage 'ingested'\)"):
        persist.move_article(con, raw, sa)
    with pytest.raises(ValueError, match=rf"live-blog page.*articles {entry}"):
        persist.move_article(con, page, sa)
    with pytest.raises(ValueError, match=rf"superseded by a revision \(article {rev}\)"):
        persist.move_article(con, a2, _story_of(con, b1))
    with pytest.raises(LookupError, match="no article 9999"):
        persist.move_article(con, 9999, sa)
    # nothing changed: stages, memberships, decisions
    assert [r[0] for r in con.execute("SELECT stage FROM articles WHERE id IN (?, ?, ?) ORDER BY id",
                                      (a2, raw, page))] == ["superseded", "ingested", "grouped"]
    assert con.execute("SELECT count(*) FROM story_members WHERE article_id IN (?, ?)", (raw, page)).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM story_decisions").fetchone()[0] == 0


def test_split_counts_the_copies_that_follow_and_cannot_empty_the_story(db):
    con, a1, a2, c1, b1, s1 = _grouped(db)
    sa = _story_of(con, a1)
    with pytest.raises(ValueError, match="leave the story empty.*copies"):
        persist.split_story(con, sa, [a1, a2])  # the copy c1 follows a1: nothing would be left
    new = persist.split_story(con, sa, [a1])
    assert _story_of(con, a1) == _story_of(con, c1) == new["id"]  # the copy followed its original
    assert (new["n_articles"], new["n_outlets"]) == (1, 2)
    old = persist.get_story(con, sa)
    assert (old["n_articles"], old["outlets"]) == (1, ["east.example"])


def test_a_copy_placed_elsewhere_stays_there_and_is_no_longer_a_copy(db):
    con, a1, a2, c1, b1, s1 = _grouped(db)
    sa, sb = _story_of(con, a1), _story_of(con, b1)
    # the user says the wire piece is another report: split off alone, it is a visible story
    alone = persist.split_story(con, sa, [c1])
    assert (alone["n_articles"], alone["outlets"]) == (1, ["wire.example"])
    assert tuple(con.execute("SELECT duplicate_of, dup_kind FROM articles WHERE id = ?", (c1,)).fetchone()) == (None, None)
    why = json.loads(con.execute("SELECT explanation FROM story_members WHERE article_id = ?", (c1,)).fetchone()[0])
    assert why["unlinked"]["duplicate_of"] == a1 and why["decision"] == "split"
    assert [s["id"] for s in persist.list_stories(con)].count(alone["id"]) == 1
    # moving the original later leaves the former copy where the user put it
    persist.move_article(con, a1, sb)
    assert _story_of(con, c1) == alone["id"] and _story_of(con, a1) == sb
    left = persist.get_story(con, sa)
    assert (left["n_articles"], left["outlets"]) == (1, ["east.example"])


def test_the_story_an_article_leaves_is_refreshed_or_emptied(db):
    con, a1, a2, c1, b1, s1 = _grouped(db)
    ss = _story_of(con, s1)
    persist.move_article(con, s1, _story_of(con, b1))
    gone = persist.get_story(con, ss)
    assert (gone["n_articles"], gone["n_outlets"], gone["outlets"]) == (0, 0, [])
    assert ss not in [s["id"] for s in persist.list_stories(con)]


def test_a_decision_drops_the_stale_comparison(db):
    pytest.importorskip("storyline.compare")
    from storyline.compare.persist import get_or_update, update_story

    con, a1, a2, c1, b1, s1 = _grouped(db)
    sa, sb = _story_of(con, a1), _story_of(con, b1)
    update_story(con, sa)
    update_story(con, sb)
    # a swap keeps both stories' member counts: the reports must still be recomputed
    persist.move_article(con, b1, sa)
    persist.move_article(con, a2, sb)
    assert {a["article_id"] for a in get_or_update(con, sa)["articles"]} == {a1, b1}
    assert {a["article_id"] for a in get_or_update(con, sb)["articles"]} == {a2}
    # a report stored over other members of the same count is recomputed too (no decision logged)
    report = get_or_update(con, sb)
    with transaction(con):
        con.execute("UPDATE comparisons SET report = ? WHERE story_id = ?",
                    (json.dumps({**report, "articles": [{"article_id": s1}]}), sb))
    assert {a["article_id"] for a in get_or_update(con, sb)["articles"]} == {a2}


@pytest.fixture
def other_process():
    """A live process that is not this one (it holds the grouping lock in the tests)."""
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield p.pid
    p.kill()
    p.wait()


def _hold_lock(con, pid: int) -> None:
    import socket
    import time

    with transaction(con):
        con.execute("INSERT OR REPLACE INTO run_lock (name, pid, host, started, beat) VALUES (?, ?, ?, ?, ?)",
                    (persist.GROUPING, pid, socket.gethostname(), time.time(), time.time()))


def test_decisions_wait_for_a_run_that_is_grouping(db, other_process, capsys):
    con, a1, a2, c1, b1, s1 = _grouped(db)
    sa, sb = _story_of(con, a1), _story_of(con, b1)
    _hold_lock(con, other_process)
    with pytest.raises(StoreBusy, match=rf"process {other_process} .* is grouping this store"):
        persist.split_story(con, sa, [a2])
    capsys.readouterr()
    assert main(["merge", str(sa), str(sb), "--db", db, "--json"]) == 1
    out = capsys.readouterr()
    assert "is grouping this store" in json.loads(out.out)["error"]
    assert con.execute("SELECT count(*) FROM story_decisions").fetchone()[0] == 0
    # a second run does not group under the first one: its articles wait, reported
    from storyline.pipeline import ProcessSummary, group_pending

    with transaction(con):
        late = _add(con, *STRIKE, "harbour.example", "2031-05-07")
    summary = ProcessSummary()
    assert group_pending(con, summary=summary) == set()
    assert summary.errors and summary.errors[0].startswith("stories stage skipped: a run (process")
    assert con.execute("SELECT stage FROM articles WHERE id = ?", (late,)).fetchone()[0] == "annotated"


def test_a_lock_left_by_a_killed_run_is_taken_over(db, other_process):
    con, a1, a2, c1, b1, s1 = _grouped(db)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _hold_lock(con, dead.pid)
    persist.move_article(con, a2, _story_of(con, b1))  # the dead run's lock does not block
    with transaction(con):
        late = _add(con, *FLOOD_B, "hills.example", "2031-05-07")
    assert assign_stories(con)["grouped"] == 1
    assert _story_of(con, late) == _story_of(con, b1)
    assert con.execute("SELECT count(*) FROM run_lock").fetchone()[0] == 0  # released after the run


def test_a_story_made_between_two_batches_never_shares_an_id_with_the_runs(db, monkeypatch):
    """Even without the lock (a store written by an older Storyline), the run's next story id is
    read again at each batch: the story inserted between batches keeps its members alone."""
    monkeypatch.setattr(persist, "BATCH", 2)
    con = connect(db)
    with transaction(con):
        ids = [_add(con, *art, f"o{i}.example", "2031-05-06") for i, art in enumerate((STRIKE, FLOOD_B, FLOOD_A))]
    other = connect(db)
    made: list[int] = []

    def between(done, total):
        if done == 2 and not made:
            with transaction(other):
                sid = (other.execute("SELECT max(id) FROM stories").fetchone()[0] or 0) + 1
                other.execute("INSERT INTO stories (id, title, n_articles, n_outlets, updated_at) "
                              "VALUES (?, 'made by hand', 0, 0, 0)", (sid,))
                made.append(sid)

    assign_stories(con, progress=between)
    assert made and _story_of(con, ids[2]) > made[0]
    assert con.execute("SELECT count(*) FROM story_members WHERE story_id = ?", (made[0],)).fetchone()[0] == 0


def test_story_filters_and_errors_on_the_command_line(db, tmp_path, capsys):
    con, a1, a2, c1, b1, s1 = _grouped(db)
    with transaction(con):
        undated = _add(con, "Brennport harbour reopens", "The harbour of Brennport reopened to ships.",
                       "port.example", None)
    assign_stories(con)
    capsys.readouterr()
    assert main(["stories", "--db", db, "--json"]) == 0
    every = {s["id"] for s in json.loads(capsys.readouterr().out)}
    assert _story_of(con, undated) in every
    assert main(["stories", "--db", db, "--since", "2031-05-07", "--json"]) == 0
    assert {s["id"] for s in json.loads(capsys.readouterr().out)} == {_story_of(con, a1)}
    assert main(["stories", "--db", db, "--since", "2099-01-01", "--until", "1900-01-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # the undated story is not in an empty range
    assert main(["stories", "--db", db, "--query", "!!!", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    with pytest.raises(SystemExit) as exc:
        main(["stories", "--db", db, "--since", "2031-5-7", "--json"])
    assert exc.value.code == 2
    out = capsys.readouterr()
    assert "not a date" in json.loads(out.out)["error"] and "not a date" in out.err
    # unknown ids and a merged-away story: exit 2, one JSON object
    assert main(["story", "999", "--db", db, "--json"]) == 2
    assert json.loads(capsys.readouterr().out) == {"error": "no story 999"}
    assert main(["move", str(a2), "999", "--db", db, "--json"]) == 2
    assert json.loads(capsys.readouterr().out) == {"error": "no story 999"}
    sa, sb = _story_of(con, a1), _story_of(con, b1)
    assert main(["merge", str(sa), str(sb), "--db", db]) == 0
    capsys.readouterr()
    assert main(["merge", str(sa), str(sb), "--db", db, "--json"]) == 2
    assert "was merged into" in json.loads(capsys.readouterr().out)["error"]
    assert main(["story", str(sb), "--db", db, "--json", "--no-compare"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["id"], shown["merged_from"]) == (sa, sb)
    # a --db that is not a store: a message naming it, exit 2, and no empty store made
    missing = tmp_path / "typo.db"
    assert main(["stories", "--db", str(missing)]) == 2
    assert "no store at" in capsys.readouterr().err and not missing.exists()
    (tmp_path / "notes.txt").write_text("not a database, just notes\n" * 100)
    assert main(["story", "1", "--db", str(tmp_path / "notes.txt"), "--json"]) == 2
    assert "not a Storyline store" in json.loads(capsys.readouterr().out)["error"]
    assert main(["stories", "--db", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_a_lock_from_another_machine_holds_while_its_heartbeat_is_recent(db):
    import time

    con, a1, a2, c1, b1, s1 = _grouped(db)
    for beat_age, busy in ((60, True), (persist.LOCK_STALE_SECONDS + 60, False)):
        with transaction(con):
            con.execute("INSERT OR REPLACE INTO run_lock (name, pid, host, started, beat) VALUES (?, 1, ?, ?, ?)",
                        (persist.GROUPING, "elsewhere.example", time.time() - 7200, time.time() - beat_age))
        if busy:
            with pytest.raises(StoreBusy, match="on elsewhere.example"):
                persist.move_article(con, a2, _story_of(con, b1))
        else:  # silent for longer than the stale limit: the run is gone
            persist.move_article(con, a2, _story_of(con, b1))
            assert _story_of(con, a2) == _story_of(con, b1)


def test_split_keeps_a_copy_with_its_original_in_any_order(db):
    con, a1, a2, c1, b1, s1 = _grouped(db)
    new = persist.split_story(con, _story_of(con, a1), [c1, a1])  # the copy named first
    assert _story_of(con, c1) == _story_of(con, a1) == new["id"]
    assert con.execute("SELECT duplicate_of FROM articles WHERE id = ?", (c1,)).fetchone()[0] == a1


def test_a_second_run_reads_what_is_pending_under_the_lock(db, monkeypatch):
    """Run B read its pending articles before run A grouped them: B must not group them again
    (it used to fail on story_members' primary key, reported as a damaged store)."""
    con = connect(db)
    with transaction(con):
        ids = [_add(con, *art, f"o{i}.example", "2031-05-06") for i, art in enumerate((FLOOD_A, FLOOD_A2, STRIKE))]
    real = persist.grouping_lock
    other = connect(db)

    def a_runs_first(c):
        monkeypatch.setattr(persist, "grouping_lock", real)
        assert assign_stories(other)["grouped"] == 3  # run A, start to end
        return real(c)

    monkeypatch.setattr(persist, "grouping_lock", a_runs_first)
    assert assign_stories(con)["grouped"] == 0
    assert con.execute("SELECT count(*) FROM story_members").fetchone()[0] == len(ids)


def test_two_cleaning_runs_split_a_live_blog_once(tmp_path, monkeypatch):
    from storyline import pipeline
    from storyline.ingest import ingest_paths
    from test_stories_revisions import LIVE_ENTRIES, _line, _live

    db = str(tmp_path / "two.db")
    (tmp_path / "live.jsonl").write_text(_line("live", "News live", _live(LIVE_ENTRIES), "live.example") + "\n")
    con, other = connect(db), connect(db)
    ingest_paths(con, [str(tmp_path / "live.jsonl")])
    import storyline.clean as clean

    real = clean.clean_article
    calls = []

    def clean_article(article):
        if not calls:  # run A has read the page; run B cleans it first, start to end
            calls.append(1)
            pipeline.clean_pending(other)
        return real(article)

    monkeypatch.setattr(clean, "clean_article", clean_article)
    pipeline.clean_pending(con)
    entries = con.execute("SELECT count(*) FROM articles WHERE parent_id IS NOT NULL").fetchone()[0]
    assert entries == len(LIVE_ENTRIES)


def test_ids_and_stores_the_command_line_refuses(db, tmp_path, capsys):
    import sqlite3

    con, a1, a2, c1, b1, s1 = _grouped(db)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["story", str(2 ** 70), "--db", db, "--js"])  # argparse's abbreviation of --json
    assert exc.value.code == 2 and "not an id" in json.loads(capsys.readouterr().out)["error"]
    other = tmp_path / "app.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)").connection.commit()
    assert main(["stories", "--db", str(other), "--json"]) == 2
    assert "not a Storyline store" in json.loads(capsys.readouterr().out)["error"]
    assert [r[0] for r in sqlite3.connect(other).execute("SELECT name FROM sqlite_master")] == ["notes"]
    with transaction(con):
        con.execute("PRAGMA user_version = 99")
    assert main(["stories", "--db", db]) == 2
    assert "newer than this Storyline" in capsys.readouterr().err
    missing = tmp_path / "typo.db"
    for cmd in (["search", "flood"], ["export"], ["show-article", "1"], ["status"]):
        assert main([*cmd, "--db", str(missing), "--json"]) == 2, cmd
        assert "no store at" in json.loads(capsys.readouterr().out)["error"]
    assert not missing.exists()


def test_a_run_whose_lock_was_taken_over_stops_at_its_next_batch(db, monkeypatch, other_process):
    from storyline.pipeline import ProcessSummary, group_pending

    monkeypatch.setattr(persist, "BATCH", 2)
    con = connect(db)
    with transaction(con):
        for i, art in enumerate((FLOOD_A, FLOOD_B, STRIKE, FLOOD_A2)):
            _add(con, *art, f"o{i}.example", "2031-05-06")
    other = connect(db)

    def taken_over(done, total):
        if done == 2:  # another run decided this one was gone and took the lock
            with transaction(other):
                other.execute("UPDATE run_lock SET pid = ?", (other_process,))

    summary = ProcessSummary()
    group_pending(con, lambda stage, done, total: taken_over(done, total), summary)
    assert summary.errors and f"process {other_process}" in summary.errors[0]
    stages = [r[0] for r in con.execute("SELECT stage FROM articles ORDER BY id")]
    assert stages == ["grouped", "grouped", "annotated", "annotated"]  # the rest waits; nothing half-written


def test_merged_members_are_placed_by_the_user_and_a_merged_story_takes_no_moves(db, capsys):
    con, a1, a2, c1, b1, s1 = _grouped(db)
    sa, sb = _story_of(con, a1), _story_of(con, b1)
    persist.merge_stories(con, sa, sb)
    row = con.execute("SELECT score, explanation, pinned FROM story_members WHERE article_id = ?", (b1,)).fetchone()
    why = json.loads(row["explanation"])
    assert (row["score"], row["pinned"], why["decision"], why["from"]) == (None, 1, "merge", sb)
    assert why["earlier"]["new_story"] is True  # the grouper's reasons are kept
    capsys.readouterr()
    assert main(["story", str(sa), "--db", db, "--no-compare"]) == 0
    assert f"placed by the user (merge of story {sb})" in capsys.readouterr().out
    with pytest.raises(ValueError, match=f"story {sb} was merged into story {sa}"):
        persist.move_article(con, s1, sb)


def test_a_storys_members_are_listed_in_publication_order_across_time_zones(db):
    con = connect(db)
    with transaction(con):
        west = _add(con, *FLOOD_A, "west.example", "2031-05-06T20:00:00-07:00")  # 03:00 UTC on the 7th
        east = _add(con, *FLOOD_A2, "east.example", "2031-05-07T01:00:00Z")
    assign_stories(con)
    members = persist.get_story(con, _story_of(con, west))["members"]
    assert [m["article_id"] for m in members] == [east, west]


def test_refusals_name_the_story_at_the_end_of_the_merges_and_a_missing_article_first(db):
    con, a1, a2, c1, b1, s1 = _grouped(db)
    sa, sb, ss = _story_of(con, a1), _story_of(con, b1), _story_of(con, s1)
    persist.merge_stories(con, sb, ss)  # ss -> sb
    persist.merge_stories(con, sa, sb)  # sb -> sa
    with pytest.raises(ValueError, match=f"story {ss} was merged into story {sa}"):
        persist.move_article(con, a2, ss)
    with pytest.raises(LookupError, match="no article 999999"):
        persist.move_article(con, 999999, ss)
