"""Rendered story pages shared by the server's workers, in a sidecar SQLite file.

A story page costs a few milliseconds of CPU to read and render; its bytes
depend only on the story's version. Each rendered page (HTML, or the API's
JSON) is kept in ``pages`` under a fingerprint of that version, read from
the store on every request by one primary-key query (``FINGERPRINT``):

- the story row (``updated_at``, ``n_articles``, ``merged_into``, title),
  which grouping, merges, splits and revisions all rewrite;
- its membership (count, sum and max of member article ids, their stages),
  so an article joining or leaving changes the key even if a writer forgot
  ``updated_at``;
- the comparison's ``computed_at`` and ``n_articles``;
- ``RENDER_VERSION``: the package version and the modification times of the
  templates and of the code that makes a page (view, queries, map), so a new
  release never replays old markup.

A page is replayed only when the stored fingerprint equals the current one,
so a stale page is never served; older versions are overwritten in place
(one row per story and kind). The sidecar lives next to the store
(``STORE.pages``); when it cannot be opened or written (read-only
directory, busy), pages are simply rendered every time. Writes never wait:
a worker that finds the sidecar locked skips storing that page.
"""
from __future__ import annotations

import hashlib
import sqlite3
import sys
import time
from pathlib import Path

from storyline import __version__

HERE = Path(__file__).resolve().parent
MMAP_BYTES = 1 << 30  # map up to 1 GiB of a store or sidecar file (shared by processes through the OS cache)

