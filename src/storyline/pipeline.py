"""The pipeline: ingest -> clean -> annotate -> stories -> compare, over the store.

Each stage function here only moves records between the store and the pure
stage code (``storyline.clean``, ``storyline.annotate``, ``storyline.stories``,
``storyline.compare``). Progress lives in ``articles.stage``
(ingested -> cleaned -> annotated -> grouped; live-blog pages become
``container`` once split; replaced revisions ``superseded``), and each batch
is committed together with its stage change, so a kill mid-run leaves a
consistent store and a rerun picks up exactly where it stopped.
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from storyline import store
from storyline.ingest import IngestSummary, content_hash, ingest_paths  # noqa: F401  (re-exported)
from storyline.records import Article, Cleaned

# Stage progress callback: (stage name, done, total)
Progress = Callable[[str, int, int], None]

CLEAN_BATCH = 500
ANNOTATE_BATCH = 64
STAGES = ("clean", "annotate", "stories", "compare")


@dataclass
class ProcessSummary:
    cleaned: int = 0
    liveblogs: int = 0
    entries: int = 0
    annotated: int = 0
    grouped: int = 0
    # of those, clustered as a whole first (the backlog pass of a fresh store; docs/stories.md)
    backlog: int = 0
    stories_touched: int = 0
    compared: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _row_article(con: sqlite3.Connection, row: sqlite3.Row) -> Article:
    html = None
    if row["format"] in ("html", "warc") and row["raw_id"]:
        raw = store.get_raw(con, row["raw_id"])
        html = raw.decode("utf-8", errors="replace") if raw else None
    return Article(
        id=row["id"], title=row["title"], text=row["text"], outlet=row["outlet"], published=row["published"],
        url=row["url"], external_id=row["external_id"], format=row["format"],
        html=html, source_path=row["source_path"], source_line=row["source_line"],
    )


def clean_pending(con: sqlite3.Connection, progress: Progress | None = None, summary: ProcessSummary | None = None) -> int:
    """Clean every article in stage 'ingested'; split live blogs into entry articles."""
    from storyline.clean import clean_article

    summary = summary or ProcessSummary()
    total = con.execute("SELECT count(*) FROM articles WHERE stage = 'ingested'").fetchone()[0]
    done = 0
    while True:
        rows = con.execute(
            "SELECT * FROM articles WHERE stage = 'ingested' ORDER BY id LIMIT ?", (CLEAN_BATCH,)
        ).fetchall()
        if not rows:
            break
        results: list[tuple[sqlite3.Row, Cleaned | None, str | None]] = []
        for row in rows:
            try:
                results.append((row, clean_article(_row_article(con, row)), None))
            except Exception as exc:  # a bug on one article must not stop the batch
                results.append((row, None, f"{type(exc).__name__}: {exc}"))
        wrote = 0  # rows another process cleaned meanwhile are its to count, not ours
        with store.transaction(con):
            for row, cleaned, error in results:
                if not _still(con, row["id"], "ingested"):
                    continue  # another process cleaned it meanwhile (its entries are written once)
                wrote += 1
                if error:
                    summary.errors.append(f"article {row['id']} ({row['source_path']}): cleaning failed: {error}")
                    store.add_reject(con, row["source_path"] or f"article {row['id']}",
                                     f"cleaning failed: {error}", row["source_line"])
                    con.execute("UPDATE articles SET stage = 'failed' WHERE id = ?", (row["id"],))
                    continue
                _write_cleaned(con, row, cleaned, summary)
        done += len(rows)
        summary.cleaned += wrote
        if progress:
            progress("clean", done, total)
    return done


def _still(con: sqlite3.Connection, article_id: int, stage: str) -> bool:
    """Whether the article is still at ``stage``, read inside the writing transaction: two
    ``storyline process`` on one store read the same pending batch, and only the first to
    write it may (the second would split a live blog's entries again)."""
    row = con.execute("SELECT stage FROM articles WHERE id = ?", (article_id,)).fetchone()
    return row is not None and row[0] == stage


def _write_cleaned(con: sqlite3.Connection, row: sqlite3.Row, cleaned: Cleaned, summary: ProcessSummary) -> None:
    aid = row["id"]
    con.execute("DELETE FROM removed WHERE article_id = ?", (aid,))
    con.executemany(
        "INSERT INTO removed (article_id, line, reason, rule, text) VALUES (?, ?, ?, ?, ?)",
        [(aid, r.line, r.reason, r.rule, r.text) for r in cleaned.removed],
    )
    stage = "container" if cleaned.is_liveblog and cleaned.entries else "cleaned"
    con.execute(
        "UPDATE articles SET clean_text = ?, clean_meta = ?, is_liveblog = ?, stage = ? WHERE id = ?",
        (cleaned.text, json.dumps(cleaned.meta, ensure_ascii=False, default=str), int(cleaned.is_liveblog),
         stage, aid),
    )
    if stage != "container":
        return
    summary.liveblogs += 1
    now = time.time()
    for entry in cleaned.entries:
        text = entry.text
        if not text.strip():
            continue
        extra = {"entry_time": entry.time} if entry.time else {}
        con.execute(
            "INSERT INTO articles (external_id, url, outlet, outlet_known, published, title, text, format, "
            "content_hash, raw_id, source_path, source_line, extra, parent_id, position, clean_text, stage, "
            "ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'cleaned', ?)",
            (f"{row['external_id']}#{entry.position}" if row["external_id"] else None,
             f"{row['url']}#entry-{entry.position}" if row["url"] else None,
             row["outlet"], row["outlet_known"], row["published"], entry.title or row["title"], text,
             row["format"], content_hash(entry.title, text), row["raw_id"], row["source_path"],
             row["source_line"], json.dumps(extra), aid, entry.position, text, now),
        )
        summary.entries += 1


def annotate_pending(con: sqlite3.Connection, progress: Progress | None = None,
                     summary: ProcessSummary | None = None, n_process: int = 1) -> int:
    """Annotate every article in stage 'cleaned'."""
    from storyline.annotate import annotate_texts

    summary = summary or ProcessSummary()
    total = con.execute("SELECT count(*) FROM articles WHERE stage = 'cleaned'").fetchone()[0]
    done = 0
    batch = ANNOTATE_BATCH * max(1, n_process)
    while True:
        rows = con.execute(
            "SELECT id, clean_text, text, published, outlet, outlet_known FROM articles WHERE stage = 'cleaned' "
            "ORDER BY id LIMIT ?",
            (batch,),
        ).fetchall()
        if not rows:
            break
        # the outlet helps place disambiguation (a Welsh paper's "Newport"); unknown outlets say nothing
        items = [(r["clean_text"] or r["text"], (r["published"] or "")[:10] or None,
                  r["outlet"] if r["outlet_known"] else None) for r in rows]
        results = list(annotate_texts(items, n_process=n_process if len(rows) >= 2 * ANNOTATE_BATCH else 1))
        wrote = 0  # rows another process annotated meanwhile are its to count, not ours
        with store.transaction(con):
            for row, annotations in zip(rows, results):
                if not _still(con, row["id"], "cleaned"):
                    continue  # another process annotated it meanwhile
                wrote += 1
                for a in annotations:
                    if a.kind == "error":  # a rule step failed: the rest is kept, the user is told
                        summary.errors.append(f"article {row['id']}: annotation step {a.value.get('step')} "
                                              f"failed: {a.value.get('error')}")
                store.put_annotations(con, row["id"], annotations)
                con.execute("UPDATE articles SET stage = 'annotated' WHERE id = ?", (row["id"],))
        done += len(rows)
        summary.annotated += wrote
        if progress:
            progress("annotate", done, total)
    return done


def group_pending(con: sqlite3.Connection, progress: Progress | None = None,
                  summary: ProcessSummary | None = None) -> set[int]:
    """Deduplicate and group annotated articles into stories; returns the touched story ids."""
    from storyline.stories.persist import StoreBusy, assign_stories

    summary = summary or ProcessSummary()
    cb = (lambda done, total: progress("stories", done, total)) if progress else None
    try:
        result = assign_stories(con, None, progress=cb) or {}
    except StoreBusy as exc:  # another run is grouping: its articles wait for the next run
        summary.errors.append(f"stories stage skipped: {exc}")
        return set()
    touched = set(result.get("touched", ()))
    summary.grouped += int(result.get("grouped", 0) or 0)
    summary.errors.extend(result.get("errors", ()))
    summary.backlog += int(result.get("backlog", 0) or 0)
    summary.stories_touched += len(touched)
    return touched


def compare_stories(con: sqlite3.Connection, story_ids: Iterable[int], progress: Progress | None = None,
                    summary: ProcessSummary | None = None) -> int:
    """Recompute the comparison of each story (after articles joined it)."""
    from storyline.compare.persist import update_story

    summary = summary or ProcessSummary()
    ids = sorted(set(story_ids))
    for i, sid in enumerate(ids, 1):
        try:
            update_story(con, sid)
        except Exception as exc:  # keep going: one story's failure is reported, not fatal
            summary.errors.append(f"story {sid}: comparison failed: {type(exc).__name__}: {exc}")
        summary.compared += 1
        if progress:
            progress("compare", i, len(ids))
    return len(ids)


def stale_stories(con: sqlite3.Connection) -> list[int]:
    """Stories whose stored comparison is missing or was computed over another number of members
    (``comparisons.n_articles`` counts every member, copies too; a decision that changes the
    members deletes the report)."""
    rows = con.execute(
        "SELECT s.id FROM stories s LEFT JOIN comparisons c ON c.story_id = s.id "
        "WHERE s.merged_into IS NULL AND s.n_articles > 0 AND (c.story_id IS NULL OR c.n_articles != "
        "(SELECT count(*) FROM story_members m WHERE m.story_id = s.id))"
    )
    return [r[0] for r in rows]


def process(con: sqlite3.Connection, progress: Progress | None = None, *, stages: Iterable[str] = STAGES,
            n_process: int = 1) -> ProcessSummary:
    """Run every pending stage over the store (idempotent; resumes after a kill)."""
    stages = set(stages)
    summary = ProcessSummary()
    if "clean" in stages:
        clean_pending(con, progress, summary)
    if "annotate" in stages:
        annotate_pending(con, progress, summary, n_process=n_process)
    touched: set[int] = set()
    if "stories" in stages:
        touched = group_pending(con, progress, summary)
    if "compare" in stages:
        compare_stories(con, touched | set(stale_stories(con)), progress, summary)
    return summary
