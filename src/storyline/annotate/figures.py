"""Figures: a number with its unit, the thing counted and its qualifier.

"about 58 square km of territory" -> value 58, unit km2, counted "territory",
qualifier "about"; "$3.1bn" -> 3.1e9 USD; "six Chinese soldiers" -> 6,
counted "Chinese soldiers"; "two of them" -> 2, counted "them", with the
antecedent ("Chinese soldiers") when an earlier figure nearby counted a
thing. Numbers are read from digits ("10,000", "98.4", "3.1bn") and words
("six", "twenty-five", "two hundred"). Every word list (qualifiers, units,
currencies, scales, number words) is data in ``data/figure_words.txt``.

Dates and times are not figures: numbers inside DATE/TIME entities, bare
years ("in 2022"), clock times, and numbers inside names ("Covid-19",
"F-16") are skipped, and so is a number too large for a float (its value would be
infinite, which JSON cannot hold).
"""
from __future__ import annotations

import math
import re
from bisect import bisect_left

from storyline.annotate.nlp import data_rows
from storyline.records import Annotation


def _table(role: str) -> dict[str, str]:
    return {r[1].lower(): (r[2] if len(r) > 2 else "") for r in data_rows("figure_words.txt") if r[0] == role}


QUALIFIERS = _table("qualifier")
UNITS = _table("unit")
CURRENCIES = _table("currency")
SCALES = {k: float(v) for k, v in _table("scale").items()}
NUMBER_WORDS = {k: float(v) for k, v in _table("number").items()}
NOT_COUNTED = frozenset(_table("notcounted"))
MONTHS = frozenset(_table("month"))
FRACTION_SINGULARS = {k: float(v) for k, v in _table("fraction").items()}
FRACTION_PLURALS = {k: float(v) for k, v in _table("fractions").items()}
_QUAL_SEQS = sorted((tuple(q.split()) for q in QUALIFIERS), key=len, reverse=True)
_UNIT_SEQS = sorted((tuple(u.split()) for u in UNITS), key=len, reverse=True)
# "3.1bn", "10,000", "98.4", "2m": digits with an optional glued scale.
_DIGITS = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(bn|mn|tn|m|k|b)?$", re.I)
SKIP_ENTITIES = frozenset({"DATE", "TIME", "ORDINAL"})
NAME_ENTITIES = frozenset({"PERSON", "ORG", "PRODUCT", "FAC", "EVENT", "LAW", "WORK_OF_ART"})
# A number word must count something: these are never counts on their own.
_PRONOUN_ONE = frozenset({"no", "this", "that", "the", "every", "any", "each", "which", "someone", "anyone", "another"})
COUNTED_POS = ("NOUN", "PROPN", "ADJ")
YEAR_RANGE = (1800, 2100)
# Lower-cased words a figure can start with (besides digits): see _read_number and _read_fraction.
_START_WORDS = frozenset(NUMBER_WORDS) | frozenset(FRACTION_SINGULARS) | {"half"}


def _digits_value(text: str) -> tuple[float, float] | None:
    """(value, glued scale) of a digit token, or None."""
    m = _DIGITS.match(text)
    if not m:
        return None
    value = float(m.group(1).replace(",", "") + (m.group(2) or ""))
    scale = SCALES.get((m.group(3) or "").lower(), 1.0)
    return value, scale


def _read_number(doc, i: int) -> tuple[int, float, bool] | None:
    """Read a number starting at token i: (end token, value, written in digits)."""
    t = doc[i]
    d = _digits_value(t.text)
    if d is not None:
        value, scale = d
        j = i + 1
        digits = True
    elif t.lower_ in NUMBER_WORDS:
        value, scale, j, digits = NUMBER_WORDS[t.lower_], 1.0, i + 1, False
        # "twenty-five", "twenty five"
        if value >= 20 and value % 10 == 0:
            k = j + 1 if j < len(doc) and doc[j].text == "-" else j
            if k < len(doc) and doc[k].lower_ in NUMBER_WORDS and NUMBER_WORDS[doc[k].lower_] < 10:
                value += NUMBER_WORDS[doc[k].lower_]
                j = k + 1
    else:
        return _read_fraction(doc, i)
    # "two-thirds", "three-quarters"
    if not digits and j + 1 < len(doc) and doc[j].text == "-" and doc[j + 1].lower_ in FRACTION_PLURALS:
        return j + 2, value / FRACTION_PLURALS[doc[j + 1].lower_], False
    # scale words: "40 million", "two hundred thousand"
    while j < len(doc) and doc[j].lower_ in SCALES and doc[j].lower_ not in ("m", "k", "b") or (j < len(doc) and digits and doc[j].lower_ in ("m", "bn", "k") and doc[j].idx == doc[j - 1].idx + len(doc[j - 1].text)):
        scale *= SCALES[doc[j].lower_]
        j += 1
    return j, value * scale, digits


