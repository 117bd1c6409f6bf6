"""`Grouper.settle`: the story-level merge pass over shared nearest neighbours (off by default)."""
from __future__ import annotations

from test_stories_group import QUAKE_1, QUAKE_2, _docs

from storyline.stories import Grouper, Settings


def _split_grouper(**over) -> tuple[Grouper, list[int]]:
    # a join threshold so strict that every report starts its own story: the fragments a
    # settle pass exists to join (same-event reports that share few words with each other)
    g = Grouper(Settings.load(settle=True, threshold=0.95, merge=False, **over))
    sids = [g.add(d).story_id for d in _docs(QUAKE_1, "a") + _docs(QUAKE_2, "b", start=10)]
    assert len(set(sids)) == 5
    return g, sids


def test_settle_joins_fragments_of_one_event_not_same_kind_events():
    g, sids = _split_grouper()
    merges = g.settle()
    final = [g.resolve(s) for s in sids]
    assert len(set(final[:3])) == 1 and len(set(final[3:])) == 1 and final[0] != final[3]
    assert final[0] == min(sids[:3]) and final[3] == min(sids[3:])  # the older id survives
    assert sorted(merges) == sorted(g.merges) and len(merges) == 3
    assert g.settle() == []  # nothing touched since: nothing to do


def test_settle_leaves_pinned_stories_and_is_off_by_default():
    g, sids = _split_grouper()
    g.pinned.add(sids[1])
    g.settle()
    assert g.resolve(sids[1]) == sids[1]
    assert g.resolve(sids[2]) == sids[0]

    off = Grouper(Settings.load(threshold=0.95, merge=False))
    ids = [off.add(d).story_id for d in _docs(QUAKE_1, "a")]
    assert off.settle() == [] and len({off.resolve(s) for s in ids}) == 3 and not off.vecs


def test_settle_merges_reach_the_store(tmp_path):
    import time

    from storyline.store import connect
    from storyline.stories.persist import assign_stories

    con = connect(tmp_path / "s.db")
    for i, (title, text) in enumerate(QUAKE_1 + QUAKE_2):
        con.execute(
            "INSERT INTO articles (external_id, outlet, published, title, text, format, content_hash, stage, "
            "ingested_at) VALUES (?, ?, '2031-02-02', ?, ?, 'text', ?, 'annotated', ?)",
            (f"q{i}", f"o{i}.example", title, text, f"h{i}", time.time()))
    con.commit()
    assign_stories(con, settings=Settings.load(settle=True, threshold=0.95, merge=False))
    rows = con.execute("SELECT a.external_id, m.story_id FROM articles a JOIN story_members m ON m.article_id = a.id "
                       "ORDER BY a.external_id").fetchall()
    story = {r[0]: r[1] for r in rows}
    assert story["q0"] == story["q1"] == story["q2"] != story["q3"] == story["q4"]
    live = con.execute("SELECT count(*) FROM stories WHERE merged_into IS NULL AND n_articles > 0").fetchone()[0]
    assert live == 2


def test_only_stories_with_a_near_story_are_settled():
    g, sids = _split_grouper(settle_near=0.99)  # no article had another story that close
    assert g.settle() == [] and len({g.resolve(s) for s in sids}) == 5
