"""A restart gives the stories and duplicate links of one uninterrupted run (review A, bugs 1-5),
near-copy ties go to the earliest original (bug 12), and settings that would make the compiled
loops read outside their buffers are refused or handled (bug 13).

Every article is invented: floods in invented towns, a port strike, wire copies.
"""
from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from storyline.store import connect, transaction
from storyline.stories.dedup import Deduper, Signature
from storyline.stories.features import parse_day
from storyline.stories.group import Settings
from storyline.stories.persist import assign_stories, restore_grouper

from test_stories_persist import FLOOD_A, FLOOD_A2, STRIKE  # tests/ is on sys.path (pytest prepend mode)

_n = [0]


def _add(con, title, text, outlet, published):
    _n[0] += 1
    return con.execute(
        "INSERT INTO articles (outlet, published, title, text, format, content_hash, stage, ingested_at) "
        "VALUES (?, ?, ?, ?, 'text', ?, 'annotated', ?)",
        (outlet, published, title, text, f"h{time.perf_counter_ns()}-{_n[0]}", time.time())).lastrowid


def _runs(path, runs):
    """Feed each list of articles as its own run, the store opened again (a new process) for
    each: (article ids, {id: story}, {id: duplicate_of})."""
    ids = []
    for articles in runs:
        con = connect(path)
        with transaction(con):
            ids += [_add(con, *a) for a in articles]
        assign_stories(con)
        con.close()
    con = connect(path)
    members = dict(con.execute("SELECT article_id, story_id FROM story_members").fetchall())
    dups = dict(con.execute("SELECT id, duplicate_of FROM articles").fetchall())
    con.close()
    return ids, members, dups


def _same_both_ways(tmp_path, articles, cut):
    one = _runs(tmp_path / "one.db", [articles])
    two = _runs(tmp_path / "two.db", [articles[:cut], articles[cut:]])
    assert one[0] == two[0]
    assert [one[1][i] for i in one[0]] == [two[1][i] for i in two[0]]
    assert [one[2][i] for i in one[0]] == [two[2][i] for i in two[0]]
    return one, two


def test_a_linked_article_that_was_scored_is_restored_in_its_storys_centroid(tmp_path):
    # B copies A's body 19 days later: A's story has left the window, so B is linked to A but
    # scored like any article and starts a story; C, the follow-up, joins B's story. After a
    # restart B used to be restored as a copy (no vector), and C started a third story.
    a = (*FLOOD_A, "wire.example", "2031-05-01")
    b = ("Korvath dam: the full report", FLOOD_A[1], "paper.example", "2031-05-20")
    c = (*FLOOD_A2, "east.example", "2031-05-20")
    (ids, members, dups), _ = _same_both_ways(tmp_path, [a, b, c], 2)
    assert dups[ids[1]] == ids[0] and members[ids[1]] == members[ids[2]] != members[ids[0]]
    con = connect(tmp_path / "two.db")
    st = restore_grouper(con, parse_day("2031-05-20")).stories[members[ids[1]]]
    assert st.n == 2 and st.n_copies == 0 and st.index_keys
    con.close()


def test_a_copy_of_an_article_older_than_the_window_is_linked_after_a_restart(tmp_path):
    # the duplicate index keeps the last window_articles articles in a run; a restart rebuilds
    # the same index, not only the active stories' members
    a = (*FLOOD_A, "wire.example", "2031-05-01")
    b = ("Korvath dam: the full report", FLOOD_A[1], "paper.example", "2031-05-10")
    (ids, _, dups), _ = _same_both_ways(tmp_path, [a, b], 1)
    assert dups[ids[1]] == ids[0]


def test_a_run_of_undated_articles_meets_the_latest_stories(tmp_path):
    a = (*FLOOD_A, "north.example", "2031-05-06")
    a2 = (*FLOOD_A2, "east.example", None)
    (ids, members, _), _ = _same_both_ways(tmp_path, [a, a2], 1)
    assert members[ids[0]] == members[ids[1]]


