"""Dates in the text, normalised against the article's publication date.

``normalize_date("on Tuesday", "2025-04-08")`` gives
``{"value": "2025-04-08", "granularity": "day", "guess": True}``. Values are
TimeML-like: ``2025-04-08``, ``2025-04``, ``2024``, ``2025-W15``,
``2025-W15-WE`` (weekend), ``2025-Q3``, ``2025-H1``, ``2025-SU`` (season),
``199`` (the 1990s), ``P3Y`` (a duration), ``PRESENT_REF`` / ``PAST_REF`` /
``FUTURE_REF`` (vague references).

News rules come first and dateparser is the fallback:

- a bare weekday ("on Friday") is the latest such day up to and including the
  publication day ("next Friday" is the one after it);
- "early March", "late last year": the modifier keeps the unit (March, last year);
- a month or month-day without a year is in the publication year;
- "last year", "this week", "three months ago", "the third quarter" count
  from the publication date.

``guess`` is True when a rule chose between readings (a bare weekday or month
could be another one, a vague reference, a dateparser fallback, or no
publication date to count from). The words (months, weekdays, seasons, vague
references, modifiers) are data in ``data/date_words.txt``.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from storyline.records import Annotation

# A month given without a year and without a future cue is in the publication
# year, unless it lies more than this many months ahead ("October" read in
# January is last October; "Nov. 22" read in October is this November).
# Chosen on the TimeBank tune half (see docs/benchmarks.md).
MONTHS_AHEAD = 4
# ... and next year's when it lies more than this many months behind ("January" read in November).
MONTHS_BEHIND = 9
WORDS_FILE = Path(__file__).with_name("data") / "date_words.txt"

# spaCy entity labels taken as date spans.
ENTITY_LABELS = ("DATE", "TIME")
# Leading words dropped before the rules run ("on Tuesday", "since August").
PREPOSITIONS = (
    "on", "in", "at", "by", "since", "until", "till", "from", "to", "during", "through", "throughout",
    "before", "after", "of", "as of", "for", "over", "around", "about", "starting", "beginning", "as early as",
)
UNITS = {
    "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
    "year": "year", "years": "year", "decade": "decade", "decades": "decade", "quarter": "quarter",
    "quarters": "quarter", "century": "century", "centuries": "century", "weekend": "weekend",
    "hour": "hour", "hours": "hour", "minute": "minute", "minutes": "minute",
}
DURATION_CODE = {"day": "D", "week": "W", "month": "M", "year": "Y", "decade": "DE", "quarter": "Q",
                 "century": "CE", "hour": "H", "minute": "M", "weekend": "WE"}


@lru_cache(maxsize=1)
def _words() -> dict[str, dict[str, str]]:
    """The word tables of data/date_words.txt: section -> {form: value}."""
    table: dict[str, dict[str, str]] = {}
    for line in WORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        section, _, rest = line.partition(":")
        forms, _, value = rest.partition("->")
        for form in forms.split(","):
            if form.strip():
                table.setdefault(section.strip(), {})[form.strip()] = value.strip()
    return table


def _alt(section: str) -> str:
    """A regex alternation of a section's forms, longest first."""
    return "|".join(re.escape(f) for f in sorted(_words()[section], key=len, reverse=True))


def parse_published(published: str | None) -> date | None:
    """The publication day of an ISO date or datetime string, or None."""
    if not published:
        return None
    try:
        return date.fromisoformat(str(published).strip()[:10])
    except ValueError:
        return None


def _result(value: str, granularity: str, guess: bool) -> dict[str, Any]:
    return {"value": value, "granularity": granularity, "guess": guess}


def _day(d: date, guess: bool) -> dict[str, Any]:
    return _result(d.isoformat(), "day", guess)


def _week(d: date, guess: bool, weekend: bool = False) -> dict[str, Any]:
    iso = d.isocalendar()
    return _result(f"{iso[0]:04d}-W{iso[1]:02d}" + ("-WE" if weekend else ""), "week", guess)


