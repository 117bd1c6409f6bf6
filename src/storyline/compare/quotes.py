"""Quotes: find them when the annotator has not, and group one quote across outlets.

A quote group holds the versions of one statement as each outlet printed it:
worded differently, translated differently, cut shorter or longer. Versions
are compared sentence by sentence (a quote span is cut at sentence ends), so
a statement quoted in full by one outlet and in part by another still lines
up. Two versions join when they have the same speaker and moderately similar
words, or any speakers and very similar words -- the second case is how a
quote put in another person's mouth is caught (``speaker_conflict``).
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from storyline.compare.text import HERE, Span, norm_word, sentences, words

TITLES = {
    "mr", "mrs", "ms", "dr", "prof", "president", "prime", "minister", "mayor", "governor", "chancellor",
    "senator", "sen", "general", "gen", "chief", "commander", "spokesman", "spokeswoman", "spokesperson",
    "secretary", "director", "judge", "captain", "inspector", "superintendent", "professor", "sir", "dame",
    "king", "queen", "pope", "councillor", "councilor", "deputy", "ceo", "chair", "chairman", "chairwoman",
    "coach", "officer", "sheriff", "premier", "foreign", "defence", "defense", "interior", "finance",
    "health", "state", "head", "leader", "boss", "manager", "ambassador", "envoy", "colonel", "major",
}
_NOT_NAMES = {
    "the", "a", "an", "it", "this", "that", "these", "those", "he", "she", "they", "we", "i", "you", "his",
    "her", "their", "our", "in", "on", "at", "but", "and", "or", "if", "when", "after", "before", "as",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "earlier", "later",
    "here", "there", "taking", "speaking", "breaking", "meanwhile", "however", "today", "yesterday",
}
_PRONOUN = r"(?:he|she|they|it|the [a-z]+(?: [a-z]+)?|his [a-z]+|her [a-z]+)"
_ROLE = r"(?:the\s+)?(?:(?!(?:by|to|a|an|of|in|on|at|from|for|with|and)\b)[a-z]+\s+){0,2}?"  # "said union leader X"
_NAME = r"[A-Z][\w'’\-]*(?:\s+(?:de|van|von|da|del|al|bin|le|la)?\s*[A-Z][\w'’\-]*)*"


@lru_cache(maxsize=1)
def _cue_pattern() -> str:
    cues = [line.strip() for line in (HERE / "cues.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return "|".join(sorted((re.escape(c) for c in cues), key=len, reverse=True))


@dataclass(slots=True)
class Quote:
    """One quote (content span) in one member, with its speaker if known."""

    start: int
    end: int
    text: str
    speaker: str | None
    speaker_key: str | None
    speaker_span: tuple[int, int] | None = None
    raw_key: str | None = None  # the annotator's speaker key (e.g. "person:..."), if any


@dataclass(slots=True)
class QuoteUnit:
    """One sentence (or fragment) of a quote: what the grouping compares."""

    member: int
    span: Span
    speaker: str | None
    speaker_key: str | None
    words: list[str] = field(default_factory=list)
    quote: int = 0  # which quote of the member it is cut from


def name_key(name: str | None) -> str | None:
    """A comparable key for a person's name: the last name, lower-cased (Zelenskyy -> zelensky)."""
    if not name:
        return None
    toks = [t for t in re.findall(r"[\w'’\-]+", name) if t.lower() not in TITLES]
    if not toks:
        return None
    last = fold(toks[-1]).replace("’", "'")
    if last.endswith("'s"):
        last = last[:-2]
    if len(last) > 3 and last[-1] == last[-2]:
        last = last[:-1]
    return last


_FOLD = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "ß": "ss", "đ": "d", "ı": "i", "þ": "th"})


