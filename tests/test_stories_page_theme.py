"""Live-blog entries: what most entries of a page share is the page's theme, not the entry's
event (``persist.damp_page_theme``, ``[grouping] page_theme``).

All text is invented: a war live blog of five entries on the Northland-Varosh war, one of them
about the capture of two foreign fighters (which a plain article also reports), the others about
other events of the same war.
"""
from __future__ import annotations

import json
import time

import pytest

from storyline.commands.stories import explain_text
from storyline.store import connect, transaction
from storyline.stories import Settings, build_doc
from storyline.stories.persist import assign_stories, damp_page_theme, load_docs

THEME = ("Northland President Anselm Koret said Varosh forces attacked the Ostrava front again. "
         "The Northland army said the Varosh offensive near Ostrava had stalled. ")
PLAIN = ("Two Kelmarian fighters captured by Northland while fighting for Varosh",
         "Northland soldiers captured two Kelmarian citizens fighting for Varosh near the Ostrava front, "
         "President Anselm Koret said on Tuesday. Koret said the captured Kelmarian fighters carried Kelmarian "
         "passports and that many more Kelmarian recruits were fighting for Varosh. The Kelmarian embassy "
         "in Ostrava declined to comment on the captured men.")
ENTRIES = [
    ("Kelmarian fighters captured, Koret says",
     THEME + "Koret said two Kelmarian citizens were captured fighting for Varosh, with Kelmarian passports. "
     "He said many more Kelmarian recruits fight for Varosh."),
    ("Varosh claims it is pushing Northland out of Drelsk",
     THEME + "The Varosh defence ministry said its troops were retaking villages in the Drelsk region. "
     "A Drelsk map shows Northland holds 58 square km around the Drelsk settlement of Gavino."),
    ("Belmark prime minister visits Ostrava",
     THEME + "The Belmark prime minister laid flowers at the Ostrava memorial and promised Belmark air defence."),
    ("Talks on grain corridor resume in Sallow",
     THEME + "Negotiators met in Sallow to reopen the grain corridor; a Sallow mediator said talks would go on."),
    ("Power cuts hit Ostrava after drone strike",
     THEME + "A drone strike on the Ostrava power plant left 40,000 homes without electricity, the mayor said."),
]


def _add(con, title, text, outlet, published, **extra):
    cur = con.execute(
        "INSERT INTO articles (external_id, outlet, published, title, text, format, content_hash, stage, ingested_at, "
        "parent_id, is_liveblog) VALUES (NULL, ?, ?, ?, ?, 'text', ?, 'annotated', ?, ?, ?)",
        (outlet, published, title, text, f"h{time.perf_counter_ns()}", time.time(),
         extra.get("parent_id"), extra.get("is_liveblog", 0)),
    )
    return cur.lastrowid


def _store(path):
    con = connect(path)
    with transaction(con):
        plain = _add(con, *PLAIN, "gazette.example", "2031-04-08")
        page = _add(con, "Northland-Varosh war live", "", "live.example", "2031-04-08", is_liveblog=1)
        entries = [_add(con, t, x, "live.example", "2031-04-08", parent_id=page) for t, x in ENTRIES]
    return con, plain, entries


def _story(con, aid):
    return con.execute("SELECT story_id FROM story_members WHERE article_id = ?", (aid,)).fetchone()[0]


def test_damp_page_theme_scales_each_feature_by_its_share_of_the_other_entries():
    docs = [build_doc(i, t, x, "live.example", "2031-04-08") for i, (t, x) in enumerate(ENTRIES)]
    damped = damp_page_theme(docs, 0.8)
    shared = [f for f in docs[0].features if all(f in d.features for d in docs)]
    assert shared, "the theme words are features of every entry"
    for f in shared:
        assert damped[0].features[f] == pytest.approx(docs[0].features[f] * 0.2)
    only = [f for f in docs[1].features if not any(f in d.features for j, d in enumerate(docs) if j != 1)]
    assert only and all(damped[1].features[f] == docs[1].features[f] for f in only)
    # a page of three entries is too small to tell a theme: left alone
    assert [d.features for d in damp_page_theme(docs[:3], 0.8)] == [d.features for d in docs[:3]]


def test_an_entry_gets_the_same_vector_in_any_batch(tmp_path):
    con, _, entries = _store(tmp_path / "s.db")
    alone = load_docs(con, [entries[1]], 0.8)[entries[1]]
    together = load_docs(con, entries, 0.8)[entries[1]]
    assert alone.features == together.features
    assert alone.features != load_docs(con, [entries[1]])[entries[1]].features
    con.close()


@pytest.mark.parametrize("strength", [0.0, 0.8])
def test_theme_damping_keeps_other_war_events_out_of_the_story(tmp_path, strength):
    con, plain, entries = _store(tmp_path / "s.db")
    assign_stories(con, settings=Settings.load(page_theme=strength))
    story = _story(con, plain)
    assert _story(con, entries[0]) == story, "the captured-fighters entry joins the plain article"
    others = [_story(con, e) for e in entries[1:]]
    if strength:
        assert story not in others, "no other war entry joins the captured-fighters story"
        expl = json.loads(con.execute("SELECT explanation FROM story_members WHERE article_id = ?",
                                      (entries[1],)).fetchone()[0])
        assert "Ostrava" in expl["page_theme"] and "Kelmarian" not in expl["page_theme"], expl
        assert "live-blog theme weighed down: " in explain_text({"explanation": expl})
    else:
        # without damping the shared theme pulls other entries in (the seeds' failure)
        assert story in others
    con.close()
