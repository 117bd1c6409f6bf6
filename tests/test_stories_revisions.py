"""Revisions keep their stories: a revised article takes its predecessor's place in the same
story (pinned when the user had placed it), a revised live-blog page's entries keep theirs, and a
copy of the revised article stays with it. All articles invented, run through the real CLI."""
from __future__ import annotations

import json

import pytest

from storyline.cli import main
from storyline.store import connect

QUAKE = ("Earthquake shakes Tessaly coast, 9 dead",
         "An earthquake of magnitude 5.9 struck the Tessaly coast near the port of Marivo on Tuesday, killing "
         "nine people, the regional governor Anja Kettering said. Rescue teams searched collapsed houses in "
         "Marivo through the night and the coastal road to Belsk was closed by landslides.")
QUAKE2 = ("Marivo mourns as Tessaly quake toll is confirmed",
          "Governor Anja Kettering confirmed on Wednesday that nine people died when the magnitude 5.9 "
          "earthquake hit Marivo on the Tessaly coast. Rescue teams finished searching the collapsed houses, "
          "and engineers inspected the landslides on the road to Belsk.")
QUAKE3 = ("Tessaly quake: Marivo harbour damaged, ferries stopped",
          "The earthquake that hit Marivo on Tuesday cracked the harbour wall, and ferries to the Tessaly "
          "islands were stopped, the port authority said. Governor Anja Kettering asked for army engineers.")
VOTE = ("Ostrava council votes to close the Lenz tram depot",
        "The Ostrava city council voted 31 to 12 on Tuesday to close the Lenz tram depot by 2032, mayor "
        "Pavel Dorsic said. Unions said 140 depot workers would be moved to the new Kravin site.")


def _line(ident, title, text, source, published="2031-03-04", **extra):
    return json.dumps({"id": ident, "title": title, "text": text, "source": source, "published": published,
                       **extra})


def _members(con):
    return {r[0]: (r[1], r[2]) for r in con.execute("SELECT article_id, story_id, pinned FROM story_members")}


def _by_ext(con, ext, outlet):
    return con.execute("SELECT id FROM articles WHERE external_id = ? AND outlet = ? AND stage != 'superseded'",
                       (ext, outlet)).fetchone()[0]


def _run(db, path, capsys):
    assert main(["run", str(path), "--db", db, "--json"]) == 0, capsys.readouterr().err
    capsys.readouterr()


def _first_run(tmp_path, capsys, *lines):
    """A store in ``tmp_path`` after one `storyline run` of the JSONL ``lines``: (path, connection)."""
    db = str(tmp_path / "s.db")
    (tmp_path / "day1.jsonl").write_text("\n".join(lines) + "\n")
    _run(db, tmp_path / "day1.jsonl", capsys)
    return db, connect(db)