def _read_fraction(doc, i: int) -> tuple[int, float, bool] | None:
    """ "half (of) ...", "a third of ...", "a quarter of ...": (end, value, False) or None."""
    t = doc[i]
    nxt = doc[i + 1] if i + 1 < len(doc) else None
    if nxt is None or not (nxt.lower_ == "of" or nxt.pos_ in ("DET", "ADJ", "NOUN") or nxt.tag_ == "PRP$"):
        return None
    prev = doc[i - 1].lower_ if i > 0 else ""
    if t.lower_ == "half" and prev not in ("the", "first", "second", "a", "one"):
        return i + 1, 0.5, False
    if t.lower_ in FRACTION_SINGULARS and prev in ("a", "one") and nxt.lower_ == "of":
        return i + 1, 1 / FRACTION_SINGULARS[t.lower_], False
    return None


def _qualifier(doc, i: int) -> tuple[int, str | None]:
    """The qualifier phrase ending right before token i: (its start, canonical) or (i, None)."""
    for seq in _QUAL_SEQS:
        n = len(seq)
        if i - n >= 0 and tuple(doc[k].lower_ for k in range(i - n, i)) == seq:
            return i - n, " ".join(seq)
    return i, None


def _unit(doc, j: int) -> tuple[int, str | None]:
    for seq in _UNIT_SEQS:
        n = len(seq)
        if j + n <= len(doc) and tuple(doc[k].lower_ for k in range(j, j + n)) == seq:
            return j + n, UNITS[" ".join(seq)]
    return j, None


def _counted(doc, j: int, number) -> tuple[int, int] | None:
    """Token span [a, b) of the noun phrase counted, starting at j (after the number/unit)."""
    head = number.head
    # the parse says which noun the number counts ("six US and European officials")
    if number.dep_ in ("nummod", "quantmod", "compound") and head.pos_ in ("NOUN", "PROPN") and j <= head.i <= j + 6:
        if all(t.pos_ in COUNTED_POS + ("CCONJ", "PUNCT", "VERB") and t.text not in (",", ".", ";", ":") for t in doc[j : head.i]):
            return j, head.i + 1
    if j < len(doc) and doc[j].lower_ == "of":
        j += 1
        if j < len(doc) and doc[j].pos_ == "PRON":
            return j, j + 1
        while j < len(doc) and doc[j].pos_ == "DET" or (j < len(doc) and doc[j].tag_ == "PRP$"):
            j += 1
    b = j
    last_noun = None
    while b < len(doc):
        t = doc[b]
        if t.pos_ in COUNTED_POS or (t.pos_ == "CCONJ" and last_noun is None and b + 1 < len(doc) and doc[b + 1].pos_ in ("ADJ", "PROPN")) or (t.tag_ == "VBN" and b + 1 < len(doc) and doc[b + 1].pos_ == "NOUN"):
            if t.pos_ in ("NOUN", "PROPN"):
                last_noun = b
            elif last_noun is not None:
                break
            b += 1
            continue
        break
    if last_noun is None:
        return None
    return j, last_noun + 1


def _is_fraction(doc, i: int) -> bool:
    t = doc[i].lower_
    return t == "half" or t in FRACTION_SINGULARS or (i + 2 < len(doc) and doc[i + 1].text == "-" and doc[i + 2].lower_ in FRACTION_PLURALS)


def _is_year(doc, i: int, j: int, value: float, digits: bool) -> bool:
    t = doc[i]
    if not digits or j != i + 1 or "," in t.text or "." in t.text:
        return False
    if not (YEAR_RANGE[0] <= value <= YEAR_RANGE[1]):
        return False
    nxt = doc[j] if j < len(doc) else None
    return nxt is None or nxt.pos_ not in ("NOUN",) or nxt.tag_ not in ("NNS",)


