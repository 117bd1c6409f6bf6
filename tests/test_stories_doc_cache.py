"""The grouper's stored feature bags (table ``doc_features``, schema 2): a later run restores the
week's stories from them instead of tokenising every member again. They must give the same
StoryDocs (hence the same stories) as computing afresh, and go when what they were computed
from changes. Invented articles (the flood and strike texts of test_stories_persist)."""
from __future__ import annotations

import sqlite3

import pytest

from storyline.store import SCHEMA_VERSION, connect, put_annotations, transaction
from storyline.stories import persist
from storyline.stories.dedup import signature
from storyline.stories.features import features_version
from storyline.stories.persist import assign_stories, load_docs

from test_stories_persist import FLOOD_A, FLOOD_A2, FLOOD_B, STRIKE, _add, restarted_after_first_run


def _fields(d):
    """Everything the grouper reads of a doc; of the body, what the duplicate index keeps."""
    sig = d.signature if d.signature is not None else signature(d.body)
    sketch = None if sig.sketch is None else sig.sketch.tolist()
    return (d.article_id, d.outlet, d.day, d.title, list(d.features.items()), (sig.n_words, sig.digest, sketch),
            list(d.names.items()), d.years, d.persons, d.theme)


def _annotate(con, aid, name, label="PERSON"):
    text = con.execute("SELECT text FROM articles WHERE id = ?", (aid,)).fetchone()[0]
    start = text.index(name)
    put_annotations(con, aid, [{"kind": "entity", "start": start, "end": start + len(name), "text": name,
                                "label": label, "value": {"name": name}}])


@pytest.fixture
def store(tmp_path):
    con = connect(tmp_path / "s.db")
    with transaction(con):
        ids = [_add(con, *FLOOD_A, "north.example", "2031-05-06"),
               _add(con, *FLOOD_B, "valley.example", "2031-05-06"),
               _add(con, *STRIKE, "port.example", "2031-05-06"),
               _add(con, *FLOOD_A2, "east.example", "2031-05-07")]
        _annotate(con, ids[0], "Elira Dunmore")
        con.execute("INSERT INTO removed (article_id, line, reason, text) VALUES (?, 0, 'timestamp', ?)",
                    (ids[1], "TUESDAY, MAY 6, 2031 | 08:06AM"))
    yield con, ids
    con.close()


def _cached(con):
    return dict(con.execute("SELECT article_id, version FROM doc_features").fetchall())


def _fresh(con, ids, annotations):
    """The StoryDocs computed afresh (the stored bags deleted first)."""
    with transaction(con):
        con.execute("DELETE FROM doc_features")
    return load_docs(con, ids, annotations=annotations)


@pytest.mark.parametrize("annotations", [True, False])
def test_a_stored_bag_gives_the_same_doc_as_computing_it(store, annotations):
    con, ids = store
    assert SCHEMA_VERSION >= 2
    first = _fresh(con, ids, annotations)
    assert _cached(con) == {i: features_version(annotations) for i in ids}  # stored on first use
    again = load_docs(con, ids, annotations=annotations)
    assert [_fields(again[i]) for i in ids] == [_fields(first[i]) for i in ids]
    # read back without the text: the body's hash and sketch came from the bag
    assert all(first[i].body for i in ids)
    assert all(again[i].body == "" and again[i].signature.digest for i in ids)
    assert any(again[i].signature.sketch is not None for i in ids)
    # the stamp's date and the annotated name made it through the store
    assert "~05-06" in again[ids[1]].features and "2031" in again[ids[1]].years
    if annotations:
        assert "dunmore" in again[ids[0]].persons
    assert "Elira Dunmore" in again[ids[0]].names.values()  # the annotated name, whole, for display


def test_a_change_to_the_text_or_annotations_deletes_the_bag(store):
    con, ids = store
    load_docs(con, ids)
    assert set(_cached(con)) == set(ids)
    with transaction(con):
        con.execute("UPDATE articles SET clean_text = ? WHERE id = ?", (FLOOD_A2[1], ids[0]))
        _annotate(con, ids[3], "Elira Dunmore")
        con.execute("DELETE FROM removed WHERE article_id = ?", (ids[1],))
    assert set(_cached(con)) == {ids[2]}
    docs = load_docs(con, ids)
    assert docs[ids[0]].body == docs[ids[3]].body  # the new clean text counts
    assert "dunmore" in docs[ids[3]].persons  # the new annotation counts
    assert "~05-06" not in docs[ids[1]].features  # the removed stamp no longer counts


def test_a_bag_from_other_code_or_settings_is_computed_again(store):
    con, ids = store
    want = {i: _fields(d) for i, d in load_docs(con, ids).items()}
    with transaction(con):
        con.execute("UPDATE doc_features SET version = 'old', doc = ?",
                    ('{"f":{"bogus":1.0},"n":{},"y":[],"p":[]}',))
    got = load_docs(con, ids)
    assert {i: _fields(d) for i, d in got.items()} == want
    assert set(_cached(con).values()) == {features_version(True)}


def test_runs_restored_from_stored_bags_make_the_same_stories(tmp_path):
    def run(path, keep_bags):
        con = connect(path)
        with transaction(con):
            first = [_add(con, *FLOOD_A, "north.example", "2031-05-06"),
                     _add(con, *FLOOD_B, "valley.example", "2031-05-06"),
                     _add(con, *STRIKE, "port.example", "2031-05-06")]
        assign_stories(con)
        if not keep_bags:
            with transaction(con):
                con.execute("DELETE FROM doc_features")
        with transaction(con):
            later = [_add(con, *FLOOD_A2, "east.example", "2031-05-07"),
                     _add(con, STRIKE[0], STRIKE[1].replace("48-hour", "two-day"), "wire.example", "2031-05-07")]
        assign_stories(con)
        rows = con.execute("SELECT article_id, story_id, score, explanation FROM story_members "
                           "ORDER BY article_id").fetchall()
        n_bags = con.execute("SELECT count(*) FROM doc_features").fetchone()[0]
        con.close()
        return [tuple(r) for r in rows], first, later, n_bags

    with_bags, first, later, n = run(tmp_path / "a.db", True)
    without, _, _, _ = run(tmp_path / "b.db", False)
    assert with_bags == without
    assert n == 5
    story = {r[0]: r[1] for r in with_bags}
    assert story[later[0]] == story[first[0]] and story[later[1]] == story[first[2]]


