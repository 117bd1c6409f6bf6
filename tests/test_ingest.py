"""Ingest: every format, idempotence, revisions, and bad input (all inputs invented here)."""
from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys

import pytest

from storyline import store
from storyline.ingest import ingest_paths
from storyline.ingest.readers import detect_format

ARTICLE = """date 2026-03-14 Flood barrier fails in Port Ellery as river peaks

By Marta Quill

The flood barrier protecting the lower town of Port Ellery gave way on Friday morning, officials said.

"We had about forty minutes of warning," said harbour master Tomasz Brenn.
"""

HTML_PAGE = """<!doctype html><html><head><title>Ferry strike ends after nine days | Coastline Post</title>
<meta property="og:site_name" content="Coastline Post">
<meta property="article:published_time" content="2026-02-03T09:15:00Z">
</head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Ferry strike ends after nine days</h1>
<p>Crews on the Westmark ferry line returned to work on Tuesday after a nine-day strike over rotas ended with a deal
brokered by the regional transport office, the union said in a statement.</p>
<p>The agreement gives crews two extra rest days a month and a pay rise of 4.5% from April, according to the union's
negotiator, Ilse Vandermeer, who called it "a fair settlement for people who keep the islands connected".</p>
<p>About 12,000 passengers a day were affected during the stoppage, the operator said.</p>
</article><footer>Copyright Coastline Post. All rights reserved.</footer></body></html>"""

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Valley Herald</title><link>https://valleyherald.example/</link>
<item><title>Orchard co-op doubles cider output</title><link>https://valleyherald.example/cider</link>
<guid>vh-101</guid><pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate>
<description>The Brannock orchard co-operative said it pressed 220,000 litres this season, twice last year.</description></item>
<item><title>Bridge repairs delayed</title><link>https://valleyherald.example/bridge</link>
<guid>vh-102</guid><pubDate>Tue, 03 Mar 2026 08:00:00 GMT</pubDate>
<description>&lt;p&gt;Repairs to the Aldmoor bridge will take until June, the county engineer said.&lt;/p&gt;</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>North Quay Bulletin</title><id>urn:nqb</id>
<updated>2026-03-05T10:00:00Z</updated>
<entry><title>Lighthouse reopens to visitors</title><id>urn:nqb:1</id>
<link href="https://northquay.example/lighthouse"/><updated>2026-03-05T10:00:00Z</updated>
<content type="html">&lt;p&gt;The Skerrow lighthouse reopened on Thursday after a two-year restoration.&lt;/p&gt;</content></entry>
</feed>"""


def jsonl_line(i: int, **extra) -> str:
    rec = {"id": f"ext-{i}", "title": f"Council votes on harbour plan {i}",
           "text": f"The council of Dunmore voted {i} times on the harbour plan, its clerk said.",
           "published": "2026-01-10", "source": "dunmore-echo.example", "url": f"https://dunmore-echo.example/{i}"}
    rec.update(extra)
    return json.dumps(rec)


def make_warc(path, pages: list[tuple[str, str]]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, html in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            rec = writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()), http_headers=headers)
            writer.write_record(rec)


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "s.db")
    yield c
    c.close()


def test_text_article_with_date_line(tmp_path, con):
    (tmp_path / "a.txt").write_text(" " + ARTICLE)  # a leading space, as real exports have
    s = ingest_paths(con, [str(tmp_path / "a.txt")])
    assert (s.ingested, s.rejects) == (1, 0)
    art = store.get_article(con, s.article_ids[0])
    assert art["published"] == "2026-03-14"
    assert art["title"] == "Flood barrier fails in Port Ellery as river peaks"
    assert art["text"].startswith("By Marta Quill")
    assert art["outlet"] == "file:a.txt" and art["outlet_known"] == 0
    assert s.unknown_outlets == 1


def test_headline_without_date_prefix_and_source_option(tmp_path, con):
    (tmp_path / "b.txt").write_text("Dockers vote to strike\n\nDockers at Kestrel Bay voted to strike on Monday.\n")
    s = ingest_paths(con, [str(tmp_path)], source="Kestrel Times")
    art = store.get_article(con, s.article_ids[0])
    assert art["title"] == "Dockers vote to strike" and art["published"] is None
    assert art["outlet"] == "Kestrel Times" and art["outlet_known"] == 1


def test_format_is_detected_from_content_not_extension(tmp_path, con):
    (tmp_path / "page.txt").write_text(HTML_PAGE)
    (tmp_path / "feed.dat").write_text(RSS)
    (tmp_path / "lines").write_text(jsonl_line(1) + "\n")
    s = ingest_paths(con, [str(tmp_path)])
    assert s.rejects == 0
    assert dict(s.formats) == {"html": 1, "rss": 2, "jsonl": 1}


def test_html_page_main_text_and_metadata(tmp_path, con):
    (tmp_path / "p.html").write_text(HTML_PAGE)
    s = ingest_paths(con, [str(tmp_path / "p.html")])
    art = store.get_article(con, s.article_ids[0])
    assert "nine-day strike" in art["text"]
    assert "All rights reserved" not in art["text"] and "Home" not in art["text"].split()
    assert art["outlet"] == "Coastline Post"
    assert art["published"].startswith("2026-02-03")
    assert store.get_raw(con, art["raw_id"]).decode() == HTML_PAGE  # raw HTML kept


def test_feeds_each_entry_is_an_article(tmp_path, con):
    (tmp_path / "f.rss").write_text(RSS)
    (tmp_path / "f.atom").write_text(ATOM)
    s = ingest_paths(con, [str(tmp_path)])
    assert s.ingested == 3
    rows = {r["title"]: dict(r) for r in con.execute("SELECT * FROM articles")}
    assert rows["Bridge repairs delayed"]["text"] == "Repairs to the Aldmoor bridge will take until June, the county engineer said."
    assert rows["Orchard co-op doubles cider output"]["outlet"] == "valleyherald.example"
    assert rows["Orchard co-op doubles cider output"]["external_id"] == "vh-101"
    assert rows["Lighthouse reopens to visitors"]["format"] == "atom"
    assert rows["Lighthouse reopens to visitors"]["published"].startswith("2026-03-05")


def test_warc_each_html_response_is_an_article(tmp_path, con):
    page2 = HTML_PAGE.replace("Ferry strike ends after nine days", "Ferry timetable restored")
    make_warc(tmp_path / "crawl.warc.gz", [("https://coastline.example/a", HTML_PAGE),
                                          ("https://coastline.example/b", page2)])
    s = ingest_paths(con, [str(tmp_path / "crawl.warc.gz")])
    assert (s.ingested, s.rejects) == (2, 0)
    urls = sorted(r[0] for r in con.execute("SELECT url FROM articles"))
    assert urls == ["https://coastline.example/a", "https://coastline.example/b"]


def test_jsonl_keeps_external_id_and_extra_fields(tmp_path, con):
    (tmp_path / "a.jsonl").write_text(jsonl_line(1, event="harbour-vote", lang="en") + "\n")
    s = ingest_paths(con, [str(tmp_path / "a.jsonl")])
    art = store.get_article(con, s.article_ids[0])
    assert art["external_id"] == "ext-1" and art["outlet"] == "dunmore-echo.example"
    assert art["extra"] == {"event": "harbour-vote", "lang": "en"}


def test_outlet_falls_back_to_url_domain(tmp_path, con):
    line = json.dumps({"id": "x", "title": "T", "text": "Body text here.", "url": "https://www.saltmarsh.example/x"})
    (tmp_path / "a.jsonl").write_text(line + "\n")
    s = ingest_paths(con, [str(tmp_path / "a.jsonl")])
    assert store.get_article(con, s.article_ids[0])["outlet"] == "saltmarsh.example"


def test_idempotent_and_revisions(tmp_path, con):
    f = tmp_path / "a.jsonl"
    f.write_text("\n".join(jsonl_line(i) for i in range(5)) + "\n")
    assert ingest_paths(con, [str(f)]).ingested == 5
    again = ingest_paths(con, [str(f)])
    assert again.ingested == 0 and again.skipped_files == 1
    # same content in another file: duplicates, nothing added
    (tmp_path / "copy.jsonl").write_text(f.read_text())
    dup = ingest_paths(con, [str(tmp_path / "copy.jsonl")])
    assert (dup.ingested, dup.duplicates) == (0, 5)
    # same id, changed text: a revision linked to the earlier one
    (tmp_path / "rev.jsonl").write_text(jsonl_line(2, text="The council of Dunmore voted again, its clerk said.") + "\n")
    rev = ingest_paths(con, [str(tmp_path / "rev.jsonl")])
    assert rev.revisions == 1
    new = store.get_article(con, rev.article_ids[0])
    old = store.get_article(con, new["revision_of"])
    assert old["external_id"] == "ext-2" and old["stage"] == "superseded"
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 6


def test_bad_inputs_each_named_and_the_rest_goes_on(tmp_path, con):
    (tmp_path / "good.txt").write_text(ARTICLE)
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blob.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "legacy.txt").write_bytes(
        "date 2026-01-05 Café owner in Zürich wins award\n\nThe café’s owner, René Aebi, said “merci”.\n".encode("cp1252"))
    (tmp_path / "baddate.txt").write_text("date 2025-13-45 A headline\n\nSome body text.\n")
    lines = [jsonl_line(1), jsonl_line(2), '{"id": "broken", "title": ', jsonl_line(4), json.dumps({"id": "n", "title": "no text"}),
             json.dumps({"id": "e", "title": "", "source": "x.example"})]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    import random

    rng = random.Random(7)
    gz = gzip.compress("".join(jsonl_line(100 + i, text=" ".join(f"w{rng.randrange(10**6)}" for _ in range(60))) + "\n"
                               for i in range(2000)).encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(gz[: len(gz) // 2])
    s = ingest_paths(con, [str(tmp_path), str(tmp_path / "missing.txt")])
    msgs = "\n".join(s.messages)
    assert "empty.txt: empty file" in msgs
    assert "blob.bin: binary file" in msgs
    assert "mixed.jsonl:3: malformed JSON" in msgs
    assert "mixed.jsonl:5: headline only" in msgs  # a brief: stored, its headline as its text, warned
    assert "mixed.jsonl:6: no 'text' or 'html' with article text, and no headline" in msgs
    assert "cut.jsonl.gz" in msgs and "truncated or corrupt gzip" in msgs
    assert "missing.txt: no such file" in msgs
    assert "baddate.txt:1: bad date '2025-13-45'" in msgs
    titles = {r[0] for r in con.execute("SELECT title FROM articles")}
    assert "Café owner in Zürich wins award" in titles  # legacy encoding decoded
    assert "A headline" in titles  # bad date: stored, date unknown, warned
    from_gz = con.execute("SELECT count(*) FROM articles WHERE source_path LIKE '%cut.jsonl.gz'").fetchone()[0]
    assert 0 < from_gz < 2000  # the lines before the cut are kept
    assert "no text" in titles
    assert s.ingested == 1 + 1 + 1 + 4 + from_gz  # good, legacy, baddate, four JSONL lines (one a brief), the gz lines
    assert s.rejects == 6
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 6


def test_cli_exit_status_says_whether_anything_was_rejected(tmp_path):
    (tmp_path / "good.txt").write_text(ARTICLE)
    db = str(tmp_path / "cli.db")
    ok = subprocess.run([sys.executable, "-m", "storyline", "ingest", str(tmp_path / "good.txt"), "--db", db, "--json"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["ingest"]["ingested"] == 1
    bad = subprocess.run([sys.executable, "-m", "storyline", "ingest", str(tmp_path / "nope.txt"), "--db", db],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "nope.txt: no such file or folder" in bad.stderr


def test_large_file_is_read_in_bounded_memory(tmp_path, con):
    """A JSONL file much larger than the text limit is streamed, not loaded whole."""
    f = tmp_path / "big.jsonl"
    with open(f, "w") as fh:
        for i in range(3000):
            fh.write(jsonl_line(i, text="word " * 400 + str(i)) + "\n")
    assert f.stat().st_size > 6_000_000
    s = ingest_paths(con, [str(f)])
    assert s.ingested == 3000
    big_text = tmp_path / "huge.txt"
    big_text.write_text("date 2026-01-01 Huge\n" + "x" * 6_000_000)
    s2 = ingest_paths(con, [str(big_text)])
    assert s2.rejects == 1 and "too large for one text article" in s2.messages[0]


def test_detect_format():
    assert detect_format(b"WARC/1.0\r\n") == "warc"
    assert detect_format(b"\x1f\x8b\x08") == "gzip"
    assert detect_format(b'{"id": 1}\n') == "jsonl"
    assert detect_format(b"<?xml version='1.0'?><rss version='2.0'>") == "feed"
    assert detect_format(b"  <!DOCTYPE html><html>") == "html"
    assert detect_format(b"date 2026-01-01 Headline\nBody") == "text"
    assert detect_format(b"   \n ") == "empty"


def test_a_feed_entry_with_a_headline_only_is_stored_with_a_warning(tmp_path, con):
    feed = RSS.replace("</channel>", "<item><title>Ferry sailings cancelled after storm damage at Velden quay</title>"
                       "<link>https://valleyherald.example/ferry</link><guid>vh-103</guid></item>"
                       "<item><link>https://valleyherald.example/blank</link><guid>vh-104</guid></item></channel>")
    (tmp_path / "f.rss").write_text(feed)
    s = ingest_paths(con, [str(tmp_path)])
    msgs = "\n".join(s.messages)
    assert s.ingested == 3 and s.rejects == 1
    assert "feed entry 3 has a headline only: stored with the headline as its text" in msgs
    assert "feed entry 4 has no text and no headline" in msgs
    row = con.execute("SELECT title, text FROM articles WHERE external_id = 'vh-103'").fetchone()
    assert row[0] == row[1] == "Ferry sailings cancelled after storm damage at Velden quay"


def test_a_placeholder_date_before_1800_is_stored_as_unknown_with_a_warning(tmp_path, con):
    """'0001-01-01' (a CMS's empty date) is not when an article appeared: stored undated and
    warned, so the stories stage does not restore every story since year 1 for it."""
    (tmp_path / "old.jsonl").write_text(
        json.dumps({"id": "p1", "title": "Harbour fees rise in Brennport", "source": "port.example",
                    "text": "Harbour fees in Brennport rise by 4 percent from June, the port authority said.",
                    "published": "0001-01-01T00:00:00Z"}) + "\n")
    s = ingest_paths(con, [str(tmp_path / "old.jsonl")])
    assert s.ingested == 1 and s.warnings == 1
    assert "old.jsonl:1: bad date '0001-01-01T00:00:00Z' (before 1800)" in "\n".join(s.messages)
    assert con.execute("SELECT published FROM articles").fetchone()[0] is None
