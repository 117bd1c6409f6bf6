"""Invented stores for the web tests and the load benchmark.

``add_story`` writes one story directly into the schema of storyline.store
(articles, members, annotations, removed pieces, a comparison report), with
bound parameters only. ``fill_sample`` builds a small store about an
invented event, including one article whose title, outlet, URL and text are
hostile (script tags, event handlers, javascript: links) so tests can check
that nothing runs. ``fill_synthetic`` builds a large store (e.g. 10,000
stories) for the load benchmark. All outlets, people and events are invented.
"""
from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from storyline import store

XSS_MARKER = "__xss"  # tests check that window.__xss stays undefined
XSS_TITLE = '<script>window.__xss=1</script>Harbour <b>fire</b> "update"'
XSS_OUTLET = '<img src=x onerror="window.__xss=2">Evil Outlet'
XSS_URL = "javascript:window.__xss=4"
XSS_TEXT = (
    "Crews fought the warehouse fire in Port Alder on Tuesday, officials said.\n\n"
    '<script>window.__xss=3</script><img src=x onerror="window.__xss=5"> '
    '<a href="javascript:window.__xss=6">Click for the full story</a>\n\n'
    "The mayor, Ines Carrow, said: \"<svg onload=window.__xss=7>We will rebuild.\"\n\n"
    '"><script>window.__xss=8</script><iframe src="javascript:window.__xss=9"></iframe>'
)


@dataclass
class Doc:
    """One invented article of a story: outlet, title, text, and spans to annotate."""

    outlet: str
    title: str
    text: str
    published: str
    url: str | None = None
    places: list[tuple[str, str, float, float]] = field(default_factory=list)  # (surface, name, lat, lon)
    entities: list[tuple[str, str, str]] = field(default_factory=list)  # (surface, label, key)
    quotes: list[tuple[str, str]] = field(default_factory=list)  # (content, speaker)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (text, reason)
    entries: list[tuple[str, str]] = field(default_factory=list)  # live-blog (title, text)


def span(article_id: int, outlet: str, text: str, part: str) -> dict[str, Any]:
    """The verbatim span of ``part`` (first occurrence) in ``text``."""
    start = text.index(part)
    return {"article_id": article_id, "outlet": outlet, "start": start, "end": start + len(part), "text": part}


def insert_article(con: sqlite3.Connection, doc: Doc, parent_id: int | None = None, position: int | None = None,
                   title: str | None = None, text: str | None = None) -> int:
    body = doc.text if text is None else text
    cur = con.execute(
        "INSERT INTO articles (url, outlet, published, title, text, format, content_hash, parent_id, position, "
        "clean_text, is_liveblog, clean_meta, stage, ingested_at) VALUES (?, ?, ?, ?, ?, 'text', ?, ?, ?, ?, ?, '{}', "
        "'compared', ?)",
        (doc.url if parent_id is None else None, doc.outlet, doc.published, title or doc.title, body,
         hashlib.sha256(f"{doc.outlet}\n{title or doc.title}\n{body}".encode()).hexdigest(), parent_id, position,
         body, int(bool(doc.entries) and parent_id is None), time.time()),
    )
    return cur.lastrowid


def _annotate(con: sqlite3.Connection, article_id: int, doc: Doc) -> None:
    rows: list[dict[str, Any]] = []
    for surface, name, lat, lon in doc.places:
        if surface in doc.text:
            s = doc.text.index(surface)
            rows.append({"kind": "place", "start": s, "end": s + len(surface), "text": surface, "label": "GPE",
                         "value": {"name": name, "kind": "city", "country": "", "lat": lat, "lon": lon,
                                   "confidence": 0.9, "geonameid": None}})
    for surface, label, key in doc.entities:
        if surface in doc.text:
            s = doc.text.index(surface)
            rows.append({"kind": "entity", "start": s, "end": s + len(surface), "text": surface, "label": label,
                         "value": {"key": key, "name": surface, "forms": [surface]}})
    for content, speaker in doc.quotes:
        if content in doc.text:
            s = doc.text.index(content)
            rows.append({"kind": "quote", "start": s, "end": s + len(content), "text": content, "label": "",
                         "value": {"speaker": speaker, "speaker_key": speaker.lower(), "speaker_span": None,
                                   "cue": "said", "cue_span": None, "direct": True}})
    store.put_annotations(con, article_id, rows)
    for line, (text, reason) in enumerate(doc.removed):
        con.execute("INSERT INTO removed (article_id, line, reason, rule, text) VALUES (?, ?, ?, ?, ?)",
                    (article_id, line, reason, reason, text))