def _month(y: int, m: int, guess: bool) -> dict[str, Any]:
    return _result(f"{y:04d}-{m:02d}", "month", guess)


def _year(y: int, guess: bool) -> dict[str, Any]:
    return _result(f"{y:04d}", "year", guess)


def _add_months(y: int, m: int, n: int) -> tuple[int, int]:
    k = y * 12 + (m - 1) + n
    return k // 12, k % 12 + 1


def _clean(text: str) -> str:
    t = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", "-")
    t = re.sub(r"(?<=[a-z])\.", "", t)  # "sept." -> "sept", "a.m." -> "am"
    t = re.sub(r"'s\b", "", t)  # "Tuesday's"
    t = re.sub(r"[\"()\[\],;:!?|]+$|^[\"()\[\],;:!?|]+", "", t.strip()).strip()
    t = re.sub(r"\s*,\s*", ", ", t)
    return _spelled_years(re.sub(r"\s+", " ", t).strip())


_TENS = {"twenty": 2, "thirty": 3, "forty": 4, "fifty": 5, "sixty": 6, "seventy": 7, "eighty": 8, "ninety": 9}
_ONES = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_SPELLED_YEAR = re.compile(
    r"\b(?:(?P<c>nineteen|eighteen)[ -](?P<t>" + "|".join(_TENS) + r")(?:[ -](?P<o>" + "|".join(_ONES) + r"))?"
    r"|two thousand(?: and)?(?: (?P<o2>" + "|".join(_ONES) + r"|ten|eleven|twelve))?)\b")
_DECADES = {w[:-1] + "ies": n for w, n in _TENS.items()}  # "nineties" -> 9
_SPELLED_DECADE = re.compile(r"\b(?:the )?(" + "|".join(_DECADES) + r")\b")


def _spelled_years(t: str) -> str:
    """Spoken-style years of broadcast transcripts: "nineteen ninety-six" -> 1996, "the nineties" -> the 1990s."""
    def year(m):
        if m.group("c"):
            return str((19 if m.group("c") == "nineteen" else 18) * 100 + 10 * _TENS[m.group("t")]
                       + _ONES.get(m.group("o") or "", 0))
        extra = {"ten": 10, "eleven": 11, "twelve": 12}.get(m.group("o2") or "", _ONES.get(m.group("o2") or "", 0))
        return str(2000 + extra)
    t = _SPELLED_YEAR.sub(year, t)
    t = _SPELLED_DECADE.sub(lambda m: f"the '{_DECADES[m.group(1)]}0s", t)
    return re.sub(r"^the year (\d{4})$", r"\1", t)


def _strip_front(t: str, words) -> str:
    changed = True
    while changed:
        changed = False
        for w in sorted(words, key=len, reverse=True):
            if w and t.startswith(w + " ") and len(t) > len(w) + 1:
                t = t[len(w) + 1:]
                changed = True
    return t


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    v = _words()["number"].get(word)
    return int(v) if v and v.isdigit() else None


def _year_of(word: str, anchor: date | None) -> int:
    """A 4-digit year, or a 2-digit one ('98 -> 1998) read near the anchor."""
    y = int(word.lstrip("'"))
    if y >= 100:
        return y
    base = (anchor.year if anchor else 2000) // 100 * 100
    return base + y if base + y <= (anchor.year if anchor else 2000) + 10 else base - 100 + y


def normalize_date(text: str, published: str | None, *, future: bool = False,
                   context: str | None = None) -> dict[str, Any] | None:
    """Normalise one date expression against the publication date.

    Returns ``{"value", "granularity", "guess"}`` or None when the text is not
    a date this module can read. ``future=True`` says the context points ahead
    (e.g. "will"), so a bare weekday or month is the next one, not the last.
    ``context`` is the sentence around the expression, when known ("a year
    ago" in a sentence about the third quarter is that quarter a year ago).
    """
    anchor = parse_published(published)
    t = _clean(text)
    if not t:
        return None
    t = re.sub(r" (?:or so|and beyond|or more|or later|at the latest)$", "", t)
    out = _quarter_from_context(t, anchor, context) if context and anchor else None
    out = out or _rules(t, anchor, future)
    if out is None and not re.fullmatch(r"[\d\s.,]+", t) and (anchor is not None or re.search(r"\b\d{4}\b", t)):
        # (without a publication date dateparser would count from today: only absolute dates then)
        out = _dateparser(text, anchor)
    if out is not None and anchor is None and not re.fullmatch(r"\d{3,4}(-\d\d){0,2}", out["value"]):
        out["guess"] = True
    return out


