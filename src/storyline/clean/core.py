"""The cleaning stage: the story's own paragraphs, and a record of all else.

Order of the passes over the units (lines or paragraphs) of a body:

1. the headline printed again as the first line is dropped;
2. every line rule of rules.toml (first match wins; a rule may take the
   link line after a bare "Read more here:" with it);
3. rules marked ``tail`` over the run of removable lines at the end (and
   a tag or link list under its heading there);
4. the bare repeat of a caption that was removed with its credit, and a
   bare caption right above its credit line;
5. word-for-word repeats of a line printed earlier;
6. live-blog detection and splitting over what is left.

Every removed unit is a ``Removed`` with its reason and the rule that
matched, so nothing is lost. The stage is pure and deterministic.
"""
from __future__ import annotations

import re

from storyline.clean.lines import SENTENCE_END, Unit, html_fragment_to_text, normalise, split_units
from storyline.clean.liveblog import headline_like, split_liveblog
from storyline.clean.markup import html_entries
from storyline.clean.rules import Rule, RuleSet, load_rules
from storyline.records import Article, Cleaned, Removed

_TRAILING = re.compile(r"[\s.!?,;:…\"”’']+$")
_META_KEYS = ("byline", "updated", "credit")
_STAMP_WORDS = re.compile(r"(?i)\b(?:updated|published|posted|modified)\b")


def _key(text: str) -> str:
    return _TRAILING.sub("", text).casefold()


def _match(rules: tuple[Rule, ...], unit: Unit, where: str) -> tuple[Rule, re.Match[str]] | None:
    words = unit.words
    for rule in rules:
        if rule.where != where or words > rule.max_words:
            continue
        m = rule.pattern.fullmatch(unit.text)
        if m:
            return rule, m
    return None


class _Pass:
    """Bookkeeping of one cleaning run: which units go, why, and the metadata found."""

    def __init__(self, units: list[Unit]):
        self.units = units
        self.cut: dict[int, Removed] = {}
        self.meta: dict[str, list[str]] = {k: [] for k in _META_KEYS}
        self.captions: set[str] = set()

    def remove(self, i: int, reason: str, rule: str, m: re.Match[str] | None = None, extract=None) -> None:
        u = self.units[i]
        self.cut[i] = Removed(text=u.raw.strip(), reason=reason, line=u.line, rule=rule)
        for found in (m, extract.search(u.text) if (extract is not None and m is not None) else None):
            if found is None:
                continue
            groups = found.groupdict()
            for key in _META_KEYS:
                if groups.get(key):
                    self.meta[key].append(normalise(groups[key]))
            if groups.get("caption"):
                self.captions.add(_key(groups["caption"]))


def _apply_rules(p: _Pass, rules: RuleSet, title: str) -> None:
    units = p.units
    if len(units) > 1 and title and _key(units[0].text) == _key(title):
        # the headline repeated as the first line; a brief whose only line is its headline keeps it
        p.remove(0, "duplicate-line", "title-repeat")
    i = 0
    while i < len(units):
        hit = None if i in p.cut else _match(rules.rules, units[i], "any")
        if hit:
            rule, m = hit
            p.remove(i, rule.reason, rule.name, m, rule.extract)
            nxt = i + 1
            if (rule.next == "headline" and nxt < len(units)
                    and headline_like(units[nxt].text, rules.liveblog)):
                p.remove(nxt, rule.reason, f"{rule.name}:link")
                i = nxt
        i += 1
    _cut_tail(p, rules)


def _cut_tail(p: _Pass, rules: RuleSet) -> None:
    """Site furniture at the end: a tag or link list under its heading, then
    every line from the end back to the last story line that a tail rule matches."""
    units = p.units
    list_words = rules.settings.get("tail_list_max_words", 10)
    for i in range(len(units) - 1, -1, -1):
        if i in p.cut:
            continue
        hit = _match(rules.rules, units[i], "tail")
        if hit and hit[0].rest:
            after = [j for j in range(i + 1, len(units)) if j not in p.cut]
            if all(units[j].words <= list_words and not SENTENCE_END.search(units[j].text) for j in after):
                p.remove(i, hit[0].reason, hit[0].name, hit[1], hit[0].extract)
                for j in after:
                    p.remove(j, hit[0].reason, f"{hit[0].name}:item")
                break
        if units[i].words > list_words or SENTENCE_END.search(units[i].text):
            break  # a story line: no list heading below it
    for i in range(len(units) - 1, -1, -1):
        if i in p.cut:
            continue
        hit = _match(rules.rules, units[i], "tail")
        if not hit:
            break
        p.remove(i, hit[0].reason, hit[0].name, hit[1], hit[0].extract)


