"""Review E fixes: a reverted correction becomes current again (article and live blog), a short
Windows-1252 text file is read as cp1252, the bad-date warning names its line once, and two runs at
once each count only the rows they wrote. All text invented."""
from __future__ import annotations

import json

import pytest
from test_stories_revisions import LIVE_ENTRIES, NEW_ENTRY, QUAKE, VOTE, _line, _live, _members

from storyline.cli import main
from storyline.ingest import ingest_paths
from storyline.ingest.readers import decode
from storyline.store import connect


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "s.db")
    yield c
    c.close()


def _run(db, path, capsys):
    assert main(["run", str(path), "--db", db, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _current(con, ext, outlet):
    return con.execute("SELECT id, text FROM articles WHERE external_id = ? AND outlet = ? AND parent_id IS NULL "
                       "AND stage != 'superseded'", (ext, outlet)).fetchall()


# ------------------------------------------------------------------ reverted revisions


def test_a_reverted_correction_becomes_current_and_keeps_its_story(tmp_path, capsys):
    db = str(tmp_path / "s.db")
    corrected = QUAKE[1].replace("nine people", "eleven people")
    files = {"day1": [_line("q1", *QUAKE, "north.example"), _line("v1", *VOTE, "city.example")],
             "day2": [_line("q1", QUAKE[0], corrected, "north.example")],
             "day3": [_line("q1", *QUAKE, "north.example")]}  # the outlet undoes its correction
    out = {}
    for name, lines in files.items():
        (tmp_path / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
        out[name] = _run(db, tmp_path / f"{name}.jsonl", capsys)["ingest"]
        if name == "day1":
            con = connect(db)
            story = _members(con)[_current(con, "q1", "north.example")[0][0]][0]
    assert (out["day3"]["revisions"], out["day3"]["duplicates"], out["day3"]["ingested"]) == (1, 0, 0)
    (now, text), = _current(con, "q1", "north.example")
    assert text == QUAKE[1]  # the outlet's latest text is the current version
    second = con.execute("SELECT revision_of FROM articles WHERE id = ?", (now,)).fetchone()[0]
    assert con.execute("SELECT text FROM articles WHERE id = ?", (second,)).fetchone()[0] == corrected
    assert _members(con)[now][0] == story  # it takes its place in the story, like any revision
    assert con.execute("SELECT count(*) FROM story_members m JOIN articles a ON a.id = m.article_id "
                       "WHERE a.external_id = 'q1'").fetchone()[0] == 1


def test_an_original_live_blog_sent_again_after_its_revision_is_current(tmp_path, capsys):
    db = str(tmp_path / "s.db")
    original = _line("live", "News live", _live(LIVE_ENTRIES), "live.example")
    (tmp_path / "a.jsonl").write_text(original + "\n")
    (tmp_path / "b.jsonl").write_text(_line("live", "News live", _live(LIVE_ENTRIES + [NEW_ENTRY]),
                                            "live.example") + "\n")
    (tmp_path / "c.jsonl").write_text(original + "\n")
    _run(db, tmp_path / "a.jsonl", capsys)
    con = connect(db)
    entry_story = "SELECT a.title, m.story_id FROM articles a JOIN story_members m ON m.article_id = a.id " \
                  "JOIN articles p ON p.id = a.parent_id WHERE p.id = ?"
    first = _current(con, "live", "live.example")[0][0]
    before = dict(con.execute(entry_story, (first,)).fetchall())
    assert len(before) == len(LIVE_ENTRIES)
    _run(db, tmp_path / "b.jsonl", capsys)
    ingest = _run(db, tmp_path / "c.jsonl", capsys)["ingest"]
    assert (ingest["revisions"], ingest["duplicates"]) == (1, 0)
    (page, text), = _current(con, "live", "live.example")
    assert page != first and text == json.loads(original)["text"]
    assert dict(con.execute(entry_story, (page,)).fetchall()) == before  # its entries keep their stories


def test_reading_a_file_again_does_not_revise_back_and_forth(tmp_path, con):
    """A file holding an article and then its revision, read again (a rerun after a kill, or the
    file grew): both are duplicates, as before; the revision stays current."""
    path = tmp_path / "feed.jsonl"
    v1, v2 = _line("q1", *QUAKE, "north.example"), _line("q1", QUAKE[0], QUAKE[1] + " More later.", "north.example")
    path.write_text(v1 + "\n" + v2 + "\n")
    s = ingest_paths(con, [str(path)])
    assert (s.ingested, s.revisions, s.duplicates) == (1, 1, 0)
    path.write_text(v1 + "\n" + v2 + "\n" + _line("v1", *VOTE, "city.example") + "\n")
    s = ingest_paths(con, [str(path)])
    assert (s.ingested, s.revisions, s.duplicates) == (1, 0, 2)
    assert _current(con, "q1", "north.example")[0][1] == QUAKE[1] + " More later."
    assert con.execute("SELECT count(*) FROM articles WHERE external_id = 'q1'").fetchone()[0] == 2


# ------------------------------------------------------------------ legacy encodings


CP1252_TITLE = "Café in Marivo raises prices"
CP1252_BODY = ("The café’s owner, Hélène Varn, said “prices” would rise by £2 – or €2.40 – "
               "from Monday, blaming the harbour rent.")
CP1251_TITLE = "Пожар на заводе в Маривове"
CP1251_BODY = "В понедельник на заводе произошёл пожар, пострадали пять рабочих, сообщил начальник охраны."


def test_a_short_cp1252_file_is_read_as_cp1252():
    data = f"date 2024-03-05 {CP1252_TITLE}\n{CP1252_BODY}\n".encode("cp1252")
    assert decode(data) == (f"date 2024-03-05 {CP1252_TITLE}\n{CP1252_BODY}\n", "cp1252")
    # the reviewer's file, which charset_normalizer alone reads as cp775 ("Cafķ owner ōwinsö case")
    text, enc = decode(b"date 2024-03-05 Caf\xe9 owner \x93wins\x94 case\nThe caf\xe9 owner won \x96 after 3 "
                       b"years \x96 a \x805,000 settlement, the court said.\n")
    assert enc == "cp1252" and "Café owner “wins” case" in text and "won – after" in text and "€5,000" in text


def test_legacy_files_are_stored_in_their_own_script(tmp_path, con):
    (tmp_path / "west.txt").write_bytes(f"date 2024-03-05 {CP1252_TITLE}\n\n{CP1252_BODY}\n".encode("cp1252"))
    (tmp_path / "east.txt").write_bytes(f"date 2024-03-05 {CP1251_TITLE}\n\n{CP1251_BODY}\n".encode("cp1251"))
    s = ingest_paths(con, [str(tmp_path)])
    assert s.ingested == 2
    stored = {r[0]: r[1] for r in con.execute("SELECT title, text FROM articles")}
    assert stored == {CP1252_TITLE: CP1252_BODY, CP1251_TITLE: CP1251_BODY}
    msgs = "\n".join(s.messages)
    assert "west.txt: not UTF-8: decoded as cp1252" in msgs
    assert "east.txt: not UTF-8: decoded as cp1251" in msgs


def test_a_central_european_cp1250_file_is_not_forced_into_cp1252():
    text = "Tűz a gyárban\nHétfőn tűz ütött ki a gyárban, öt munkás megsérült, közölte a tűzoltóparancsnok.\n"
    assert decode(text.encode("cp1250")) == (text, "cp1250")


def test_the_bad_date_warning_names_its_line_once(tmp_path, con):
    (tmp_path / "baddate.txt").write_text("date 2025-13-45 A headline\n\nSome body text.\n")
    s = ingest_paths(con, [str(tmp_path / "baddate.txt")])
    msg, = s.messages
    assert msg.endswith("baddate.txt:1: bad date '2025-13-45'; stored with the date unknown")


# ------------------------------------------------------------------ two runs at once


def test_two_runs_at_once_each_count_only_what_they_wrote(tmp_path, monkeypatch):
    from storyline import pipeline

    db = str(tmp_path / "two.db")
    (tmp_path / "a.jsonl").write_text(_line("q1", *QUAKE, "north.example") + "\n"
                                      + _line("v1", *VOTE, "city.example") + "\n")
    con, other = connect(db), connect(db)
    ingest_paths(con, [str(tmp_path / "a.jsonl")])
    import storyline.annotate as annotate
    import storyline.clean as clean

    real_clean, real_annotate = clean.clean_article, annotate.annotate_texts
    b_runs: dict[str, pipeline.ProcessSummary] = {}

    def clean_article(article):
        if "clean" not in b_runs:  # run A has read the batch; run B cleans it first, start to end
            b_runs["clean"] = pipeline.ProcessSummary()
            pipeline.clean_pending(other, summary=b_runs["clean"])
        return real_clean(article)

    def annotate_texts(items, **kw):
        if "annotate" not in b_runs:
            b_runs["annotate"] = pipeline.ProcessSummary()
            pipeline.annotate_pending(other, summary=b_runs["annotate"])
        return real_annotate(items, **kw)

    monkeypatch.setattr(clean, "clean_article", clean_article)
    monkeypatch.setattr(annotate, "annotate_texts", annotate_texts)
    a = pipeline.ProcessSummary()
    pipeline.clean_pending(con, summary=a)
    pipeline.annotate_pending(con, summary=a)
    assert (b_runs["clean"].cleaned, b_runs["annotate"].annotated) == (2, 2)
    assert (a.cleaned, a.annotated) == (0, 0)  # run A wrote nothing: run B had done it all
    assert con.execute("SELECT count(*) FROM articles WHERE stage = 'annotated'").fetchone()[0] == 2


def test_a_superseded_text_under_another_id_is_still_a_duplicate(tmp_path, con):
    first, second, third = (tmp_path / f"{n}.jsonl" for n in "abc")
    first.write_text(_line("q1", *QUAKE, "north.example") + "\n")
    second.write_text(_line("q1", QUAKE[0], QUAKE[1] + " More later.", "north.example") + "\n")
    third.write_text(_line("q9", *QUAKE, "north.example") + "\n")  # not a version of q1's page
    for path in (first, second):
        ingest_paths(con, [str(path)])
    s = ingest_paths(con, [str(third)])
    assert (s.ingested, s.revisions, s.duplicates) == (0, 0, 1)