def _rules(t: str, anchor: date | None, future: bool) -> dict[str, Any] | None:
    w = _words()
    refs = w["ref"]
    if t in refs:
        return _result(refs[t], "ref", True)
    for pattern, handler in RULES:  # "in weeks", "in three weeks": here the preposition matters
        m = pattern.fullmatch(t) if pattern.pattern.startswith("(?:in |within )") else None
        if m:
            return handler(m, anchor, future)
    t = _strip_front(t, PREPOSITIONS)
    if t in refs:
        return _result(refs[t], "ref", True)
    t = re.sub(r"^(the )?(mid|early|late)-", r"\1", t)
    t = re.sub(r"^the (?=(?:early|mid|late|middle|end|beginning|start) )", "", t)
    t = _strip_front(t, list(w["modifier"]) + list(PREPOSITIONS))
    t = re.sub(r"^(the )?(mid|early|late)-", r"\1", t)
    if t in refs:
        return _result(refs[t], "ref", True)
    for rule in RULES:
        m = rule[0].fullmatch(t)
        if m:
            out = rule[1](m, anchor, future)
            if out is not None:
                return out
    return None


# --- the rules: (compiled pattern over the cleaned text, handler) -----------------------------

def _r_dayword(m, a, future):
    if a is None:
        return None
    word = m.group("w")
    shift = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}[word]
    if m.group("before"):
        shift += -1 if word == "yesterday" else 1
    return _day(a + timedelta(days=shift), False)


def _r_thispart(m, a, future):
    return _day(a, False) if a else None


def _r_clock(m, a, future):
    """'13:36', '9.30 pm': a time on the publication day (the day is a guess)."""
    if a is None or not (m.group("m") or m.group("ap")):
        return None
    h, mi = int(m.group("h")), int(m.group("m") or 0)
    if m.group("ap") == "pm" and h < 12:
        h += 12
    elif m.group("ap") == "am" and h == 12:
        h = 0
    if h > 23 or mi > 59:
        return None
    return _result(f"{a.isoformat()}T{h:02d}:{mi:02d}", "time", True)


def _r_iso(m, a, future):
    y, mo, d = int(m.group(1)), int(m.group(2)), m.group(3)
    if d:
        try:
            return _day(date(y, mo, int(d)), False)
        except ValueError:
            return None
    return _month(y, mo, False) if 1 <= mo <= 12 else None


def _r_numeric(m, a, future):
    mo, d, y = int(m.group(1)), int(m.group(2)), m.group(3)
    year = _year_of(y, a) if y else (a.year if a else None)
    if year is None:
        return None
    try:
        return _day(date(year, mo, d), not y)
    except ValueError:
        return None


def _month_num(word: str) -> int:
    return int(_words()["month"][word])


def _relative_year(word: str | None, a: date | None) -> int | None:
    if a is None:
        return None
    return a.year + {"last": -1, "this": 0, "next": 1, None: 0, "": 0}.get(word, 0)


def _pick_year(mo: int, d: int, a: date, future: bool, relword: str | None) -> tuple[int, bool]:
    """Year of a month (and day) given without a year: the publication year,
    or next year when the context points ahead and the day has passed."""
    if relword in ("last", "previous", "past"):
        return (a.year if (mo, d) < (a.month, a.day) else a.year - 1), False
    if relword in ("next", "coming", "following"):
        return (a.year if (mo, d) > (a.month, a.day) else a.year + 1), False
    if relword == "this":
        return a.year, False
    if future and (mo, d) < (a.month, a.day):
        return a.year + 1, True
    if not future and mo > a.month + MONTHS_AHEAD:
        return a.year - 1, True
    if not future and mo < a.month - MONTHS_BEHIND:
        return a.year + 1, True
    return a.year, True