def _drop_repeats(p: _Pass, settings: dict, lb) -> None:
    """Bare captions (repeated, or right above their credit) and repeated lines."""
    seen: set[str] = set()
    min_words = settings.get("duplicate_min_words", 4)
    credit_above = settings.get("caption_before_credit", True)
    for i, u in enumerate(p.units):
        if i in p.cut:
            continue
        key = _key(u.text)
        below = p.cut.get(i + 1)
        if (credit_above and below is not None and below.reason == "credit" and u.words <= 40
                and not SENTENCE_END.search(u.text) and not lb.prefix.fullmatch(u.text)):
            p.remove(i, "caption", "caption-before-credit")
        elif key in p.captions:
            p.remove(i, "caption", "caption-echo")
        elif key in seen and u.words >= min_words:
            p.remove(i, "duplicate-line", "duplicate-line")
        else:
            seen.add(key)


def _entry_times(p: _Pass, kept: list[int]) -> dict[int, str]:
    """Kept-unit index -> the bare time stamp printed right before that unit."""
    times: dict[int, str] = {}
    prev = -1
    for k, i in enumerate(kept):
        for j in range(i - 1, prev, -1):
            r = p.cut.get(j)
            if r and r.reason == "timestamp" and not _STAMP_WORDS.search(r.text):
                times[k] = normalise(r.text)
                break
        prev = i
    return times


def clean_text(text: str, title: str = "", *, html: str | None = None, fmt: str = "text",
               rules: RuleSet | None = None) -> Cleaned:
    """Clean one body of text (see ``clean_article``); ``html`` is the raw page, if any."""
    rules = rules or load_rules()
    body = text if fmt == "text" else html_fragment_to_text(text)
    p = _Pass(split_units(body, rules.settings))
    _apply_rules(p, rules, title)
    _drop_repeats(p, rules.settings, rules.liveblog)
    kept = [i for i in range(len(p.units)) if i not in p.cut]
    kept_units = [p.units[i] for i in kept]
    forced = html_entries(html, rules.liveblog.html_entry) if html else None
    split = split_liveblog(title, kept_units, _entry_times(p, kept), rules.liveblog, forced)
    paragraphs = [u.text for k, u in enumerate(kept_units) if k not in split.headline_units]
    meta: dict = {}
    if p.meta["byline"]:
        meta["byline"] = p.meta["byline"][0]
    if p.meta["updated"]:
        meta["updated"] = p.meta["updated"][0]
    meta["credits"] = list(dict.fromkeys(p.meta["credit"]))
    return Cleaned(paragraphs=paragraphs, removed=[p.cut[i] for i in sorted(p.cut)], meta=meta,
                   is_liveblog=split.is_liveblog, entries=split.entries)


def clean_article(article: Article) -> Cleaned:
    """The clean body of one ingested article: paragraphs, removed pieces, live-blog entries.

    ``article.text`` is the body as ingested (for HTML, trafilatura's text;
    if that is empty the raw ``article.html`` is extracted here). The
    byline falls back to the author the ingest stage found in the page.
    """
    text = article.text or ""
    if not text.strip() and article.html:
        import trafilatura

        text = trafilatura.extract(article.html, include_comments=False, include_tables=False) or ""
    cleaned = clean_text(text, article.title or "", html=article.html, fmt=article.format)
    author = (article.extra or {}).get("author")
    if "byline" not in cleaned.meta and isinstance(author, str) and author.strip():
        cleaned.meta["byline"] = author.strip()
    return cleaned