FINGERPRINT = (
    "SELECT s.updated_at, s.n_articles, s.merged_into, s.title, c.computed_at, c.n_articles, "
    "(SELECT count(*) || ':' || total(m.article_id) || ':' || coalesce(max(m.article_id), 0) "
    "   || ':' || coalesce(group_concat(a.stage), '') "
    " FROM story_members m JOIN articles a ON a.id = m.article_id WHERE m.story_id = s.id) "
    "FROM stories s LEFT JOIN comparisons c ON c.story_id = s.id WHERE s.id = ?"
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    kind TEXT NOT NULL,          -- 'html' (the story page) or 'json' (the story API)
    story_id INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    body BLOB NOT NULL,
    rendered_at REAL NOT NULL,
    PRIMARY KEY (kind, story_id)
) WITHOUT ROWID;
"""


def _render_version() -> str:
    stamps = [__version__]
    for p in sorted((HERE / "templates").iterdir()):  # static files are fetched separately: not part of a page
        stamps.append(f"{p.name}:{p.stat().st_mtime_ns}")
    for name in ("view.py", "queries.py", "make_map.py"):  # what a page is made of
        stamps.append(f"{name}:{(HERE / name).stat().st_mtime_ns}")
    return hashlib.sha1("|".join(stamps).encode()).hexdigest()[:12]


RENDER_VERSION = _render_version()


def fingerprint(con: sqlite3.Connection, story_id: int) -> tuple[str, int | None] | None:
    """(the story's version key, merged_into), or None when the story does not exist."""
    row = con.execute(FINGERPRINT, (story_id,)).fetchone()
    if row is None:
        return None
    return RENDER_VERSION + "|" + "|".join(map(repr, tuple(row))), row[2]


def default_path(db: str | Path) -> Path:
    return Path(f"{db}.pages")


class PageCache:
    """One worker's handle on the sidecar file (opened lazily; disabled after an error)."""

    def __init__(self, path: str | Path | None):
        self.path = str(path) if path else None
        self._con: sqlite3.Connection | None = None
        self.hits = self.misses = 0

    def _connect(self) -> sqlite3.Connection | None:
        if self._con is None and self.path:
            try:
                con = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
                con.execute("PRAGMA busy_timeout = 50")
                con.execute("PRAGMA journal_mode = WAL")
                con.execute("PRAGMA synchronous = NORMAL")
                con.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
                con.executescript(SCHEMA)
                con.execute("PRAGMA busy_timeout = 0")
                self._con = con
            except (sqlite3.Error, OSError) as exc:
                print(f"storyline: page cache {self.path} off: {exc}", file=sys.stderr)
                self.path = None
        return self._con

    def get(self, kind: str, story_id: int, key: str) -> bytes | None:
        con = self._connect()
        if con is None:
            return None
        try:
            row = con.execute("SELECT fingerprint, body FROM pages WHERE kind = ? AND story_id = ?",
                              (kind, story_id)).fetchone()
        except sqlite3.Error:
            return None
        if row is not None and row[0] == key:
            self.hits += 1
            return row[1]
        self.misses += 1
        return None

    def put(self, kind: str, story_id: int, key: str, body: bytes) -> bool:
        con = self._connect()
        if con is None:
            return False
        try:
            con.execute("INSERT OR REPLACE INTO pages (kind, story_id, fingerprint, body, rendered_at) "
                        "VALUES (?, ?, ?, ?, ?)", (kind, story_id, key, body, time.time()))
            return True
        except sqlite3.Error:  # locked by the other worker: skip, the next request stores it
            return False

    def put_many(self, rows: list[tuple[str, int, str, bytes]]) -> None:
        con = self._connect()
        if con is None or not rows:
            return
        con.execute("PRAGMA busy_timeout = 5000")
        try:
            con.execute("BEGIN IMMEDIATE")
            now = time.time()
            con.executemany("INSERT OR REPLACE INTO pages (kind, story_id, fingerprint, body, rendered_at) "
                            "VALUES (?, ?, ?, ?, ?)", [(*r, now) for r in rows])
            con.execute("COMMIT")
        finally:
            con.execute("PRAGMA busy_timeout = 0")

    def prune(self, live: set[int]) -> int:
        """Drop the pages of stories that are gone or merged away; returns how many."""
        con = self._connect()
        if con is None:
            return 0
        gone = [(k, i) for k, i in con.execute("SELECT kind, story_id FROM pages") if i not in live]
        con.execute("PRAGMA busy_timeout = 5000")
        try:
            with con:
                con.executemany("DELETE FROM pages WHERE kind = ? AND story_id = ?", gone)
        finally:
            con.execute("PRAGMA busy_timeout = 0")
        return len(gone)

    def fresh(self, kind: str) -> dict[int, str]:
        """story id -> stored fingerprint, for one kind."""
        con = self._connect()
        if con is None:
            return {}
        return dict(con.execute("SELECT story_id, fingerprint FROM pages WHERE kind = ?", (kind,)))

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def prerender(db: str | Path, path: str | Path | None = None, kinds: tuple[str, ...] = ("html", "json"),
              batch: int = 200) -> dict[str, int]:
    """Render every live story whose stored page is missing or stale; returns counts.

    Stories without a comparison yet are left for the first request (which
    computes and stores the comparison before rendering).
    """
    from storyline import store
    from storyline.web import queries
    from storyline.web.app import _templates
    from storyline.web.view import story_html, story_json

    env = _templates()
    cache = PageCache(path or default_path(db))
    con = store.connect(db, readonly=True)
    counts = {"stories": 0, "rendered": 0, "fresh": 0, "no_comparison": 0, "dropped": 0}
    try:
        have = {k: cache.fresh(k) for k in kinds}
        ids = [r[0] for r in con.execute(
            "SELECT s.id FROM stories s WHERE s.merged_into IS NULL ORDER BY s.last_seen DESC, s.id DESC")]
        rows: list[tuple[str, int, str, bytes]] = []
        for story_id in ids:
            counts["stories"] += 1
            version = fingerprint(con, story_id)
            if version is None:
                continue
            todo = [k for k in kinds if have[k].get(story_id) != version[0]]
            if not todo:
                counts["fresh"] += 1
                continue
            if "html" in todo:
                data = queries.story_page(con, story_id)
                if data is None or data["comparison"] is None:
                    counts["no_comparison"] += 1
                    continue
                rows.append(("html", story_id, version[0], story_html(env, data)))
            if "json" in todo:
                page = queries.story_page(con, story_id, with_text=False)
                if page is None or page["comparison"] is None:
                    continue
                rows.append(("json", story_id, version[0], story_json(page)))
            counts["rendered"] += 1
            if len(rows) >= batch:
                cache.put_many(rows)
                rows = []
        cache.put_many(rows)
        counts["dropped"] = cache.prune(set(ids))
    finally:
        con.close()
        cache.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    """``python -m storyline.web.pagecache DB [SIDECAR]``: pre-render the story pages of a store."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m storyline.web.pagecache DB [SIDECAR]", file=sys.stderr)
        return 2
    t = time.perf_counter()
    counts = prerender(args[0], args[1] if len(args) > 1 else None)
    print(f"storyline: pre-rendered {counts['rendered']} of {counts['stories']} stories "
          f"({counts['fresh']} already fresh, {counts['no_comparison']} without comparison; "
          f"{counts['dropped']} pages of merged or deleted stories dropped) "
          f"in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
