"""The HTTP API and pages through FastAPI's TestClient, on an invented store."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("httpx")
from fastapi.testclient import TestClient  # noqa: E402

from storyline import store  # noqa: E402
from storyline.web import sample  # noqa: E402
from storyline.web.app import create_app  # noqa: E402

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "store.db"
    con = store.connect(path)
    ids = sample.fill_sample(con)
    con.close()
    return path, ids


@pytest.fixture(scope="module")
def client(db):
    return TestClient(create_app(db[0]))


@pytest.fixture(scope="module")
def ids(db):
    return db[1]


# ------------------------------------------------------------------ listing


def test_stories_newest_first_with_outlet_counts(client, ids):
    body = client.get("/api/stories").json()
    assert body["total"] == 3
    got = [s["id"] for s in body["items"]]
    assert got == [ids["xss"], ids["fire"], ids["bare"]]  # last_seen 03-06, 03-05, 02-20
    fire = next(s for s in body["items"] if s["id"] == ids["fire"])
    assert {o["outlet"]: o["count"] for o in fire["outlets"]} == {
        "Harbour Gazette": 1, "Kestrel Post": 1, "Meridian Wire": 1}


def test_stories_pagination(client):
    first = client.get("/api/stories", params={"limit": 2}).json()
    second = client.get("/api/stories", params={"limit": 2, "offset": 2}).json()
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert not {s["id"] for s in first["items"]} & {s["id"] for s in second["items"]}


@pytest.mark.parametrize("params, expected", [
    ({"outlet": "Meridian Wire"}, {"fire"}),
    ({"outlet": "Kestrel Post"}, {"fire", "bare"}),
    ({"from": "2031-03-01"}, {"fire", "xss"}),
    ({"to": "2031-02-28"}, {"bare"}),
    ({"from": "2031-03-05", "to": "2031-03-05"}, {"fire"}),
    ({"entity": "Ines Carrow"}, {"fire", "xss"}),
    ({"entity": "pafs"}, {"fire"}),
    ({"place": "Kelverton"}, {"fire", "bare"}),
    ({"q": "ferry timetable"}, {"bare"}),
    ({"q": "nothingmatchesthis"}, set()),
])
def test_story_filters(client, ids, params, expected):
    body = client.get("/api/stories", params=params).json()
    assert {s["id"] for s in body["items"]} == {ids[k] for k in expected}
    assert body["total"] == len(expected)


def test_articles_filters_and_pagination(client, ids):
    body = client.get("/api/articles", params={"outlet": "Harbour Gazette"}).json()
    assert body["total"] == 2
    assert all(a["outlet"] == "Harbour Gazette" for a in body["items"])
    page = client.get("/api/articles", params={"limit": 3, "offset": 3}).json()
    assert page["offset"] == 3 and len(page["items"]) == 3
    dated = client.get("/api/articles", params={"from": "2031-03-06"}).json()
    assert {a["published"] for a in dated["items"]} == {"2031-03-06"}


# ------------------------------------------------------------------- details


def test_story_with_comparison(client, ids):
    body = client.get(f"/api/stories/{ids['fire']}").json()
    assert body["story"]["title"] == "Warehouse fire in Port Alder"
    assert [m["id"] for m in body["members"]] == ids["fire_articles"]
    assert body["comparison"]["discrepancies"][0]["kind"] == "figure"
    assert {p["name"] for p in body["places"]} == {"Port Alder", "Kelverton"}
    comparison = client.get(f"/api/stories/{ids['fire']}/comparison").json()
    assert comparison == body["comparison"]


def test_article_with_clean_text_removed_and_annotations(client, ids):
    aid = ids["fire_articles"][0]
    body = client.get(f"/api/articles/{aid}").json()
    assert body["clean_text"].startswith("A fire at a grain warehouse")
    assert {r["reason"] for r in body["removed"]} == {"caption", "read-more"}
    kinds = {a["kind"] for a in body["annotations"]}
    assert {"place", "entity", "quote"} <= kinds
    for a in body["annotations"]:
        assert body["clean_text"][a["start"]:a["end"]] == a["text"]
    assert body["story_id"] == ids["fire"]
    live = client.get(f"/api/articles/{ids['fire_articles'][2]}").json()
    assert [e["title"] for e in live["entries"]] == ["09:10 Roads reopen", "08:00 Fire under control"]


def test_outlets(client):
    body = client.get("/api/outlets").json()
    by_name = {o["outlet"]: o for o in body["items"]}
    assert by_name["Harbour Gazette"]["articles"] == 2
    assert by_name["Harbour Gazette"]["stories"] == 2
    assert sample.XSS_OUTLET in by_name


def test_search(client, ids):
    body = client.get("/api/search", params={"q": "evacuated"}).json()
    assert body["total"] == 1
    hit = body["items"][0]
    assert hit["id"] == ids["fire_articles"][1]
    assert "[evacuated]" in hit["snippet"]
    assert [s["id"] for s in body["stories"]] == [ids["fire"]]
    assert client.get("/api/search", params={"q": "fire", "outlet": "Kestrel Post"}).json()["total"] == 1
    assert client.get("/api/search", params={"q": "!!!"}).json()["total"] == 0


def test_exports(client, ids):
    lines = client.get("/api/export/stories.jsonl").text.splitlines()
    stories = [json.loads(x) for x in lines]
    assert {s["id"] for s in stories} == {ids["fire"], ids["xss"], ids["bare"]}
    fire = next(s for s in stories if s["id"] == ids["fire"])
    assert fire["comparison"]["consensus"] and len(fire["members"]) == 3
    csv_text = client.get("/api/export/articles.csv", params={"outlet": "Kestrel Post"}).text
    assert csv_text.splitlines()[0].startswith("id,title,outlet")
    assert csv_text.count("Kestrel Post") >= 2
    arts = [json.loads(x) for x in client.get("/api/export/articles.jsonl").text.splitlines()]
    assert any(a["clean_text"].startswith("Cleanup began") for a in arts)


def test_openapi_schema_lists_the_api(client):
    schema = client.get("/openapi.json").json()
    for path in ("/api/stories", "/api/stories/{story_id}", "/api/articles", "/api/articles/{article_id}",
                 "/api/outlets", "/api/search", "/api/export/stories.jsonl", "/api/ingest"):
        assert path in schema["paths"], path
    names = {p["name"] for p in schema["paths"]["/api/stories"]["get"]["parameters"]}
    assert {"from", "to", "outlet", "entity", "place", "q", "limit", "offset"} <= names


# ------------------------------------------------------------ errors, params


@pytest.mark.parametrize("url", ["/api/stories/999999", "/api/articles/999999", "/stories/999999",
                                 "/articles/999999"])
def test_unknown_id_is_404(client, url):
    resp = client.get(url)
    assert resp.status_code == 404


@pytest.mark.parametrize("url", [
    "/api/stories/abc", "/api/stories/0", "/api/stories/-1", "/api/stories/1.5", "/api/articles/1%20OR%201=1",
    "/api/stories/99999999999999999999999", "/stories/abc", "/articles/1;DROP",
    "/api/stories?limit=0", "/api/stories?limit=100000", "/api/stories?offset=-1", "/api/stories?from=yesterday",
    "/api/stories?to=2031-03-05%27--", "/api/export/articles.xml",
])
def test_bad_parameters_are_422(client, url):
    resp = client.get(url)
    assert resp.status_code in (404, 422) if url.endswith(".xml") else resp.status_code == 422, url
    if url.startswith("/api/") and resp.status_code == 422:
        assert resp.json()["detail"]


def test_filters_with_sql_and_fts_syntax_are_plain_values(client):
    for value in ["' OR 1=1 --", '"fire" OR "ferry"', "fire*", "NEAR(fire ferry)", "x\x00y"]:
        for field in ("outlet", "entity", "place", "q"):
            resp = client.get("/api/stories", params={field: value})
            assert resp.status_code == 200, (field, value)
            if field != "q":
                assert resp.json()["total"] == 0


# ------------------------------------------------------------------- ingest


def test_read_only_without_token(client):
    resp = client.post("/api/ingest", json={"articles": [{"title": "t", "text": "x", "outlet": "o"}]})
    assert resp.status_code == 403
    resp = client.post("/api/ingest/file", params={"filename": "a.txt"}, content=b"hello")
    assert resp.status_code == 403
    assert client.get("/api/health").json()["ingest"] is False


def test_token_required_when_configured(db):
    c = TestClient(create_app(db[0], token=TOKEN))
    assert c.get("/api/health").json()["ingest"] is True
    assert c.post("/api/ingest", json={"articles": []}).status_code == 401
    assert c.post("/api/ingest", json={"articles": []},
                  headers={"Authorization": "Bearer wrong-token-0000000000"}).status_code == 401
    bad_name = c.post("/api/ingest/file", params={"filename": "../../etc/passwd"}, content=b"x",
                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert bad_name.status_code == 422


def test_ingest_with_token(tmp_path, monkeypatch):
    """With the token, posted JSON and uploaded files reach the pipeline and land in the store."""
    pipeline = pytest.importorskip("storyline.pipeline")
    calls = []
    real_ingest = getattr(pipeline, "ingest_paths", None)
    if real_ingest is None:
        pytest.skip("storyline.pipeline.ingest_paths is not there yet")

    def ingest_only(con, paths, *a, **kw):  # the later stages are tested by their owners
        calls.append([Path(p).name for p in paths])
        return real_ingest(con, paths, *a, **kw)

    monkeypatch.setattr(pipeline, "ingest_paths", ingest_only)
    monkeypatch.setattr(pipeline, "process", lambda con, *a, **kw: {"skipped": True})
    db = tmp_path / "ingest.db"
    c = TestClient(create_app(db, token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    resp = c.post("/api/ingest", headers=auth, json={"articles": [
        {"title": "Ferry strike called off", "text": "The Kelverton ferry strike was called off on Monday.\n\n"
         "Union leaders said talks had gone well.", "outlet": "Harbour Gazette", "published": "2031-04-01"}]})
    assert resp.status_code == 200, resp.text
    resp = c.post("/api/ingest/file", headers=auth, params={"filename": "tide.txt"},
                  content=b" date 2031-04-02 Tide tables change\n\nThe harbour authority changed the tide tables.")
    assert resp.status_code == 200, resp.text
    assert calls == [["posted.jsonl"], ["tide.txt"]]
    titles = {a["title"] for a in c.get("/api/articles").json()["items"]}
    assert "Ferry strike called off" in titles


# ---------------------------------------------------------------- security


@pytest.mark.parametrize("url", ["/", "/api/stories", "/static/style.css", "/openapi.json", "/api/stories/abc",
                                 "/stories/999999"])
def test_strict_csp_on_every_response(client, url):
    resp = client.get(url)
    csp = resp.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert resp.headers["x-content-type-options"] == "nosniff"


def _pages(client, ids):
    urls = ["/", "/outlets", "/search?q=fire", "/search?q=script", f"/stories/{ids['xss']}",
            f"/stories/{ids['fire']}", *[f"/articles/{a}" for a in ids["xss_articles"]]]
    return {u: client.get(u).text for u in urls}


class Tags(HTMLParser):
    """Every start tag a browser would see, with its attributes."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_pages_escape_untrusted_text(client, ids):
    pages = _pages(client, ids)
    for url, html in pages.items():
        tags = Tags(html).tags
        # the only script is our static file; no inline script, style, handler attribute or frame
        assert [a for t, a in tags if t == "script"] == [{"src": "/static/app.js", "defer": None}], url
        assert not [(t, a) for t, a in tags if any(k.startswith("on") for k in a)], url
        assert not [t for t, _ in tags if t in ("iframe", "object", "embed", "style", "img", "base")], url
        assert not [a for _, a in tags if "style" in a], url
        links = [(a.get("href") or "") for _, a in tags if "href" in a]
        assert not [h for h in links if h.strip().lower().startswith(("javascript:", "data:", "vbscript:"))], url
    story = pages[f"/stories/{ids['xss']}"]
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in story  # the title, as text
    assert "&lt;img src=x onerror=&#34;window.__xss=2&#34;&gt;Evil Outlet" in story
    article = pages[f"/articles/{ids['xss_articles'][0]}"]
    assert "&lt;a href=&#34;javascript:window.__xss=6&#34;&gt;" in article
    assert sample.XSS_URL not in article  # the javascript: URL is not linked at all


