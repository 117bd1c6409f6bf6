"""Read queries behind the HTTP API and the web pages.

Every function takes an open connection and returns plain dicts. SQL text is
fixed: filters add fixed clause fragments, and every value travels as a
bound parameter (``?``), never inside the SQL string. Each page's main
content comes from one function here (``story_page``, ``article_page``,
``list_stories``...), so one page is one trip to the store.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from storyline.store import fts_query, row_to_dict

MAX_LIMIT = 200


@dataclass(slots=True, frozen=True)
class Filters:
    """Filters shared by the story, article and search listings.

    ``date_from``/``date_to`` are ISO dates (inclusive) compared as text
    against ``published`` (articles) or ``first_seen``/``last_seen``
    (stories); ``outlet`` is an exact outlet name; ``entity`` matches an
    entity annotation by resolved key, name or surface text; ``place``
    matches a place annotation by name or surface text; ``q`` is a
    full-text query (every word required).
    """

    date_from: str | None = None
    date_to: str | None = None
    outlet: str | None = None
    entity: str | None = None
    place: str | None = None
    q: str | None = None


def _article_clauses(f: Filters, alias: str) -> tuple[list[str], list[Any]]:
    """WHERE fragments selecting articles (table alias ``alias``) matching ``f``."""
    where: list[str] = []
    params: list[Any] = []
    if f.date_from:
        where.append(f"{alias}.published >= ?")
        params.append(f.date_from)
    if f.date_to:
        # a full datetime on the last day still counts: compare to the day's end
        where.append(f"{alias}.published <= ?")
        params.append(f.date_to + "\uffff")
    if f.outlet:
        where.append(f"{alias}.outlet = ?")
        params.append(f.outlet)
    if f.entity:
        where.append(
            f"EXISTS (SELECT 1 FROM annotations n WHERE n.article_id = {alias}.id AND n.kind = 'entity' "
            "AND (n.text = ? COLLATE NOCASE OR json_extract(n.value, '$.key') = ? "
            "OR json_extract(n.value, '$.name') = ? COLLATE NOCASE))"
        )
        params += [f.entity, f.entity, f.entity]
    if f.place:
        where.append(
            f"EXISTS (SELECT 1 FROM annotations n WHERE n.article_id = {alias}.id AND n.kind = 'place' "
            "AND (n.text = ? COLLATE NOCASE OR json_extract(n.value, '$.name') = ? COLLATE NOCASE))"
        )
        params += [f.place, f.place]
    if f.q:
        match = fts_query(f.q)
        if match:
            where.append(f"{alias}.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.append(match)
        else:
            where.append("0")  # a query of punctuation only matches nothing
    return where, params


# ----------------------------------------------------------------------- stories


def list_stories(con: sqlite3.Connection, f: Filters, limit: int = 30, offset: int = 0,
                 totals: dict[Any, int] | None = None) -> dict[str, Any]:
    """Stories newest first (then largest), each with its articles per outlet.

    Date filters select stories whose span [first_seen, last_seen] overlaps
    the range; the other filters select stories with at least one member
    article matching all of them. ``totals`` (filters -> count) spares the
    ``count(*)`` when the caller knows the store has not changed since.
    """
    where = ["s.merged_into IS NULL"]
    params: list[Any] = []
    if f.date_from:
        where.append("coalesce(s.last_seen, s.first_seen) >= ?")
        params.append(f.date_from)
    if f.date_to:
        where.append("coalesce(s.first_seen, s.last_seen) <= ?")
        params.append(f.date_to + "\uffff")
    member_filter = Filters(outlet=f.outlet, entity=f.entity, place=f.place, q=f.q)
    art_where, art_params = _article_clauses(member_filter, "a")
    if art_where:
        where.append(
            "EXISTS (SELECT 1 FROM story_members m JOIN articles a ON a.id = m.article_id "
            "WHERE m.story_id = s.id AND " + " AND ".join(art_where) + ")"
        )
        params += art_params
    cond = " AND ".join(where)
    total = totals.get(f) if totals is not None else None
    if total is None:
        total = con.execute(f"SELECT count(*) FROM stories s WHERE {cond}", params).fetchone()[0]
        if totals is not None:
            totals[f] = total
    rows = con.execute(
        "SELECT s.id, s.title, s.first_seen, s.last_seen, s.n_articles, s.n_outlets FROM stories s "
        f"WHERE {cond} ORDER BY s.last_seen DESC, s.n_articles DESC, s.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    items = [dict(r) for r in rows]
    counts = outlet_counts(con, [it["id"] for it in items])
    for it in items:
        it["outlets"] = counts.get(it["id"], [])
    return {"total": total, "limit": limit, "offset": offset, "items": items}


def outlet_counts(con: sqlite3.Connection, story_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """For each story id: [{outlet, count}] sorted by count, largest first."""
    if not story_ids:
        return {}
    marks = ",".join("?" * len(story_ids))  # placeholders only; ids are bound
    out: dict[int, list[dict[str, Any]]] = {}
    for r in con.execute(
        "SELECT m.story_id, a.outlet, count(*) AS n FROM story_members m JOIN articles a ON a.id = m.article_id "
        f"WHERE m.story_id IN ({marks}) GROUP BY m.story_id, a.outlet ORDER BY m.story_id, n DESC, a.outlet",
        story_ids,
    ):
        out.setdefault(r[0], []).append({"outlet": r[1], "count": r[2]})
    return out


def get_story(con: sqlite3.Connection, story_id: int) -> dict[str, Any] | None:
    row = con.execute(
        "SELECT id, title, title_article, first_seen, last_seen, n_articles, n_outlets, merged_into "
        "FROM stories WHERE id = ?",
        (story_id,),
    ).fetchone()
    return dict(row) if row else None


def story_members(con: sqlite3.Connection, story_id: int, with_text: bool = False) -> list[dict[str, Any]]:
    """Member articles of a story, oldest first, with score and explanation."""
    text_col = ", coalesce(a.clean_text, a.text) AS clean_text" if with_text else ""
    rows = con.execute(
        "SELECT a.id, a.title, a.outlet, a.published, a.url, a.parent_id, a.position, a.duplicate_of, "
        f"a.dup_kind, a.is_liveblog, m.score, m.explanation, m.pinned{text_col} "
        "FROM story_members m JOIN articles a ON a.id = m.article_id WHERE m.story_id = ? "
        "ORDER BY a.published IS NULL, a.published, a.id",
        (story_id,),
    )
    return [row_to_dict(r) for r in rows]


def get_report(con: sqlite3.Connection, story_id: int) -> dict[str, Any] | None:
    row = con.execute(
        "SELECT report, n_articles, computed_at FROM comparisons WHERE story_id = ?", (story_id,)
    ).fetchone()
    if not row:
        return None
    try:
        report = json.loads(row["report"])
    except ValueError:
        return None
    return report if isinstance(report, dict) else {"items": report}


def story_places(con: sqlite3.Connection, story_id: int) -> list[dict[str, Any]]:
    """Places mentioned in a story, one row per place, with mention count and outlets."""
    places: dict[str, dict[str, Any]] = {}
    for r in con.execute(
        "SELECT n.article_id, n.start, n.end, n.text, n.value, a.outlet FROM annotations n "
        "JOIN story_members m ON m.article_id = n.article_id JOIN articles a ON a.id = n.article_id "
        "WHERE m.story_id = ? AND n.kind = 'place' ORDER BY n.article_id, n.start",
        (story_id,),
    ):
        try:
            value = json.loads(r["value"])
        except ValueError:
            continue
        lat, lon = value.get("lat"), value.get("lon")
        if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
            continue
        key = str(value.get("geonameid") or value.get("name") or r["text"])
        p = places.setdefault(key, {
            "name": value.get("name") or r["text"], "kind": value.get("kind"), "country": value.get("country"),
            "lat": float(lat), "lon": float(lon), "mentions": 0, "outlets": [], "first": None,
        })
        p["mentions"] += 1
        if r["outlet"] not in p["outlets"]:
            p["outlets"].append(r["outlet"])
        if p["first"] is None:
            p["first"] = {"article_id": r["article_id"], "start": r["start"], "end": r["end"], "text": r["text"]}
    return sorted(places.values(), key=lambda p: (-p["mentions"], p["name"]))


def story_page(con: sqlite3.Connection, story_id: int, with_text: bool = True) -> dict[str, Any] | None:
    """Everything the story page shows: story, members, comparison report, places."""
    story = get_story(con, story_id)
    if story is None:
        return None
    return {
        "story": story,
        "members": story_members(con, story_id, with_text=with_text),
        "comparison": get_report(con, story_id),
        "places": story_places(con, story_id),
    }


# ---------------------------------------------------------------------- articles

ARTICLE_LIST_COLUMNS = (
    "a.id, a.title, a.outlet, a.published, a.url, a.parent_id, a.position, a.duplicate_of, a.dup_kind, "
    "a.revision_of, a.is_liveblog, a.format"
)


def list_articles(con: sqlite3.Connection, f: Filters, limit: int = 30, offset: int = 0) -> dict[str, Any]:
    where, params = _article_clauses(f, "a")
    cond = " AND ".join(where) if where else "1"
    total = con.execute(f"SELECT count(*) FROM articles a WHERE {cond}", params).fetchone()[0]
    rows = con.execute(
        f"SELECT {ARTICLE_LIST_COLUMNS}, m.story_id FROM articles a "
        "LEFT JOIN story_members m ON m.article_id = a.id "
        f"WHERE {cond} ORDER BY a.published IS NULL, a.published DESC, a.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return {"total": total, "limit": limit, "offset": offset, "items": [dict(r) for r in rows]}


def article_page(con: sqlite3.Connection, article_id: int) -> dict[str, Any] | None:
    """One article with its clean text, removed pieces, annotations, entries and story."""
    row = con.execute(
        f"SELECT {ARTICLE_LIST_COLUMNS}, a.external_id, a.outlet_known, a.source_path, a.source_line, "
        "a.dup_score, a.clean_meta, a.stage, coalesce(a.clean_text, a.text) AS clean_text, "
        "a.clean_text IS NOT NULL AS is_clean, m.story_id, m.score AS story_score, m.explanation "
        "FROM articles a LEFT JOIN story_members m ON m.article_id = a.id WHERE a.id = ?",
        (article_id,),
    ).fetchone()
    if row is None:
        return None
    article = row_to_dict(row)
    article["removed"] = [dict(r) for r in con.execute(
        "SELECT line, reason, rule, text FROM removed WHERE article_id = ? ORDER BY line", (article_id,)
    )]
    article["annotations"] = [row_to_dict(r) for r in con.execute(
        "SELECT kind, start, end, text, label, value FROM annotations WHERE article_id = ? ORDER BY start, end",
        (article_id,),
    )]
    article["entries"] = [dict(r) for r in con.execute(
        "SELECT id, title, position, published FROM articles WHERE parent_id = ? ORDER BY position, id",
        (article_id,),
    )]
    story_title = None
    if article["story_id"] is not None:
        r = con.execute("SELECT title FROM stories WHERE id = ?", (article["story_id"],)).fetchone()
        story_title = r[0] if r else None
    article["story_title"] = story_title
    article["spans"] = report_spans_for(con, article["story_id"], article_id) if article["story_id"] else []
    return article


def report_spans_for(con: sqlite3.Connection, story_id: int, article_id: int) -> list[tuple[int, int]]:
    """The (start, end) spans the story's comparison report points at in one article."""
    report = get_report(con, story_id)
    if not report:
        return []
    found: set[tuple[int, int]] = set()
    stack: list[Any] = [report]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("article_id") == article_id and isinstance(node.get("start"), int) \
                    and isinstance(node.get("end"), int):
                found.add((node["start"], node["end"]))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)


