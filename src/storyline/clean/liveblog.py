"""Live-blog detection and splitting.

A live blog is a page of entries, each a short headline-like line followed
by its own paragraphs, often with a prefix ("Breaking:", "Mapped:") or a
time stamp. The page becomes a parent with one ``Entry`` per entry; the
lead text before the first headline is entry 0, titled with the page
headline. The cues and their weights are in the ``[liveblog]`` table of
rules.toml; an article with subheadings has too few of them to be split.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from storyline.clean.lines import SENTENCE_END, Unit, normalise
from storyline.clean.rules import LiveblogRules
from storyline.records import Entry

_STATEMENT_END = re.compile(r"[.:;,…]['\"”’)\]]*$|[-–—]$")  # ends a headline may not have even in a live blog
_OPENING = re.compile(r"^[\"“‘'(\[]")
_CLOSING = re.compile(r"[\"”’']$")
_QUOTED_SENTENCE = re.compile(r"[.!?,…]['\"”’]$")
_HEAD_START = re.compile(r"^[\"“‘']?[A-Z0-9£$€]")


@dataclass(slots=True)
class Split:
    """Result of the live-blog pass over the kept units."""

    is_liveblog: bool
    entries: list[Entry]
    headline_units: set[int]  # indices (into the kept units) used as entry headlines
    score: int = 0


def headline_like(text: str, lb: LiveblogRules, *, lenient: bool = False) -> bool:
    """Short, capitalised, no sentence end and not a whole quotation.

    ``lenient`` also lets a headline end in "?" or "!" ("What should you do
    in the heat?"), be one word ("Kick-off") or a quotation with no sentence
    end inside ("'We've been here since lunch'"): used once a page is known
    to be a live blog, or when a time stamp stands right before the line.
    Deciding whether a page is a live blog uses the strict test, as an
    article's subheadings are often questions.
    """
    words = len(text.split())
    min_words = 1 if lenient else lb.headline_min_words
    if not (min_words <= words <= lb.headline_max_words) or len(text) > lb.headline_max_chars:
        return False
    if (_STATEMENT_END if lenient else SENTENCE_END).search(text) or not _HEAD_START.search(text):
        return False
    if _OPENING.search(text) and _CLOSING.search(text):  # a whole quotation
        return lenient and not _QUOTED_SENTENCE.search(text)
    return True


def _pick_headlines(kept: list[Unit], times: dict[int, str], forced: dict[str, str | None],
                    lb: LiveblogRules, lenient: bool) -> list[int]:
    heads: list[int] = []
    for k, unit in enumerate(kept):
        if k == len(kept) - 1 and unit.text not in forced:
            break  # a headline needs at least one paragraph after it
        if unit.text in forced:
            heads.append(k)
            continue
        if forced or not headline_like(unit.text, lb, lenient=lenient or k in times):
            continue
        if heads and heads[-1] == k - 1:
            # two headline-like lines in a row: the one with its own time stamp
            # heads the entry (the other is a caption or a short line above it)
            if k not in times or heads[-1] in times:
                continue
            heads.pop()
        # the first line of a page is its standfirst unless it is plainly an entry
        if k == 0 and not (lb.prefix.fullmatch(unit.text) or k in times):
            continue
        heads.append(k)
    return heads


def _score(title: str, kept: list[Unit], heads: list[int], times: dict[int, str], lb: LiveblogRules) -> int:
    score = lb.title_weight if title and lb.title_pattern.search(title) else 0
    prefixed = sum(1 for k in heads if lb.prefix.fullmatch(kept[k].text))
    score += lb.prefix_weight * min(prefixed, 2)
    score += lb.time_weight * min(sum(1 for k in heads if k in times), 2)
    long_heads = sum(1 for k in heads if len(kept[k].text.split()) >= lb.news_words)
    if long_heads >= 3:
        score += lb.length_weight
    return score


def split_liveblog(title: str, kept: list[Unit], times: dict[int, str], lb: LiveblogRules,
                   forced: dict[str, str | None] | None = None) -> Split:
    """Decide whether ``kept`` (the kept units of a page) is a live blog, and split it.

    ``times`` maps a kept-unit index to the bare time stamp printed just
    before it; ``forced`` maps entry headlines found in the HTML markup to
    their times (a page whose markup shows two or more entries is a live
    blog whatever its text cues).
    """
    forced = {normalise(k): v for k, v in (forced or {}).items()}
    forced = {k: v for k, v in forced.items() if any(u.text == k for u in kept)}
    if len(forced) < lb.min_entries:
        forced = {}
    heads = _pick_headlines(kept, times, forced, lb, lenient=False)
    score = _score(title, kept, heads, times, lb)
    if not heads or (not forced and score < lb.min_score):
        return Split(False, [], set(), score)
    heads = _pick_headlines(kept, times, forced, lb, lenient=True)
    if len(heads) < lb.min_entries:
        return Split(False, [], set(), score)
    entries: list[Entry] = []
    lead = [u.text for u in kept[: heads[0]]]
    if lead:
        entries.append(Entry(title=title, paragraphs=lead, position=0, time=None))
    bounds = heads + [len(kept)]
    for n, k in enumerate(heads):
        text = kept[k].text
        entries.append(Entry(title=text, paragraphs=[u.text for u in kept[k + 1: bounds[n + 1]]],
                             position=n + 1, time=forced.get(text) or times.get(k)))
    return Split(True, entries, set(heads), score)