def add_story(con: sqlite3.Connection, title: str, docs: list[Doc],
              report: Any = None) -> tuple[int, list[int]]:
    """Insert a story with its articles; ``report(ids)`` builds the comparison (or None for none)."""
    now = time.time()
    dates = sorted(d.published for d in docs)
    cur = con.execute(
        "INSERT INTO stories (title, first_seen, last_seen, n_articles, n_outlets, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        (title, dates[0], dates[-1], len(docs), len({d.outlet for d in docs}), now),
    )
    story_id = cur.lastrowid
    ids = []
    for n, doc in enumerate(docs):
        aid = insert_article(con, doc)
        ids.append(aid)
        _annotate(con, aid, doc)
        # the grouper's explanation shape (docs/stories.md): the first member started the story
        words = [w.lower() for w in doc.title.split()[:3]]
        why = ({"new_story": True, "candidates": 0} if n == 0 else
               {"score": 0.8, "candidates": 1, "shared": {"words": words}, "time_factor": 0.97})
        con.execute("INSERT INTO story_members (article_id, story_id, score, explanation) VALUES (?, ?, ?, ?)",
                    (aid, story_id, 1.0 if n == 0 else 0.8, json.dumps(why, ensure_ascii=False)))
        for pos, (etitle, etext) in enumerate(doc.entries, start=1):
            insert_article(con, doc, parent_id=aid, position=pos, title=etitle, text=etext)
    if report is not None:
        con.execute("INSERT INTO comparisons (story_id, report, n_articles, computed_at) VALUES (?, ?, ?, ?)",
                    (story_id, json.dumps(report(ids, docs), ensure_ascii=False), len(docs), now))
    return story_id, ids


# ------------------------------------------------------------ the sample store

PORT_ALDER = ("Port Alder", "Port Alder", 54.6, -5.9)
KELVERTON = ("Kelverton", "Kelverton", 53.4, -2.2)


def _fire_docs() -> list[Doc]:
    common_e = [("Ines Carrow", "PERSON", "ines-carrow"), ("Port Alder Fire Service", "ORG", "pafs")]
    return [
        Doc("Harbour Gazette", "Warehouse fire in Port Alder forces 40 families from their homes",
            "A fire at a grain warehouse in Port Alder forced 40 families from their homes on Tuesday night.\n\n"
            "The Port Alder Fire Service said 12 engines attended and the blaze was under control by dawn.\n\n"
            "Mayor Ines Carrow said: \"We will rebuild this quarter, street by street.\"\n\n"
            "Residents were housed overnight in the Kelverton sports hall.",
            "2031-03-04", "https://harbourgazette.example/fire",
            places=[PORT_ALDER, KELVERTON], entities=common_e,
            quotes=[("We will rebuild this quarter, street by street.", "Ines Carrow")],
            removed=[("Photo: smoke over the harbour. Credit: Gazette staff", "caption"),
                     ("Read more: Port Alder budget vote", "read-more")]),
        Doc("Kestrel Post", "Port Alder blaze: 35 families evacuated as warehouse burns",
            "About 35 families were evacuated when a warehouse caught fire in Port Alder late on Tuesday.\n\n"
            "Firefighters from the Port Alder Fire Service brought the fire under control by early Wednesday.\n\n"
            "\"We will rebuild this district, street by street,\" Mayor Ines Carrow told reporters.\n\n"
            "An investigation into the cause has begun, the fire service said.",
            "2031-03-04", "https://kestrelpost.example/blaze",
            places=[PORT_ALDER], entities=common_e,
            quotes=[("We will rebuild this district, street by street,", "Ines Carrow")],
            removed=[("By Orla Fenwick", "byline")]),
        Doc("Meridian Wire", "Port Alder warehouse fire: live updates",
            "A warehouse fire in Port Alder has forced 40 families to leave their homes.\n\n"
            "The Port Alder Fire Service sent 12 engines to the scene.\n\n"
            "Insurance assessors are expected in Kelverton on Thursday.",
            "2031-03-05", "https://meridianwire.example/live",
            places=[PORT_ALDER, KELVERTON], entities=common_e,
            entries=[("09:10 Roads reopen", "The harbour road reopened to traffic on Wednesday morning."),
                     ("08:00 Fire under control", "Crews said the fire was under control.")]),
    ]


