"""Words and sentences: the units the comparison aligns.

Sentences keep their exact character spans in the member's text, so every
item of a report can point at verbatim words. Content words are lower-cased,
mapped through the synonym table (``synonyms.txt``), stripped of function
words (``stopwords.txt``) and reduced by a small suffix stemmer: enough to
see that "captured two soldiers" and "two soldiers were captured" say one
thing, with no model to load.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Abbreviations that end in a period without ending a sentence.
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep",
    "jr", "sr", "inc", "ltd", "co", "corp", "no", "vs", "etc", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.g", "i.e", "approx",
}
_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'’\-]*|\d[\d,.]*")
_SENT_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n+")


@dataclass(slots=True)
class Span:
    """A stretch of one member's text: [start, end) and the words in it."""

    start: int
    end: int
    text: str


def _load_list(name: str) -> list[list[str]]:
    rows = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rows.append(line.split())
    return rows


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(w for row in _load_list("stopwords.txt") for w in row)


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    table: dict[str, str] = {}
    for row in _load_list("synonyms.txt"):
        for word in row:
            table.setdefault(word, row[0])
    return table


def sentences(text: str) -> list[Span]:
    """Split ``text`` into sentences with exact spans (line breaks always end one)."""
    out: list[Span] = []
    start = 0
    for m in _SENT_END.finditer(text):
        end = m.end()
        if m.group().startswith(".") and not m.group().startswith(".."):
            word = re.search(r"([A-Za-z.]+)$", text[start:m.start()])
            if word and (word.group(1).lower().rstrip(".") in _ABBREV or len(word.group(1)) == 1):
                continue
        _push(text, start, end, out)
        start = end
    _push(text, start, len(text), out)
    return out


def _push(text: str, start: int, end: int, out: list[Span]) -> None:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    trail = len(piece.rstrip())
    if trail > lead:
        out.append(Span(start + lead, start + trail, piece[lead:trail]))


def words(text: str) -> list[tuple[int, int, str]]:
    """Word tokens of ``text`` as (start, end, word)."""
    out = []
    for m in _WORD.finditer(text):
        w = m.group()
        if w[0].isdigit():
            w = w.rstrip(".,")
        elif w[-1] in "'’-":
            w = w.rstrip("'’-")
        if w:
            out.append((m.start(), m.start() + len(w), w))
    return out


def stem(word: str) -> str:
    """A small suffix stemmer: soldiers -> soldier, captured -> captur, regions -> region."""
    w = word
    for suffix, repl, min_len in (
        ("ies", "y", 5), ("ied", "y", 5), ("ing", "", 6), ("edly", "", 7), ("ed", "", 5),
        ("es", "", 6), ("s", "", 4), ("ly", "", 6),
    ):
        if w.endswith(suffix) and len(w) >= min_len and not w.endswith("ss"):
            w = w[: len(w) - len(suffix)] + repl
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]  # stopped -> stopp -> stop
    return w


def norm_word(word: str) -> str | None:
    """The comparable form of one word, or None for function words and numbers."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'-")
    if not w or w[0].isdigit():
        return None
    w = synonyms().get(w, w)
    if w in stopwords() or len(w) < 2:
        return None
    if w in NUMBER_WORDS:
        return None
    return stem(w)


def content_words(text: str) -> list[str]:
    """Comparable content words of ``text``, in order (repeats kept)."""
    out = []
    for _, _, w in words(text):
        n = norm_word(w)
        if n:
            out.append(n)
    return out


NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "dozen": 12, "dozens": 24, "hundreds": 200, "thousand": 1000, "thousands": 2000,
    "million": 1e6, "billion": 1e9,
}
