"""What distinguishes one event from another, extracted from one article.

A :class:`StoryDoc` is the only input the grouper sees: the article's id, outlet and date,
its headline, and bags of features in five channels, each key carrying a one-character
prefix so one sparse vector can hold them all:

==========  ======  ==========================================================
channel     prefix  from annotations / text-only fallback
==========  ======  ==========================================================
words       (none)  lower-cased content words, light plural stemming
entities    ``@``   entity keys and name tokens / capitalised tokens mid-sentence
places      ``#``   place names and countries / (none: entities cover them)
dates       ``~``   normalised date values / years and "Month day"
figures     ``=``   figure values / numbers that are not years
title       ``!``   headline content words, once each (weight 0 in the cosine mode; a channel
                    of its own for the learned per-channel score)
==========  ======  ==========================================================

Two sets beside the bag feed the conflict terms of the learned score: ``years`` (four-digit
years written in the headline or text) and ``persons`` (surnames of PERSON annotations; empty
without annotations: text-only capitals are not known to be persons).

Annotations are the dicts stored by the annotate stage (``store.get_annotations``); when an
article has none, the text-only fallback still separates "the earthquake in Chile" from
"the earthquake in Peru" by their capitalised names, years and figures.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from sys import intern
from typing import Any

from storyline.stories import fast

WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|\d+(?:[.,:]\d+)*")
# a token starts a sentence when only quotes/brackets/space separate it from one of these
SENTENCE_END_CHARS = ".!?:;\n\"“”'‘’([—–-|"
SENTENCE_END = frozenset(SENTENCE_END_CHARS)
MONTHS = {
    m: i
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")],
        start=1,
    )
    for m in names
}
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
YEAR_RE = re.compile(r"(?:19|20)\d\d")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The stop-word list shipped beside this module (comments and blank lines skipped)."""
    text = resources.files(__package__).joinpath("stopwords.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@dataclass(slots=True)
class StoryDoc:
    """One article (or live-blog entry) as the grouper sees it.

    ``day`` is the publication date as a proleptic ordinal (``date.toordinal()``) or None.
    ``features`` maps channel-prefixed keys to raw counts (title words counted twice);
    ``names`` maps entity feature keys back to a display name for explanations.
    ``body`` is the normalised body text used for duplicate detection; a doc read back from
    its stored feature bag has an empty body and carries the duplicate index's ``signature``
    (``stories.dedup.Signature``) instead.
    """

    article_id: Any
    outlet: str
    day: int | None
    title: str
    features: dict[str, float]
    body: str = ""
    names: dict[str, str] = field(default_factory=dict)
    years: frozenset = frozenset()
    persons: frozenset = frozenset()
    # live-blog entries: the page-theme features damped in ``features`` (display names, most
    # shared first; ``stories.persist.damp_page_theme``), for the explanation
    theme: tuple = ()
    signature: Any = None

    @property
    def published(self) -> str | None:
        return day_to_iso(self.day)


def parse_day(published: str | None) -> int | None:
    """``YYYY-MM-DD[...]`` -> ordinal day, None when absent or unreadable."""
    if not published or len(published) < 10:
        return None
    try:
        return _dt.date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


def day_to_iso(day: int | None) -> str | None:
    return _dt.date.fromordinal(day).isoformat() if day is not None else None


def stem(word: str) -> str:
    """Very light stemming: possessives and regular plurals (enough to join 'quakes'/'quake')."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _number_key(tok: str) -> str | None:
    """Normalise a number token ('1,300' -> '1300'); years and tiny numbers are not figures."""
    t = tok.replace(",", "")
    if ":" in t:
        return None  # a clock time
    try:
        v = float(t)
    except ValueError:
        return None
    if v < 2 and "." not in t:
        return None
    return f"={v:g}"


@lru_cache(maxsize=1)
def _word_freqs() -> dict[str, float]:
    """wordfreq's English frequencies (empty without wordfreq)."""
    try:
        import wordfreq
    except ImportError:
        return {}
    return wordfreq.get_frequency_dict("en")


def name_key(word: str) -> str:
    """The key of a name in the entities channel: one key for the spellings of a rare name.

    Outlets transliterate and spell names differently ("Zelensky", "Zelenskyy", "Zelenskiy";
    "Gaddafi", "Gadafi"). A name rarer than ``[features] name_variant_freq`` in wordfreq's
    English frequencies loses its accents and doubled letters, and an "iy"/"yy"/"ij" ending
    becomes "y". Common words ("committee", "Russell") keep their spelling, so no two ordinary
    words meet. Without wordfreq every name is rare. Called once per distinct token: ``_token``
    keeps the entity key in its cache."""
    if _word_freqs().get(word, 0.0) >= options()["name_variant_freq"]:
        return word
    w = unicodedata.normalize("NFKD", word)
    w = "".join(c for c in w if not unicodedata.combining(c))
    w = _DOUBLED.sub(r"\1", w)
    return _VARIANT_END.sub("y", w)


_DOUBLED = re.compile(r"(.)\1+")
_VARIANT_END = re.compile(r"(?:iy|yy|yi|ij|ii)$")


# token -> (word key or None, month or None, capitalised, title-case, entity key or None)
_TOKENS: dict[str, tuple] = {}


_ONE_NAME = re.compile(r"[\w.'’-]+(?: [\w.'’-]+)*")


@lru_cache(maxsize=200_000)
def _name_keys(full: str) -> tuple[str, ...]:
    """The entity keys of the words of an annotated name, which a display name may stand for;
    none when it is not one name: a lower-case word, or a span of two names ("Lugo and
    Cotignola", "Lugo, Cotignola"). Names recur across articles: cached."""
    words = WORD_RE.findall(full)
    if not all(w[0].isupper() for w in words) or not _ONE_NAME.fullmatch(full):
        return ()
    return tuple(_token(tok)[4] or "@" for tok in words)


def _token(tok: str) -> tuple:
    info = _TOKENS.get(tok)
    if info is None:
        if len(_TOKENS) > 400_000:
            _TOKENS.clear()
        low = tok.lower()
        month = MONTHS.get(low.rstrip(".")) if len(low) >= 3 else None
        keep = not (low in stopwords() or len(low) < 3 or low in WEEKDAYS)
        w = stem(low) if keep else None
        cap = tok[0].isupper()
        info = _TOKENS[tok] = (w, month, cap, tok.istitle() and not tok.isupper(),
                               "@" + name_key(w) if w is not None and cap else None)
    return info


@lru_cache(maxsize=1)
def options() -> dict[str, float]:
    """The ``[features]`` table of settings.toml (title weight, how annotations count)."""
    import tomllib

    data = tomllib.loads(resources.files(__package__).joinpath("settings.toml").read_text("utf-8"))
    return {"title_weight": 2.0, "name_tokens": 0.5, "country": 0.5, "name_words": 1.0, "lead_chars": 0.0,
            "headline_min_words": 0.0, "name_variant_freq": 0.0,
            **{k: float(v) for k, v in data.get("features", {}).items()}}


def title_weight() -> float:
    """How many times a headline word counts (``[features] title_weight`` in settings.toml)."""
    return options()["title_weight"]


def _headline_words(title: str) -> int:
    """Content words of a headline (not numbers, months, weekdays or stop words)."""
    n = 0
    for tok in WORD_RE.findall(title):
        if not tok[0].isdecimal():
            w, month, _, _, _ = _token(tok)
            if w is not None and month is None:
                n += 1
    return n


def text_features(title: str, text: str, *, with_entities: bool = True,
                  title_w: float | None = None) -> tuple[Counter, dict[str, str]]:
    """Bag of channel-prefixed features from plain text (the fallback without annotations).

    Headline words count ``title_w`` times (default: :func:`title_weight`).
    """
    feats, names, _ = _text_features(title, text, with_entities=with_entities, title_w=title_w)
    return feats, names


def _day_number(tok: str) -> int:
    """The day of the month a number token can be (1-31), else 0. Tokens of more than nine
    characters are no day ("0000000012"), and ``int`` is not asked to read thousands of digits."""
    if len(tok) > 9 or not tok.isdigit():
        return 0
    v = int(tok)
    return v if 1 <= v <= 31 else 0


def _text_features(title: str, text: str, *, with_entities: bool = True,
                   title_w: float | None = None) -> tuple[Counter, dict[str, str], str]:
    """:func:`text_features` and :func:`normalise_body` of ``text`` from one pass of the tokeniser.

    The loop runs compiled (``_speedups.text_features``, the tokens found by hand) when built,
    else as :func:`_py_text_features`; the two give the same features in the same key order."""
    tw = title_weight() if title_w is None else title_w
    opt = options()
    if tw != 1.0 and opt["headline_min_words"] and _headline_words(title) < opt["headline_min_words"]:
        tw = 1.0  # a dateline or time stamp extracted as the headline ("MONDAY, MAY 23, 2005")
    if fast.text_features is not None:
        feats, names, body = fast.text_features(title, text, tw, with_entities, int(opt["lead_chars"]),
                                                 _TOKENS, _token, _number_key, SENTENCE_END_CHARS)
        return Counter(feats), names, body
    return _py_text_features(title, text, tw, with_entities)


def _py_text_features(title: str, text: str, tw: float, with_entities: bool) -> tuple[Counter, dict[str, str], str]:
    """The pure-Python loop of :func:`_text_features` (headline words count ``tw`` times)."""
    body_tokens: list[str] = []
    token_info = _TOKENS.get
    feats: dict[str, float] = {}  # a plain dict: Counter's __missing__ is a Python call per new key
    get = feats.get
    names: dict[str, str] = {}
    lead_chars = int(options()["lead_chars"])
    lead_end = len(title) + 1 + lead_chars  # offsets over title + "\n" + text
    offset = 0
    for is_title, weight, chunk in ((True, tw, title), (False, 1.0, text)):
        in_lead_end = lead_end - offset
        offset += len(chunk) + 1
        prev_month: int | None = None
        prev_day: tuple[int, str | None] | None = None  # "12 March": the day, and its figure key
        for m in WORD_RE.finditer(chunk):
            tok = m.group()
            if not is_title:
                body_tokens.append(tok)
            if tok[0].isdecimal():  # WORD_RE's \d: "²" and "①" are letters to it, and no number
                prev_day = None
                if YEAR_RE.fullmatch(tok):
                    k = "~" + tok
                    feats[k] = get(k, 0) + weight
                    if lead_chars and m.start() < in_lead_end:
                        feats["^~" + tok] = 1.0
                else:
                    day = _day_number(tok)
                    if prev_month is not None and day:
                        k = f"~{prev_month:02d}-{day:02d}"
                        feats[k] = get(k, 0) + weight
                    else:
                        key = _number_key(tok)
                        if key:
                            feats[key] = get(key, 0) + weight
                        if day:
                            prev_day = (day, key)
                prev_month = None
                continue
            w, prev_month, cap, titlecase, ekey = token_info(tok) or _token(tok)  # the cache, without a call
            if prev_month is not None and prev_day is not None:
                day, key = prev_day
                k = f"~{prev_month:02d}-{day:02d}"
                feats[k] = get(k, 0) + weight
                if key:  # the day number was not a figure after all
                    feats[key] = get(key, 0) - weight
                    if feats[key] <= 0:
                        del feats[key]
                prev_month = None
            prev_day = None
            if w is None:
                continue
            feats[w] = get(w, 0) + weight
            if is_title:
                feats["!" + w] = 1.0
            if cap and prev_month is None and (weight == 1.0 or not titlecase) and (
                    with_entities or (lead_chars and m.start() < in_lead_end)):
                # mid-sentence capitals are names; headline case and sentence starts are not
                i = m.start() - 1
                while i >= 0 and chunk[i] == " ":
                    i -= 1
                if i >= 0 and chunk[i] not in SENTENCE_END:
                    key = ekey
                    if with_entities:
                        feats[key] = get(key, 0) + weight
                        names.setdefault(key, tok)
                    if lead_chars and m.start() < in_lead_end:
                        feats["^" + key] = 1.0
                        names.setdefault("^" + key, tok)
    return Counter(feats), names, " ".join(body_tokens).lower()


def annotation_features(annotations: list[dict[str, Any]]) -> tuple[Counter, dict[str, str]]:
    """Entity, place, date and figure features from stored annotation dicts.

    ``names`` also maps ``"w:" + stem`` for every word of an entity or place name (the
    caller can then drop those words from the word channel: one name, one feature).
    """
    opt = options()
    name_tok_w, country_w = opt["name_tokens"], opt["country"]
    feats: Counter = Counter()
    names: dict[str, str] = {}
    for a in annotations:
        kind = a.get("kind")
        value = a.get("value") or {}
        if kind == "entity":
            name = value.get("name") or a.get("text") or ""
            ekey = str(value.get("key") or name).lower()
            if not ekey:
                continue
            if a.get("label") == "PERSON":
                toks = WORD_RE.findall(name.lower())
                if toks and len(toks[-1]) >= 3:
                    names["p:" + stem(toks[-1])] = name
            key = "@" + ekey
            feats[key] += 1.0
            names.setdefault(key, name)
            # name tokens match short mentions ("Lohan" vs "Lindsay Lohan") across articles
            for tok in WORD_RE.findall(name):
                low = stem(tok.lower())
                if len(low) >= 3 and low not in stopwords():
                    names["w:" + low] = tok
                    if name_tok_w and "@" + low != key:
                        feats["@" + low] += name_tok_w
                        names.setdefault("@" + low, tok)
        elif kind == "place":
            name = (value.get("name") or a.get("text") or "").lower()
            if name:
                feats["#" + name] += 1.0
                names.setdefault("#" + name, value.get("name") or a.get("text"))
                for tok in WORD_RE.findall(name):
                    names["w:" + stem(tok)] = tok
            country = value.get("country")
            if country_w and country and str(country).lower() != name:
                feats["#" + str(country).lower()] += country_w
        elif kind == "date":
            v = str(value.get("value") or "")
            if v and v[:1].isdigit():
                feats["~" + v] += 1.0
                if len(v) >= 7:
                    feats["~" + v[:4]] += 0.5
        elif kind == "figure":
            v = value.get("value")
            if isinstance(v, (int, float)):
                unit = value.get("unit") or ""
                feats[f"={v:g}{(' ' + unit) if unit else ''}"] += 1.0
    return feats, names


def normalise_body(text: str) -> str:
    """Lower-cased words joined by single spaces: the text duplicate detection compares.

    The words are found before lower-casing ("İstanbul" stays one word; lower-casing first split
    it at the dot that "İ" becomes); on all 2,057 texts of ../shared the two ways agree."""
    return " ".join(WORD_RE.findall(text)).lower()


def build_doc(
    article_id: Any,
    title: str,
    text: str,
    outlet: str = "",
    published: str | None = None,
    annotations: list[dict[str, Any]] | None = None,
    stamps: list[str] | tuple[str, ...] = (),
    display: list[str] | tuple[str, ...] | None = None,
) -> StoryDoc:
    """A StoryDoc from an article's fields and (optionally) its stored annotations.

    With annotations, entities/places/dates/figures come from them and the words from the
    text; without, the text-only fallback supplies all five channels. ``stamps`` are the time
    stamp lines the cleaning stage removed ("AUGUST 2, 2013 | 08:06AM PT"): not story text,
    but the dates they print (years, month and day) count in the dates channel and the years.
    ``display`` are the names of the article's entity and place annotations, in text order,
    used for display only (grouping on text features, ``[grouping] use_annotations = false``):
    a capitalised word of an annotated name is shown as the whole name ("@ferretti" as "Giulia
    Ferretti") in explanations. A name given twice changes nothing the second time.
    """
    ann = [a for a in (annotations or []) if a.get("kind") in ("entity", "place", "date", "figure")]
    feats, names, body = _text_features(title or "", text or "", with_entities=not ann)
    if stamps:
        dated, _, _ = _text_features("", "\n".join(stamps), with_entities=False)
        for k, v in dated.items():
            if k[0] == "~":
                feats[k] += v
    years = frozenset(f[1:] for f in feats if f[0] == "~" and len(f) == 5)
    if display and not ann:
        for full in display:
            for key in _name_keys(full):
                if key in names and len(full) > len(names[key]):
                    names[key] = full
    persons: frozenset = frozenset()
    if ann:
        afeats, anames = annotation_features(ann)
        name_words = options()["name_words"]
        if name_words != 1.0:  # words of names are already counted as entities and places
            for k in [k for k in anames if k.startswith("w:")]:
                w = k[2:]
                if w in feats:
                    if name_words:
                        feats[w] *= name_words
                    else:
                        del feats[w]
        feats.update(afeats)
        persons = frozenset(k[2:] for k in anames if k.startswith("p:"))
        names.update({k: v for k, v in anames.items() if not k.startswith(("w:", "p:"))})
    return StoryDoc(
        article_id=article_id,
        outlet=outlet or "",
        day=parse_day(published),
        title=(title or "").strip(),
        features=dict(feats),
        body=body,  # == normalise_body(text), from the same pass of the tokeniser
        names=names,
        years=years,
        persons=persons,
    )


def doc_from_article(article: dict[str, Any], annotations: list[dict[str, Any]] | None = None,
                     stamps: list[str] | tuple[str, ...] = (),
                     display: list[str] | tuple[str, ...] | None = None) -> StoryDoc:
    """A StoryDoc from a stored article row (``store.get_article``), its annotations (or its
    annotated names, for display only), and the time stamp lines cleaning removed from it."""
    text = article.get("clean_text") or article.get("text") or ""
    return build_doc(article["id"], article.get("title") or "", text, article.get("outlet") or "",
                     article.get("published"), annotations, stamps, display)


@lru_cache(maxsize=2)
def features_version(annotations: bool) -> str:
    """What a stored feature bag was computed with (``doc_to_cache``): this module's code, the
    stop words, the ``[features]`` settings, wordfreq's version and whether annotations count.
    A bag stored under another key is computed again."""
    import hashlib
    from importlib import metadata
    from pathlib import Path

    h = hashlib.blake2b(digest_size=10)
    h.update(Path(__file__).read_bytes())
    h.update(Path(__file__).with_name("dedup.py").read_bytes())  # the stored duplicate signature
    h.update(resources.files(__package__).joinpath("stopwords.txt").read_bytes())
    h.update(json.dumps(options(), sort_keys=True).encode())
    try:
        h.update(metadata.version("wordfreq").encode())
    except metadata.PackageNotFoundError:
        h.update(b"no wordfreq")
    h.update(b"annotations" if annotations else b"text")
    return h.hexdigest()


def doc_to_cache(doc: StoryDoc) -> str:
    """The part of a StoryDoc that takes the tokeniser and the annotations to compute (features
    in their order, names, years, persons) and the duplicate index's signature of its body, as
    JSON: :func:`doc_from_cache` reads it back, without the text."""
    from storyline.stories.dedup import signature

    sig = doc.signature if doc.signature is not None else signature(doc.body)
    return json.dumps({"f": doc.features, "n": doc.names, "y": sorted(doc.years), "p": sorted(doc.persons),
                       "d": sig.to_json()}, ensure_ascii=False, separators=(",", ":"))


def doc_from_cache(article: dict[str, Any], cached: str) -> StoryDoc:
    """:func:`doc_from_article` from a stored article row (id, title, outlet, published: no
    text needed) and its :func:`doc_to_cache` JSON: the same StoryDoc, with the body's signature
    in place of the body."""
    from storyline.stories.dedup import Signature

    c = json.loads(cached)
    return StoryDoc(
        article_id=article["id"],
        outlet=article.get("outlet") or "",
        day=parse_day(article.get("published")),
        title=(article.get("title") or "").strip(),
        features={intern(k): v for k, v in c["f"].items()},
        names=c["n"],
        years=frozenset(c["y"]),
        persons=frozenset(c["p"]),
        signature=Signature.from_json(c["d"]),
    )


def doc_from_record(row: dict[str, Any], annotations: list[dict[str, Any]] | None = None) -> StoryDoc:
    """A StoryDoc from one labelled JSONL row (``id, title, text, published, source``)."""
    return build_doc(row["id"], row.get("title") or "", row.get("text") or "", row.get("source") or "",
                     row.get("published"), annotations)