def _fact(fid: str, spans: list[dict[str, Any]]) -> dict[str, Any]:
    outlets = list(dict.fromkeys(sp["outlet"] for sp in spans))
    lead = spans[0]
    return {"fact_id": fid, "summary": {"text": lead["text"], "outlet": lead["outlet"],
                                        "article_id": lead["article_id"], "verbatim": True},
            "outlets": outlets, "count": len(outlets), "spans": spans}


def _report(docs: list[Doc], ids: list[int], **parts: Any) -> dict[str, Any]:
    """A report in the shape of storyline.compare.report (schema version 1)."""
    outlets = list(dict.fromkeys(d.outlet for d in docs))
    consensus = parts.get("consensus", [])
    return {
        "schema_version": 1, "outlets": outlets,
        "articles": [{"article_id": i, "outlet": d.outlet, "published": d.published, "title": d.title,
                      "url": d.url} for i, d in zip(ids, docs)],
        "copies": [],
        "first_reported": {"outlet": docs[0].outlet, "article_id": ids[0], "published": docs[0].published,
                           "title": docs[0].title},
        "consensus": consensus,
        "discrepancies": parts.get("discrepancies", []),
        "quote_groups": parts.get("quote_groups", []),
        "unique": parts.get("unique", [{"outlet": o, "spans": []} for o in outlets]),
        "omissions": parts.get("omissions", {o: [] for o in outlets}),
        "timeline": [{"time": d.published, "article_id": i, "outlet": d.outlet, "title": d.title,
                      "new_facts": [f["fact_id"] for f in consensus if f["spans"][0]["article_id"] == i]}
                     for i, d in zip(ids, docs)],
        "coverage": {"outlets": outlets, "facts": [f["fact_id"] for f in consensus],
                     "matrix": [[int(o in f["outlets"]) for f in consensus] for o in outlets]},
    }


def _version(sp: dict[str, Any], wording: str, speaker: str) -> dict[str, Any]:
    return {"outlet": sp["outlet"], "article_id": sp["article_id"], "speaker": speaker, "span": sp,
            "wording": wording}