def fold(name: str) -> str:
    """Lower-case ASCII form of a name: Kjærgaard -> kjaergaard, Wójcik -> wojcik."""
    decomposed = unicodedata.normalize("NFKD", name.lower().translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def same_speaker(a: str | None, b: str | None, ratio: float) -> bool:
    return bool(a and b and (a == b or fuzz.ratio(a, b) >= ratio))


def strip_title(name: str) -> str:
    toks = name.split()
    while len(toks) > 1 and toks[0].lower().rstrip(".") in TITLES:
        toks = toks[1:]
    return " ".join(toks)


def has_cue(text: str) -> bool:
    """Whether ``text`` contains a reporting verb ("said", "told", "according to")."""
    return re.search(rf"\b(?:{_cue_pattern()})\b", text, re.IGNORECASE) is not None


# ------------------------------------------------------------------ fallback finder

_OPEN_CLOSE = {"“": "”", "‘": "’", '"': '"', "«": "»"}


def find_quotes(text: str) -> list[Quote]:
    """Quoted passages in ``text`` with a best-effort speaker.

    Handles curly and straight double quotes, single curly quotes at word
    starts, and the news convention of a quote running over several
    paragraphs (each opened, only the last closed). Speaker, in order: a name
    next to a reporting verb in the quote's paragraph ("X said", "said X");
    for a pronoun or a role ("he said", "the minister added") or no
    attribution at all, the quote before it in the same passage, else the
    person the text has named with reporting verbs most often so far.
    """
    quotes: list[Quote] = []
    named: dict[str, int] = {}  # speaker key -> times named with a reporting verb
    latest: dict[str, tuple[str, tuple[int, int]]] = {}
    pos = 0
    prev_par_quote: Quote | None = None
    for par in text.split("\n"):
        pstart, pos = pos, pos + len(par) + 1
        found = [(pstart + a, pstart + b) for a, b in _quoted_spans(par)]
        par_quotes = []
        for s, e in found:
            inner = text[s:e]
            if len(words(inner)) < 2:
                continue
            who = _attribution(text, s, e)
            if who is None and prev_par_quote is not None and s - pstart <= 1 and prev_par_quote.speaker:
                who = (prev_par_quote.speaker, prev_par_quote.speaker_span)
            if who is None and named:
                key = max(named, key=lambda k: (named[k], latest[k][1][0]))
                who = latest[key]
            q = Quote(s, e, inner, who[0] if who else None, name_key(who[0]) if who else None,
                      who[1] if who else None)
            par_quotes.append(q)
        outside = _outside(par, [(a - pstart, b - pstart) for a, b in found])
        for name, off in _named_speakers(outside):
            key = name_key(name)
            named[key] = named.get(key, 0) + 1
            latest[key] = (name, (pstart + off, pstart + off + len(name)))
        quotes.extend(par_quotes)
        opened = par.strip() and par.lstrip()[0] in "“\"‘'«"
        prev_par_quote = par_quotes[-1] if par_quotes and opened else None
    return quotes


def _outside(par: str, spans: list[tuple[int, int]]) -> str:
    """The paragraph with quoted passages blanked out (offsets kept)."""
    chars = list(par)
    for a, b in spans:
        for k in range(max(0, a), min(b, len(chars))):
            chars[k] = " "
    return "".join(chars)


def _named_speakers(text: str) -> list[tuple[str, int]]:
    cues = _cue_pattern()
    out = []
    for m in re.finditer(rf"({_NAME})(?:,[^,]{{1,80}},)?\s+(?:has |had |also )?(?:{cues})\b|(?:{cues})\s+{_ROLE}({_NAME})", text):
        name = m.group(1) or m.group(2)
        if _is_name(name):
            off = m.start(1) if m.group(1) else m.start(2)
            stripped = strip_title(name)
            out.append((stripped, off + len(name) - len(stripped)))
    return out


def _quoted_spans(par: str) -> list[tuple[int, int]]:
    """Spans (inside the marks) of quoted passages in one paragraph."""
    out = []
    i = 0
    while i < len(par):
        ch = par[i]
        if ch in _OPEN_CLOSE and (ch != "‘" or i == 0 or not par[i - 1].isalnum()) \
                and (ch != '"' or i == 0 or not par[i - 1].isalnum()):
            close = _OPEN_CLOSE[ch]
            j = i + 1
            while j < len(par):
                if par[j] == close and (close != "’" or j + 1 >= len(par) or not par[j + 1].isalpha()):
                    break
                if ch == '"' and par[j] == "”":
                    break
                j += 1
            if ch == "“" and j >= len(par):
                k = par.find('"', i + 1)  # mixed marks: “ ... "
                j = k if k > 0 else j
            end = min(j, len(par))
            inner_s, inner_e = i + 1, end
            while inner_s < inner_e and par[inner_s].isspace():
                inner_s += 1
            while inner_e > inner_s and par[inner_e - 1] in " ,":
                inner_e -= 1
            if inner_e > inner_s:
                out.append((inner_s, inner_e))
            i = end + 1
        else:
            i += 1
    return out


def _attribution(text: str, qs: int, qs_end: int) -> tuple[str, tuple[int, int]] | None:
    """The speaker named next to a reporting verb in the quote's sentence (outside the quote).

    After the quote first ("...,” said X" / "...,” X, the mayor, said"), then
    before it, nearest first ("X said:"). "Name said" is preferred over
    "said Name", and a role between verb and name is skipped ("said union
    leader Tomas Reyle", "Nordbahn spokesman Erik Svane said").
    """
    cues = _cue_pattern()
    line_start = text.rfind("\n", 0, qs) + 1
    line_end = text.find("\n", qs_end)
    line_end = len(text) if line_end < 0 else line_end
    after_end = min(line_end, qs_end + 160)
    stop = re.search(r"[.!?]\s", text[qs_end + 1:after_end])
    if stop:
        after_end = qs_end + 1 + stop.start() + 1
    if text[qs:qs_end].rstrip().endswith((".", "!", "?")):
        after_end = qs_end  # the quote closed its sentence: what follows is another sentence
    pattern = re.compile(rf"({_NAME})(?:,[^,]{{1,80}},)?\s+(?:has |had |also )?(?:{cues})\b|(?:{cues})\s+{_ROLE}({_NAME})")
    for lo, hi, last in ((qs_end + 1, after_end, False), (line_start, max(line_start, qs - 1), True)):
        found = [m for m in pattern.finditer(text, lo, hi) if _is_name(m.group(1) or m.group(2))]
        if not found:
            continue
        subject = [m for m in found if m.group(1)]
        pick = (subject or found)[-1 if last else 0]
        g = 1 if pick.group(1) else 2
        name = pick.group(g)
        stripped = strip_title(name)
        off = pick.start(g) + len(name) - len(stripped)
        return stripped, (off, off + len(stripped))
    return None


def _is_name(name: str) -> bool:
    toks = name.split()
    if not toks or toks[0].lower() in _NOT_NAMES:
        return False
    return any(t.lower() not in TITLES for t in toks)


# ------------------------------------------------------------------------ grouping


def quote_units(member_index: int, text: str, quotes: list[Quote], min_words: int) -> list[QuoteUnit]:
    """Cut each quote at sentence ends; keep pieces with at least ``min_words`` words."""
    sents = sentences(text)
    units = []
    for n, q in enumerate(quotes):
        for s in sents:
            a, b = max(q.start, s.start), min(q.end, s.end)
            if b <= a:
                continue
            piece = text[a:b]
            lead = len(piece) - len(piece.lstrip(" “”\"‘’'«»—-"))
            trail = len(piece.rstrip(" “”\"‘’'«»—-,"))
            if trail <= lead:
                continue
            span = Span(a + lead, a + trail, piece[lead:trail])
            if len(words(span.text)) < min_words:
                continue
            cw = [n for n in (norm_word(w) for _, _, w in words(span.text)) if n]
            units.append(QuoteUnit(member_index, span, q.speaker, q.speaker_key, cw, n))
    return units


def diff_parts(version: str, reference: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Word runs of ``version`` missing from ``reference`` (added) and the reverse (dropped).

    Returned as character spans: added into ``version``, dropped into
    ``reference``. Runs of function words only are ignored.
    """
    va, ra = words(version), words(reference)
    sm = difflib.SequenceMatcher(a=[w.lower() for _, _, w in ra], b=[w.lower() for _, _, w in va], autojunk=False)
    added, dropped = [], []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        # a part, not a change of wording: at least two content words more on one side
        extra_v = sum(1 for _, _, w in va[j1:j2] if norm_word(w)) - sum(1 for _, _, w in ra[i1:i2] if norm_word(w))
        if extra_v >= 2:
            added.append((va[j1][0], va[j2 - 1][1]))
        elif extra_v <= -2:
            dropped.append((ra[i1][0], ra[i2 - 1][1]))
    return added, dropped


def wording_ratio(a: str, b: str) -> float:
    """Share (0-100) of the shorter version's words found, in order, in the other.

    A version cut short of the other scores 100: its words are the same
    wording, and the rest is a part added or dropped.
    """
    wa, wb = [w.lower() for _, _, w in words(a)], [w.lower() for _, _, w in words(b)]
    if not wa or not wb:
        return 0.0
    sm = difflib.SequenceMatcher(a=wa, b=wb, autojunk=False)
    return 100.0 * sum(m.size for m in sm.get_matching_blocks()) / min(len(wa), len(wb))
