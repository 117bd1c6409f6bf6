"""Revisions by file: an edited text or HTML file is a revision of the article it held.

A JSONL record or feed entry names itself (external id, URL), so a changed one is found as a
revision by that name. A plain text file or an HTML page without a canonical URL names nothing
but its file: when the user corrects the file (fixes a figure, adds a paragraph) and ingests the
folder again, the new content is matched here to the article the same file gave before, and
stored as its revision instead of as a second article of the same outlet.

Only formats whose file is one article (``SINGLE_ARTICLE_FORMATS``) are matched by file. A JSONL
file, a feed or a WARC archive holds many records, and which one an edited record replaces is
not told by the file: those keep matching by id or URL only.

A file can also be overwritten with another article (a scraper writing ``latest.txt`` again and
again), so the new content is a revision only when it still resembles what the file held
(``resembles``); otherwise it is a new article, as before, and the old one stays.

Paths: ``articles.source_path`` keeps the path as the user gave it (messages and rejects name
it so); ``articles.source_file`` holds the file's resolved absolute path (store schema 4), so
``corpus/``, ``./corpus/`` and ``/home/me/corpus`` find the same file. Text and HTML articles
stored before schema 4 carry their path as given there; ``path_keys`` also tries the path as
given and relative to the working directory, which finds them when the same spelling is used,
or the folder is named from the same working directory.
"""
from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

from storyline.records import Article

# Formats (``Article.format``, as the readers set it) whose file holds exactly one article;
# a gzipped text or HTML file reads as ``text`` or ``html`` too.
SINGLE_ARTICLE_FORMATS = frozenset({"text", "html"})

# How much of its vocabulary an edited body shares with the article its file held: Jaccard of
# the two bodies' word sets (lowercased ``\w+`` words). Measured by `storyline bench
# file_revisions` (docs/benchmarks.md, "Ingest: revisions by file"): two different articles of
# the example corpus score at most 0.42 (two outlets' reports of the same floods) and two
# documents on two events of one kind in ECB+ at most 0.30 (two earthquakes: a scraper's file
# overwritten with the next story); scripted edits of the same articles (a figure changed, one
# or two paragraphs added, the text a third or a half longer, a paragraph cut, the lead
# rewritten) score 0.60-0.99 at their 5th percentile. 0.5 sits in that gap: no pair of different
# articles reaches it and 99-100% of every kind of edit does; at 0.4 two of the example
# corpus's flood reports would pass as one article, at 0.6 up to 5% of the heavier edits
# (lead rewritten and a paragraph added) would be new articles.
REVISION_OVERLAP = 0.5
# With the same headline (normalised: lowercased words, punctuation and spacing ignored) a
# heavier rewrite still counts, down to this overlap: above every pair of different events in
# ECB+ (at most 0.30), so a recurring headline ("Harbour notes") over another week's text is
# not enough on its own.
HEADLINE_OVERLAP = 0.3
# How many of the file's current articles (newest first) an edited file is compared with: a
# file that held more different articles than this is a rolling feed file, whose edits concern
# its recent articles.
CANDIDATES = 20

_WORD = re.compile(r"\w+")


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def overlap(a: str, b: str) -> float:
    """Jaccard similarity of the word sets of two texts (1.0 for two texts without words)."""
    wa, wb = words(a), words(b)
    union = wa | wb
    return len(wa & wb) / len(union) if union else 1.0


def headline_key(title: str) -> str:
    return " ".join(_WORD.findall(title.casefold()))


def resemblance(old_title: str, old_text: str, new_title: str, new_text: str) -> float | None:
    """How much a file's new article resembles the article the file held (the bodies' word-set
    overlap), or None when it does not resemble it enough to be its revision."""
    score = overlap(old_text, new_text)
    same_headline = bool(headline_key(new_title)) and headline_key(old_title) == headline_key(new_title)
    return score if score >= (HEADLINE_OVERLAP if same_headline else REVISION_OVERLAP) else None


def path_keys(path: Path) -> tuple[str, ...]:
    """The spellings under which articles of ``path`` may be stored in ``source_file``: first
    its resolved absolute path (what this version stores), then the path as given and relative
    to the working directory (what schema 4 copied from ``source_path`` for older articles)."""
    try:
        resolved = str(path.resolve())
    except (OSError, RuntimeError):  # a symlink loop: the absolute path is the best there is
        resolved = str(path.absolute())
    keys = [resolved, str(path), str(path.absolute())]
    try:
        keys.append(os.path.relpath(resolved))
    except ValueError:  # another drive (Windows)
        pass
    return tuple(dict.fromkeys(keys))


def earlier_in_file(con: sqlite3.Connection, art: Article, keys: tuple[str, ...]) -> int | None:
    """The current article of the same outlet from the same single-article file that ``art``
    revises (the one it resembles most), or None: then ``art`` is a new article."""
    if art.format not in SINGLE_ARTICLE_FORMATS or not keys:
        return None
    marks = ", ".join("?" * len(keys))
    rows = con.execute(
        # by the file's index: left to itself, the planner takes parent_id's (nearly every row)
        f"SELECT id, title, text, url FROM articles INDEXED BY articles_source_file "
        f"WHERE source_file IN ({marks}) AND outlet = ? "
        "AND parent_id IS NULL AND stage != 'superseded' ORDER BY id DESC LIMIT ?",
        (*keys, art.outlet, CANDIDATES),
    ).fetchall()
    best, best_score = None, -1.0
    for row_id, title, text, url in rows:
        if art.url and url and url != art.url:
            continue  # two pages that name different URLs are two articles
        score = resemblance(title, text, art.title, art.text)
        if score is not None and score > best_score:
            best, best_score = row_id, score
    return best
