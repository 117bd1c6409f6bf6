"""persist: reports stored in the comparisons table and recomputed when a story grows."""
from __future__ import annotations

import time

from storyline import store
from storyline.compare import persist


def _article(con, outlet, text, published, duplicate_of=None):
    cur = con.execute(
        "INSERT INTO articles (outlet, published, title, text, format, content_hash, clean_text, duplicate_of, "
        "ingested_at) VALUES (?, ?, ?, ?, 'text', ?, ?, ?, ?)",
        (outlet, published, f"{outlet} story", "raw " + text, f"h{time.time_ns()}", text, duplicate_of, time.time()),
    )
    return cur.lastrowid


def test_get_or_update_recomputes_when_an_article_joins(tmp_path):
    con = store.connect(tmp_path / "s.db")
    con.execute("INSERT INTO stories (id, title, updated_at) VALUES (1, 'Bridge', ?)", (time.time(),))
    a = _article(con, "Metro Ardent", "The Lisk footbridge collapsed on Tuesday. Nine people were hurt.", "2024-02-20")
    b = _article(con, "Halden Today", "The footbridge over the Lisk collapsed on Tuesday. Eleven people were hurt.",
                 "2024-02-21")
    for aid in (a, b):
        con.execute("INSERT INTO story_members (article_id, story_id) VALUES (?, ?)", (aid, 1))
    con.commit()

    first = persist.get_or_update(con, 1)
    assert first["outlets"] == ["Metro Ardent", "Halden Today"]
    assert [d["kind"] for d in first["discrepancies"]] == ["figure"]
    # the clean text is compared, not the raw text
    assert all(not sp["text"].startswith("raw ") for f in first["consensus"] for sp in f["spans"])
    stamp = con.execute("SELECT computed_at FROM comparisons WHERE story_id = 1").fetchone()[0]
    assert persist.get_or_update(con, 1) == first
    assert con.execute("SELECT computed_at FROM comparisons WHERE story_id = 1").fetchone()[0] == stamp

    c = _article(con, "Ardent Radio", "A footbridge across the Lisk collapsed on Tuesday. Nine people were hurt.",
                 "2024-02-22")
    d = _article(con, "Copy Wire", "The Lisk footbridge collapsed on Tuesday. Nine people were hurt.", "2024-02-22",
                 duplicate_of=a)
    for aid in (c, d):
        con.execute("INSERT INTO story_members (article_id, story_id) VALUES (?, ?)", (aid, 1))
    con.commit()
    second = persist.get_or_update(con, 1)
    assert second["outlets"] == ["Metro Ardent", "Halden Today", "Ardent Radio"]
    assert [x["article_id"] for x in second["copies"]] == [d]
    row = con.execute("SELECT n_articles FROM comparisons WHERE story_id = 1").fetchone()
    assert row[0] == 4


def test_a_report_made_by_an_older_comparison_is_computed_again(tmp_path):
    import json

    con = store.connect(tmp_path / "s.db")
    con.execute("INSERT INTO stories (id, title, updated_at) VALUES (1, 'Bridge', ?)", (time.time(),))
    for outlet, text in (("Metro Ardent", "The Lisk footbridge collapsed on Tuesday. Nine people were hurt."),
                         ("Halden Today", "The footbridge over the Lisk collapsed. Eleven people were hurt.")):
        aid = _article(con, outlet, text, "2024-02-20")
        con.execute("INSERT INTO story_members (article_id, story_id) VALUES (?, ?)", (aid, 1))
    con.commit()
    report = persist.get_or_update(con, 1)
    old = {**report, "method_version": report["method_version"] - 1, "discrepancies": []}
    con.execute("UPDATE comparisons SET report = ? WHERE story_id = 1", (json.dumps(old),))
    con.commit()
    again = persist.get_or_update(con, 1)
    assert again["method_version"] == report["method_version"] and again["discrepancies"] == report["discrepancies"]