def _r_month_day(m, a, future):
    mo = _month_num(m.group("mon"))
    d = int(m.group("day"))
    y = m.group("year")
    yrel = m.group("yrel")
    if y:
        year, guess = _year_of(y, a), False
    elif yrel:
        year, guess = _relative_year(yrel, a), False
    elif a is not None:
        year, guess = _pick_year(mo, d, a, future, m.group("rel"))
    else:
        return None
    if year is None:
        return None
    try:
        return _day(date(year, mo, d), guess)
    except ValueError:
        return None


def _r_month(m, a, future):
    mo = _month_num(m.group("mon"))
    y = m.group("year")
    yrel = m.group("yrel")
    if y:
        return _month(_year_of(y, a), mo, False)
    if a is None:
        return None
    if yrel:
        return _month(_relative_year(yrel, a), mo, False)
    rel = m.group("rel")
    day = 1 if rel not in ("next", "coming", "following") else 28
    year, guess = _pick_year(mo, day if rel else 1, a, future and mo != a.month, rel)
    return _month(year, mo, guess)


def _r_weekday(m, a, future):
    if a is None:
        return None
    wd = int(_words()["weekday"][m.group("wd")])
    rel = m.group("rel") or ""
    back = (a.weekday() - wd) % 7  # days back to the latest such day (0 = the publication day)
    if rel in ("next", "coming", "following") or (future and not rel and back):
        return _day(a + timedelta(days=(wd - a.weekday()) % 7 or 7), rel == "")
    if rel in ("last", "previous", "past"):
        return _day(a - timedelta(days=back or 7), False)
    if rel == "this":
        return _day(a - timedelta(days=back) if back <= 3 or not future else a + timedelta(days=(7 - back)), True)
    return _day(a - timedelta(days=back), True)


def _r_weekday_date(m, a, future):
    return _r_month_day(m, a, future)


def _r_year(m, a, future):
    return _year(_year_of(m.group("y"), a), False)


def _r_decade(m, a, future):
    if m.group("y"):
        return _result(m.group("y"), "decade", False)
    d = int(m.group("y2"))  # "the '90s": the latest such decade not after the publication year
    century = a.year // 100 if a else 20
    if a and d * 10 > a.year % 100:
        century -= 1
    return _result(f"{century:02d}{d}", "decade", False)


def _r_century(m, a, future):
    return _result(f"{int(m.group(1)) - 1:02d}", "century", False)


def _r_quarter(m, a, future):
    g = m.groupdict()
    q = int(_words()["ordinal"].get(g["q"], g["q"]))
    y = g.get("year") or g.get("year2")
    if y:
        return _result(f"{_year_of(y, a):04d}-Q{q}", "quarter", False)
    if a is None:
        return None
    yrel = g.get("yrel") or g.get("yrel2") or ("last" if g.get("ago") else None)
    year = _relative_year(yrel, a) if yrel else a.year
    guess = not yrel
    if not yrel and q > (a.month - 1) // 3 + 1 and not future:
        year -= 1  # "the fourth quarter" read in May: last year's
    return _result(f"{year:04d}-Q{q}", "quarter", guess)


