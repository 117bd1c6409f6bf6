"""Figures: find them when the annotator has not, and decide when two disagree.

A figure is a value, the thing it counts (its head word, e.g. "dead",
"soldier", or a unit such as "square km") and a qualifier ("about", "more
than"). "six" and "6" are the same value. Agreement rules (see
docs/comparison.md):

- exact figures agree only when equal: "58 square km" against "60" differs;
- an approximate figure ("about 58", "some 60") agrees with another within
  ``approximate_tolerance`` of relative difference;
- a bound ("more than 50", "at least 50", "up to 60") agrees with any value on
  its side of the bound.

Round words are not exact figures: "a dozen", "a hundred" are approximate
(12, 100); "more than a dozen", "nearly a hundred" take the qualifier before the
article; "dozens", "hundreds", "thousands", "several hundred", "tens of
thousands" are lower bounds (24, 200, 2,000, 200, 20,000). Such figures are
``vague``: they never count as an outlet reporting another's exact value.
"four more bodies", "another three people" are increments (``increment``), not
totals, and are not compared with totals.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from functools import lru_cache

from storyline.compare.text import HERE, NUMBER_WORDS, norm_word, words

# Qualifiers before a figure, longest first. kind: approx | min | max.
QUALIFIERS = [
    ("more than", "min"), ("at least", "min"), ("over", "min"), ("upwards of", "min"), ("in excess of", "min"),
    ("fewer than", "max"), ("less than", "max"), ("up to", "max"), ("at most", "max"), ("under", "max"),
    ("nearly", "max"), ("almost", "max"), ("just under", "max"),
    ("about", "approx"), ("around", "approx"), ("some", "approx"), ("roughly", "approx"),
    ("approximately", "approx"), ("an estimated", "approx"), ("estimated", "approx"), ("close to", "approx"),
]
_APPROX_KINDS = {"approx", "max", "min"}
# Words that end the counted phrase after a number.
_STOP_AFTER = {
    "of", "who", "whom", "which", "that", "were", "was", "are", "is", "have", "had", "has", "in", "on", "at",
    "and", "or", "to", "from", "by", "with", "for", "as", "since", "after", "before", "during", "than", "but",
}
_UNITS = {
    "km", "kilometres", "kilometers", "miles", "metres", "meters", "hectares", "acres", "tonnes", "tons",
    "percent", "per", "square", "sq", "%", "dollars", "euros", "pounds", "kg", "years", "days", "hours",
}
_VERBISH = {"left", "went", "fell", "lay", "stood", "nearby", "now", "still", "had", "were"}
_NUM = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(%|per ?cent))?")
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "bn": 1e9, "m": 1e6, "k": 1e3,
          "hundred": 1e2, "dozen": 12}  # after a number: "two hundred", "two dozen"
# Round number words read alone: "a dozen" is about 12, "more than a dozen" a bound.
_ROUND = {"dozen": 12.0, "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9}
# Plural round words are lower bounds at two of the unit: "dozens" >= 24, "hundreds" >= 200.
_VAGUE = {"dozens": 12.0, "hundreds": 1e2, "thousands": 1e3, "millions": 1e6, "billions": 1e9}
_FEW = {"several", "few", "many"}  # "several hundred", "a few dozen": at least two of the unit
# "four more bodies", "another three people", "a further 12": an increment, not a total.
_INCREMENT_AFTER = {"more", "additional", "further", "extra"}
_INCREMENT_BEFORE = {"another", "further", "additional"}
_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "oct",
           "nov", "dec"}


@dataclass(slots=True)
class Figure:
    start: int
    end: int
    text: str
    value: float
    counted: str | None  # comparable head word (normalised), or None
    unit: str | None
    qualifier: str | None  # approx | min | max | None
    context: frozenset[str]  # content words around the figure
    predicate: str | None = None  # what happened to the counted thing (predicates.txt), set by units
    background: bool = False  # stated in a sentence about an earlier event ("in October 2020")
    clause: frozenset[str] = frozenset()  # content words of its clause, other figures left out
    vague: bool = False  # a round word without digits ("a dozen", "hundreds"): never an exact value
    increment: bool = False  # "four more bodies", "another three": added to a total, not the total


def _value_of(token: str) -> float | None:
    t = token.lower().replace(",", "")
    if t in NUMBER_WORDS:
        return float(NUMBER_WORDS[t])
    try:
        return float(t)
    except ValueError:
        return None


def find_figures(text: str, window: int = 5) -> list[Figure]:
    """Numbers (digits or words) in ``text`` with what they count.

    Years ("in 2022"), dates ("April 12") and times are skipped: they are not
    quantities an outlet can get wrong in the sense compared here.
    """
    toks = words(text)
    out: list[Figure] = []
    i = 0
    while i < len(toks):
        s, e, w = toks[i]
        lw = w.lower()
        value = 2 * _VAGUE[lw] if lw in _VAGUE else _value_of(w)
        if value is None or lw in ("one",) and not _counts_after(toks, i):
            i += 1
            continue
        j = i + 1
        # round words: "a dozen" (about 12), "dozens" / "several hundred" (lower bounds)
        vague, kind, lead = _round_word(toks, i)
        if lw in _VAGUE and j + 1 < len(toks) and toks[j][2].lower() == "of" and toks[j + 1][2].lower() in _VAGUE \
                and _VAGUE[toks[j + 1][2].lower()] > _VAGUE[lw]:
            value *= _VAGUE[toks[j + 1][2].lower()]  # "hundreds of thousands": at least 200,000
            e = toks[j + 1][1]
            j += 2
        elif lw in _VAGUE and i >= 2 and toks[i - 1][2].lower() == "of" and toks[i - 2][2].lower() == "tens":
            value *= 10  # "tens of thousands": at least 20,000
            lead = toks[i - 2][0]
        elif vague and kind == "min" and lw in _ROUND:
            value *= 2  # "several hundred": at least 200
        # "1.3 million", "two thousand"
        while j < len(toks) and toks[j][2].lower() in _SCALE and toks[j][0] - toks[j - 1][1] <= 1:
            value *= _SCALE[toks[j][2].lower()]
            e = toks[j][1]
            j += 1
        prev = toks[i - 1][2].lower() if i else ""
        nxt = toks[j][2].lower() if j < len(toks) else ""
        if (w.isdigit() and len(w) == 4 and 1900 <= value <= 2100) or prev in _MONTHS or nxt in _MONTHS \
                or (j < len(toks) and text[e:toks[j][0]].strip() == ":"):
            i = j
            continue
        if text[e:e + 1] == "%":
            e += 1
        qualifier, qstart = _qualifier(text, lead)
        counted, unit, cend = _counted(text, toks, j, vague)
        start = qstart if qualifier else lead
        qualifier = qualifier or kind
        ctx = _context(toks, i, j, window)
        out.append(Figure(start, max(e, cend), text[start:max(e, cend)], value, counted, unit, qualifier, ctx,
                          vague=vague))
        i = j
    return out


def _round_word(toks, i: int) -> tuple[bool, str | None, int]:
    """(vague, qualifier kind it implies, start of the phrase) for the number word at i.

    "dozens", "hundreds": a lower bound; "several hundred", "a few dozen": a lower bound
    from "several"/"a few"; "a dozen", "a hundred" or "dozen" alone: approximate, the
    phrase starting at the article (so a qualifier before it is seen: "more than a dozen").
    A round word after a number ("two hundred") is a scale, read with that number.
    """
    s, _, w = toks[i]
    lw = w.lower()
    if lw in _VAGUE:
        return True, "min", s
    if lw not in _ROUND:
        return False, None, s
    prev = toks[i - 1][2].lower() if i else ""
    if prev in _FEW:
        k = i - 1
        if prev == "few" and k and toks[k - 1][2].lower() == "a":
            k -= 1
        return True, "min", toks[k][0]
    if prev in ("a", "an"):
        return True, "approx", toks[i - 1][0]
    return True, "approx", s


def is_increment(text: str, f: Figure) -> bool:
    """Whether a figure adds to a total ("four more bodies", "another three", "a further 12")."""
    toks = words(text[f.start:min(len(text), f.end + 24)])
    k = next((n for n, t in enumerate(toks) if t[2].lower() in _VAGUE or _value_of(t[2]) is not None), None)
    if k is None:
        return False
    k += 1
    while k < len(toks) and toks[k][2].lower() in _SCALE:
        k += 1
    if k < len(toks) and toks[k][2].lower() in _INCREMENT_AFTER and \
            not (k + 1 < len(toks) and toks[k + 1][2].lower() == "than"):
        return True
    before = words(text[max(0, f.start - 16):f.start])
    return bool(before) and before[-1][2].lower() in _INCREMENT_BEFORE


def _counts_after(toks, i) -> bool:
    return i + 1 < len(toks) and toks[i + 1][2].lower() not in _STOP_AFTER and toks[i + 1][2][:1].islower()


def _qualifier(text: str, start: int) -> tuple[str | None, int]:
    before = text[max(0, start - 20):start].lower()
    for phrase, kind in QUALIFIERS:
        if before.rstrip().endswith(phrase) and (len(before.rstrip()) == len(phrase)
                                                  or not before.rstrip()[-len(phrase) - 1].isalpha()):
            return kind, start - (len(before) - before.rstrip().rfind(phrase))
    return None, start


def _counted(text: str, toks, j: int, vague: bool = False) -> tuple[str | None, str | None, int]:
    """The head of the counted phrase after a number: up to 3 words, stopping at a function word.

    A partitive is read through: "Fourteen of its 32 wagons" counts wagons, and so does
    "dozens of wagons" after a round word.
    """
    k = j
    if k < len(toks) and toks[k][2].lower() == "of":
        k += 1
        if k < len(toks) and toks[k][2].lower() in ("its", "the", "their", "his", "her", "our"):
            k += 1
        if k < len(toks) and _value_of(toks[k][2]) is not None:
            k += 1
        if (k > j + 1 or vague) and k < len(toks):
            head, unit, end = _counted(text, toks, k)
            if head:
                return head, unit, end
    unit_words, head, end = [], None, 0
    for k in range(j, min(j + 3, len(toks))):
        s, e, w = toks[k]
        lw = w.lower()
        if lw in _STOP_AFTER or (k > j and text[toks[k - 1][1]:s].strip()):
            break
        if k > j and head and (lw in predicates() or lw in _VERBISH or lw.endswith(("ed", "ing"))):
            break  # "14 wagons left the tracks", "17 wagons derailed": the verb is not what is counted
        if lw in _UNITS:
            unit_words.append(lw)
        n = norm_word(w)
        if n:
            head, end = n, e
        elif lw in _UNITS:
            end = e
    if text[toks[j - 1][1]:toks[j - 1][1] + 1] == "%" or (j < len(toks) and toks[j][2].lower() in ("percent",)):
        unit_words = unit_words or ["percent"]
        head = head or "percent"
    unit = " ".join(unit_words) or None
    return head, unit, end


def _context(toks, i: int, j: int, window: int) -> frozenset[str]:
    around = toks[max(0, i - window):i] + toks[j:j + window]
    return frozenset(n for n in (norm_word(w) for _, _, w in around) if n)


def from_annotation(ann: dict, text: str, window: int = 5,
                    toks: list[tuple[int, int, str]] | None = None) -> Figure | None:
    """A Figure from an annotator's ``figure`` annotation (value, counted, qualifier).

    ``toks`` is ``words(text)`` when the caller has it already: a member's figure
    annotations are read against one tokenisation of its text, not one each (which
    made the comparison quadratic in the size of a number-heavy article).
    """
    v = ann.get("value") or {}
    try:
        value = float(v.get("value"))
    except (TypeError, ValueError):
        return None
    counted = v.get("counted")
    head = None
    if counted:
        normed = [n for n in (norm_word(w) for _, _, w in words(str(counted))) if n]
        head = normed[-1] if normed else None
    q = (v.get("qualifier") or "").lower().strip()
    kind = dict(QUALIFIERS).get(q)
    if kind is None and (v.get("approximate") or q):
        kind = "approx"
    if toks is None:
        toks = words(text)
    # the first word starting at or after the annotation's start / end (word starts increase)
    i = bisect_left(toks, ann["start"], key=_tok_start)
    j = bisect_left(toks, ann["end"], key=_tok_start)
    ctx = _context(toks, i, j, window)
    return Figure(ann["start"], ann["end"], ann.get("text") or text[ann["start"]:ann["end"]], value, head,
                  v.get("unit"), kind, ctx)


def _tok_start(tok: tuple[int, int, str]) -> int:
    return tok[0]


def agree(a: Figure, b: Figure, tolerance: float, bounds: bool = True) -> bool:
    """Whether two figures of the same counted thing state the same quantity."""
    if a.value == b.value:
        return True
    for x, y in ((a, b), (b, a)) if bounds else ():
        if x.qualifier == "min" and y.value > x.value and y.qualifier != "max":
            return True
        if x.qualifier == "max" and y.value < x.value and y.qualifier != "min":
            return True
    if a.qualifier == "approx" or b.qualifier == "approx":
        return abs(a.value - b.value) <= tolerance * max(abs(a.value), abs(b.value))
    return False


def same_counted(a: Figure, b: Figure, overlap: float) -> bool:
    """Whether two figures count the same thing (head word, unit, or shared context)."""
    if (a.unit or b.unit) and a.unit != b.unit and a.unit and b.unit:
        return False
    if a.counted and a.counted == b.counted:
        return True
    if a.unit and a.unit == b.unit:
        return True
    if not a.context or not b.context:
        return False
    shared = len(a.context & b.context) / min(len(a.context), len(b.context))
    return shared >= overlap and (not a.counted or not b.counted or a.counted in b.context or b.counted in a.context)


# ------------------------------------------------------------------ one claim or two

# Counted words that say nothing about which claim a figure belongs to: "12 people"
# and "two people" are the same claim only when the same thing happened to them.
GENERIC = {None, "peopl", "person", "individual", "other"}
_UNIT_FORMS = {"km2": "square km", "sq km": "square km", "square kilometres": "square km",
               "square kilometers": "square km", "square km": "square km", "km²": "square km",
               "kilometres": "km", "kilometers": "km", "kilometre": "km", "km": "km"}
_CLAUSE_END = {"and", "but", "while", "whereas"}
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)(s?)\b")
_BACKGROUND = re.compile(r"\b(?:last|previous) (?:year|decade)\b|\b(?:19|20)\d0s\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def predicates() -> dict[str, str]:
    """word -> predicate class, from predicates.txt."""
    table: dict[str, str] = {}
    for line in (HERE / "predicates.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            cls, _, ws = line.partition(":")
            for w in ws.split():
                table.setdefault(w.lower(), cls.strip())
    return table


def predicate(text: str, start: int, end: int, lo: int, hi: int) -> str | None:
    """The predicate class of the figure at [start, end) in the clause window [lo, hi).

    The words after the figure are read first, up to the end of its clause
    ("12 people died and more than 200 were injured"), then the words before
    it, nearest first ("killed 12 people", "the death toll rose to 12").
    """
    table = predicates()
    for _, _, w in words(text[end:hi]):
        lw = w.lower()
        if lw in _CLAUSE_END:
            break
        if lw in table:
            return table[lw]
    for _, _, w in reversed(words(text[lo:start])):
        if w.lower() in table:
            return table[w.lower()]
    return None


_CLAUSE_MARK = re.compile(r"[,;:()\u2014\u2013]")


def clause_words(text: str, start: int, end: int, lo: int, hi: int) -> frozenset[str]:
    """Content words of the clause around a figure, not crossing a comma or another figure."""
    left = text[lo:start]
    cut = [m.end() for m in _CLAUSE_MARK.finditer(left)]
    left = left[cut[-1]:] if cut else left
    right = text[end:hi]
    m = _CLAUSE_MARK.search(right)
    right = right[:m.start()] if m else right
    return frozenset(n for n in (norm_word(w) for _, _, w in words(left + " " + right)) if n)


def is_background(sentence: str, published_year: int | None) -> bool:
    """Whether a sentence tells of an earlier event: a year before publication, "last year", "the 1990s"."""
    if _BACKGROUND.search(sentence):
        return True
    if published_year is None:
        return False
    return any(int(y) < published_year for y, _ in _YEAR.findall(sentence))


def unit_key(unit: str | None) -> str | None:
    if not unit:
        return None
    u = " ".join(unit.lower().split())
    return _UNIT_FORMS.get(u, u)


def claim_key(f: Figure) -> tuple[str, str | None] | None:
    """(thing, predicate) of a figure, or None when it cannot be told apart from others.

    The thing is the unit when there is one ("square km"), else the counted
    head word; a generic head ("people", none) needs a predicate.
    """
    said = f.predicate or _head_predicates().get(f.counted or "")
    if said and not f.unit and f.counted in _head_predicates():
        return ("*", said)  # "15 dead": the counted word is what happened
    thing = unit_key(f.unit) or (None if f.counted in GENERIC else f.counted)
    if thing is None:
        return ("*", said) if said else None
    return (thing, f.predicate)


@lru_cache(maxsize=1)
def _head_predicates() -> dict[str, str]:
    """Normalised counted words that are themselves predicates ("dead", "injured")."""
    return {n: cls for w, cls in predicates().items() if (n := norm_word(w))}


def same_claim(a: Figure, b: Figure) -> bool:
    """Whether two figures can be values of one claim (same thing, compatible predicate)."""
    ka, kb = claim_key(a), claim_key(b)
    if ka is None or kb is None:
        return False
    if ka[0] != kb[0]:
        # a generic figure with a predicate matches a specific one with the same predicate
        # only when that specific head is a kind of person ("12 people died" / "12 victims died")
        return False
    if a.unit and b.unit:
        # a measure ("about 10km off Dikili", "30km inland", "a depth of nine kilometres"):
        # what is measured is told by the words of its clause, whatever verb goes with it
        return bool(a.clause & b.clause)
    return ka[1] == kb[1] or (ka[0] != "*" and (ka[1] is None or kb[1] is None))