def test_story_page_says_in_words_why_each_article_is_there(client, ids):
    html = client.get(f"/stories/{ids['fire']}").text
    why = re.findall(r'<span class="kv">(.*?)</span>', html)
    assert why[0] == "started the story"  # the CLI's phrases (stories.explain), not raw keys
    assert any(w.startswith("words: port, alder") for w in why) and "time factor 0.97" in why
    assert not any(w.startswith(("new_story", "candidates")) for w in why)


def test_article_marks_report_spans(client, ids):
    aid = ids["fire_articles"][1]
    html = client.get(f"/articles/{aid}").text
    text = client.get(f"/api/articles/{aid}").json()["clean_text"]
    report = client.get(f"/api/stories/{ids['fire']}/comparison").json()
    span = report["discrepancies"][0]["values"][1]["spans"][0]  # Kestrel Post's "35"
    assert span["article_id"] == aid
    m = re.search(rf'<mark id="s{span["start"]}-{span["end"]}"[^>]*>([^<]*)</mark>', html)
    assert m, "the passage has no anchor"
    assert m.group(1) == text[span["start"]:span["end"]] == "35"


def test_response_cache_replays_until_the_store_changes(tmp_path):
    db = tmp_path / "cache.db"
    con = store.connect(db)
    sample.fill_sample(con)
    c = TestClient(create_app(db))
    first = c.get("/api/stories")
    assert first.headers["x-storyline-cache"] == "miss"
    again = c.get("/api/stories")
    assert again.headers["x-storyline-cache"] == "hit"
    assert again.json() == first.json()
    assert "default-src 'self'" in again.headers["content-security-policy"]
    with store.transaction(con):
        sample.add_story(con, "Ferry returns to Sallow Bay", [
            sample.Doc("Harbour Gazette", "Ferry back", "The ferry returned to Sallow Bay.", "2031-05-01")])
    after = c.get("/api/stories")
    assert after.headers["x-storyline-cache"] == "miss"
    assert after.json()["total"] == first.json()["total"] + 1
    assert after.json()["items"][0]["title"] == "Ferry returns to Sallow Bay"
    assert c.get("/stories/999999").status_code == 404
    assert "x-storyline-cache" not in c.get("/stories/999999").headers or \
        c.get("/stories/999999").headers["x-storyline-cache"] == "miss"
    off = TestClient(create_app(db, cache_entries=0))
    assert "x-storyline-cache" not in off.get("/api/stories").headers


