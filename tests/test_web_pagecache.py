"""The rendered-page cache shared by workers: replays pages, never a stale story."""
from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("httpx")
from fastapi.testclient import TestClient  # noqa: E402

from storyline import store  # noqa: E402
from storyline.web import pagecache, sample  # noqa: E402
from storyline.web.app import create_app  # noqa: E402

LATE = sample.Doc("Wren Courier", "Port Alder fire: crews stay overnight",
                  "Crews from Dunmere stayed at the Port Alder warehouse overnight to watch for hot spots.",
                  "2031-03-03", "https://wren.example/late")


@pytest.fixture()
def setup(tmp_path):
    db = tmp_path / "store.db"
    con = store.connect(db)
    ids = sample.fill_sample(con)
    yield db, con, ids
    con.close()


def workers(db, n=2):
    """Apps as separate server workers would build them (in-memory response cache off)."""
    return [TestClient(create_app(db, cache_entries=0)) for _ in range(n)]


def join_article(con, story_id, doc, touch_story=True):
    """An article joins a story the way grouping writes it (or a writer that forgets the story row)."""
    with store.transaction(con):
        aid = sample.insert_article(con, doc)
        con.execute("INSERT INTO story_members (article_id, story_id, score, explanation) VALUES (?, ?, 0.7, '{}')",
                    (aid, story_id))
        if touch_story:
            con.execute("UPDATE stories SET n_articles = n_articles + 1, updated_at = ? WHERE id = ?",
                        (time.time(), story_id))
    return aid


def test_one_worker_renders_the_other_replays(setup):
    db, _, ids = setup
    a, b = workers(db)
    first = a.get(f"/stories/{ids['fire']}")
    assert first.status_code == 200 and first.headers["x-storyline-page"] == "miss"
    second = b.get(f"/stories/{ids['fire']}")
    assert second.headers["x-storyline-page"] == "hit"
    assert second.text == first.text
    assert "default-src 'self'" in second.headers["content-security-policy"]
    api = [w.get(f"/api/stories/{ids['fire']}") for w in (a, b)]
    assert [r.headers["x-storyline-page"] for r in api] == ["miss", "hit"]
    assert api[0].json() == api[1].json()
    assert api[0].json()["story"]["id"] == ids["fire"]
    assert api[0].headers["content-type"] == "application/json"


@pytest.mark.parametrize("touch_story", [True, False], ids=["grouping", "member-row-only"])
def test_an_article_joining_is_shown_at_once(setup, touch_story):
    db, con, ids = setup
    a, b = workers(db)
    url = f"/stories/{ids['fire']}"
    assert "crews stay overnight" not in a.get(url).text
    assert b.get(url).headers["x-storyline-page"] == "hit"
    before = a.get(f"/api/stories{url.removeprefix('/stories')}").json()
    aid = join_article(con, ids["fire"], LATE, touch_story)
    for w in (a, b):
        page = w.get(url)
        assert page.headers["x-storyline-page"] in ("miss", "hit")
        assert "Port Alder fire: crews stay overnight" in page.text
        assert f'href="/articles/{aid}"' in page.text
        members = w.get(f"/api/stories/{ids['fire']}").json()["members"]
        assert [m["id"] for m in members if m["id"] == aid] == [aid]
        assert len(members) == len(before["members"]) + 1


def test_a_new_comparison_replaces_the_page(setup):
    db, con, ids = setup
    (a,) = workers(db, 1)
    url = f"/stories/{ids['fire']}"
    old = a.get(url).text
    report = json.loads(con.execute("SELECT report FROM comparisons WHERE story_id = ?", (ids["fire"],)).fetchone()[0])
    report["discrepancies"] = []  # a recount: the outlets now agree
    with store.transaction(con):
        con.execute("UPDATE comparisons SET report = ?, computed_at = ? WHERE story_id = ?",
                    (json.dumps(report), time.time() + 1, ids["fire"]))
    new = a.get(url)
    assert new.headers["x-storyline-page"] == "miss"
    assert "Differing figures" in old and "Differing figures" not in new.text
    assert a.get(f"/api/stories/{ids['fire']}").json()["comparison"]["discrepancies"] == []