def _r_reported_quarter(m, a, future):
    """'the quarter', 'the latest period' in a results story: the last quarter completed."""
    if a is None:
        return None
    y, mo = _add_months(a.year, (a.month - 1) // 3 * 3 + 1, -3)
    return _result(f"{y:04d}-Q{(mo - 1) // 3 + 1}", "quarter", True)


def _r_year_ago(m, a, future):
    return _year(a.year - 1, False) if a else None


def _r_this_year(m, a, future):
    return _year(a.year, "fiscal" in m.group(0)) if a else None


def _r_half(m, a, future):
    h = 1 if m.group("h") in ("first", "1st") else 2
    y = m.group("year")
    year = _year_of(y, a) if y else (_relative_year(m.group("yrel"), a) if a else None)
    if year is None:
        return None
    return _result(f"{year:04d}-H{h}", "half", not (y or m.group("yrel")))


def _r_season(m, a, future):
    code = _words()["season"][m.group("s")]
    y = m.group("year")
    if y:
        return _result(f"{_year_of(y, a):04d}-{code}", "season", False)
    if a is None:
        return None
    start = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}[code]
    rel = m.group("rel") or m.group("yrel") or ""
    year = a.year
    if rel in ("last", "past", "previous"):
        year = a.year if start < a.month - 2 else a.year - 1
    elif rel in ("next", "coming"):
        year = a.year if start > a.month else a.year + 1
    elif m.group("yrel"):
        year = _relative_year(m.group("yrel"), a)
    return _result(f"{year:04d}-{code}", "season", not rel)


_SHIFT = {"this": 0, "current": 0, "the current": 0, "the": 0, "the same": 0, "same": 0,
          "last": -1, "the last": -1, "past": -1, "the past": -1, "previous": -1, "the previous": -1,
          "the preceding": -1, "next": 1, "the next": 1, "coming": 1, "the coming": 1, "the following": 1, "the current": 0,
          "following": 1, "this past": -1, "the prior": -1, "prior": -1}


