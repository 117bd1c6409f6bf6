"""Members prepared for comparison: sentences with their words, figures and quotes.

Annotations from ``storyline.annotate`` are used when a member has them
(figures, quotes, entity keys, places); a member without them falls back to
the small finders in ``figures`` and ``quotes``, so the comparison still runs
on bare text.
"""
from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from storyline.compare import figures as fig
from storyline.compare import quotes as qt
from storyline.compare.text import Span, content_words, sentences, words


@dataclass(slots=True)
class Sentence:
    member: int  # index into the story's members
    index: int  # position in the member
    span: Span
    words: frozenset[str]
    figures: list[fig.Figure] = field(default_factory=list)


@dataclass(slots=True)
class Member:
    index: int
    article_id: int
    outlet: str
    published: str | None
    title: str
    text: str
    url: str | None
    order: int  # rank by publication time
    sentences: list[Sentence] = field(default_factory=list)
    quotes: list[qt.Quote] = field(default_factory=list)
    annotated: dict[str, int] = field(default_factory=dict)  # kind -> count given by the annotator


def prepare(raw: list[dict[str, Any]], settings: dict[str, Any]) -> list[Member]:
    """Turn story members (dicts) into Members with sentences, figures and quotes."""
    window = settings["figures"]["context_window"]
    ranked = sorted(range(len(raw)), key=lambda i: (time_key(raw[i].get("published")), raw[i].get("article_id", i)))
    order = {i: r for r, i in enumerate(ranked)}
    members = []
    for i, d in enumerate(raw):
        text = d.get("text") or ""
        anns = d.get("annotations") or []
        kinds = Counter(a.get("kind") for a in anns)
        m = Member(i, int(d.get("article_id", i)), d.get("outlet") or "unknown", d.get("published"),
                   d.get("title") or "", text, d.get("url"), order[i], annotated=dict(kinds))
        if kinds.get("figure"):
            toks = words(text)  # once per member: each annotation looks its words up in these
            figs = [f for f in (fig.from_annotation(a, text, window, toks) for a in anns if a.get("kind") == "figure")
                    if f]
        else:
            figs = fig.find_figures(text, window)
        if kinds.get("quote"):
            m.quotes = _direct_quotes([_quote_from_annotation(a, text) for a in anns if a.get("kind") == "quote"
                                       and _is_direct(a, text)])
            _fill_speakers(m.quotes, text)
        else:
            m.quotes = qt.find_quotes(text)
        extra = sorted(_entity_tokens(anns), key=lambda e: e[0][0])
        extra_starts = [a_start for (a_start, _), _ in extra]
        # by start (a stable sort: ties keep their order), so each sentence takes a slice of
        # them instead of a pass over all of them (quadratic on a long, number-heavy article)
        figs.sort(key=lambda f: f.start)
        fig_starts = [f.start for f in figs]
        year = _year(d.get("published"))
        for k, s in enumerate(sentences(text)):
            ws = set(content_words(s.text))
            for _, tok in extra[bisect_left(extra_starts, s.start):bisect_left(extra_starts, s.end)]:
                ws.add(tok)
            sf = figs[bisect_left(fig_starts, s.start):bisect_left(fig_starts, s.end)]
            _figure_claims(text, s, sf, year)
            m.sentences.append(Sentence(i, k, s, frozenset(ws), sf))
        members.append(m)
    return members


def _year(published: str | None) -> int | None:
    try:
        return int(str(published)[:4]) if published else None
    except ValueError:
        return None


def _figure_claims(text: str, s: Span, figs: list[fig.Figure], year: int | None) -> None:
    """Each figure's predicate (read in its own clause) and whether its sentence is background."""
    figs.sort(key=lambda f: f.start)
    background = fig.is_background(s.text, year)
    for k, f in enumerate(figs):
        lo = figs[k - 1].end if k else s.start
        hi = figs[k + 1].start if k + 1 < len(figs) else s.end
        lo, hi = max(lo, s.start), min(hi, s.end)
        f.predicate = fig.predicate(text, f.start, f.end, lo, hi)
        f.clause = fig.clause_words(text, f.start, f.end, lo, hi)
        f.background = background
        f.increment = f.increment or fig.is_increment(text, f)


_MAX_UTC = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
_MIN_UTC = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
_UNDATED = (1, _MAX_UTC, 0)


def time_key(published: str | None) -> tuple:
    """Sort key of a ``published`` value: the instant it names, undated (or unreadable) last.

    Times are compared as instants: "2026-06-01T20:00:00-07:00" (03:00 UTC on the 2nd)
    comes after "2026-06-02T01:00:00Z"; a time without an offset is read as UTC. A
    date-only value ("2026-06-01") says only "some time that day", so it is placed at
    the end of that day in UTC: after every report timed on that (UTC) day, before the
    next day's. Used for "first reported", the timeline and the members' order.

    Total: it never raises. An instant past the range of ``datetime`` once read in UTC
    ("9999-12-31T23:59:59-12:00" is in the year 10000) is kept at the edge of that
    range, after (or, below year 1, before) every representable one and in its own
    order among such values, by how far past the edge it is.
    """
    if not published:
        return _UNDATED
    try:
        text = str(published).strip()
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return (0, dt.datetime.combine(day, dt.time.max, dt.timezone.utc), 1)
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if t.tzinfo is None:
            return (0, t.replace(tzinfo=dt.timezone.utc), 0)
        offset = t.utcoffset() or dt.timedelta(0)
    except (ValueError, TypeError, OverflowError):
        return _UNDATED
    try:
        return (0, t.astimezone(dt.timezone.utc), 0)
    except (OverflowError, ValueError):
        # the instant is outside year 1..9999 in UTC; timedeltas have room for the difference
        local = t.replace(tzinfo=None)
        past = (local - dt.datetime.max) - offset
        if past > dt.timedelta(0):
            return (0, _MAX_UTC, 2, past)  # after the last instant and after a date-only 9999-12-31
        return (0, _MIN_UTC, -1, (local - dt.datetime.min) - offset)  # before the first instant


