"""A stories run that dies part-way and is started again gives the stories of one
uninterrupted run (session 13): each part of the backlog pass is one transaction, and the
rerun cuts what is left as the first run did.

The articles are the invented stream of ``storyline.bench.stream`` (invented outlets, people
and places). Parts are made small (``backlog_max``) and batches smaller (``BATCH``) so a run
has several parts of several batches each; the run is stopped by an error at the start of a
batch in the second part, as a kill there would stop it (nothing of the open transaction is
kept either way).
"""
from __future__ import annotations

import time

import pytest

from storyline.bench.stream import synth_stream
from storyline.store import connect, transaction
from storyline.stories import persist
from storyline.stories.group import Settings
from storyline.stories.persist import Backlog, assign_stories


def _store(path, n=900, days=3):
    con = connect(path)
    with transaction(con):
        for i, r in enumerate(synth_stream(n, days=days, seed=11)):
            con.execute(
                "INSERT INTO articles (external_id, outlet, published, title, text, format, content_hash, stage, "
                "ingested_at) VALUES (?, ?, ?, ?, ?, 'text', ?, 'annotated', ?)",
                (r["id"], r["source"], r["published"], r["title"], r["text"], f"h{i}", time.time()))
    return con


def _stories(con):
    members = dict(con.execute("SELECT article_id, story_id FROM story_members").fetchall())
    dups = dict(con.execute("SELECT id, duplicate_of FROM articles WHERE duplicate_of IS NOT NULL").fetchall())
    return members, dups


class Killed(Exception):
    pass


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(persist, "BATCH", 50)
    return Settings.load(backlog_max=300, backlog_min=20)


# the first batch of the 2nd part (a part boundary), its 3rd batch, the 3rd part's 3rd batch
@pytest.mark.parametrize("dies_at", [7, 9, 15])
def test_a_run_killed_in_a_part_and_started_again_gives_the_uninterrupted_stories(tmp_path, monkeypatch,
                                                                                    small_parts, dies_at):
    whole = _store(tmp_path / "whole.db")
    n = whole.execute("SELECT count(*) FROM articles").fetchone()[0]
    parts = Backlog.parts(type("G", (), {"s": small_parts, "stories": {}})(), n)
    assert [b - a for a, b, _ in parts] == [300, 300, 300] and all(c for _, _, c in parts)
    assign_stories(whole, settings=small_parts)
    want = _stories(whole)
    assert len(set(want[0].values())) > 60  # many stories, some of several articles

    con = _store(tmp_path / "killed.db")
    beat, calls = persist._beat, [0]

    def dying_beat(*args):
        calls[0] += 1
        if calls[0] == dies_at:
            raise Killed
        return beat(*args)

    monkeypatch.setattr(persist, "_beat", dying_beat)
    with pytest.raises(Killed):
        assign_stories(con, settings=small_parts)
    con.close()
    con = connect(tmp_path / "killed.db")
    kept = con.execute("SELECT count(*) FROM story_members").fetchone()[0]
    # only whole parts were kept: the killed part left nothing behind, and the lock was let go
    assert kept == (300 if dies_at < 13 else 600)
    assert con.execute("SELECT count(*) FROM articles WHERE stage = 'grouped'").fetchone()[0] == kept
    monkeypatch.setattr(persist, "_beat", beat)
    counts = assign_stories(con, settings=small_parts)
    assert counts["grouped"] == n - kept
    # the same stories, the same ids, the same copy links (with a commit per batch, as before
    # session 13, the rerun grouped the rest of the 2nd part as a run of its own: dies_at 9
    # then gave other stories)
    assert _stories(con) == want


def test_parts_cut_the_rest_of_a_run_as_the_whole_run_cut_it():
    g = type("G", (), {"s": Settings.load(backlog_max=3000), "stories": {}})()
    for n in (3001, 4400, 6000, 7400, 20_000, 100_001):
        parts = Backlog.parts(g, n)
        sizes = [b - a for a, b, _ in parts]
        assert sum(sizes) == n and max(sizes) <= 3000 and min(sizes) >= 1500
        for start, _, _ in parts[1:]:
            rest = Backlog.parts(g, n - start)
            assert [(a + start, b + start) for a, b, _ in rest] == [(a, b) for a, b, _ in parts if a >= start]