def _fire_report(ids: list[int], docs: list[Doc]) -> dict[str, Any]:
    g, k, m = ((ids[i], docs[i].outlet, docs[i].text) for i in range(3))
    fig = [span(*g, "40"), span(*m, "40"), span(*k, "35")]
    sent = [span(*g, "A fire at a grain warehouse in Port Alder forced 40 families from their homes on Tuesday night."),
            span(*m, "A warehouse fire in Port Alder has forced 40 families to leave their homes."),
            span(*k, "About 35 families were evacuated when a warehouse caught fire in Port Alder late on Tuesday.")]
    quote_g = span(*g, "We will rebuild this quarter, street by street.")
    quote_k = span(*k, "We will rebuild this district, street by street,")
    return _report(
        docs, ids,
        consensus=[_fact("F1", sent),
                   _fact("F2", [span(*g, "The Port Alder Fire Service said 12 engines attended and the blaze was "
                                         "under control by dawn."),
                                span(*k, "Firefighters from the Port Alder Fire Service brought the fire under "
                                         "control by early Wednesday."),
                                span(*m, "The Port Alder Fire Service sent 12 engines to the scene.")])],
        discrepancies=[
            {"id": "D1", "kind": "figure", "counted": "families", "facts": ["F1"],
             "values": [{"value": 40.0, "text": "40", "outlets": [g[1], m[1]], "spans": fig[:2], "sentences": sent[:2]},
                        {"value": 35.0, "text": "35", "outlets": [k[1]], "spans": fig[2:], "sentences": sent[2:]}],
             "spans": fig},
            {"id": "D2", "kind": "quote-part", "group_id": "Q1", "outlet": k[1],
             "added": [span(*k, "district")], "dropped": [span(*g, "quarter")], "spans": [quote_k]},
        ],
        quote_groups=[{"group_id": "Q1", "speaker": "Ines Carrow", "speaker_key": "ines-carrow",
                       "speaker_conflict": False, "speakers": ["Ines Carrow"], "outlets": [g[1], k[1]], "count": 2,
                       "versions": [_version(quote_g, "reference", "Ines Carrow"),
                                    _version(quote_k, "close", "Ines Carrow")]}],
        unique=[{"outlet": g[1], "spans": [dict(span(*g, "Residents were housed overnight in the Kelverton sports hall."),
                                                kind="sentence")]},
                {"outlet": k[1], "spans": [dict(span(*k, "An investigation into the cause has begun, the fire service "
                                                         "said."), kind="sentence")]},
                {"outlet": m[1], "spans": [dict(span(*m, "Insurance assessors are expected in Kelverton on Thursday."),
                                                kind="sentence")]}],
        omissions={g[1]: [], k[1]: [], m[1]: []},
    )


def _xss_docs() -> list[Doc]:
    return [
        Doc(XSS_OUTLET, XSS_TITLE, XSS_TEXT, "2031-03-06", XSS_URL,
            places=[PORT_ALDER], entities=[("Ines Carrow", "PERSON", "ines-carrow")],
            removed=[('<img src=x onerror="window.__xss=10">caption', "caption")]),
        Doc("Harbour Gazette", "Port Alder fire: cleanup begins",
            "Cleanup began in Port Alder on Thursday after the warehouse fire.\n\n"
            "The mayor, Ines Carrow, thanked volunteers.",
            "2031-03-06", "https://harbourgazette.example/cleanup", places=[PORT_ALDER]),
    ]


def _xss_report(ids: list[int], docs: list[Doc]) -> dict[str, Any]:
    e, g = (ids[0], docs[0].outlet, docs[0].text), (ids[1], docs[1].outlet, docs[1].text)
    hostile = span(*e, "<script>window.__xss=3</script>")
    quote = span(*e, "<svg onload=window.__xss=7>We will rebuild.")
    report = _report(
        docs, ids,
        consensus=[_fact("F1", [span(*e, "fire in Port Alder"), span(*g, "fire")])],
        discrepancies=[{"id": "D1", "kind": "figure", "counted": '<img src=x onerror="window.__xss=12">',
                        "facts": ["F1"],
                        "values": [{"value": 1, "text": "<b>1</b>", "outlets": [e[1]], "spans": [hostile]},
                                   {"value": 2, "text": "2", "outlets": [g[1]], "spans": [span(*g, "Thursday")]}],
                        "spans": [hostile]}],
        quote_groups=[{"group_id": "Q1", "speaker": "<svg onload=window.__xss=13>", "outlets": [e[1]], "count": 1,
                       "versions": [_version(quote, "reference", "<svg onload=window.__xss=13>")]}],
        unique=[{"outlet": e[1], "spans": [span(*e, '<a href="javascript:window.__xss=6">Click for the full story</a>')]}],
    )
    report["consensus"][0]["summary"]["text"] = "<script>window.__xss=11</script>fire in Port Alder"
    report["timeline"][0]["title"] = "<script>window.__xss=15</script>"
    return report


