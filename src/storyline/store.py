"""The embedded store: SQLite in WAL mode with a versioned schema.

Every statement uses bound parameters; no SQL is ever built from input text.
Each ingested file is committed in one transaction together with its
``ingest_log`` row, so a crash or kill leaves the store consistent and a
rerun skips what is already done (content hashes make ingest idempotent).

Tables (schema version in ``meta``):

- ``raw``: raw input bytes by sha256 (zlib-compressed), so every later stage
  can be rerun from it.
- ``articles``: one row per article or live-blog entry (``parent_id``), with
  outlet, date, title, body text, the clean text, external id, the file it came
  from (``source_path`` as given, ``source_file`` resolved, for text and HTML), and links:
  ``duplicate_of`` (+ ``dup_kind`` exact|near) and ``revision_of``.
- ``articles_fts``: FTS5 over the title and the clean text (the body until it is cleaned).
- ``removed``: what cleaning cut, with the reason.
- ``annotations``: spans over the clean text (kind, start, end, label, value JSON).
- ``stories``, ``story_members``, ``story_decisions``: grouping and the
  user's merge/split/move decisions, which later runs respect.
- ``comparisons``: the comparison report of each story (JSON).
- ``rejects``: input that was rejected, with file, line and reason.
- ``ingest_log``: files fully processed (path, size, mtime, hash) for resume.
- ``run_lock``: the process grouping the store, while it does (one at a time).
- ``superseded_members``: the stories superseded articles were in, for their revisions.
"""
from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEFAULT_DB = "storyline.db"

