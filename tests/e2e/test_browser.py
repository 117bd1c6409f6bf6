"""End to end in headless Chromium: the river, a story, an article, search, and no script from articles runs.

The store is built by the real pipeline (`storyline run`) from the example
corpus plus the hostile fixtures when the pipeline works; otherwise from the
invented sample store (storyline.web.sample), which also carries hostile
titles, outlets, URLs, report items and text. Screenshots go to
docs/screenshots/ for the README.
"""
from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storyline import store
from storyline.web import sample

from .conftest import REPO, Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = REPO / "docs" / "screenshots"
HOSTILE_FIXTURES = [REPO / "tests" / "fixtures" / "xss_article.html", REPO / "tests" / "fixtures" / "xss_title.jsonl"]


def _pipeline_store(db: Path) -> bool:
    """Ingest examples/ and the hostile fixtures with `storyline run`; False when there is no corpus."""
    examples = REPO / "examples"
    if not examples.is_dir() or not any(examples.rglob("*.*")):
        return False
    proc = subprocess.run(
        [sys.executable, "-m", "storyline", "run", str(examples), *map(str, HOSTILE_FIXTURES), "--db", str(db)],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, f"storyline run failed:\n{proc.stderr[-3000:]}"
    con = sqlite3.connect(db)
    try:
        n = con.execute("SELECT count(*) FROM stories WHERE n_outlets >= 2").fetchone()[0]
    finally:
        con.close()
    assert n > 0, "the example corpus gave no story with two outlets"
    return True


def _sample_store(db: Path) -> None:
    con = store.connect(db)
    sample.fill_sample(con)
    con.close()


def _serve(db: Path, from_pipeline: bool):
    server = Server(db)
    try:
        yield server, db, from_pipeline
    finally:
        server.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example corpus through the real pipeline (the invented sample store if there is no corpus)."""
    db = tmp_path_factory.mktemp("site") / "store.db"
    from_pipeline = _pipeline_store(db)
    if not from_pipeline:
        _sample_store(db)
    yield from _serve(db, from_pipeline)


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory):
    """The invented store whose titles, outlets, URLs, text and report items are all hostile."""
    db = tmp_path_factory.mktemp("sample") / "store.db"
    _sample_store(db)
    yield from _serve(db, False)


@pytest.fixture()
def page(browser):
    """A page that records dialogs, console messages, errors and every request it makes."""
    p = browser.new_page()
    p.dialogs, p.console, p.errors, p.requests = [], [], [], []
    p.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))
    p.on("console", lambda m: p.console.append(m.text))
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    p.on("request", lambda r: p.requests.append(r.url))
    yield p
    p.close()


def _no_script_ran(page, base: str) -> None:
    assert page.dialogs == [], f"a dialog opened: {page.dialogs}"
    assert page.evaluate(f"typeof window.{sample.XSS_MARKER}") == "undefined"
    assert page.evaluate("document.cookie") == ""
    assert not [u for u in page.requests if u.lower().startswith("javascript:")]
    foreign = [u for u in page.requests if not u.startswith(base) and not u.startswith("data:")]
    assert foreign == [], f"requests left the server: {foreign}"
    # inline scripts are refused by the CSP; a refusal is fine, an execution is not
    assert not [e for e in page.errors if "xss" in e.lower()]


def _story_ids(db: Path) -> list[int]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute(
            "SELECT s.id FROM stories s JOIN comparisons c ON c.story_id = s.id WHERE s.merged_into IS NULL "
            "ORDER BY s.n_outlets DESC, s.n_articles DESC, s.id")]
    finally:
        con.close()


def test_river_lists_stories_with_outlet_counts(site, page):
    server, db, _ = site
    resp = page.goto(server.url + "/")
    assert resp.status == 200
    assert "default-src 'self'" in resp.headers["content-security-policy"]
    cards = page.locator(".story-card")
    assert cards.count() >= 2
    first = cards.nth(0)
    assert first.locator("h2 a").inner_text().strip()
    assert first.locator(".chip").count() >= 1
    # newest first: the dates shown never go up down the page
    metas = [m.split(" ")[0] for m in page.locator(".story-card .meta").all_inner_texts()]
    last_days = [re.findall(r"\d{4}-\d{2}-\d{2}", m)[-1] if re.findall(r"\d{4}-\d{2}-\d{2}", m) else "" for m in
                 page.locator(".story-card .meta").all_inner_texts()]
    assert metas
    assert [d for d in last_days if d] == sorted([d for d in last_days if d], reverse=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "river.png"), full_page=False)
    _no_script_ran(page, server.url)


def test_story_page_shows_outlets_side_by_side(site, page):
    server, db, _ = site
    story_id = _story_ids(db)[0]
    page.goto(f"{server.url}/stories/{story_id}")
    columns = page.locator("#outlets .column")
    assert columns.count() >= 2
    names = columns.locator(".col-head").all_inner_texts()
    assert len(set(names)) == len(names)
    # columns sit side by side: same top, increasing left
    boxes = [columns.nth(i).bounding_box() for i in range(min(3, columns.count()))]
    assert all(abs(b["y"] - boxes[0]["y"]) < 2 for b in boxes)
    assert [b["x"] for b in boxes] == sorted(b["x"] for b in boxes)
    # every passage link points at an exact span, and following it lands on that <mark>
    links = page.locator("a.passage, #agree td a.dot")
    assert links.count() >= 1
    href = links.first.get_attribute("href")
    m = re.fullmatch(r"/articles/(\d+)#(s\d+-\d+)", href)
    assert m, href
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.screenshot(path=str(SHOTS / "story.png"), full_page=False)
    page.locator("#outlets").scroll_into_view_if_needed()
    page.locator("#outlets").screenshot(path=str(SHOTS / "story-side-by-side.png"))
    if page.locator("#map").count():
        page.locator("#map").screenshot(path=str(SHOTS / "story-map.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    _no_script_ran(page, server.url)
    page.goto(server.url + href)
    mark = page.locator(f"mark#{m.group(2)}")
    assert mark.count() == 1
    assert page.locator("mark.hit").count() >= 1  # static/app.js lit the passage
    start, end = map(int, m.group(2)[1:].split("-"))
    api = page.request.get(f"{server.url}/api/articles/{m.group(1)}").json()
    assert api["clean_text"][start:end].startswith(mark.inner_text().strip()[:20].strip())
    page.screenshot(path=str(SHOTS / "article.png"), full_page=False)
    _no_script_ran(page, server.url)


def test_story_comparison_sections(site, page):
    server, db, from_pipeline = site
    shown = {"agree": 0, "differ": 0, "quotes": 0, "map": 0}
    for story_id in _story_ids(db)[:8]:
        page.goto(f"{server.url}/stories/{story_id}")
        for section in shown:
            shown[section] += page.locator(f"section#{section}").count()
    if not from_pipeline:  # the sample store's fire story has every section
        assert all(shown.values()), shown
    else:
        assert shown["agree"] >= 1, shown
    _no_script_ran(page, server.url)


def test_search_finds_articles_and_their_stories(site, page):
    server, db, _ = site
    con = sqlite3.connect(db)
    word = con.execute(
        "SELECT a.title FROM articles a JOIN story_members m ON m.article_id = a.id ORDER BY a.id LIMIT 1"
    ).fetchone()[0].split()
    con.close()
    term = max((w.strip(".,:;'\"") for w in word), key=len)
    page.goto(server.url + "/")
    page.fill(".top .search input", term)
    page.press(".top .search input", "Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    assert page.locator(".hits li").count() >= 1
    assert term.lower() in page.locator(".hits").inner_text().lower()
    assert page.locator(".hits mark").count() >= 1
    assert page.locator(".search-stories a").count() >= 1
    page.screenshot(path=str(SHOTS / "search.png"), full_page=False)
    _no_script_ran(page, server.url)


@pytest.mark.parametrize("which", ["site", "sample_site"])
def test_hostile_articles_run_nothing(which, request, page):
    """Every page that shows hostile titles, outlets, URLs or text: no script runs, markup shows as text."""
    server, db, _ = request.getfixturevalue(which)
    con = sqlite3.connect(db)
    hostile = con.execute(
        "SELECT a.id, m.story_id FROM articles a LEFT JOIN story_members m ON m.article_id = a.id "
        "WHERE a.title LIKE '%<%' OR a.outlet LIKE '%<%' OR a.url LIKE 'javascript:%' "
        "OR coalesce(a.clean_text, a.text) LIKE '%<script%' OR coalesce(a.clean_text, a.text) LIKE '%onerror%'"
    ).fetchall()
    con.close()
    assert hostile, "the store holds no hostile article: the test would prove nothing"
    urls = {"/", "/outlets", "/search?q=script", "/search?q=alert", "/search?q=fire"}
    for article_id, story_id in hostile:
        urls.add(f"/articles/{article_id}")
        if story_id:
            urls.add(f"/stories/{story_id}")
    for url in sorted(urls):
        resp = page.goto(server.url + url)
        assert resp.status == 200, url
        page.wait_for_load_state("load")
        page.wait_for_timeout(50)
        assert page.locator("body script").count() == 0, url  # only the one /static/app.js in <head>
        assert page.locator("[onerror], [onload], [onmouseover], [onclick]").count() == 0, url
        assert page.locator("iframe, object, embed").count() == 0, url
        bad = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert not [h for h in bad if h.strip().lower().startswith(("javascript:", "data:", "vbscript:"))], url
        _no_script_ran(page, server.url)
    # hovering and clicking the hostile text does nothing either
    article_id = hostile[0][0]
    page.goto(f"{server.url}/articles/{article_id}")
    page.locator(".text").hover()
    page.locator(".text").click()
    _no_script_ran(page, server.url)
    assert "<script" in page.locator("body").inner_text() or "onerror" in page.locator("body").inner_text()
