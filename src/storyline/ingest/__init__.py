"""Ingest stage: files, folders and globs of any supported format into the store.

``ingest_paths`` reads every file with ``readers.read_path`` and writes what it
yields. Each file's articles are committed in batches of ``BATCH`` inside one
transaction each, followed by an ``ingest_log`` row once the file is done, so
a kill mid-run loses at most one uncommitted batch and a rerun skips finished
files and stored content (content hashes make ingest idempotent).

Outcomes, each counted in the summary:

- ``ingested``: a new article;
- ``duplicates``: the same content from the same outlet is already stored (nothing added);
- ``revisions``: same URL or external id, changed content: stored, linked with ``revision_of``
  (so is content equal to a superseded version with the URL or external id of the current one:
  a correction undone); and, for a text or HTML file, which has neither, new content from the
  same file (however its path is spelled) that still resembles the article the file held, from
  the same outlet (``file_revisions``: a file overwritten with a different article gives a new
  article; JSONL, feeds and WARC hold many records and match by id or URL only);
- ``rejects``: input that could not become an article, with a reason (also in the ``rejects`` table);
  an unexpected exception while reading or writing one record is that record's reject (its file,
  line, exception type and message) and the rest goes on; only errors of the store itself
  (locked, full, corrupt) stop the ingest;
- ``warnings``: stored, but with a problem worth saying (bad date, legacy encoding);
- ``skipped_files``: files already fully ingested (same path and content).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from storyline import store
from storyline.ingest.file_revisions import SINGLE_ARTICLE_FORMATS, earlier_in_file, path_keys
from storyline.ingest.readers import Warning_, iter_files, read_path
from storyline.records import Article, Reject

BATCH = 2000

def content_hash(title: str, text: str) -> str:
    """Hash of the normalised headline and body: whitespace and case do not count."""
    norm = " ".join(f"{title}\n{text}".split()).casefold()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class IngestSummary:
    files: int = 0
    skipped_files: int = 0
    ingested: int = 0
    duplicates: int = 0
    revisions: int = 0
    rejects: int = 0
    warnings: int = 0
    unknown_outlets: int = 0
    formats: Counter = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "files": self.files, "skipped_files": self.skipped_files, "ingested": self.ingested,
            "duplicates": self.duplicates, "revisions": self.revisions, "rejects": self.rejects,
            "warnings": self.warnings, "unknown_outlets": self.unknown_outlets,
            "formats": dict(self.formats), "messages": self.messages,
        }


Progress = Callable[[str, int], None]  # (file name, articles so far in this file)


def ingest_paths(con: sqlite3.Connection, paths: list[str], *, source: str | None = None,
                 progress: Progress | None = None, on_message: Callable[[str], None] | None = None) -> IngestSummary:
    """Ingest files, folders and globs into the store; never raises for bad input."""
    summary = IngestSummary()
    db_files = _store_files(con)

    def say(kind: str, rec: Reject) -> None:
        msg = f"{kind}: {rec.message()}"
        summary.messages.append(msg)
        if on_message:
            on_message(msg)

    for item in iter_files(paths):
        if isinstance(item, Reject):
            summary.rejects += 1
            with store.transaction(con):
                store.add_reject(con, item.path, item.reason, item.line)
            say("rejected", item)
            continue
        path = item
        if str(path.resolve()) in db_files:
            continue  # the store itself, when it lives inside an ingested folder
        summary.files += 1
        try:
            sha, size = file_sha256(path), path.stat().st_size
        except OSError as exc:
            rec = Reject(str(path), f"cannot read: {exc.strerror or exc}")
            summary.rejects += 1
            with store.transaction(con):
                store.add_reject(con, rec.path, rec.reason)
            say("rejected", rec)
            continue
        if con.execute("SELECT 1 FROM ingest_log WHERE path = ? AND sha256 = ?", (str(path), sha)).fetchone():
            summary.skipped_files += 1
            continue
        _ingest_file(con, path, sha, size, source, summary, say, progress)
    return summary


def _store_files(con: sqlite3.Connection) -> set[str]:
    files = set()
    for row in con.execute("PRAGMA database_list"):
        if row[2]:
            base = str(Path(row[2]).resolve())
            files |= {base, base + "-wal", base + "-shm", base + "-journal"}
    return files


# Errors of the store itself (locked, full, corrupt) stop the ingest; any other exception
# while writing one article is that article's problem and becomes its reject.
_STORE_ERRORS = (sqlite3.OperationalError, sqlite3.InternalError)


def _unexpected(exc: BaseException) -> str:
    return f"unexpected error: {type(exc).__name__}: {exc}"


def _ingest_file(con, path: Path, sha: str, size: int, source, summary: IngestSummary, say, progress) -> None:
    name = str(path)
    unknown_outlet = f"file:{path.name}"
    keys = path_keys(path)  # the file however spelled: its earlier text or HTML article is found by it
    n_articles = n_rejects = 0
    pending: list[Article | Reject] = []
    counted_unknown = False

    def reject(rec: Reject) -> None:
        nonlocal n_rejects
        summary.rejects += 1
        n_rejects += 1
        say("rejected", rec)

    def flush() -> None:
        nonlocal counted_unknown, n_articles
        with store.transaction(con):
            for rec in pending:
                if isinstance(rec, Reject):
                    store.add_reject(con, rec.path, rec.reason, rec.line)
                    continue
                if not rec.outlet:
                    rec.outlet, rec.outlet_known = unknown_outlet, False
                    if not counted_unknown:
                        summary.unknown_outlets += 1
                        counted_unknown = True
                counts = (summary.ingested, summary.duplicates, summary.revisions, len(summary.article_ids))
                con.execute("SAVEPOINT ingest_article")
                try:
                    _write_article(con, rec, summary, keys)
                except _STORE_ERRORS:
                    raise
                except Exception as exc:  # noqa: BLE001  one article must not lose the batch
                    con.execute("ROLLBACK TO ingest_article")
                    con.execute("RELEASE ingest_article")
                    summary.ingested, summary.duplicates, summary.revisions = counts[:3]
                    del summary.article_ids[counts[3]:]
                    n_articles -= 1
                    summary.formats[rec.format] -= 1
                    if summary.formats[rec.format] <= 0:
                        del summary.formats[rec.format]
                    bad = Reject(rec.source_path or name, _unexpected(exc), rec.source_line)
                    store.add_reject(con, bad.path, bad.reason, bad.line)
                    reject(bad)
                else:
                    con.execute("RELEASE ingest_article")
        pending.clear()

    records = read_path(path, source)
    complete = True
    while True:
        try:
            rec = next(records)
        except StopIteration:
            break
        except Exception as exc:  # noqa: BLE001  a reader bug loses the rest of this file, not the batch
            rec = Reject(name, f"{_unexpected(exc)} (reading stopped here; what was read before is kept)")
            pending.append(rec)
            reject(rec)
            complete = False
            break
        if isinstance(rec, Warning_):
            summary.warnings += 1
            say("warning", rec)
            continue
        if isinstance(rec, Reject):
            reject(rec)
        else:
            n_articles += 1
            summary.formats[rec.format] += 1
        pending.append(rec)
        if len(pending) >= BATCH:
            flush()
            if progress:
                progress(name, n_articles)
    with store.transaction(con):
        flush()
        if complete:  # a file whose reading broke off is read again by the next run
            con.execute(
                "INSERT OR REPLACE INTO ingest_log (path, sha256, size, articles, rejects, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, sha, size, n_articles, n_rejects, time.time()),
            )
    if progress:
        progress(name, n_articles)


def _write_article(con: sqlite3.Connection, art: Article, summary: IngestSummary,
                   file_keys: tuple[str, ...] = ()) -> None:
    """Store one article, or count it as a duplicate; ``file_keys`` (``file_revisions.path_keys``
    of its file, resolved path first) find the earlier version of a text or HTML file."""
    raw = art.extra.pop("_raw", None)
    chash = content_hash(art.title, art.text)
    # The duplicate check looks at current versions only: content equal to a superseded version
    # (a correction undone, an original page sent again after its revision) with the URL or
    # external id of a current version is a revision of that (below), unless it is a re-read
    # of the file that superseded it (_replayed); without one it is a duplicate, as before.
    if con.execute(
        "SELECT 1 FROM articles WHERE content_hash = ? AND outlet = ? AND parent_id IS NULL "
        "AND stage != 'superseded' LIMIT 1",
        (chash, art.outlet),
    ).fetchone():
        summary.duplicates += 1
        return
    earlier = None
    if art.external_id:
        earlier = con.execute(
            "SELECT id FROM articles WHERE external_id = ? AND outlet = ? AND parent_id IS NULL "
            "AND stage != 'superseded' ORDER BY id DESC LIMIT 1", (art.external_id, art.outlet),
        ).fetchone()
    if earlier is None and art.url:
        earlier = con.execute(
            "SELECT id FROM articles WHERE url = ? AND parent_id IS NULL AND stage != 'superseded' "
            "ORDER BY id DESC LIMIT 1", (art.url,),
        ).fetchone()
    if earlier is None and not art.external_id:
        found = earlier_in_file(con, art, file_keys)
        earlier = (found,) if found is not None else None
    if (_replayed(con, art, chash) if earlier else con.execute(
            "SELECT 1 FROM articles WHERE content_hash = ? AND outlet = ? AND parent_id IS NULL LIMIT 1",
            (chash, art.outlet)).fetchone()):
        summary.duplicates += 1
        return
    raw_bytes = raw if raw is not None else (art.html.encode("utf-8") if art.html else
                                             f"{art.title}\n{art.text}".encode("utf-8"))
    raw_id = store.put_raw(con, hashlib.sha256(raw_bytes).hexdigest(), art.format, raw_bytes)
    cur = con.execute(
        "INSERT INTO articles (external_id, url, outlet, outlet_known, published, title, text, format, "
        "content_hash, raw_id, source_path, source_file, source_line, extra, revision_of, ingested_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (art.external_id, art.url, art.outlet, int(art.outlet_known), art.published, art.title, art.text,
         art.format, chash, raw_id, art.source_path,
         file_keys[0] if file_keys and art.format in SINGLE_ARTICLE_FORMATS else None, art.source_line,
         json.dumps(art.extra, ensure_ascii=False, default=str), earlier[0] if earlier else None, time.time()),
    )
    art.id = cur.lastrowid
    summary.article_ids.append(art.id)
    if earlier:
        summary.revisions += 1
        supersede(con, earlier[0])
    else:
        summary.ingested += 1


def _replayed(con: sqlite3.Connection, art: Article, chash: str) -> bool:
    """Whether ``art`` equals a superseded version that a later record of the same file replaced:
    the file is being read again (a rerun after a kill, or the file grew), not reverted, so it is
    a duplicate as before (reading it again must not revise the article back and forth)."""
    if not art.source_path or art.source_line is None:
        return False
    return con.execute(
        # the successor shares old's external id or URL (how revisions are found): the lookup
        # goes by indexes from the hash, never a scan (this runs for every new article)
        "SELECT 1 FROM articles old JOIN articles new ON new.revision_of = old.id AND "
        "(new.external_id = old.external_id AND new.outlet = old.outlet OR new.url = old.url) "
        "WHERE old.content_hash = ? AND old.outlet = ? AND old.parent_id IS NULL "
        "AND old.stage = 'superseded' AND new.source_path = ? AND new.source_line > ? LIMIT 1",
        (chash, art.outlet, art.source_path, art.source_line),
    ).fetchone() is not None


def supersede(con: sqlite3.Connection, article_id: int) -> None:
    """An article replaced by a newer revision leaves the later stages (it stays stored).

    Its live-blog entries go with it. Their story memberships move to ``superseded_members``
    (story, pinned, explanation): when the revision is grouped it takes the superseded
    article's place in that story, pinned if the user had placed it there, and the revised
    page's entries take the places of the old entries with the same content
    (``stories.persist._heirs``). Until then the story's counts leave the article out.
    """
    ids = [article_id] + [r[0] for r in con.execute("SELECT id FROM articles WHERE parent_id = ?", (article_id,))]
    for aid in ids:
        con.execute("UPDATE articles SET stage = 'superseded' WHERE id = ?", (aid,))
        row = con.execute("SELECT story_id, pinned, explanation FROM story_members WHERE article_id = ?",
                          (aid,)).fetchone()
        if row:
            con.execute("INSERT OR REPLACE INTO superseded_members (article_id, story_id, pinned, explanation) "
                        "VALUES (?, ?, ?, ?)", (aid, row[0], row[1], row[2]))
            con.execute("DELETE FROM story_members WHERE article_id = ?", (aid,))
            # copies do not count as articles (a story counts outlets, not copies)
            con.execute(
                "UPDATE stories SET n_articles = (SELECT count(*) FROM story_members m JOIN articles a "
                "ON a.id = m.article_id WHERE m.story_id = ? AND a.duplicate_of IS NULL), "
                "n_outlets = (SELECT count(DISTINCT a.outlet) FROM story_members m JOIN articles a "
                "ON a.id = m.article_id WHERE m.story_id = ?), updated_at = ? WHERE id = ?",
                (row[0], row[0], time.time(), row[0]),
            )
