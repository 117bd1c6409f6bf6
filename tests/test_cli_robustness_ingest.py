"""One bad JSONL record (a field of the wrong type, or a bug met while reading or writing it) is
rejected with its file and line; the rest of the file and the other files are ingested, and the
exit status says something was rejected. All articles are invented."""
from __future__ import annotations

import json

from storyline import store
from storyline.cli import main
from storyline.ingest import ingest_paths


def art(i: int, **fields) -> str:
    row = {"id": f"lk{i}", "title": f"Lakeview dam repairs, report {i}",
           "text": f"Engineers repaired the Lakeview dam on Monday after cracks were found, report {i}. "
                   "The water board said the reservoir would refill within a week.",
           "published": "2031-05-11", "source": "lakeview-courier.example"}
    row.update(fields)
    return json.dumps(row)


def test_fields_of_the_wrong_type_reject_their_record_and_the_rest_goes_on(tmp_path, capsys):
    bad = tmp_path / "wire.jsonl"
    bad.write_text("\n".join([
        art(1),
        art(2, url=5),
        art(3, url={"u": 1}),
        art(4, title=3),
        art(5, published=True),
        art(6, id={"x": 1}),
        art(7, id=False),
        art(8, text=["Engineers", "repaired"]),
        art(9, source=["lakeview-courier.example"]),
        art(10, id=1234),  # an integer id is fine
    ]) + "\n")
    other = tmp_path / "courier.jsonl"
    other.write_text(art(20) + "\n" + art(21) + "\n")
    db = str(tmp_path / "s.db")
    assert main(["ingest", str(bad), str(other), "--db", db, "--json"]) == 1
    out = json.loads(capsys.readouterr().out)["ingest"]
    assert out["ingested"] == 4 and out["rejects"] == 8
    msgs = "\n".join(out["messages"])
    for line, field in ((2, "url"), (3, "url"), (4, "title"), (5, "published"), (6, "id"), (7, "id"),
                        (8, "text"), (9, "source")):
        assert f"rejected: {bad}:{line}: field '{field}' is not a string" in msgs, (line, msgs)
    con = store.connect(db)
    assert sorted(r[0] for r in con.execute("SELECT external_id FROM articles")) == ["1234", "lk1", "lk20", "lk21"]
    assert con.execute("SELECT count(*) FROM rejects WHERE path = ?", (str(bad),)).fetchone()[0] == 8
    # text output names the file, the line and the field on stderr
    db2 = str(tmp_path / "t.db")
    assert main(["ingest", str(bad), "--db", db2]) == 1
    assert f"rejected: {bad}:2: field 'url' is not a string: got a number" in capsys.readouterr().err


def test_a_number_as_date_is_unix_seconds_and_an_implausible_one_is_a_bad_date(tmp_path):
    f = tmp_path / "dates.jsonl"
    f.write_text("\n".join([
        art(1, published=1946980800),  # 2031-09-12 12:00 UTC as Unix seconds
        art(2, published=20310511),  # a date written as a number: 1970-08-23 as Unix seconds
        art(3),
        art(4).replace('"2031-05-11"', "1e400"),  # inf once parsed
        art(5, published=10 ** 40),  # beyond any datetime
    ]) + "\n")
    con = store.connect(tmp_path / "s.db")
    s = ingest_paths(con, [str(f)])
    assert s.ingested == 5 and s.rejects == 0 and s.warnings == 3
    dates = dict(con.execute("SELECT external_id, published FROM articles").fetchall())
    assert dates == {"lk1": "2031-09-12", "lk2": None, "lk3": "2031-05-11", "lk4": None, "lk5": None}
    assert any(f"{f}:2: bad date 20310511" in m for m in s.messages)


def test_an_unexpected_error_writing_one_article_is_its_reject(tmp_path, monkeypatch, capsys):
    import storyline.ingest as ingest

    real = ingest.content_hash

    def flaky(title, text):
        if "report 2" in title:
            raise RuntimeError("hash backend lost")
        return real(title, text)

    monkeypatch.setattr(ingest, "content_hash", flaky)
    f = tmp_path / "wire.jsonl"
    f.write_text("\n".join(art(i) for i in (1, 2, 3)) + "\n")
    g = tmp_path / "courier.jsonl"
    g.write_text(art(4) + "\n")
    db = str(tmp_path / "s.db")
    assert main(["ingest", str(f), str(g), "--db", db, "--json"]) == 1
    out = json.loads(capsys.readouterr().out)["ingest"]
    assert out["ingested"] == 3 and out["rejects"] == 1 and out["formats"] == {"jsonl": 3}
    assert f"rejected: {f}:2: unexpected error: RuntimeError: hash backend lost" in out["messages"]
    con = store.connect(db)
    assert sorted(r[0] for r in con.execute("SELECT external_id FROM articles")) == ["lk1", "lk3", "lk4"]
    assert [tuple(r) for r in con.execute("SELECT path, line FROM rejects")] == [(str(f), 2)]
    assert tuple(con.execute("SELECT articles, rejects FROM ingest_log WHERE path = ?", (str(f),)).fetchone()) == (2, 1)


def test_an_unexpected_error_reading_one_record_is_its_reject(tmp_path, monkeypatch):
    import storyline.ingest.readers as readers

    def broken(html, url=None):
        raise KeyError("sitename")

    monkeypatch.setattr(readers, "extract_html", broken)
    f = tmp_path / "pages.jsonl"
    page = {"id": "p2", "html": "<html><body><p>Engineers repaired the Lakeview dam.</p></body></html>",
            "url": "https://lakeview-courier.example/dam"}
    f.write_text("\n".join([art(1), json.dumps(page), art(3)]) + "\n")
    con = store.connect(tmp_path / "s.db")
    s = ingest_paths(con, [str(f)])
    assert s.ingested == 2 and s.rejects == 1
    assert f"rejected: {f}:2: unexpected error reading the record: KeyError: 'sitename'" in s.messages


def test_a_reader_that_breaks_loses_the_rest_of_its_file_only(tmp_path, monkeypatch):
    import storyline.ingest.readers as readers

    def half_feed(path, data, source):
        yield readers._article(path, None, fmt="rss", title="Dam reopens", text="The Lakeview dam reopened.",
                               published=None, url="https://lakeview-courier.example/reopens", source=None,
                               external_id="f1", html=None, extra={}, raw=None)
        raise AttributeError("'NoneType' object has no attribute 'get'")

    monkeypatch.setattr(readers, "read_feed", half_feed)
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>Courier</title></channel></rss>')
    other = tmp_path / "wire.jsonl"
    other.write_text(art(1) + "\n")
    con = store.connect(tmp_path / "s.db")
    s = ingest_paths(con, [str(feed), str(other)])
    assert s.ingested == 2 and s.rejects == 1
    assert any(m.startswith(f"rejected: {feed}: unexpected error: AttributeError") for m in s.messages)
    # not logged as done, so a rerun (after a fix) reads it again
    assert con.execute("SELECT count(*) FROM ingest_log WHERE path = ?", (str(feed),)).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM ingest_log WHERE path = ?", (str(other),)).fetchone()[0] == 1