def test_a_revision_keeps_the_users_split(tmp_path, capsys):
    db, con = _first_run(tmp_path, capsys, _line("q1", *QUAKE, "north.example"), _line("q2", *QUAKE2, "east.example"),
                         _line("q3", *QUAKE3, "port.example"), _line("v1", *VOTE, "city.example"))
    q1, q3 = _by_ext(con, "q1", "north.example"), _by_ext(con, "q3", "port.example")
    story = _members(con)[q1][0]
    assert _members(con)[q3][0] == story
    assert main(["split", str(story), str(q3), "--db", db, "--json"]) == 0
    split = json.loads(capsys.readouterr().out)["id"]
    # the port outlet corrects its report: same id, new text
    rev = tmp_path / "rev.jsonl"
    rev.write_text(_line("q3", QUAKE3[0], QUAKE3[1] + " Ferries to the islands resumed on Thursday.",
                         "port.example") + "\n")
    _run(db, rev, capsys)
    new = _by_ext(con, "q3", "port.example")
    assert new != q3
    assert _members(con)[new] == (split, 1)  # the user's story, still pinned
    assert q3 not in _members(con)
    why = json.loads(con.execute("SELECT explanation FROM story_members WHERE article_id = ?", (new,)).fetchone()[0])
    assert why["revision_of"] == q3
    assert main(["story", str(split), "--db", db, "--json", "--no-compare"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["n_articles"], shown["outlets"]) == (1, ["port.example"])
    assert [m["article_id"] for m in shown["members"]] == [new]


def test_a_revision_takes_its_copy_along(tmp_path, capsys):
    db, con = _first_run(tmp_path, capsys, _line("q1", *QUAKE, "north.example"), _line("w1", *QUAKE, "wire.example"),
                         _line("v1", *VOTE, "city.example"))
    q1, w1 = _by_ext(con, "q1", "north.example"), _by_ext(con, "w1", "wire.example")
    assert con.execute("SELECT duplicate_of FROM articles WHERE id = ?", (w1,)).fetchone()[0] == q1
    story = _members(con)[q1][0]
    rev = tmp_path / "rev.jsonl"
    rev.write_text(_line("q1", QUAKE[0], QUAKE[1] + " The governor declared three days of mourning.",
                         "north.example") + "\n")
    _run(db, rev, capsys)
    new = _by_ext(con, "q1", "north.example")
    assert _members(con)[new][0] == _members(con)[w1][0] == story
    row = con.execute("SELECT n_articles, n_outlets FROM stories WHERE id = ?", (story,)).fetchone()
    assert tuple(row) == (1, 2)  # the revision counts, the copy adds its outlet


LIVE_ENTRIES = [
    ("09:10", "Quake hits Tessaly coast near Marivo",
     "An earthquake of magnitude 5.9 struck the Tessaly coast near Marivo this morning. Governor Anja "
     "Kettering said nine people died and rescue teams were searching collapsed houses."),
    ("09:40", "Ostrava votes to close Lenz tram depot",
     "Ostrava's council voted 31 to 12 to close the Lenz tram depot by 2032, mayor Pavel Dorsic said; unions "
     "said 140 workers would move to the Kravin site."),
    ("10:15", "Floods close Ridderbrook bridge",
     "The river Aumel burst its banks at Ridderbrook and the old bridge was closed, the water board said. "
     "Forty homes were evacuated along the Aumel."),
    ("10:50", "Saltmere ferry strike called off",
     "Ferry crews in Saltmere called off Friday's strike after a pay offer of 6 percent, union leader "
     "Hedda Varn said."),
]
NEW_ENTRY = ("11:30", "Meteor shower lights up Kelvaran sky",
             "Stargazers in Kelvaran watched hundreds of meteors overnight as the Tarsid shower peaked, the "
             "Kelvaran observatory said.")


def _live(entries):
    lines = ["Follow the day's news as it happens, with updates from our reporters."]
    for stamp, head, body in sorted(entries, key=lambda e: e[0], reverse=True):  # newest first
        lines += [stamp, head, body]
    return "\n".join(lines)


def test_a_live_blog_that_gains_an_entry_keeps_its_entries_stories(tmp_path, capsys):
    db, con = _first_run(
        tmp_path, capsys,
        _line("live", "News live: quake, trams, floods", _live(LIVE_ENTRIES), "live.example"),
        _line("q1", *QUAKE, "north.example"), _line("v1", *VOTE, "city.example"),
    )
    entries = {r[1]: r[0] for r in con.execute(
        "SELECT a.id, a.title FROM articles a JOIN articles p ON p.id = a.parent_id WHERE p.external_id = 'live'")}
    if len(entries) != len(LIVE_ENTRIES):
        pytest.fail(f"the page was not split into its {len(LIVE_ENTRIES)} entries: {sorted(entries)}")
    before = _members(con)
    quake_entry = entries["Quake hits Tessaly coast near Marivo"]
    q1 = _by_ext(con, "q1", "north.example")
    assert before[quake_entry][0] == before[q1][0]
    # the user pins the ferry entry into the floods entry's story (their choice, kept below)
    ferry, floods = entries["Saltmere ferry strike called off"], entries["Floods close Ridderbrook bridge"]
    assert main(["move", str(ferry), str(before[floods][0]), "--db", db]) == 0
    capsys.readouterr()
    before = _members(con)
    empty = "SELECT id FROM stories WHERE n_articles = 0 AND merged_into IS NULL"
    emptied = con.execute(empty).fetchall()  # the ferry entry's first story, which the move emptied
    rev = tmp_path / "rev.jsonl"
    rev.write_text(_line("live", "News live: quake, trams, floods", _live(LIVE_ENTRIES + [NEW_ENTRY]),
                         "live.example") + "\n")
    _run(db, rev, capsys)
    after = _members(con)
    now = {r[1]: r[0] for r in con.execute(
        "SELECT a.id, a.title FROM articles a JOIN articles p ON p.id = a.parent_id "
        "WHERE p.external_id = 'live' AND a.stage != 'superseded'")}
    assert len(now) == len(LIVE_ENTRIES) + 1
    for title, old in entries.items():
        assert after[now[title]] == before[old], title  # same story, same pin
    assert after[now[NEW_ENTRY[1]]][0] not in {sid for sid, _ in before.values()}  # a new event, a new story
    # no story was left empty by the revision
    assert len(emptied) == 1 and con.execute(empty).fetchall() == emptied


def test_revised_twice_before_a_run_keeps_the_users_split(tmp_path, capsys):
    db, con = _first_run(tmp_path, capsys, _line("q1", *QUAKE, "north.example"), _line("q3", *QUAKE3, "port.example"),
                         _line("v1", *VOTE, "city.example"))
    q3 = _by_ext(con, "q3", "port.example")
    assert main(["split", str(_members(con)[q3][0]), str(q3), "--db", db, "--json"]) == 0
    split = json.loads(capsys.readouterr().out)["id"]
    for k, extra in enumerate((" Ferries resumed.", " Ferries resumed on Thursday.")):
        (tmp_path / f"rev{k}.jsonl").write_text(_line("q3", QUAKE3[0], QUAKE3[1] + extra, "port.example") + "\n")
        assert main(["ingest", str(tmp_path / f"rev{k}.jsonl"), "--db", db]) == 0  # no run in between
    capsys.readouterr()
    assert main(["process", "--db", db]) == 0
    assert _members(con)[_by_ext(con, "q3", "port.example")] == (split, 1)


def test_a_revision_of_a_storys_only_article_keeps_the_story_for_its_follow_ups(tmp_path, capsys):
    db = str(tmp_path / "solo.db")
    (tmp_path / "d1.jsonl").write_text(_line("q1", *QUAKE, "north.example") + "\n")
    _run(db, tmp_path / "d1.jsonl", capsys)
    con = connect(db)
    story = _members(con)[_by_ext(con, "q1", "north.example")][0]
    revised = QUAKE[1] + " The governor declared three days of mourning."
    (tmp_path / "d2.jsonl").write_text("\n".join([
        _line("q1", QUAKE[0], revised, "north.example"),          # the revision
        _line("w1", QUAKE[0], revised, "wire.example"),           # a wire copy of it
        _line("q2", *QUAKE2, "east.example", "2031-03-05"),       # a follow-up
    ]) + "\n")
    _run(db, tmp_path / "d2.jsonl", capsys)
    members = _members(con)
    q1, w1, q2 = (_by_ext(con, e, o) for e, o in (("q1", "north.example"), ("w1", "wire.example"),
                                                    ("q2", "east.example")))
    assert members[q1][0] == members[w1][0] == members[q2][0] == story
    assert con.execute("SELECT duplicate_of FROM articles WHERE id = ?", (w1,)).fetchone()[0] == q1


def test_the_copies_of_a_revised_article_follow_the_revision(tmp_path, capsys):
    db, con = _first_run(
        tmp_path, capsys,
        _line("q1", *QUAKE, "north.example"), _line("w1", *QUAKE, "wire.example"),
        _line("v1", *VOTE, "city.example"))
    (tmp_path / "rev.jsonl").write_text(_line("q1", QUAKE[0], QUAKE[1] + " Updated.", "north.example") + "\n")
    _run(db, tmp_path / "rev.jsonl", capsys)
    q1, w1 = _by_ext(con, "q1", "north.example"), _by_ext(con, "w1", "wire.example")
    assert con.execute("SELECT duplicate_of FROM articles WHERE id = ?", (w1,)).fetchone()[0] == q1
    vote = _members(con)[_by_ext(con, "v1", "city.example")][0]
    assert main(["move", str(q1), str(vote), "--db", db]) == 0  # the copy goes with it
    capsys.readouterr()
    assert _members(con)[w1][0] == vote


def test_a_live_blog_revised_twice_before_a_run_keeps_its_entries_stories(tmp_path, capsys):
    db, con = _first_run(
        tmp_path, capsys,
        _line("live", "News live", _live(LIVE_ENTRIES), "live.example"), _line("q1", *QUAKE, "north.example"),
    )
    entry_sql = ("SELECT a.id, a.title FROM articles a JOIN articles p ON p.id = a.parent_id "
                 "WHERE p.external_id = 'live' AND a.stage != 'superseded'")
    before = {t: _members(con)[i] for i, t in con.execute(entry_sql)}
    for k, extra in enumerate(([NEW_ENTRY], [NEW_ENTRY, ("12:00", "Ostrava trams: unions plan protest",
                                                          "Unions said they would protest at the Lenz depot.")])):
        (tmp_path / f"r{k}.jsonl").write_text(_line("live", "News live", _live(LIVE_ENTRIES + extra),
                                                    "live.example") + "\n")
        assert main(["ingest", str(tmp_path / f"r{k}.jsonl"), "--db", db]) == 0
    capsys.readouterr()
    assert main(["process", "--db", db]) == 0
    after = {t: _members(con)[i] for i, t in con.execute(entry_sql)}
    assert {t: after[t] for t in before} == before


def test_a_revision_dated_past_the_window_keeps_its_story_and_copy(tmp_path, capsys):
    """A CMS that stamps the last change: the revision comes three weeks later. The story is out
    of the grouper's window, so the revision joins it without scoring, its copy with it."""
    db, con = _first_run(tmp_path, capsys, _line("q1", *QUAKE, "north.example"),
                         _line("w1", *QUAKE, "wire.example"), _line("q2", *QUAKE2, "east.example"))
    story = _members(con)[_by_ext(con, "q1", "north.example")][0]
    (tmp_path / "rev.jsonl").write_text(
        _line("q1", QUAKE[0], QUAKE[1] + " Corrected the toll.", "north.example", "2031-03-25") + "\n")
    _run(db, tmp_path / "rev.jsonl", capsys)
    q1, w1 = _by_ext(con, "q1", "north.example"), _by_ext(con, "w1", "wire.example")
    assert _members(con)[q1][0] == _members(con)[w1][0] == story
    assert con.execute("SELECT count(*) FROM stories WHERE n_articles > 0").fetchone()[0] == 1
    assert main(["story", str(story), "--db", db, "--no-compare"]) == 0
    out = capsys.readouterr().out
    assert f"a new version of article" in out and "placed without scoring" in out
    assert "backlog pass" not in out


def test_a_revision_in_the_window_is_explained_as_one(tmp_path, capsys):
    db, con = _first_run(tmp_path, capsys, _line("q1", *QUAKE, "north.example"),
                         _line("q2", *QUAKE2, "east.example"))
    old = _by_ext(con, "q1", "north.example")
    (tmp_path / "rev.jsonl").write_text(_line("q1", QUAKE[0], QUAKE[1] + " Updated.", "north.example") + "\n")
    _run(db, tmp_path / "rev.jsonl", capsys)
    new = _by_ext(con, "q1", "north.example")
    why = json.loads(con.execute("SELECT explanation FROM story_members WHERE article_id = ?", (new,)).fetchone()[0])
    assert why["revision_of"] == old and "backlog" not in why and why["score"] > 0.3
    assert main(["story", str(_members(con)[new][0]), "--db", db, "--no-compare"]) == 0
    assert f"a new version of article {old}, which was in this story" in capsys.readouterr().out