def test_a_read_only_connection_computes_without_storing(store, tmp_path):
    con, ids = store
    path = con.execute("PRAGMA database_list").fetchone()[2]
    want = {i: _fields(d) for i, d in load_docs(con, ids).items()}
    with transaction(con):
        con.execute("DELETE FROM doc_features")
    ro = connect(path, readonly=True)
    try:
        assert {i: _fields(d) for i, d in persist.load_docs(ro, ids).items()} == want
    finally:
        ro.close()
    assert _cached(con) == {}
    with pytest.raises(sqlite3.OperationalError):
        ro2 = connect(path, readonly=True)
        try:
            ro2.execute("INSERT INTO doc_features VALUES (1, 'x', '{}')")
        finally:
            ro2.close()


def test_a_restart_finds_copies_of_earlier_articles_from_their_stored_signatures(tmp_path, monkeypatch):
    # a new process: the duplicate index is rebuilt from the bags
    con, (a1, b1) = restarted_after_first_run(tmp_path / "s.db", (*FLOOD_A, "wire.example", "2031-05-06"),
                                              (*STRIKE, "port.example", "2031-05-06"))
    words = FLOOD_A[1].split()
    with transaction(con):
        exact = _add(con, "Dam bursts in Korvath", FLOOD_A[1], "paper.example", "2031-05-07")
        near = _add(con, "Korvath dam failure", " ".join(words[:-1] + ["yesterday."]), "daily.example", "2031-05-07")
    computed = []
    real = persist.doc_from_article
    monkeypatch.setattr(persist, "doc_from_article", lambda row, *a, **k: computed.append(row["id"]) or real(row, *a, **k))
    res = assign_stories(con)
    assert sorted(computed) == sorted([exact, near])  # the first run's articles came from their bags
    assert res["duplicates"] == 2
    rows = {r[0]: tuple(r[1:]) for r in con.execute("SELECT id, duplicate_of, dup_kind FROM articles WHERE id IN (?, ?)",
                                                     (exact, near))}
    assert rows == {exact: (a1, "exact"), near: (a1, "near")}
    con.close()


def test_a_member_whose_doc_cannot_be_built_again_keeps_its_place_and_is_reported(tmp_path, monkeypatch):
    # its bag gone (a new features version) and a bug meeting its text: the story it is in keeps
    # its counts, dates and outlets, and the run says which article was restored without features
    con = connect(tmp_path / "s.db")
    with transaction(con):
        a1 = _add(con, *FLOOD_A, "north.example", "2031-05-06")
        a2 = _add(con, *FLOOD_A2, "east.example", "2031-05-07")
    assign_stories(con)
    sid = con.execute("SELECT story_id FROM story_members WHERE article_id = ?", (a1,)).fetchone()[0]
    with transaction(con):
        con.execute("DELETE FROM doc_features")
        a3 = _add(con, "Korvath dam: more rescued", FLOOD_B[1], "south.example", "2031-05-07")
    real = persist.doc_from_article

    def doc_from_article(row, *a, **k):
        if row["id"] == a1:
            raise ValueError("a bug")
        return real(row, *a, **k)

    monkeypatch.setattr(persist, "doc_from_article", doc_from_article)
    counts = assign_stories(con)
    assert counts["grouped"] == 1
    assert counts["errors"] == [f"article {a1}: restored into its story without its features, which could not be "
                                "built again: ValueError: a bug"]
    story = persist.get_story(con, sid)
    members = con.execute("SELECT count(*) FROM story_members WHERE story_id = ?", (sid,)).fetchone()[0]
    assert story["n_articles"] == members
    assert story["first_seen"] == "2031-05-06" and "north.example" in story["outlets"]
    assert con.execute("SELECT stage FROM articles WHERE id = ?", (a1,)).fetchone()[0] == "grouped"
    con.close()


def test_display_names_come_whole_in_order_of_mention_from_any_stored_value(tmp_path):
    # the first of two names at one place wins a tie (as the per-annotation loop did), and a value
    # SQLite's JSON reader refuses (NaN, which json.dumps writes) still gives its name
    con = connect(tmp_path / "s.db")
    text = "Officials said that Lugo was flooded on Monday, and Maren Kossvik asked for pumps."
    at = text.index("Lugo")
    with transaction(con):
        aid = _add(con, "Flood in the valley", text, "north.example", "2031-05-06")
        put_annotations(con, aid, [
            {"kind": "entity", "start": at, "end": at + 4, "text": "Lugo", "label": "ORG", "value": {"name": "Lugo Town"}},
            {"kind": "place", "start": at, "end": at + 4, "text": "Lugo", "value": {"name": "Lugo City"}},
            {"kind": "entity", "start": text.index("Kossvik"), "end": text.index("Kossvik") + 7, "text": "Kossvik",
             "label": "PERSON", "value": {"name": "Maren Kossvik", "score": float("nan")}},
        ])
    names = load_docs(con, [aid], annotations=False)[aid].names
    assert names["@lugo"] == "Lugo Town"
    assert "Maren Kossvik" in names.values()
    con.close()