def fill_sample(con: sqlite3.Connection) -> dict[str, Any]:
    """A small store: one three-outlet story with a full report, one hostile story, one story without report."""
    with store.transaction(con):
        fire_id, fire_ids = add_story(con, "Warehouse fire in Port Alder", _fire_docs(), _fire_report)
        xss_id, xss_ids = add_story(con, XSS_TITLE, _xss_docs(), _xss_report)
        bare_id, bare_ids = add_story(con, "Kelverton council approves new ferry timetable", [
            Doc("Kestrel Post", "Kelverton ferry timetable approved",
                "Kelverton council approved a new ferry timetable on Monday.", "2031-02-20", None,
                places=[KELVERTON]),
        ])
    return {"fire": fire_id, "fire_articles": fire_ids, "xss": xss_id, "xss_articles": xss_ids,
            "bare": bare_id, "bare_articles": bare_ids}


# --------------------------------------------------------- the synthetic store

_WORDS = ("harbour council ferry budget storm bridge strike election court river hospital school railway "
          "museum festival market tunnel airport clinic factory").split()
_TOWNS = [("Port Alder", 54.6, -5.9), ("Kelverton", 53.4, -2.2), ("Dunmere", 56.1, -3.9), ("Sallow Bay", 50.7, -1.3),
          ("Crickhowe", 52.2, 0.1), ("Tarnfield", 55.0, -1.6)]


def fill_synthetic(con: sqlite3.Connection, n_stories: int, seed: int = 7, outlets: int = 12) -> None:
    """``n_stories`` invented stories of 2-9 articles each, with annotations and comparison reports."""
    rnd = random.Random(seed)
    names = [f"Outlet {chr(65 + i % 26)}{i // 26 or ''} News" for i in range(outlets)]
    with store.transaction(con):
        for n in range(n_stories):
            topic = rnd.sample(_WORDS, 3)
            town = rnd.choice(_TOWNS)
            day = f"2031-{1 + n * 12 // n_stories:02d}-{1 + n % 28:02d}"
            figure = rnd.randint(3, 400)
            docs = []
            for outlet in rnd.sample(names, rnd.randint(2, 9)):
                fig = figure if rnd.random() < 0.7 else figure + rnd.randint(1, 9)
                text = (f"The {topic[0]} dispute in {town[0]} deepened on {day} as {fig} people joined the protest.\n\n"
                        f"Officials from the {topic[1]} office said talks would resume. "
                        f"\"We are listening to every {topic[2]} worker,\" said spokesperson Mara Quill.\n\n"
                        + " ".join(rnd.choice(_WORDS) for _ in range(120)) + ".")
                docs.append(Doc(outlet, f"{town[0]} {topic[0]} dispute: {fig} join protest", text, day,
                                f"https://{outlet.split()[1].lower()}.example/{n}",
                                places=[(town[0], town[0], town[1], town[2])],
                                entities=[("Mara Quill", "PERSON", "mara-quill")],
                                quotes=[(f"We are listening to every {topic[2]} worker,", "Mara Quill")]))
            add_story(con, f"{town[0]}: {topic[0]} dispute over {topic[1]}", docs, _synthetic_report)


def _synthetic_report(ids: list[int], docs: list[Doc]) -> dict[str, Any]:
    trip = [(ids[i], d.outlet, d.text) for i, d in enumerate(docs)]
    by_fig: dict[str, list[tuple[int, str, str]]] = {}
    for t in trip:
        by_fig.setdefault(t[2].split(" as ", 1)[1].split(" ", 1)[0], []).append(t)
    quotes = [span(*t, "We are listening") for t in trip]
    figures = [{"value": float(f), "text": f, "outlets": [t[1] for t in ts], "spans": [span(*t, f) for t in ts]}
               for f, ts in by_fig.items()]
    return _report(
        docs, ids,
        consensus=[_fact("F1", [span(*t, "talks would resume") for t in trip])],
        discrepancies=[{"id": "D1", "kind": "figure", "counted": "people", "facts": [], "values": figures,
                        "spans": [sp for v in figures for sp in v["spans"]]}] if len(figures) > 1 else [],
        quote_groups=[{"group_id": "Q1", "speaker": "Mara Quill", "outlets": [t[1] for t in trip],
                       "count": len(trip), "versions": [_version(q, "close", "Mara Quill") for q in quotes]}],
        unique=[{"outlet": trip[0][1], "spans": [dict(span(*trip[0], "office"), kind="part")]}],
    )
