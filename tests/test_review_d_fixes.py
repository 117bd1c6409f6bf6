"""Fourth review (D): `export --json` prints one JSON document, `/api/outlets` counts a live
blog's stories through its entries and leaves superseded versions out of `articles`, comment
prompts such as "Share your thoughts in the comments below." are cleaned, `status` counts
current articles (superseded versions apart), and a malformed JSONL record's message does not
read like a file line. All text, outlets and stores are invented."""
from __future__ import annotations

import json
import time

import pytest

from storyline import store
from storyline.cli import main
from storyline.clean import clean_text

FERRY = ("Dunmere ferry to run a night service",
         "The Dunmere ferry will run a night service from May, the operator Keswin Lines said on Monday. "
         "About 900 people a night are expected to use it in the first year.")
FERRY2 = FERRY[1] + " The first crossing leaves at 23:40."
BRIDGE = ("Askel bridge closed for repairs",
          "The Askel river bridge will close for six weeks of repairs from June, the county council said.")


def _line(ident, title, text, source="northwick.example", published="2031-05-04"):
    return json.dumps({"id": ident, "title": title, "text": text, "source": source, "published": published})


@pytest.fixture()
def revised(tmp_path, capsys):
    """A store where northwick's `f1` was ingested, then revised (one superseded version)."""
    db = str(tmp_path / "s.db")
    (tmp_path / "d1.jsonl").write_text(_line("f1", *FERRY) + "\n" + _line("b1", *BRIDGE, source="eastmoor.example")
                                       + "\n")
    (tmp_path / "d2.jsonl").write_text(_line("f1", FERRY[0], FERRY2) + "\n")
    assert main(["ingest", str(tmp_path / "d1.jsonl"), "--db", db, "--json"]) == 0
    assert main(["ingest", str(tmp_path / "d2.jsonl"), "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["ingest"]["revisions"] == 1
    return db


# ------------------------------------------------------------------ 6: export --json


def test_export_to_a_file_with_json_prints_one_summary_object(revised, tmp_path, capsys):
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"x.{fmt}"
        assert main(["export", "--format", fmt, "-o", str(out), "--db", revised, "--json"]) == 0
        got = capsys.readouterr()
        assert json.loads(got.out) == {"export": {"format": fmt, "output": str(out), "articles": 3}}
        assert out.stat().st_size > 0


def test_export_errors_give_the_json_error_object(revised, tmp_path, capsys):
    assert main(["export", "--format", "parquet", "--db", revised, "--json"]) == 2
    got = capsys.readouterr()
    assert json.loads(got.out) == {"error": "parquet export needs --output FILE"}
    assert "storyline: parquet export needs --output FILE" in got.err
    assert main(["export", "--format", "csv", "--db", revised, "--json"]) == 2  # CSV is not JSON
    assert "needs --output FILE" in json.loads(capsys.readouterr().out)["error"]
    assert main(["export", "-o", str(tmp_path / "missing" / "x.jsonl"), "--db", revised, "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"].startswith("cannot write ")
    # without --json: no JSON, the message on standard error
    assert main(["export", "--format", "parquet", "--db", revised]) == 2
    got = capsys.readouterr()
    assert got.out == "" and "parquet export needs --output FILE" in got.err


def test_export_without_output_is_the_jsonl_stream_with_or_without_json(revised, capsys):
    assert main(["export", "--db", revised]) == 0
    plain = capsys.readouterr().out
    assert main(["export", "--db", revised, "--json"]) == 0
    assert capsys.readouterr().out == plain
    assert [json.loads(x)["external_id"] for x in plain.splitlines()] == ["f1", "b1", "f1"]


# ------------------------------------------------------------------ status: superseded versions


def test_status_counts_current_articles_and_superseded_versions_apart(revised, capsys):
    assert main(["status", "--db", revised, "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["articles"] == 2 and st["superseded"] == 1 and st["revisions"] == 1
    assert st["superseded_entries"] == 0
    assert st["by_outlet"] == {"eastmoor.example": 1, "northwick.example": 1}
    assert st["by_format"] == {"jsonl": 2}
    assert st["by_stage"]["superseded"] == 1
    assert main(["status", "--db", revised]) == 0
    assert "2 articles" in capsys.readouterr().out


# ------------------------------------------------------------------ 8: /outlets


def _add(con, outlet, title, *, parent=None, position=None, stage="grouped", liveblog=False,
         published="2031-05-04"):
    return con.execute(
        "INSERT INTO articles (outlet, published, title, text, format, content_hash, parent_id, position, "
        "clean_text, is_liveblog, stage, ingested_at) VALUES (?, ?, ?, ?, 'text', ?, ?, ?, ?, ?, ?, ?)",
        (outlet, published, title, title + " text.", f"{outlet}/{title}", parent, position, title + " text.",
         int(liveblog), stage, time.time())).lastrowid


def _story(con, title, *article_ids):
    sid = con.execute("INSERT INTO stories (title, first_seen, last_seen, n_articles, n_outlets, updated_at) "
                      "VALUES (?, '2031-05-04', '2031-05-04', ?, 1, ?)",
                      (title, len(article_ids), time.time())).lastrowid
    for aid in article_ids:
        con.execute("INSERT INTO story_members (article_id, story_id, score, explanation) VALUES (?, ?, 1.0, '{}')",
                    (aid, sid))
    return sid


@pytest.fixture()
def outlets_store(tmp_path):
    """falcon.example: a live blog (the page a container, its 3 entries members of 2 stories);
    harbour.example: an article, an earlier version of it superseded, and a second article."""
    path = tmp_path / "o.db"
    con = store.connect(path)
    page = _add(con, "falcon.example", "Live: the day's news", stage="container", liveblog=True)
    e1 = _add(con, "falcon.example", "Ferry aground", parent=page, position=1)
    e2 = _add(con, "falcon.example", "Bridge closed", parent=page, position=2)
    e3 = _add(con, "falcon.example", "Ferry refloated", parent=page, position=3)
    old = _add(con, "harbour.example", "Ferry aground (first version)", stage="superseded",
               published="2031-05-01")
    new = _add(con, "harbour.example", "Ferry aground off Brindle")
    other = _add(con, "harbour.example", "Bridge closed for repairs")
    con.execute("UPDATE articles SET revision_of = ? WHERE id = ?", (old, new))
    _story(con, "Ferry aground", e1, e3, new)
    _story(con, "Bridge closed", e2, other)
    con.commit()
    con.close()
    return path


def test_outlets_count_a_live_blogs_stories_through_its_entries(outlets_store):
    from storyline.web.queries import list_outlets

    con = store.connect(outlets_store)
    by = {o["outlet"]: o for o in list_outlets(con)}
    assert by["falcon.example"]["articles"] == 1  # the page once, not its entries
    assert by["falcon.example"]["stories"] == 2
    assert by["harbour.example"]["articles"] == 2  # the superseded version apart
    assert by["harbour.example"]["superseded"] == 1 and by["falcon.example"]["superseded"] == 0
    assert by["harbour.example"]["stories"] == 2
    assert by["harbour.example"]["first_published"] == "2031-05-04"  # the current versions' dates


def test_api_outlets_and_page(outlets_store):
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from storyline.web.app import create_app

    client = TestClient(create_app(outlets_store))
    body = client.get("/api/outlets").json()
    by = {o["outlet"]: o for o in body["items"]}
    assert body["total"] == 2
    assert (by["falcon.example"]["articles"], by["falcon.example"]["stories"]) == (1, 2)
    assert (by["harbour.example"]["articles"], by["harbour.example"]["superseded"]) == (2, 1)
    page = client.get("/outlets").text
    assert "(+1 superseded)" in page


# ------------------------------------------------------------------ 9: comment prompts

STORY = ("The Dunmere ferry will run a night service from May, the operator said on Monday.\n\n"
         "About 900 people a night are expected to use it in the first year.")


@pytest.mark.parametrize("line", [
    "Share your thoughts in the comments below.",
    "Tell us in the comments below",
    "Let us know your views in the comments below.",
    "Share your views on the ferry timetable in the comments.",
    "Leave your thoughts in the comments section below!",
])
def test_comment_prompts_are_removed(line):
    cleaned = clean_text(STORY + "\n\n" + line, "Ferry to run at night")
    assert [(r.text, r.rule) for r in cleaned.removed] == [(line, "prompt-comments")]
    assert line not in "\n".join(cleaned.paragraphs)


@pytest.mark.parametrize("line", [
    "He apologised in the comments.",
    "The minister shared his thoughts in the comments below the post.",
    "Share prices fell sharply in the comments period.",
    "Tell us the truth, protesters shouted outside the ministry on Monday.",
])
def test_sentences_that_mention_comments_stay(line):
    cleaned = clean_text(STORY + "\n\n" + line, "Ferry to run at night")
    assert cleaned.removed == [] and line in cleaned.paragraphs


def test_a_live_blogs_last_entry_loses_the_comment_prompt():
    text = ("Live: ferry aground off Brindle, Askel bridge closed\n"
            "Follow the day's news as it happens, with updates from our reporters.\n"
            "19:10\nFerry with 240 passengers aground off Brindle\n"
            "The ferry Island Star has run aground on a sandbank off Brindle with 240 passengers on board, "
            "the coastguard says. Nobody has been hurt and tugs are waiting for the tide.\n"
            "09:20\nAskel bridge closed for six weeks\n"
            "The Askel river bridge will close for six weeks of repairs from June, the county council says\n"
            "Share your thoughts in the comments below.\n")
    cleaned = clean_text(text, "Live: ferry aground off Brindle, Askel bridge closed")
    assert cleaned.is_liveblog
    assert all("comments" not in e.text for e in cleaned.entries), [e.text for e in cleaned.entries]
    assert ("Share your thoughts in the comments below.", "prompt-comments") in \
        [(r.text, r.rule) for r in cleaned.removed]


# ------------------------------------------------------------------ malformed JSONL message


def test_a_malformed_record_names_its_column_not_a_second_line(tmp_path, capsys):
    good = _line("b1", *BRIDGE)
    (tmp_path / "bad.jsonl").write_text('{"id": "x1", "title": "Ferry" "text": "y"}\n'
                                        + good + "\n" + '{"id": "x2", "title": "Ferry"\n')
    db = str(tmp_path / "s.db")
    assert main(["ingest", str(tmp_path / "bad.jsonl"), "--db", db, "--json"]) == 1
    msgs = json.loads(capsys.readouterr().out)["ingest"]["messages"]
    assert any(m.endswith("bad.jsonl:1: malformed JSON: Expecting ',' delimiter at column 31 of the record")
               for m in msgs), msgs
    assert any(m.endswith("bad.jsonl:3: malformed JSON: Expecting ',' delimiter at the end of the record")
               for m in msgs), msgs
    assert not any("line 2" in m or "(char " in m for m in msgs), msgs