def _quote_from_annotation(a: dict[str, Any], text: str) -> qt.Quote:
    v = a.get("value") or {}
    speaker = v.get("speaker")
    span = v.get("speaker_span")
    ante = v.get("speaker_antecedent_span")
    if span and ante and text[span[0]:span[1]].lower() in _PRONOUNS and ante[1] <= len(text):
        # "she said:" -- the name is the one the pronoun points back to; the annotator's
        # speaker string can name somebody else (see docs/comparison.md, "Annotations")
        named = text[ante[0]:ante[1]]
        if named[:1].isupper() and qt.name_key(named) != qt.name_key(speaker):
            return qt.Quote(a["start"], a["end"], a.get("text") or text[a["start"]:a["end"]], named,
                            qt.name_key(named), tuple(ante), raw_key=f"person:{named.lower()}")
    return qt.Quote(a["start"], a["end"], a.get("text") or text[a["start"]:a["end"]], speaker,
                    qt.name_key(speaker) or v.get("speaker_key"), tuple(span) if span else None,
                    raw_key=v.get("speaker_key"))


_PRONOUNS = {"he", "she", "they", "him", "her", "his", "it", "we", "i"}
_MARKS = "“”\"‘’«»'"


def _is_direct(a: dict[str, Any], text: str) -> bool:
    """Quote groups hold words in quote marks only: reported speech is a claim, not a quote."""
    if (a.get("value") or {}).get("direct"):
        return True
    s, e = a["start"], a["end"]
    return any(ch in _MARKS for ch in text[max(0, s - 2):s + 1] + text[max(s, e - 1):e + 2])


def _person_like(q: qt.Quote, key: str | None) -> bool:
    """Whether an annotator's speaker can be trusted as a person ("she" or an organisation cannot)."""
    if not q.speaker or not q.speaker[:1].isupper() or q.speaker.lower() in ("he", "she", "they", "we", "i"):
        return False
    return not (key and ":" in key and not key.startswith("person:"))


def _fill_speakers(quotes: list[qt.Quote], text: str) -> None:
    """Quotes whose annotated speaker is missing, a pronoun or not a person take the fallback finder's."""
    found = None
    for q in quotes:
        if _person_like(q, q.raw_key):
            continue
        if found is None:
            found = qt.find_quotes(text)
        hit = next((f for f in found if f.start < q.end and q.start < f.end and f.speaker), None)
        if hit is not None:
            q.speaker, q.speaker_key, q.speaker_span = hit.speaker, hit.speaker_key, hit.speaker_span
        elif q.speaker and not q.speaker[:1].isupper():
            q.speaker = q.speaker_key = None


def _direct_quotes(quotes: list[qt.Quote]) -> list[qt.Quote]:
    """Overlapping quote spans reduced to the longest one."""
    out: list[qt.Quote] = []
    for q in sorted(quotes, key=lambda q: (-(q.end - q.start), q.start)):
        if not any(q.start < o.end and o.start < q.end for o in out):
            out.append(q)
    return sorted(out, key=lambda q: q.start)


def _entity_tokens(anns: list[dict[str, Any]]) -> list[tuple[tuple[int, int], str]]:
    """Entity keys and place names as extra comparable tokens ("ent:...")."""
    out = []
    for a in anns:
        v = a.get("value") or {}
        if a.get("kind") == "entity" and v.get("key"):
            out.append(((a["start"], a["end"]), f"ent:{v['key']}"))
        elif a.get("kind") == "place" and (v.get("geonameid") or v.get("name")):
            out.append(((a["start"], a["end"]), f"place:{v.get('geonameid') or v.get('name')}"))
    return out


class Weights:
    """Inverse document frequency of words over the sentences of one story."""

    def __init__(self, members: list[Member]):
        df: Counter[str] = Counter()
        n = 0
        for m in members:
            for s in m.sentences:
                df.update(s.words)
                n += 1
        self.idf = {w: math.log(1 + n / c) for w, c in df.items()}
        self.default = math.log(1 + max(n, 1))

    def weight(self, ws) -> float:
        return sum(self.idf.get(w, self.default) for w in ws)

    def cosine(self, a: frozenset[str], b: frozenset[str]) -> float:
        """Weighted overlap of two word sets, normalised by both sizes (0..1)."""
        if not a or not b:
            return 0.0
        return self.weight(a & b) / math.sqrt(self.weight(a) * self.weight(b))

    def overlap(self, a, b) -> float:
        """Weighted share of the smaller set found in the other (0..1)."""
        if not a or not b:
            return 0.0
        return self.weight(set(a) & set(b)) / min(self.weight(a), self.weight(b))