def test_search_snippet_marks_the_words_in_the_clean_text(tmp_path):
    """The snippet comes from the clean text even when the raw text differs (captions, bylines cut)."""
    db = tmp_path / "snip.db"
    con = store.connect(db)
    with store.transaction(con):
        aid = sample.insert_article(con, sample.Doc("Kestrel Post", "Tide tables", "x", "2031-04-02"))
        raw = "Photo: gulls over the quay. Credit: staff\n\nBy Orla Fenwick\n\nThe harbour authority changed the tide tables."
        con.execute("UPDATE articles SET text = ?, clean_text = ? WHERE id = ?",
                    (raw, "The harbour authority changed the tide tables.", aid))
    hit = TestClient(create_app(db)).get("/api/search", params={"q": "tide"}).json()["items"][0]
    assert hit["snippet"] == "The harbour authority changed the [tide] tables."
    html = TestClient(create_app(db)).get("/search", params={"q": "tide"}).text
    assert "changed the <mark>tide</mark> tables." in html


def test_search_snippet_is_a_window_around_the_match(tmp_path):
    db = tmp_path / "long.db"
    con = store.connect(db)
    filler = " ".join(f"Paragraph {i} talks about the weather over the moors." for i in range(60))
    with store.transaction(con):
        aid = sample.insert_article(con, sample.Doc("Kestrel Post", "Long read", "x", "2031-04-02"))
        con.execute("UPDATE articles SET text = ?, clean_text = ? WHERE id = ?",
                    ("raw", filler + "\n\nAt last the lighthouse keeper retired.\n\n" + filler, aid))
    hit = TestClient(create_app(db)).get("/api/search", params={"q": "lighthouse"}).json()["items"][0]
    assert "[lighthouse]" in hit["snippet"]
    assert hit["snippet"].startswith("…") and hit["snippet"].endswith("…")
    assert "\n" not in hit["snippet"] and len(hit["snippet"]) < 400


