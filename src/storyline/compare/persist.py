"""Comparison reports in the store: computed on demand, recomputed when a story's members change.

``get_or_update(con, story_id)`` returns the stored report unless the story's
members are not the ones it was computed from (an article joined, left or was
revised) or the report's schema is older; then ``update_story``
recomputes it from the members in the store and writes the ``comparisons``
row. Only bound parameters are used.
"""
from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from storyline.compare.report import METHOD_VERSION, SCHEMA_VERSION, compare_story
from storyline.compare.units import time_key
from storyline.store import article_text, get_annotations, row_to_dict, transaction


def story_members(con: sqlite3.Connection, story_id: int) -> list[dict[str, Any]]:
    """The story's members as compare_story input (text = clean text, annotations from the store).

    A live-blog page whose entries are members too is left out (its entries
    speak for it); duplicates are kept with ``duplicate_of`` so the report
    lists them as copies.
    """
    rows = [row_to_dict(r) for r in con.execute(
        "SELECT a.* FROM story_members sm JOIN articles a ON a.id = sm.article_id "
        "WHERE sm.story_id = ? ORDER BY a.id", (story_id,))]
    # by publication instant (UTC offsets respected, date-only values at the end of their day,
    # undated last: units.time_key); ISO strings do not sort as instants
    rows.sort(key=lambda r: (time_key(r.get("published")), r["id"]))
    ids = {r["id"] for r in rows}
    parents = {r["parent_id"] for r in rows if r.get("parent_id") in ids}
    members = []
    for r in rows:
        if r["id"] in parents:
            continue
        members.append({
            "article_id": r["id"], "outlet": r["outlet"], "published": r.get("published"),
            "title": r.get("title") or "", "text": article_text(r), "url": r.get("url"),
            "duplicate_of": r.get("duplicate_of"),
            "annotations": get_annotations(con, r["id"]) if not r.get("duplicate_of") else [],
        })
    return members


def member_count(con: sqlite3.Connection, story_id: int) -> int:
    return con.execute("SELECT count(*) FROM story_members WHERE story_id = ?", (story_id,)).fetchone()[0]


def update_story(con: sqlite3.Connection, story_id: int) -> dict[str, Any]:
    """Recompute the story's comparison and store it."""
    n = member_count(con, story_id)
    report = compare_story(story_members(con, story_id), story_id=story_id)
    with transaction(con):
        con.execute(
            "INSERT INTO comparisons (story_id, report, n_articles, computed_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(story_id) DO UPDATE SET report = excluded.report, n_articles = excluded.n_articles, "
            "computed_at = excluded.computed_at",
            (story_id, json.dumps(report, ensure_ascii=False), n, time.time()),
        )
    return report


def member_ids(con: sqlite3.Connection, story_id: int) -> set[int]:
    """The ids of the members a report covers (:func:`story_members`: a live-blog page whose
    entries are members too is left out)."""
    return {r[0] for r in con.execute(
        "SELECT m.article_id FROM story_members m WHERE m.story_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM story_members e JOIN articles a ON a.id = e.article_id "
        "WHERE e.story_id = m.story_id AND a.parent_id = m.article_id)", (story_id,))}


def report_ids(report: dict[str, Any]) -> set[Any]:
    """The member ids a stored report was computed from: its articles and its copies."""
    return ({a.get("article_id") for a in report.get("articles") or ()}
            | {c.get("article_id") for c in report.get("copies") or ()})


def get_or_update(con: sqlite3.Connection, story_id: int) -> dict[str, Any]:
    """The stored comparison, recomputed first when the story's members are not the ones it was
    computed from (an article joined, left, or was replaced by a revision; the same count with
    other members is a change too) or the report's schema or method is older."""
    row = con.execute("SELECT report FROM comparisons WHERE story_id = ?", (story_id,)).fetchone()
    if row is not None:
        try:
            report = json.loads(row[0])
        except ValueError:
            report = None
        if (isinstance(report, dict) and report.get("schema_version") == SCHEMA_VERSION
                and report.get("method_version") == METHOD_VERSION
                and report_ids(report) == member_ids(con, story_id)):
            return report
    return update_story(con, story_id)