# ----------------------------------------------------------------- search, outlets


def search(con: sqlite3.Connection, f: Filters, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """Full-text search over articles (best match first) plus the stories they belong to."""
    match = fts_query(f.q or "")
    if not match:
        return {"total": 0, "limit": limit, "offset": offset, "items": [], "stories": []}
    where, params = _article_clauses(Filters(f.date_from, f.date_to, f.outlet, f.entity, f.place), "a")
    cond = "".join(" AND " + w for w in where)
    total = con.execute(
        f"SELECT count(*) FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
        f"WHERE articles_fts MATCH ?{cond}",
        [match, *params],
    ).fetchone()[0]
    rows = con.execute(
        f"SELECT {ARTICLE_LIST_COLUMNS}, m.story_id, "
        "snippet(articles_fts, 1, char(1), char(2), '…', 32) AS snippet, "
        "bm25(articles_fts) AS rank FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
        f"LEFT JOIN story_members m ON m.article_id = a.id WHERE articles_fts MATCH ?{cond} "
        "ORDER BY rank LIMIT ? OFFSET ?",
        [match, *params, limit, offset],
    )
    items = [dict(r) for r in rows]  # snippet: the clean text, query words between \x01 and \x02
    for it in items:
        it["snippet"] = " ".join((it["snippet"] or "").split())  # paragraphs run on in one line
    story_ids = list(dict.fromkeys(it["story_id"] for it in items if it["story_id"] is not None))
    stories: list[dict[str, Any]] = []
    if story_ids:
        marks = ",".join("?" * len(story_ids))
        by_id = {r["id"]: dict(r) for r in con.execute(
            "SELECT id, title, first_seen, last_seen, n_articles, n_outlets FROM stories "
            f"WHERE id IN ({marks})", story_ids)}
        stories = [by_id[i] for i in story_ids if i in by_id]
    return {"total": total, "limit": limit, "offset": offset, "items": items, "stories": stories}


def list_outlets(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every outlet with its article and story counts and date range.

    ``articles`` counts the outlet's current articles (a live-blog page once, not its entries;
    not the versions replaced by a revision, which ``superseded`` counts); ``stories`` the
    stories its articles are members of, a live blog's through its entries (the page itself
    is no member); the dates are of the current articles.
    """
    rows = con.execute(
        "SELECT a.outlet, sum(a.stage != 'superseded') AS articles, coalesce(s.n, 0) AS stories, "
        "sum(a.stage = 'superseded') AS superseded, "
        "min(CASE WHEN a.stage != 'superseded' THEN a.published END) AS first_published, "
        "max(CASE WHEN a.stage != 'superseded' THEN a.published END) AS last_published, "
        "max(a.outlet_known) AS outlet_known "
        "FROM articles a LEFT JOIN (SELECT b.outlet, count(DISTINCT m.story_id) AS n FROM story_members m "
        "JOIN articles b ON b.id = m.article_id GROUP BY b.outlet) s ON s.outlet = a.outlet "
        "WHERE a.parent_id IS NULL GROUP BY a.outlet ORDER BY articles DESC, a.outlet"
    )
    return [dict(r) for r in rows]


def counts(con: sqlite3.Connection) -> dict[str, int]:
    return {
        "stories": con.execute("SELECT count(*) FROM stories WHERE merged_into IS NULL").fetchone()[0],
        "articles": con.execute("SELECT count(*) FROM articles").fetchone()[0],
        "outlets": con.execute("SELECT count(DISTINCT outlet) FROM articles").fetchone()[0],
    }


# ------------------------------------------------------------------------ exports


def export_stories(con: sqlite3.Connection, f: Filters):
    """Yield every matching story with members and comparison (for JSONL export)."""
    offset = 0
    while True:
        page = list_stories(con, f, limit=MAX_LIMIT, offset=offset)
        for it in page["items"]:
            it["members"] = story_members(con, it["id"])
            it["comparison"] = get_report(con, it["id"])
            yield it
        offset += MAX_LIMIT
        if offset >= page["total"] or not page["items"]:
            return


def export_articles(con: sqlite3.Connection, f: Filters):
    """Yield every matching article with its clean text (for JSONL/CSV export)."""
    where, params = _article_clauses(f, "a")
    cond = " AND ".join(where) if where else "1"
    rows = con.execute(
        f"SELECT {ARTICLE_LIST_COLUMNS}, m.story_id, coalesce(a.clean_text, a.text) AS clean_text FROM articles a "
        f"LEFT JOIN story_members m ON m.article_id = a.id WHERE {cond} ORDER BY a.id",
        params,
    )
    for r in rows:
        yield dict(r)