def extract_figures(doc) -> list[Annotation]:
    """Figure annotations of one parsed article (value, unit, counted, qualifier, approximate)."""
    out: list[Annotation] = []
    i = 0
    n = len(doc)
    # Only a digit, a number word or a fraction word can start a figure; jumping from one to
    # the next skips the per-token checks below on every other token (same figures).
    starts = [t.i for t in doc if t.text[:1].isdigit() or t.lower_ in _START_WORDS]
    while i < n:
        k = bisect_left(starts, i)
        if k == len(starts):
            break
        i = starts[k]
        t = doc[i]
        if t.ent_type_ in SKIP_ENTITIES or (t.ent_type_ in NAME_ENTITIES and _digits_value(t.text) is not None):
            i += 1
            continue
        # "Covid-19", "F-16": digits glued to a word by a hyphen
        if i >= 2 and doc[i - 1].text == "-" and not doc[i - 2].whitespace_ and not doc[i - 1].whitespace_ and doc[i - 2].is_alpha and _digits_value(t.text):
            i += 1
            continue
        read = _read_number(doc, i)
        if read is None:
            i += 1
            continue
        j, value, digits = read
        if not math.isfinite(value):  # "1" and 400 zeros: beyond a float, and never a figure
            i = j
            continue
        if (
            _is_year(doc, i, j, value, digits)
            or (j < n and (doc[j].lower_ in NOT_COUNTED or doc[j].lower_ in MONTHS or doc[j].text == ":"))
            or (i > 0 and doc[i - 1].lower_ in MONTHS)
        ):
            i = j
            continue
        if not digits and t.lower_ == "one" and (i > 0 and doc[i - 1].lower_ in _PRONOUN_ONE):
            i = j
            continue
        start, qualifier = _qualifier(doc, i)
        currency = None
        if start == i and i > 0 and doc[i - 1].lower_ in CURRENCIES:
            currency = CURRENCIES[doc[i - 1].lower_]
            start, qualifier = _qualifier(doc, i - 1)
            start = min(start, i - 1)
        elif i > 0 and doc[i - 1].lower_ in CURRENCIES:
            currency = CURRENCIES[doc[i - 1].lower_]
        k, unit = _unit(doc, j)
        fraction = _is_fraction(doc, i)
        # after a unit only "of ..." says what is counted ("58 square km of territory")
        c = k + 1 if fraction and k < n and (doc[k].pos_ == "DET" or doc[k].tag_ == "PRP$") else k  # "half its troops"
        counted_span = _counted(doc, c, doc[i]) if unit is None or (k < n and doc[k].lower_ == "of") else None
        unit = currency or unit
        if fraction:
            unit = "fraction"
            if i > 0 and doc[i - 1].lower_ in ("a", "one"):
                start = min(start, i - 1)
        # a number in words must count something ("six soldiers", "two of them"), else it is
        # a pronoun or a phrase ("one of the most", "the two met")
        if not digits and unit is None and counted_span is None:
            i = j
            continue
        end = k
        counted = None
        if counted_span is not None:
            a, b = counted_span
            counted = doc[a:b].text
            end = b
        approx = QUALIFIERS.get(qualifier or "") == "approx"
        value_d = {"value": value, "unit": unit, "counted": counted, "qualifier": qualifier, "approximate": approx}
        if counted_span is not None and doc[counted_span[0]].pos_ == "PRON":
            ante = _antecedent(out, doc, doc[i].idx)
            if ante:
                value_d["antecedent"] = ante
        span = doc[start:end]
        out.append(Annotation("figure", span.start_char, span.end_char, span.text, unit or "", value_d))
        i = end
    return out


def _antecedent(found: list[Annotation], doc, at: int) -> str | None:
    """What "two of them" counts: the last thing counted in this or the previous sentence."""
    sent_starts = [s.start_char for s in doc.sents if s.start_char <= at]
    window = sent_starts[-2] if len(sent_starts) >= 2 else 0
    for a in reversed(found):
        c = a.value.get("counted")
        if a.start >= window and c and c.lower() not in ("them", "those", "these", "whom", "which"):
            return c
    return None