def test_restore_replays_members_in_the_runs_order(tmp_path):
    # within one day the run goes by id, whatever the hour; the restore must too (title
    # candidates are the first 40 members, recent members the last 60)
    import random

    rnd = random.Random(3)
    common = ("water house road town family morning night help street car school work home week city "
              "people group area police minister report plan money team child power centre").split()
    core = "Korvath mayor Elira Dunmore said the Ister dam gave way and the Korvath flood swamped the old bridge."
    # published times run backwards with the id: the last ids are the earliest of the day
    arts = [(f"Korvath flood: brief {i}", core + " " + " ".join(rnd.choice(common) for _ in range(60)) + ".",
             f"o{i}.example", f"2031-05-06T{23 - i // 2:02d}:{59 - (i % 2) * 30:02d}:00") for i in range(45)]
    one = _runs(tmp_path / "one.db", [arts + [(*FLOOD_A2, "late.example", "2031-05-07")]])
    con = connect(tmp_path / "one.db")
    g = restore_grouper(con, parse_day("2031-05-07"))
    first = one[0][:45]
    sid = one[1][first[0]]
    st = g.stories[sid]
    run_order = [r[0] for r in con.execute(
        "SELECT a.id FROM articles a JOIN story_members m ON m.article_id = a.id WHERE m.story_id = ? "
        "ORDER BY substr(a.published, 1, 10), a.id", (sid,))]
    assert st.members == run_order
    assert len(run_order) == 46 and st.n_copies == 0
    assert [x[0] for x in st.title_cands] == run_order[:40]
    assert [x[0] for x in st.recent] == run_order[-len(st.recent):]
    con.close()


def test_an_article_dated_in_year_one_does_not_stop_the_stage(tmp_path):
    con = connect(tmp_path / "s.db")
    with transaction(con):
        late = _add(con, *FLOOD_A, "north.example", "2031-05-06")
        odd = _add(con, *STRIKE, "feed.example", "0001-01-01")
    res = assign_stories(con)
    assert res["grouped"] == 2
    assert {r[0] for r in con.execute("SELECT stage FROM articles")} == {"grouped"}
    # and a later run restores around it without failing either
    with transaction(con):
        _add(con, *FLOOD_A2, "east.example", "0001-01-03")
    assert assign_stories(con)["grouped"] == 1
    assert late != odd
    con.close()


def test_near_copy_ties_go_to_the_earliest_original():
    # 45 of 64 slots each (0.703125, rounded 0.7031): equal estimates, so the earlier original
    rng = np.random.RandomState(0)
    base = rng.randint(1, 2**40, size=64).astype(np.uint64)
    a, b = base.copy(), base.copy()
    a[26:45] += np.uint64(1)
    b[45:64] += np.uint64(7)
    for order in ((10, a, 20, b), (20, b, 10, a)):
        d = Deduper()
        d.add_signature(order[0], Signature(100, b"X" * 12, order[1]))
        d.add_signature(order[2], Signature(100, b"Y" * 12, order[3]))
        got = d.check_signature(Signature(100, b"C" * 12, base.copy()))
        assert got is not None and got.original == 10 and got.score == 0.7031


@pytest.mark.parametrize("name,value", [("max_candidates", 0), ("settle_candidates", -1), ("backlog_k", -1)])
def test_settings_that_count_candidates_or_neighbours_are_checked_on_load(name, value):
    with pytest.raises(ValueError, match=name):
        Settings.load(**{name: value})


def test_no_candidate_limit_crashes_the_grouper():
    # settings made without load (no check): the compiled candidates must not read outside its
    # buffers; run in a child so that a crash is a failure, not the end of the test run
    code = (
        "from storyline.stories.group import Grouper, Settings\n"
        "from storyline.stories.features import build_doc\n"
        "g = Grouper(Settings(max_candidates=0))\n"
        "a = g.add(build_doc(1, 'Quake hits Valdoria', 'A strong quake hit Valdoria on Monday, killing 12.', "
        "'a.example', '2031-03-03'))\n"
        "b = g.add(build_doc(2, 'Valdoria quake kills 12', 'The quake in Valdoria killed 12 people on Monday.', "
        "'b.example', '2031-03-03'))\n"
        "print(a.story_id, b.story_id)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-500:]
    assert p.stdout.split() == ["1", "2"]