def _r_unit(m, a, future):
    if a is None:
        return None
    word = m.group("rel")
    n = _SHIFT[word]
    unit = UNITS[m.group("unit")]
    if m.group("unit").endswith("s") and unit != "weekend" and n:
        return _result("PAST_REF" if n < 0 else "FUTURE_REF", "ref", True)  # "past years", "coming quarters"
    guess = word in ("the", "the same", "same")
    if unit == "weekend":
        # "this weekend" read on a Monday is the one just gone.
        base = a - timedelta(days=2) if a.weekday() == 0 and n == 0 else a
        return _week(base + timedelta(weeks=n), guess, weekend=True)
    if unit == "quarter":
        y, mo = _add_months(a.year, (a.month - 1) // 3 * 3 + 1, 3 * n)
        return _result(f"{y:04d}-Q{(mo - 1) // 3 + 1}", "quarter", guess)
    return _shift(a, unit, n, guess)


def _shift(a: date, unit: str, n: int, guess: bool) -> dict[str, Any] | None:
    if unit == "year":
        return _year(a.year + n, guess)
    if unit == "month":
        return _month(*_add_months(a.year, a.month, n), guess)
    if unit == "week":
        return _week(a + timedelta(weeks=n), guess)
    if unit == "day":
        return _day(a + timedelta(days=n), guess)
    if unit == "decade":
        return _result(str((a.year + 10 * n) // 10), "decade", guess)
    return None


def _r_ago(m, a, future):
    unit = UNITS[m.group("unit")]
    n = _number(m.group("n") or "a")
    if n is None or a is None:
        return _result("PAST_REF", "ref", True)
    return _shift(a, unit, -n, False)


def _r_ahead(m, a, future):
    unit = UNITS[m.group("unit")]
    n = _number(m.group("n") or "a")
    if n is None or a is None:
        return _result("FUTURE_REF", "ref", True)
    return _shift(a, unit, n, False)


def _r_vague_ahead(m, a, future):
    """'in weeks', 'within months': a vague stretch ahead."""
    unit = UNITS[m.group("unit")]
    return _result(f"P{'X'}{DURATION_CODE[unit]}", "duration", True)


def _r_duration(m, a, future):
    unit = UNITS[m.group("unit")]
    n = _number(m.group("n")) if m.group("n") else None
    code = DURATION_CODE[unit]
    if unit in ("hour", "minute"):
        code = "T" + code
    return _result(f"P{n if n is not None else 'X'}{code}", "duration", False)


def _r_rel_year(m, a, future):
    return _year(_relative_year(m.group("yrel"), a), False) if a else None


def _r_fiscal(m, a, future):
    return _year(_year_of(m.group("y"), a), False)


def _compile() -> list[tuple[re.Pattern, Any]]:
    MON = _alt("month")
    WD = _alt("weekday")
    SEASON = _alt("season")
    ORD = _alt("ordinal")
    NUM = r"\d+|" + _alt("number")
    UNIT = "|".join(sorted(UNITS, key=len, reverse=True))
    REL = "|".join(re.escape(k) for k in sorted(_SHIFT, key=len, reverse=True))
    YEAR = r"(?P<year>\d{4}|'\d\d)"
    YREL = r"(?:(?:of )?(?P<yrel>last|this|next) year)"
    PART = r"(?: (?:morning|afternoon|evening|night|noon|midday))?"
    rules = [
        (r"(?:the day (?P<before>before|after) )?(?P<w>today|tonight|yesterday|tomorrow)" + PART, _r_dayword),
        (r"this (?:morning|afternoon|evening)|(?:earlier|later) today", _r_thispart),
        (r"(\d{4})-(\d\d)(?:-(\d\d))?", _r_iso),
        (r"(?:at )?(?P<h>\d{1,2})(?:[:.](?P<m>\d\d))? ?(?P<ap>am|pm)?(?: (?:local time|gmt|utc|bst|cet|et|est|edt|pt))?", _r_clock),
        (r"(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?", _r_numeric),
        (rf"(?:(?:{WD}),? )?(?:(?P<rel>last|this|next|coming|past) )?(?P<mon>{MON}) (?P<day>\d{{1,2}})(?:st|nd|rd|th)?"
         rf"(?:,? {YEAR}|,? {YREL})?" + PART, _r_month_day),
        (rf"(?:(?:{WD}),? )?(?:the )?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? (?P<rel>)?(?P<mon>{MON})"
         rf"(?:,? {YEAR}|,? {YREL})?", _r_month_day),
        (rf"(?:(?P<rel>last|this|next|coming|past|the previous|the following) )?(?P<mon>{MON})(?:,? (?:of )?{YEAR}|,? {YREL})?", _r_month),
        (rf"(?:(?P<rel>last|this|next|coming|past|previous|the previous|the following|following|this past) )?(?P<wd>{WD})"
         + PART, _r_weekday),
        (r"(?:(?:the )?(?:fiscal|calendar|financial|model|crop|school|tax)(?: year)? |fy ?|the year |the )?(?P<y>\d{4}|'\d\d)(?: period| results| season)?", _r_year),
        (r"(?:the )?(?:'(?P<y2>\d)0|(?P<y>\d{3})0)s", _r_decade),
        (r"(?:the )?(\d{1,2})(?:st|nd|rd|th) century", _r_century),
        (rf"(?:the |its |(?P<yrel>last|this|next) year(?:'s)? |the (?P<year>\d{{4}}) |the year-(?P<ago>ago|earlier) )?"
         rf"(?:fiscal[- ])?(?P<q>{ORD}|[1-4])(?:-| )(?:fiscal )?(?:quarter|period)"
         rf"(?:(?: of|,)? (?P<year2>\d{{4}})| (?:of )?(?P<yrel2>last|this|next) year)?", _r_quarter),
        (rf"q(?P<q>[1-4])(?: {YEAR})?", _r_quarter),
        (r"(?:the |its )?(?:latest|most recent|last reported|reported)? ?(?:fiscal )?(?:quarter|period)", _r_reported_quarter),
        (r"(?:the |a )?year(?:-| )(?:ago|earlier)(?: period| quarter| level| results| figure)?", _r_year_ago),
        (r"(?:the )?(?:full|current|current fiscal|fiscal|calendar|whole|entire) year|(?:the )?year(?:'s|-| )end", _r_this_year),
        (rf"(?:the )?(?P<h>first|second|1st|2nd)(?:-| )half(?:(?: of)? {YEAR}| (?:of )?(?P<yrel>last|this|next) year)?", _r_half),
        (rf"(?:(?P<rel>this|last|next|past|coming|the) )?(?P<s>{SEASON})(?:(?: of)? {YEAR}| (?:of )?(?P<yrel>last|this|next) year)?", _r_season),
        (rf"(?P<yrel>last|this|next) year", _r_rel_year),
        (rf"(?P<rel>{REL}) (?P<unit>{UNIT})", _r_unit),
        (rf"(?:about |some |nearly |almost |more than |over )?(?P<n>{NUM})? ?(?P<unit>{UNIT}) (?:ago|earlier|before|back|previously)", _r_ago),
        (rf"(?:in |within )(?:a matter of )?(?P<unit>{UNIT})", _r_vague_ahead),
        (rf"(?:in |within )(?:about |some |the next )?(?P<n>{NUM}) (?P<unit>{UNIT})(?: time)?", _r_ahead),
        (rf"(?P<n>{NUM})? ?(?P<unit>{UNIT}) (?:from now|later|hence|ahead)", _r_ahead),
        (rf"(?:about |some |nearly |almost |more than |over |the past |the last |the next |the first )?(?P<n>{NUM})[ -](?P<unit>{UNIT})", _r_duration),
        (rf"(?:many |several |some |a few |a couple of |for )?(?P<n>)(?P<unit>years|months|weeks|days|decades|hours)",
         _r_duration),  # "years", "for decades": a stretch of unknown length
    ]
    return [(re.compile(pattern), handler) for pattern, handler in rules]


RULES = _compile()


# --- dateparser fallback ----------------------------------------------------------------------

_PERIOD = {"day": "day", "week": "week", "month": "month", "year": "year", "time": "day"}


def _dateparser(text: str, anchor: date | None) -> dict[str, Any] | None:
    """dateparser's reading, formatted at the granularity it reports (always a guess)."""
    parsed = dateparser_value(text, anchor)
    if parsed is not None:
        parsed["guess"] = True
    return parsed


@lru_cache(maxsize=4)
def _ddp():
    import dateparser

    return dateparser.date.DateDataParser(languages=["en"])


def dateparser_value(text: str, anchor: date | None) -> dict[str, Any] | None:
    """dateparser alone (the baseline the bench prints): value at the period it reports."""
    settings = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
    if anchor is not None:
        settings["RELATIVE_BASE"] = datetime(anchor.year, anchor.month, anchor.day, 12)
    try:
        import dateparser

        data = dateparser.date.DateDataParser(languages=["en"], settings=settings).get_date_data(text)
    except Exception:  # dateparser raises on odd input; the fallback must not crash the pipeline
        return None
    if data is None or data.date_obj is None:
        return None
    d, period = data.date_obj, _PERIOD.get(data.period or "day", "day")
    if period == "year":
        return _year(d.year, False)
    if period == "month":
        return _month(d.year, d.month, False)
    if period == "week":
        return _week(d.date(), False)
    return _day(d.date(), False)


# --- spans in a parsed document ---------------------------------------------------------------

# Words that put a sentence in the future. Past forms ("was scheduled to",
# "announced plans to") are left out on purpose: they speak of the past.
_FUTURE_CUES = re.compile(r"\b(?:will|'ll|shall|next|upcoming|(?:is|are|'s|'re) (?:scheduled|due|set|expected|going) to)\b",
                          re.I)
# A comparison with "a year ago" in a sentence about a quarter means that quarter a year ago
# ("third-quarter profit rose from a year ago"): results stories compare like with like.
_YEAR_AGO = re.compile(r"(?:the |a )?year(?:-| )(?:ago|earlier)(?: period| quarter| level| results)?|"
                       r"the corresponding period (?:of )?last year|(?:for )?the quarter a year (?:ago|earlier)")
_QUARTER_IN_CONTEXT = re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)(?:-| )(?:fiscal )?quarter\b")


_QUARTER_WORD = re.compile(r"\bquarter(?:ly)?\b")
_THE_QUARTER = re.compile(r"(?:the |its )?(?:latest |most recent |current )?(?:quarter|period)")


def _quarter_from_context(t: str, anchor: date, context: str) -> dict[str, Any] | None:
    """"a year ago" / "the latest period" in a sentence naming a quarter: that quarter."""
    ago = bool(_YEAR_AGO.fullmatch(t))
    if not ago and not _THE_QUARTER.fullmatch(t):
        return None
    found = _QUARTER_IN_CONTEXT.findall(context.lower())
    if found:
        q = int(_words()["ordinal"][found[-1]])
        year = anchor.year - 1 if ago or q > (anchor.month - 1) // 3 + 1 else anchor.year
        return _result(f"{year:04d}-Q{q}", "quarter", True)
    if ago and ("quarter" in t or _QUARTER_WORD.search(context.lower())):
        # "the year-ago quarter", or "a year ago" in a sentence about "the quarter": the last
        # quarter completed, a year before
        y, mo = _add_months(anchor.year - 1, (anchor.month - 1) // 3 * 3 + 1, -3)
        return _result(f"{y:04d}-Q{(mo - 1) // 3 + 1}", "quarter", True)
    return None


def points_ahead(sentence: str) -> bool:
    """True when a sentence speaks of the future ("will meet on Friday"), so a
    bare weekday or month in it is read forward."""
    return bool(_FUTURE_CUES.search(sentence))


def _extra_spans(text: str) -> list[tuple[int, int]]:
    """Spans spaCy's NER tends to miss: vague stretches ahead ("in weeks")."""
    pattern = re.compile(r"\b(?:in|within) (?:a matter of )?(?:days|weeks|months|years)\b", re.I)
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def extract_dates(doc, published: str | None) -> list[Annotation]:
    """Date and time expressions in a spaCy Doc, normalised against ``published``.

    Spans are spaCy's DATE/TIME entities plus a few patterns of our own; an
    entity that cannot be normalised is kept out (nothing is invented).
    """
    full = doc.text  # Doc.text joins every token: read it once, slice the string
    sentences = _Sentences(doc) if doc.has_annotation("SENT_START") else None
    spans: list[tuple[int, int, Any]] = []
    for ent in doc.ents:
        if ent.label_ in ENTITY_LABELS:
            spans.append((ent.start_char, ent.end_char, sentences.around(ent.start, ent.end) if sentences else None))
    for s, e in _extra_spans(full):
        spans = [x for x in spans if not (s <= x[0] and x[1] <= e)]  # "weeks" inside "in weeks"
        if not any(s < e2 and s2 < e for s2, e2, _ in spans):
            span = doc.char_span(s, e, alignment_mode="expand")
            spans.append((s, e, sentences.around(span.start, span.end) if span is not None and sentences else None))
    out: list[Annotation] = []
    for s, e, sent in sorted(spans, key=lambda x: x[0]):
        text = full[s:e]
        context = None
        ahead = False
        if sent is not None:  # the sentence and the one before it
            start, end, prev = sent
            sent_text = full[start:end]
            context = (full[prev[0]:prev[1]] + " " if prev is not None else "") + sent_text
            ahead = points_ahead(sent_text)
        value = normalize_date(text, published, future=ahead, context=context)
        if value is None:
            continue
        out.append(Annotation(kind="date", start=s, end=e, text=text, label=value["granularity"], value=value))
    return out


class _Sentences:
    """Character ranges of a Doc's sentences, found once (``Span.sent`` walks the tokens on
    every call). ``around`` gives what ``doc[start:end].sent`` and the sentence before it
    cover: from the start of the sentence holding token ``start`` to the end of the one
    holding token ``end - 1``."""

    def __init__(self, doc) -> None:
        sents = list(doc.sents)
        self.first_tokens = [s.start for s in sents]
        self.chars = [(s.start_char, s.end_char) for s in sents]

    def around(self, start: int, end: int):
        from bisect import bisect_right

        i = bisect_right(self.first_tokens, start) - 1
        j = max(i, bisect_right(self.first_tokens, max(start, end - 1)) - 1)
        prev = self.chars[i - 1] if i > 0 else None
        return self.chars[i][0], self.chars[j][1], prev