def test_merged_story_still_redirects_and_missing_is_404(setup):
    db, con, ids = setup
    (a,) = workers(db, 1)
    assert a.get(f"/stories/{ids['bare']}").status_code == 200  # cached before the merge
    with store.transaction(con):
        con.execute("UPDATE stories SET merged_into = ?, updated_at = ? WHERE id = ?",
                    (ids["fire"], time.time(), ids["bare"]))
    r = a.get(f"/stories/{ids['bare']}", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == f"/stories/{ids['fire']}"
    assert a.get("/stories/987654").status_code == 404
    assert a.get("/api/stories/987654").status_code == 404


def test_query_string_pages_are_rendered_not_replayed(setup):
    db, _, ids = setup
    (a,) = workers(db, 1)
    a.get(f"/stories/{ids['fire']}")
    r = a.get(f"/stories/{ids['fire']}", params={"q": "<b>ember</b>"})
    assert r.headers["x-storyline-page"] == "miss"
    assert 'value="&lt;b&gt;ember&lt;/b&gt;"' in r.text


def test_prerender_fills_the_cache_and_skips_fresh_pages(setup):
    db, con, ids = setup
    counts = pagecache.prerender(db)
    # the story without a comparison waits for its first request, which computes it
    assert counts == {"stories": 3, "rendered": 2, "fresh": 0, "no_comparison": 1, "dropped": 0}
    (a,) = workers(db, 1)
    for sid in (ids["fire"], ids["xss"]):
        assert a.get(f"/stories/{sid}").headers["x-storyline-page"] == "hit"
        assert a.get(f"/api/stories/{sid}").headers["x-storyline-page"] == "hit"
    join_article(con, ids["fire"], LATE)
    again = pagecache.prerender(db)
    assert again["rendered"] == 1 and again["fresh"] == 1
    assert "crews stay overnight" in a.get(f"/stories/{ids['fire']}").text
    with store.transaction(con):  # the hostile story is merged away: its two pages go
        con.execute("UPDATE stories SET merged_into = ?, updated_at = ? WHERE id = ?",
                    (ids["fire"], time.time(), ids["xss"]))
    last = pagecache.prerender(db)
    assert last["dropped"] == 2 and last["stories"] == 2
    assert set(pagecache.PageCache(pagecache.default_path(db)).fresh("html")) == {ids["fire"]}


def test_without_a_writable_sidecar_pages_still_render(setup, tmp_path):
    db, _, ids = setup
    a = TestClient(create_app(db, cache_entries=0, page_cache=tmp_path / "missing-dir" / "x.pages"))
    for _ in range(2):
        r = a.get(f"/stories/{ids['fire']}")
        assert r.status_code == 200 and r.headers["x-storyline-page"] == "miss"
    off = TestClient(create_app(db, cache_entries=0, page_cache=False))
    assert off.get(f"/api/stories/{ids['fire']}").json()["story"]["id"] == ids["fire"]


@pytest.mark.parametrize("cache_entries", [0, 2048], ids=["counts-memo", "response-cache"])
def test_story_list_follows_the_store(setup, cache_entries):
    db, con, ids = setup
    apps = [TestClient(create_app(db, cache_entries=cache_entries)) for _ in range(2)]
    for w in apps:
        assert w.get("/api/stories", params={"limit": 1}).json()["total"] == 3
        assert w.get("/api/stories", params={"limit": 1, "offset": 1}).json()["total"] == 3
    with store.transaction(con):
        new_id, _ = sample.add_story(con, "Sallow Bay lifeboat crew rescues two kayakers", [
            sample.Doc("Harbour Gazette", "Two kayakers rescued", "The lifeboat crew rescued two kayakers.",
                       "2031-06-01")])
    for w in apps:
        body = w.get("/api/stories", params={"limit": 1, "offset": 1}).json()
        assert body["total"] == 4
        assert w.get("/api/stories").json()["items"][0]["id"] == new_id
        assert "Sallow Bay lifeboat crew rescues two kayakers" in w.get("/").text
    with store.transaction(con):
        con.execute("UPDATE stories SET merged_into = ?, updated_at = ? WHERE id = ?", (ids["fire"], time.time(), new_id))
    for w in apps:
        assert w.get("/api/stories").json()["total"] == 3
        assert "Sallow Bay lifeboat crew" not in w.get("/").text


def test_pipeline_join_is_never_served_stale(tmp_path):
    """Through the real pipeline: a third outlet's article joins the story; both workers show it at once."""
    pipeline = pytest.importorskip("storyline.pipeline")
    base = ("Firefighters in Port Alder spent Tuesday night fighting a blaze at the Cobb Street grain warehouse. "
            "Fire chief Orla Fenwick said 40 families were moved from nearby homes and no one was hurt. "
            "The warehouse, owned by Alder Mills, stored wheat for the harbour's export trade.")
    first = [
        {"source": "Harbour Gazette", "title": "Port Alder warehouse fire forces 40 families out",
         "published": "2031-03-02", "url": "https://hg.example/1", "text": base},
        {"source": "Kestrel Post", "title": "Grain warehouse blaze in Port Alder: 40 families evacuated",
         "published": "2031-03-02", "url": "https://kp.example/1",
         "text": base.replace("spent Tuesday night fighting", "fought through Tuesday night")},
    ]
    late = {"source": "Wren Courier", "title": "Port Alder warehouse fire: families still out of their homes",
            "published": "2031-03-03", "url": "https://wc.example/1",
            "text": base.replace("Firefighters in Port Alder spent", "Crews in Port Alder spent")}
    db = tmp_path / "store.db"
    con = store.connect(db)

    def run(name, articles):
        path = tmp_path / name
        path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
        pipeline.ingest_paths(con, [str(path)])
        pipeline.process(con)

    run("first.jsonl", first)
    members = "SELECT story_id, count(*) FROM story_members GROUP BY story_id"
    assert len(con.execute(members).fetchall()) == 1, "the two first articles should make one story"
    story_id, n = con.execute(members).fetchone()
    assert n == 2
    a, b = workers(db)
    assert "Wren Courier" not in a.get(f"/stories/{story_id}").text
    assert b.get(f"/stories/{story_id}").headers["x-storyline-page"] == "hit"
    assert len(b.get(f"/api/stories/{story_id}").json()["members"]) == 2
    run("late.jsonl", [late])
    assert [tuple(r) for r in con.execute(members)] == [(story_id, 3)]
    page = b.get(f"/stories/{story_id}")  # b held the two-article page: it must render again
    assert page.headers["x-storyline-page"] == "miss" and "Wren Courier" in page.text
    page = a.get(f"/stories/{story_id}")  # a replays what b just rendered
    assert page.headers["x-storyline-page"] == "hit" and "Wren Courier" in page.text
    for w in (a, b):
        assert "Wren Courier" in {m["outlet"] for m in w.get(f"/api/stories/{story_id}").json()["members"]}