def test_river_chips_link_to_each_outlet_filter(client, ids):
    """Every chip names its outlet (escaped once) and links to the list filtered by it."""
    from urllib.parse import parse_qs, urlsplit

    class Chips(HTMLParser):
        def __init__(self):
            super().__init__()
            self.chips, self._href = [], None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "a" and a.get("class") == "chip":
                self._href = a["href"]
                self.chips.append([self._href, ""])

        def handle_endtag(self, tag):
            if tag == "a":
                self._href = None

        def handle_data(self, data):
            if self._href is not None:
                self.chips[-1][1] += data

    parser = Chips()
    parser.feed(client.get("/").text)
    expected = {(o["outlet"], o["count"]) for s in client.get("/api/stories").json()["items"] for o in s["outlets"]}
    seen = set()
    for href, text in parser.chips:
        outlet = parse_qs(urlsplit(href).query)["outlet"][0]
        assert text.startswith(outlet)
        count = int(text.removeprefix(outlet).strip() or 1)
        seen.add((outlet, count))
        filtered = client.get("/api/stories", params={"outlet": outlet}).json()["items"]
        assert filtered and all(outlet in {o["outlet"] for o in s["outlets"]} for s in filtered)
    assert seen == expected
    assert sample.XSS_OUTLET in {o for o, _ in seen}