# Each migration moves the schema from version i to i+1. Append, never edit.
MIGRATIONS: list[str] = [
    # 1: base schema
    """
    CREATE TABLE raw (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        format TEXT NOT NULL,
        size INTEGER NOT NULL,
        data BLOB NOT NULL
    );
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        external_id TEXT,
        url TEXT,
        outlet TEXT NOT NULL,
        outlet_known INTEGER NOT NULL DEFAULT 1,
        published TEXT,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        format TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        raw_id INTEGER REFERENCES raw(id),
        source_path TEXT,
        source_line INTEGER,
        extra TEXT NOT NULL DEFAULT '{}',
        parent_id INTEGER REFERENCES articles(id),
        position INTEGER,
        revision_of INTEGER REFERENCES articles(id),
        duplicate_of INTEGER REFERENCES articles(id),
        dup_kind TEXT,
        dup_score REAL,
        clean_text TEXT,
        is_liveblog INTEGER NOT NULL DEFAULT 0,
        clean_meta TEXT,
        stage TEXT NOT NULL DEFAULT 'ingested',
        ingested_at REAL NOT NULL
    );
    CREATE INDEX articles_hash ON articles(content_hash, outlet);
    CREATE INDEX articles_url ON articles(url);
    CREATE INDEX articles_ext ON articles(external_id, outlet);
    CREATE INDEX articles_parent ON articles(parent_id);
    CREATE INDEX articles_published ON articles(published);
    CREATE INDEX articles_stage ON articles(stage);
    CREATE INDEX articles_outlet ON articles(outlet);
    CREATE VIRTUAL TABLE articles_fts USING fts5(title, text);
    CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, coalesce(new.clean_text, new.text));
    END;
    CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
        DELETE FROM articles_fts WHERE rowid = old.id;
    END;
    CREATE TRIGGER articles_au AFTER UPDATE OF title, text, clean_text ON articles BEGIN
        DELETE FROM articles_fts WHERE rowid = old.id;
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, coalesce(new.clean_text, new.text));
    END;
    CREATE TABLE removed (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        line INTEGER NOT NULL,
        reason TEXT NOT NULL,
        rule TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL
    );
    CREATE INDEX removed_article ON removed(article_id);
    CREATE TABLE annotations (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        kind TEXT NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        text TEXT NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        value TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX annotations_article ON annotations(article_id, kind);
    CREATE INDEX annotations_kind_label ON annotations(kind, label);
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        title_article INTEGER,
        first_seen TEXT,
        last_seen TEXT,
        n_articles INTEGER NOT NULL DEFAULT 0,
        n_outlets INTEGER NOT NULL DEFAULT 0,
        merged_into INTEGER REFERENCES stories(id),
        state TEXT NOT NULL DEFAULT '{}',
        updated_at REAL NOT NULL
    );
    CREATE INDEX stories_last_seen ON stories(last_seen);
    CREATE INDEX stories_live ON stories(merged_into, last_seen);
    CREATE TABLE story_members (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id),
        story_id INTEGER NOT NULL REFERENCES stories(id),
        score REAL,
        explanation TEXT NOT NULL DEFAULT '{}',
        pinned INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX story_members_story ON story_members(story_id);
    CREATE TABLE story_decisions (
        id INTEGER PRIMARY KEY,
        op TEXT NOT NULL,
        args TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE TABLE comparisons (
        story_id INTEGER PRIMARY KEY REFERENCES stories(id),
        report TEXT NOT NULL,
        n_articles INTEGER NOT NULL,
        computed_at REAL NOT NULL
    );
    CREATE TABLE rejects (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        line INTEGER,
        reason TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE TABLE ingest_log (
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        articles INTEGER NOT NULL,
        rejects INTEGER NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (path, sha256)
    );
    """,
    # 2: each article's feature bag for the grouper, computed once (stories.persist.load_docs):
    # a run restores the stories of the last week from it instead of tokenising their articles
    # again. Derived data: a change to what it was computed from deletes it (the triggers), a
    # bag computed by other code or settings has another version and is computed again.
    """
    CREATE TABLE doc_features (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        version TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE TRIGGER doc_features_text AFTER UPDATE OF title, text, clean_text ON articles BEGIN
        DELETE FROM doc_features WHERE article_id = new.id;
    END;
    CREATE TRIGGER doc_features_ann_ins AFTER INSERT ON annotations BEGIN
        DELETE FROM doc_features WHERE article_id = new.article_id;
    END;
    CREATE TRIGGER doc_features_ann_del AFTER DELETE ON annotations BEGIN
        DELETE FROM doc_features WHERE article_id = old.article_id;
    END;
    CREATE TRIGGER doc_features_ann_upd AFTER UPDATE ON annotations BEGIN
        DELETE FROM doc_features WHERE article_id IN (old.article_id, new.article_id);
    END;
    CREATE TRIGGER doc_features_removed_ins AFTER INSERT ON removed BEGIN
        DELETE FROM doc_features WHERE article_id = new.article_id;
    END;
    CREATE TRIGGER doc_features_removed_del AFTER DELETE ON removed BEGIN
        DELETE FROM doc_features WHERE article_id = old.article_id;
    END;
    """,
    # 3: the process grouping the store (stories.persist.grouping_lock): one run groups a store
    # at a time, and the user's merge/split/move wait until it ends; and superseded memberships
    """
    CREATE TABLE run_lock (
        name TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        started REAL NOT NULL,
        beat REAL NOT NULL
    );
    -- and the story memberships of superseded articles (ingest.supersede): the revision that
    -- replaces one takes its place in the same story, pinned when the user had placed it
    CREATE TABLE superseded_members (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id),
        story_id INTEGER NOT NULL REFERENCES stories(id),
        pinned INTEGER NOT NULL DEFAULT 0,
        explanation TEXT
    );
    """,
    # 4: the resolved path of a single-article file (text, HTML), by which an edited file is found
    # to be a revision of the article it held (ingest.file_revisions); source_path keeps the path
    # as given. Older rows get their path as given: the best known, found when spelled the same.
    """
    ALTER TABLE articles ADD COLUMN source_file TEXT;
    UPDATE articles SET source_file = source_path WHERE parent_id IS NULL AND format IN ('text', 'html');
    CREATE INDEX articles_source_file ON articles(source_file, outlet);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(RuntimeError):
    """A ``--db`` path that is not a usable store: missing (when it must exist), a directory, or
    a file that is not a Storyline store. The message names the path."""


def connect(path: str | Path = DEFAULT_DB, *, readonly: bool = False, create: bool = True) -> sqlite3.Connection:
    """Open (and create or migrate) the store at ``path``; with ``create`` false, a missing store
    is a :class:`StoreError` (a mistyped ``--db`` of a reading command must not make an empty one).
    A directory or a file that is not SQLite is a :class:`StoreError` too."""
    path = str(path)
    p = Path(path)
    if p.is_dir():
        raise StoreError(f"{path}: is a directory, not a store")
    if not p.exists() and (readonly or not create):
        raise StoreError(f"no store at {path} (create one with `storyline ingest` or `storyline run`)")
    try:
        return _open(path, readonly)
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise StoreError(f"{path}: not a Storyline store ({exc})") from exc
        raise


def _open(path: str, readonly: bool) -> sqlite3.Connection:
    if readonly:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        con = sqlite3.connect(path, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA busy_timeout = 10000")
    if schema_version(con) == 0 and con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchone() is not None:
        con.close()  # another application's SQLite file: never add Storyline's tables to it
        raise StoreError(f"{path}: not a Storyline store (an SQLite file with other tables)")
    if not readonly:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = NORMAL")
        migrate(con)
    con.execute("PRAGMA foreign_keys = ON")
    return con


def schema_version(con: sqlite3.Connection) -> int:
    return con.execute("PRAGMA user_version").fetchone()[0]


def migrate(con: sqlite3.Connection) -> None:
    """Apply the migrations the store has not seen yet, each in a transaction."""
    version = schema_version(con)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"store schema version {version} is newer than this Storyline ({SCHEMA_VERSION}); upgrade Storyline"
        )
    for i in range(version, SCHEMA_VERSION):
        with transaction(con):
            for stmt in _split_sql(MIGRATIONS[i]):
                con.execute(stmt)
            con.execute(f"PRAGMA user_version = {i + 1:d}")


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (triggers contain ';')."""
    out, buf = [], []
    for line in script.splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        out.append(rest)
    return out


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    if con.in_transaction:
        yield con
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


# --------------------------------------------------------------------------- raw


def put_raw(con: sqlite3.Connection, sha256: str, fmt: str, data: bytes) -> int:
    row = con.execute("SELECT id FROM raw WHERE sha256 = ?", (sha256,)).fetchone()
    if row:
        return row[0]
    cur = con.execute(
        "INSERT INTO raw (sha256, format, size, data) VALUES (?, ?, ?, ?)",
        (sha256, fmt, len(data), zlib.compress(data, 1)),
    )
    return cur.lastrowid


def get_raw(con: sqlite3.Connection, raw_id: int) -> bytes | None:
    row = con.execute("SELECT data FROM raw WHERE id = ?", (raw_id,)).fetchone()
    return zlib.decompress(row[0]) if row else None


# ---------------------------------------------------------------------- articles

ARTICLE_COLUMNS = (
    "id, external_id, url, outlet, outlet_known, published, title, format, content_hash, "
    "source_path, source_line, parent_id, position, revision_of, duplicate_of, dup_kind, "
    "dup_score, is_liveblog, stage, ingested_at"
)


def row_to_dict(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    d = dict(row)
    for key in ("extra", "clean_meta", "value", "explanation", "args", "state", "report"):
        if key in d and isinstance(d[key], str):
            try:
                d[key] = json.loads(d[key])
            except ValueError:
                pass
    return d


def get_article(con: sqlite3.Connection, article_id: int) -> dict[str, Any] | None:
    return row_to_dict(con.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone())


def article_text(article: dict[str, Any]) -> str:
    """The text later stages work on: the clean text when there is one."""
    return article.get("clean_text") or article.get("text") or ""


def get_annotations(con: sqlite3.Connection, article_id: int, kind: str | None = None) -> list[dict[str, Any]]:
    if kind:
        rows = con.execute(
            "SELECT * FROM annotations WHERE article_id = ? AND kind = ? ORDER BY start", (article_id, kind)
        )
    else:
        rows = con.execute("SELECT * FROM annotations WHERE article_id = ? ORDER BY start", (article_id,))
    return [row_to_dict(r) for r in rows]


def put_annotations(con: sqlite3.Connection, article_id: int, annotations: Iterable[Any]) -> None:
    """Replace the annotations of one article (records or dicts)."""
    con.execute("DELETE FROM annotations WHERE article_id = ?", (article_id,))
    rows = []
    for a in annotations:
        get = a.get if isinstance(a, dict) else lambda k, _a=a: getattr(_a, k)
        rows.append(
            (article_id, get("kind"), get("start"), get("end"), get("text"), get("label") or "",
             json.dumps(get("value") or {}, ensure_ascii=False))
        )
    con.executemany(
        "INSERT INTO annotations (article_id, kind, start, end, text, label, value) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def get_removed(con: sqlite3.Connection, article_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in con.execute(
        "SELECT line, reason, rule, text FROM removed WHERE article_id = ? ORDER BY line", (article_id,)
    )]


def get_entries(con: sqlite3.Connection, article_id: int) -> list[dict[str, Any]]:
    return [row_to_dict(r) for r in con.execute(
        "SELECT * FROM articles WHERE parent_id = ? ORDER BY position", (article_id,)
    )]


def add_reject(con: sqlite3.Connection, path: str, reason: str, line: int | None = None) -> None:
    con.execute(
        "INSERT INTO rejects (path, line, reason, at) VALUES (?, ?, ?, ?)", (path, line, reason, time.time())
    )


def fts_query(text: str) -> str:
    """Turn user text into a safe FTS5 query: every word quoted, all required."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w]
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def search(con: sqlite3.Connection, query: str, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    q = fts_query(query)
    if not q:
        return []
    rows = con.execute(
        "SELECT a.id, a.title, a.outlet, a.published, a.parent_id, a.duplicate_of, "
        "snippet(articles_fts, 1, '[', ']', ' … ', 16) AS snippet, bm25(articles_fts) AS rank "
        "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
        "WHERE articles_fts MATCH ? ORDER BY rank LIMIT ? OFFSET ?",
        (q, limit, offset),
    )
    return [dict(r) for r in rows]
