"""Quotes and attributed statements, each with its speaker, cue and content.

Modelled on the Gender Gap Tracker's quote extractor (Asr et al. 2021): the
reporting verbs are data (``data/reporting_verbs.txt``), and three kinds of
rule find attributions in a spaCy ``Doc``:

1. dependency patterns around a reporting verb: the subject is the speaker
   and the clausal complement (or, for "X, he said", the clause the verb hangs
   from) is the content: "he said he expects a reaction", "NBC News cited six
   officials as saying ...", "the ministry said in a statement";
2. "according to X": X is the speaker, the rest of the sentence the content;
   cue nouns (``data/cue_nouns.txt``) with an owner: "his support for X",
   "the mayor's decision to X"; a headline "Speaker: what they said";
3. quote-mark spans: straight, curly and mixed marks (“..." as some sites
   write them). A quote opened at the start of a paragraph and not closed
   there runs on into the next paragraph if that one opens with a quote mark;
   each paragraph's part is its own annotation and all share the speaker of
   the first. A quote with no cue in its sentence takes the speaker of the
   sentence before it when that ends with a colon, or of the quote just
   before it when it opens a paragraph right after an attributed quote.

Speakers are resolved: a pronoun ("he") to the nearest person named before
it, a surname or "Mr Zelensky" to the longest form of the name in the text
("Volodymyr Zelensky"), a title ("the Ukrainian president") to the nearest
person named before it, "who" to the noun it describes.

Labels: ``direct`` (the content is inside quote marks), ``indirect``,
``according-to``, ``statement`` (a statement verb such as "report", "cite",
"announce", or "said in a statement/interview/post").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from storyline.records import Annotation

DATA = Path(__file__).with_name("data")

OPENING = "\u201c\u201e\u00ab"  # “ „ «
CLOSING = "\u201d\u00bb"  # ” »
STRAIGHT = '"'
# A quote shorter than this many words is a scare quote or a phrase; it is only
# kept when a reporting verb governs it (then it is part of an attribution).
MIN_QUOTE_WORDS = 4
# Content shorter than this many tokens is not an attribution ("he said so").
MIN_CONTENT_TOKENS = 3
# ... except for an infinitive, where two make sense ("declined to comment").
MIN_TOKENS = {"infinitive": 2}
# A quote later in the paragraph of an attributed quote, at most this many words after it, is the same speaker's.
FOLLOW_WORDS = 50
SUBJECTS = ("nsubj", "nsubjpass", "csubj")
PERSONAL_PRONOUNS = {"he", "she", "him", "her", "his"}
RELATIVE_PRONOUNS = {"who", "which", "that", "whom"}
NAME_PREFIXES = {"mr", "mrs", "ms", "miss", "dr", "sen", "rep", "gov", "gen", "president", "prof"}
SPEAKER_DEPS = {"compound", "amod", "det", "poss", "case", "nmod", "nummod", "quantmod", "punct", "prep", "pobj",
                "appos", "cc", "conj", "advmod", "npadvmod"}


def _lines(name: str) -> list[str]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            rows.append(line)
    return rows


# The frames a reporting verb's content can take (third column of reporting_verbs.txt):
#   clause      "said (that) X", "X, he said" - every verb has it
#   infinitive  "wants to X", "urged them to X"
#   object      "called the plan a disaster", "denied the report", "announced his run"
FRAMES = ("clause", "infinitive", "object")


@dataclass(frozen=True, slots=True)
class Verb:
    lemma: str
    cls: str  # speech | statement | belief
    frames: frozenset


@lru_cache(maxsize=1)
def verb_lexicon() -> dict[str, Verb]:
    """Reporting verb lemma -> Verb (class and frames), from data/reporting_verbs.txt."""
    table = {}
    for line in _lines("reporting_verbs.txt"):
        parts = [p.strip() for p in line.split("\t")]
        frames = set(parts[2].split(",")) & set(FRAMES) if len(parts) > 2 and parts[2] else {"clause"}
        table[parts[0]] = Verb(parts[0], parts[1] if len(parts) > 1 and parts[1] else "speech", frozenset(frames))
    return table


def reporting_verbs() -> dict[str, str]:
    """Reporting verb lemma -> class (speech | statement | belief)."""
    return {lemma: v.cls for lemma, v in verb_lexicon().items()}


@lru_cache(maxsize=1)
def statement_nouns() -> frozenset[str]:
    return frozenset(_lines("quote_nouns.txt"))


@lru_cache(maxsize=1)
def titles() -> frozenset[str]:
    return frozenset(_lines("quote_titles.txt"))


@dataclass(slots=True)
class QuoteSpan:
    """Characters between a pair of quote marks (marks excluded)."""

    start: int
    end: int
    open_mark: int  # offset of the opening mark
    runs_on: bool = False  # opened and not closed in its paragraph
    continues: bool = False  # this paragraph continues the quote of the one before


@dataclass(slots=True)
class Candidate:
    start: int
    end: int
    label: str
    cue: object = None  # spaCy Token or None
    speaker: object = None  # spaCy Span or None
    quote: QuoteSpan | None = None
    extra: dict = field(default_factory=dict)


# --- quote marks -------------------------------------------------------------------------------

def quote_spans(text: str) -> list[QuoteSpan]:
    """Pair the quote marks of each paragraph (a paragraph is a line).

    “ and ” pair as usual; a straight " opens when none is open and closes
    otherwise, so mixed “...\" pairs too. An opening mark left unclosed at
    the end of its paragraph gives a span to the end of the paragraph.
    """
    spans: list[QuoteSpan] = []
    pos = 0
    previous_runs_on = False
    for para in text.split("\n"):
        start_of_para = pos
        opened: int | None = None
        opened_width = 1
        first_mark = None
        i = 0
        while i < len(para):
            ch = para[i]
            width = 1
            if para.startswith("''", i) or para.startswith("``", i):
                ch, width = (STRAIGHT if para[i] == "'" else OPENING[0]), 2  # '' and `` as some wires write quotes
            if ch in OPENING or (ch == STRAIGHT and opened is None):
                if opened is None:
                    opened, opened_width = i, width
                    if first_mark is None:
                        first_mark = i
            elif (ch in CLOSING or ch == STRAIGHT) and opened is not None:
                spans.append(QuoteSpan(start_of_para + opened + opened_width, start_of_para + i, start_of_para + opened))
                opened = None
            i += width
        stripped_at = len(para) - len(para.lstrip())
        opens_para = first_mark is not None and first_mark == stripped_at
        if spans and opens_para and previous_runs_on:
            for s in spans:
                if s.open_mark == start_of_para + first_mark:
                    s.continues = True
        runs_on = False
        if opened is not None:
            end = len(para.rstrip())
            spans.append(QuoteSpan(start_of_para + opened + opened_width, start_of_para + end, start_of_para + opened,
                                   runs_on=True,
                                   continues=opens_para and previous_runs_on))
            runs_on = True
        if para.strip():
            previous_runs_on = runs_on
        pos += len(para) + 1
    return [s for s in spans if s.end > s.start]


_TEXT_CACHE: list = [None, ""]  # (Doc, its text): the last Doc whose text was read


def _text(doc) -> str:
    """``doc.text``, joined once per Doc (each ``Doc.text`` read joins every token)."""
    if _TEXT_CACHE[0] is not doc:
        _TEXT_CACHE[:] = [doc, doc.text]
    return _TEXT_CACHE[1]


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


# --- speakers ----------------------------------------------------------------------------------

def _speaker_span(tok):
    """The mention a subject token stands for: its named entity, or the noun
    phrase up to the head (relative clauses and appositions left out)."""
    doc = tok.doc
    left, right = tok.i, tok.i + 1
    if tok.ent_type_:
        # the entity holding tok, from its IOB tags (what doc.ents would find, without
        # building every entity Span of the Doc on each call)
        left = tok.i
        while left > 0 and doc[left].ent_iob_ == "I":
            left -= 1
        while right < len(doc) and doc[right].ent_iob_ == "I":
            right += 1
        tok = doc[left:right].root
    for child in tok.lefts:
        if child.dep_ in ("compound", "amod", "det", "poss", "nummod", "nmod", "case", "quantmod"):
            left = min(left, child.left_edge.i)
    for child in tok.rights:
        if child.dep_ in ("compound", "case", "nummod") or (child.dep_ == "prep" and child.lower_ == "of"):
            right = max(right, child.right_edge.i + 1)
    line_start, line_end = _line_of(_text(doc), tok.idx)
    while left < tok.i and doc[left].idx < line_start:
        left += 1
    while right > tok.i + 1 and doc[right - 1].idx >= line_end:
        right -= 1
    return doc[left:right]


def _person_mentions(doc, quotes) -> list:
    """PERSON entities outside quote marks (names inside a quote are not who speaks)."""
    return [e for e in doc.ents if e.label_ == "PERSON"
            and not any(q.start <= e.start_char < q.end for q in quotes)]


def _name_key(span) -> str:
    return _name_key_of(_text(span.doc)[span.start_char : span.end_char])  # == span.text, without joining tokens


@lru_cache(maxsize=1 << 14)
def _name_key_of(text: str) -> str:
    words = [w for w in re.findall(r"[\w'-]+", text.lower().replace("\u2019", "'")) if w not in NAME_PREFIXES]
    if words and words[-1].endswith("'s"):
        words[-1] = words[-1][:-2]
    return words[-1] if words else ""


def _full_name(span, persons) -> object:
    """The longest PERSON mention in the text with the same surname (the span itself if none)."""
    key = _name_key(span)
    best = span
    for p in persons:
        if _name_key(p) == key and p.end_char - p.start_char > best.end_char - best.start_char:  # len(.text)
            best = p
    return best


def _name_text(span) -> str:
    """A person's name without the titles in front ("Councillor Mira Osk" -> "Mira Osk")."""
    words = span.text.split()
    while len(words) > 1 and (words[0].lower().rstrip(".") in NAME_PREFIXES or words[0].lower() in titles()):
        words.pop(0)
    return " ".join(words)


def _before(pool, i):
    """The last mention in ``pool`` (spans, or (mention, named) pairs) ending before token i."""
    before = [p for p in pool if (p[0] if isinstance(p, tuple) else p).end <= i]
    if not before:
        return None
    return before[-1][1] if isinstance(before[-1], tuple) else before[-1]


def _resolve(span, persons, speakers):
    """(speaker text, antecedent span or None) for a speaker mention.

    ``persons`` are the PERSON mentions, ``speakers`` (mention, named person)
    pairs of the speakers already resolved earlier in the text.
    """
    head = span.root
    low = head.lower_
    if len(span) == 1 and low in PERSONAL_PRONOUNS:
        # the nearest person named before the pronoun, as speaker or as mention
        ante = _before(sorted(persons + [m for m, _ in speakers], key=lambda x: x.start), head.i)
        if ante is not None and not any(t.ent_type_ == "PERSON" for t in ante):
            ante = dict((m.start, n) for m, n in speakers).get(ante.start, ante)
        if ante is None:
            return span.text, None
        full = _full_name(ante, persons)
        return _name_text(full), full
    if len(span) == 1 and low in RELATIVE_PRONOUNS and head.head.dep_ == "relcl":
        ante = _speaker_span(head.head.head)
        text, further = _resolve(ante, persons, speakers)
        return text, further or ante
    if any(t.ent_type_ == "PERSON" for t in span):
        ents = [p for p in persons if p.start >= span.start and p.end <= span.end]
        if ents:
            full = _full_name(ents[-1], persons)
            return _name_text(full), (full if full.start != ents[-1].start else None)
    named = next((p for c in head.rights if c.dep_ == "appos" for p in persons
                  if c.left_edge.i <= p.start and p.end <= c.right_edge.i + 1), None)
    if named is not None:
        # "One pastor supporting Mr. Cruz, Darran Whiting of ..., said": the name in apposition
        full = _full_name(named, persons)
        return _name_text(full), full
    if head.lemma_.lower() in titles() and span[0].lower_ == "the" and head.tag_ in ("NN", "NNP"):
        # "the Ukrainian president": the last person quoted before, else the last named
        ante = _before(speakers, span.start) or _before(persons, span.start)
        if ante is not None:
            full = _full_name(ante, persons)
            return _name_text(full), full
    return span.text, None


# --- dependency patterns -----------------------------------------------------------------------

def _subject(verb):
    """The subject of a reporting verb, climbing through "and said", "adding",
    "by denouncing"; for "ads attacking X" the noun the participle describes."""
    tok = verb
    for _ in range(4):
        for child in tok.children:
            if child.dep_ in SUBJECTS:
                return child
        for child in tok.children:
            if child.dep_ == "agent":
                for grand in child.children:
                    if grand.dep_ == "pobj":
                        return grand
        if tok.dep_ == "acl" and tok.head.pos_ in ("NOUN", "PROPN", "PRON"):
            return tok.head
        if tok.dep_ in ("conj", "advcl", "xcomp", "pcomp") and tok.head is not tok:
            tok = tok.head
        elif tok.dep_ in ("pobj", "prep") and tok.head is not tok:
            tok = tok.head
        else:
            break
    return None


def _trim(doc, start: int, end: int, exclude=(), min_tokens: int = MIN_CONTENT_TOKENS) -> tuple[int, int] | None:
    """Token range trimmed of edge punctuation, "that" and excluded tokens; as characters."""
    while start < end and (doc[start].is_punct and doc[start].text not in "“\"" or doc[start].i in exclude
                           or (doc[start].lower_ in ("that", "as") and doc[start].dep_ in ("mark", "prep"))
                           or doc[start].is_space):
        start += 1
    while end > start and ((doc[end - 1].is_punct and doc[end - 1].text not in "”\"") or doc[end - 1].i in exclude
                           or doc[end - 1].is_space or doc[end - 1].dep_ == "cc"):
        end -= 1
    if end - start < min_tokens:
        return None
    return doc[start].idx, doc[end - 1].idx + len(doc[end - 1])


def _clip_to_line(text: str, at: int, chars: tuple[int, int], min_words: int = MIN_CONTENT_TOKENS) -> tuple[int, int] | None:
    """Clip a content span to the paragraph (line) holding offset ``at``: spaCy's
    sentences can run over a paragraph break, attributions never do."""
    line_start = text.rfind("\n", 0, at) + 1
    line_end = text.find("\n", at)
    line_end = len(text) if line_end < 0 else line_end
    start, end = max(chars[0], line_start), min(chars[1], line_end)
    while start < end and text[start] in " \t,;:-\u2014":
        start += 1
    while end > start and text[end - 1] in " \t,;:-\u2014":
        end -= 1
    return (start, end) if _words(text[start:end]) >= min_words else None


def _content_options(verb, entry: Verb) -> list[tuple[int, int, str]]:
    """Possible contents of a reporting verb, best first, as (start, end, frame) token ranges."""
    options = []
    comps = [c for c in verb.children if c.dep_ == "ccomp"] if "clause" in entry.frames else []
    line = _line_of(_text(verb.doc), verb.idx)
    comps = [c for c in comps if line[0] <= c.idx < line[1]]  # a parse run over a paragraph break
    if comps:
        options.append((min(c.left_edge.i for c in comps), max(c.right_edge.i for c in comps) + 1, "clause"))
    if "clause" in entry.frames and verb.dep_ in ("parataxis", "advcl", "conj", "ccomp") and entry.cls != "belief" \
            and verb.head.left_edge.i < verb.left_edge.i and not any(c.dep_ in ("dobj", "xcomp") for c in verb.rights):
        # "The plan will fail, he said" and "The plan, he said, will fail": the content is the
        # clause the reporting clause hangs from (the reporting clause inside it is trimmed or small)
        head = verb.head
        end = head.right_edge.i + 1 if head.right_edge.i > verb.right_edge.i else verb.left_edge.i
        options.append((head.left_edge.i, end, "clause"))
    xcomps = [c for c in verb.children if c.dep_ in ("xcomp", "oprd")]
    if xcomps and "infinitive" in entry.frames:
        c = xcomps[0]
        options.append((c.left_edge.i, c.right_edge.i + 1, "infinitive"))
    rights = [c for c in verb.rights if c.dep_ in ("dobj", "prep", "dative", "attr", "acomp", "advcl", "xcomp",
                                                   "oprd", "ccomp")
              and not (c.dep_ == "prep" and _statement_prep(c))]
    if rights and "object" in entry.frames:
        options.append((rights[0].left_edge.i, max(c.right_edge.i for c in rights) + 1, "object"))
    return options


def _same_line_subject(verb):
    """The noun right before a verb on its own line ("Ukrainian president X has alleged"), or None."""
    line = _line_of(_text(verb.doc), verb.idx)
    i = verb.i - 1
    while i >= 0 and verb.doc[i].idx >= line[0] and verb.doc[i].pos_ in ("AUX", "ADV", "PART"):
        i -= 1
    if i >= 0 and verb.doc[i].idx >= line[0] and verb.doc[i].pos_ in ("PROPN", "NOUN", "PRON"):
        return verb.doc[i]
    return None


def _statement_prep(prep) -> bool:
    """"in a statement", "in an interview": the prepositional phrase names the channel."""
    return prep.lower_ in ("in", "on", "during", "via", "through") and any(
        g.dep_ == "pobj" and g.lemma_.lower() in statement_nouns() for g in prep.children)


def _fallback_subject(verb, quotes):
    """A speaker when the parse gives none, or puts it inside a quote: the first
    name or pronoun between the quote and the verb ('"...," Robert Shrum, a
    strategist, said'), else right after the verb ('said Jared Bernstein')."""
    doc = verb.doc
    line = _line_of(_text(doc), verb.idx)
    before = [q for q in quotes if q.end <= verb.idx and q.end >= line[0]]
    if before:
        start = doc.char_span(before[-1].end, verb.idx, alignment_mode="expand")
        if start is not None:
            for t in start:
                if t.i < verb.i and (t.pos_ == "PROPN" or (t.pos_ == "PRON" and t.lower_ in PERSONAL_PRONOUNS | {"they", "she", "i", "we"})):
                    return t
    nxt = doc[verb.i + 1] if verb.i + 1 < len(doc) else None
    if nxt is not None and nxt.idx < line[1] and nxt.pos_ in ("PROPN", "PRON", "DET", "NOUN", "ADJ"):
        head = nxt
        while head.head is not head and head.head.i > verb.i and head.dep_ in ("compound", "det", "amod", "poss", "case"):
            head = head.head
        return head
    return None


def _verb_candidates(doc, quotes=()) -> list[Candidate]:
    verbs = verb_lexicon()
    out = []
    for tok in doc:
        entry = verbs.get(tok.lemma_.lower())
        if entry is None or tok.pos_ not in ("VERB", "AUX"):
            continue
        if tok.pos_ == "AUX" and tok.lemma_.lower() != "say":
            continue
        options = _content_options(tok, entry)
        if not options:
            continue
        cls = entry.cls
        subj = _subject(tok)
        if subj is not None and _line_of(_text(doc), subj.idx) != _line_of(_text(doc), tok.idx):
            subj = _same_line_subject(tok)  # spaCy ran a headline into this sentence
        if subj is None or (any(q.start <= subj.idx < q.end for q in quotes)
                            and not any(q.start <= tok.idx < q.end for q in quotes)):
            subj = _fallback_subject(tok, quotes) or subj
        speaker = _speaker_span(subj) if subj is not None else None
        chars = None
        for start, end, frame in options:
            if start <= tok.i < end:
                # a broken parse put the cue inside its own content: keep the larger side of it
                left_end = speaker.start if speaker is not None and start <= speaker.start < tok.i else tok.i
                start, end = (tok.i + 1, end) if end - tok.i > left_end - start else (start, left_end)
            exclude = set(range(speaker.start, speaker.end)) if speaker is not None else set()
            exclude.add(tok.i)
            least = MIN_TOKENS.get(frame, MIN_CONTENT_TOKENS)
            chars = _trim(doc, start, end, exclude, least)
            chars = chars and _clip_to_line(_text(doc), tok.idx, chars, least)
            if chars is not None:
                break
        if chars is None:
            continue
        label = "indirect"
        if cls == "statement" or any(_statement_prep(c) for c in tok.children if c.dep_ == "prep"):
            label = "statement"
        out.append(Candidate(chars[0], chars[1], label, cue=tok, speaker=speaker, extra={"frame": frame}))
    return out


@lru_cache(maxsize=1)
def cue_nouns() -> dict[str, frozenset]:
    """Cue noun lemma -> the content forms it takes, from data/cue_nouns.txt."""
    table = {}
    for line in _lines("cue_nouns.txt"):
        parts = [p.strip() for p in line.split("\t")]
        table[parts[0]] = frozenset(parts[1].split(",")) if len(parts) > 1 else frozenset({"that"})
    return table


def _noun_owner(noun):
    """Who holds the position a cue noun names: "his", "Obama's", "Republican", "by/from X", else None."""
    for child in noun.children:
        if child.dep_ == "poss" or (child.dep_ in ("amod", "compound") and (child.ent_type_ in ("NORP", "PERSON", "ORG")
                                                                            or child.pos_ == "PROPN")):
            return child
    for child in noun.rights:
        if child.dep_ == "prep" and child.lower_ in ("by", "from"):
            pobj = next((g for g in child.children if g.dep_ == "pobj"), None)
            if pobj is not None:
                return pobj
    return None


def _noun_candidates(doc) -> list[Candidate]:
    """Attributions carried by a noun: "his support for the bill", "criticism that X"."""
    nouns = cue_nouns()
    out = []
    for tok in doc:
        forms = nouns.get(tok.lemma_.lower())
        if forms is None or tok.pos_ != "NOUN":
            continue
        owner = _noun_owner(tok)
        if owner is None:
            continue
        rng = None
        for child in tok.rights:
            if child.dep_ == "prep" and child.lower_ in forms:
                rng, kind = (child.i + 1, child.right_edge.i + 1), child.lower_
            elif child.dep_ in ("acl", "ccomp") and "that" in forms and any(g.lower_ == "that" and g.dep_ == "mark" for g in child.children):
                rng, kind = (child.left_edge.i, child.right_edge.i + 1), "that"
            elif child.dep_ == "acl" and "infinitive" in forms and any(g.dep_ == "aux" and g.lower_ == "to" for g in child.children):
                rng, kind = (child.left_edge.i, child.right_edge.i + 1), "infinitive"
            if rng is not None:
                break
        if rng is None:
            continue
        chars = _trim(doc, rng[0], rng[1], min_tokens=1)
        chars = chars and _clip_to_line(_text(doc), tok.idx, chars, 1)
        if chars is None:
            continue
        out.append(Candidate(chars[0], chars[1], "statement", cue=tok, speaker=_speaker_span(owner),
                             extra={"frame": "noun-" + kind}))
    return out


def _according_to(doc) -> list[Candidate]:
    out = []
    for tok in doc:
        if tok.lower_ != "according":
            continue
        to = next((c for c in tok.children if c.lower_ == "to"), None)
        if to is None and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
            to = doc[tok.i + 1]
        if to is None:
            continue
        pobj = next((c for c in to.children if c.dep_ == "pobj"), None)
        if pobj is None:
            continue
        speaker = _speaker_span(pobj)
        sent = tok.sent
        phrase = (min(tok.i, to.i), max(pobj.right_edge.i, to.i) + 1)
        # the content is the sentence without the "according to X" phrase
        if phrase[0] - sent.start >= sent.end - phrase[1]:
            rng = (sent.start, phrase[0])
        else:
            rng = (phrase[1], sent.end)
        chars = _trim(doc, rng[0], rng[1])
        chars = chars and _clip_to_line(_text(doc), tok.idx, chars)
        if chars is None:
            continue
        out.append(Candidate(chars[0], chars[1], "according-to", cue=tok, speaker=speaker,
                             extra={"cue_span": (tok.idx, to.idx + len(to))}))
    return out


# 'Graham: Trump's rhetoric destroying GOP's chances': a headline naming its speaker before a colon
# ("The Latest: ..." is a rubric, not a speaker)
_HEADLINE_SPEAKER = re.compile(r"^[ \t]*((?!The )[A-Z][\w.'\u2019&-]*(?: [\w.'\u2019&-]+){0,4})[ \t]*:[ \t]+(?=\S)")


def _headline(doc) -> list[Candidate]:
    """The first line when it reads 'Speaker: what they said'."""
    text = _text(doc)
    line_end = text.find("\n")
    line_end = len(text) if line_end < 0 else line_end
    m = _HEADLINE_SPEAKER.match(text[:line_end])
    if m is None:
        return []
    end = len(text[:line_end].rstrip(" .\t"))
    if _words(text[m.end():end]) < MIN_CONTENT_TOKENS:
        return []
    colon = text.index(":", m.end(1))
    label = "direct" if any(ch in text[m.end():end] for ch in OPENING + STRAIGHT + "\u2018") else "indirect"
    return [Candidate(m.end(), end, label, speaker=doc.char_span(m.start(1), m.end(1), alignment_mode="expand"),
                      extra={"cue_span": (colon, colon + 1), "cue_text": ":"})]


_SPEAKER_LABEL = re.compile(r"^[ \t]*((?:[A-Z][\w.'\u2019-]*)(?: [A-Z][\w.'\u2019-]*){0,3})[ \t]*:[ \t]+(?=\S)", re.M)
INTERVIEW_LABELS = {"Q", "A"}


def _transcript(doc) -> list[Candidate]:
    """Interview transcripts: 'Q: ...', 'SMITH: ...' at the start of a paragraph.
    A label counts when it is Q/A or when it labels at least two paragraphs
    (so a one-off "Read more: ..." or "Mapped: ..." is not a speaker)."""
    text = _text(doc)
    found = list(_SPEAKER_LABEL.finditer(text))
    counts: dict[str, int] = {}
    for m in found:
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    out = []
    for m in found:
        label = m.group(1)
        if label not in INTERVIEW_LABELS and counts[label] < 2:
            continue
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        if _words(text[m.end():line_end]) < MIN_CONTENT_TOKENS:
            continue
        speaker = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
        colon = text.index(":", m.end(1))
        out.append(Candidate(m.end(), len(text[:line_end].rstrip()), "direct", speaker=speaker,
                             extra={"cue_span": (colon, colon + 1), "cue_text": ":", "transcript": True}))
    return out


# --- putting it together -----------------------------------------------------------------------

def _overlap(a0, a1, b0, b1) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def _quote_candidates(doc, quotes, verb_cands) -> list[Candidate]:
    """Attach each quote-mark span to a reporting verb, or to the quote before it."""
    verbs = reporting_verbs()
    out: list[Candidate] = []
    previous: Candidate | None = None
    for q in quotes:
        short = _words(_text(doc)[q.start:q.end]) < MIN_QUOTE_WORDS
        size = q.end - q.start
        # 'X said: "..."': a verb outside the quote whose content lies mostly inside it takes the whole quote
        owner = next((c for c in verb_cands if c.cue is not None and not q.open_mark <= c.cue.idx < q.end
                      and c.quote is None and _overlap(c.start, c.end, q.start, q.end) >= 0.5 * (c.end - c.start)),
                     None)
        if owner is not None:
            owner.start, owner.end, owner.quote = q.start, q.end, q
            owner.label = "direct" if owner.label == "indirect" else owner.label
            previous = owner
            continue
        # a partial quote inside indirect speech ('said the war must "return to where it came from"')
        if any(_overlap(c.start, c.end, q.start, q.end) >= 0.5 * size for c in verb_cands):
            continue
        if short:
            continue
        span = doc.char_span(q.start, q.end, alignment_mode="expand")
        cand = Candidate(q.start, q.end, "direct", quote=q)
        cue = None
        if span is not None:
            sents = {t.sent.start: t.sent for t in (span[0], span[-1])}
            inside = set(range(span.start, span.end))
            line = _line_of(_text(doc), q.open_mark)
            found = [t for s in sents.values() for t in s
                     if t.i not in inside and t.lemma_.lower() in verbs and t.pos_ in ("VERB", "AUX")
                     and line[0] <= t.idx < line[1]]
            if not found and not q.continues and _text(doc)[:q.open_mark].rstrip().endswith(":"):
                # 'Mr Rubio said: "..."', the colon ending this line or the one before
                colon = len(_text(doc)[:q.open_mark].rstrip()) - 1
                line = _line_of(_text(doc), colon)
                tokens = [t for t in doc if line[0] <= t.idx < line[1]]
                found = [t for t in tokens if t.lemma_.lower() in verbs and t.pos_ in ("VERB", "AUX")]
                if not found:
                    # "Here are his comments in full:" - the owner of the words is the speaker
                    owned = [t for t in tokens if t.lemma_.lower() in statement_nouns() | {"comment", "word", "remark"}
                             and any(c.dep_ == "poss" for c in t.children)]
                    if owned:
                        cand.cue = owned[0]
                        cand.speaker = _speaker_span(next(c for c in owned[0].children if c.dep_ == "poss"))
            if found:
                cue = min(found, key=lambda t: min(abs(t.idx - q.open_mark), abs(t.idx - q.end)))
            elif not q.runs_on:
                cue = _speech_tag(doc, q)
        if cue is not None:
            subj = _subject(cue) or _fallback_subject(cue, quotes)  # '"...," said retired surgeon Ben Carson'
            cand.cue = cue
            cand.speaker = _speaker_span(subj) if subj is not None else None
        elif cand.speaker is not None:
            pass
        elif previous is not None and (q.continues or _follows(_text(doc), previous, q)):
            cand.cue, cand.speaker = previous.cue, previous.speaker
            cand.extra["inherited"] = True
        elif (said := _said_just_before(_text(doc), verb_cands, q)) is not None:
            cand.cue, cand.speaker = said.cue, said.speaker
            cand.extra["inherited"] = True
        out.append(cand)
        previous = cand
    return out


def _speech_tag(doc, q: QuoteSpan):
    """The verb of a speech tag right after a quote ending in a comma, whatever the verb:
    '"People are afraid," he surmised' or '"...," grumbled Ann Lee'."""
    text = _text(doc)
    if text[q.end - 1:q.end] not in (",", "?", "!"):
        return None
    tail = doc.char_span(q.end, min(_line_of(text, q.end)[1], q.end + 60), alignment_mode="contract")
    if tail is None:
        return None
    words = [t for t in tail if not (t.is_punct or t.is_space)][:4]
    for i, t in enumerate(words):
        if t.pos_ == "VERB" and t.tag_ in ("VBD", "VBZ"):
            subj = _subject(t) or _fallback_subject(t, [q])
            return t if subj is not None and (i > 0 or subj.i > t.i) else None
        if t.pos_ not in ("PRON", "PROPN", "DET", "NOUN", "ADJ"):
            return None
    return None


def _line_of(text: str, at: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return start, len(text) if end < 0 else end


def _said_just_before(text: str, verb_cands: list[Candidate], q: QuoteSpan) -> Candidate | None:
    """'Zelensky said he expects a reaction.' then a paragraph that is only a quote:
    the quote is taken to be the same speaker's, when the paragraph before ends with
    that reporting clause's sentence."""
    if text[q.open_mark - 1:q.open_mark] not in ("\n", ""):
        return None
    before = [c for c in verb_cands if c.speaker is not None and c.end <= q.open_mark and c.cue is not None
              and verb_lexicon()[c.cue.lemma_.lower()].cls != "belief"]
    if not before:
        return None
    last = max(before, key=lambda c: max(c.end, c.cue.idx))
    tail = text[max(last.end, last.cue.idx + len(last.cue)):q.open_mark]
    return last if tail.count("\n") == 1 + tail.count("\n\n") and _words(tail) <= 6 else None


def _follows(text: str, previous: Candidate, q: QuoteSpan) -> bool:
    """True when the quote goes on from the previous attributed quote: the next
    quote in the same paragraph ('"X," he said. "Y."'), or a quote opening the
    paragraph right after it."""
    if previous.quote is None or previous.speaker is None:
        return False
    between = text[previous.end:q.open_mark]
    if "\n" not in between:
        # '"X," said Ann Lee, a fellow at the institute. "Y."': the same paragraph goes on quoting her
        return _words(between) <= FOLLOW_WORDS
    return text[q.open_mark - 1:q.open_mark] in ("\n", "") and _words(between) <= 6


def _inside_quote(text: str, cand: Candidate, quotes) -> bool:
    """True when the cue of an attribution lies inside a quotation of MIN_QUOTE_WORDS words or
    more ('"I think we will win," she said'): the words are the quoted speaker's, and her quote
    is the attribution, not the "I think" nested in it (PolNeAR annotates it so)."""
    idx = cand.cue.idx
    return any(q.start <= idx < q.end and _words(text[q.start:q.end]) >= MIN_QUOTE_WORDS for q in quotes)


def extract_quotes(doc) -> list[Annotation]:
    """Quotes and attributed statements in a parsed ``Doc``, in text order."""
    quotes = quote_spans(_text(doc))
    # an attribution nested in a quotation is the quoted speaker's words, not an attribution of its own
    verb_cands = [c for c in _verb_candidates(doc, quotes) if not _inside_quote(_text(doc), c, quotes)]
    others = [c for c in _according_to(doc) + _noun_candidates(doc) if not _inside_quote(_text(doc), c, quotes)]
    cands = others + verb_cands + _transcript(doc) + _headline(doc)
    cands += _quote_candidates(doc, quotes, verb_cands)
    cands = _dedupe(cands)
    persons = _person_mentions(doc, quotes)
    person_keys = {_name_key(p) for p in persons}
    speakers: list = []
    out = []
    for c in cands:
        speaker_text, ante = (None, None)
        if c.speaker is not None:
            speaker_text, ante = _resolve(c.speaker, persons, speakers)
            named = ante if ante is not None else c.speaker
            if any(t.ent_type_ == "PERSON" for t in named) or (named.root.pos_ == "PROPN" and _name_key(named) in person_keys):
                # a person, even when NER called this mention of the name an ORG
                speakers.append((c.speaker, named))
                if ante is None and named.root.ent_type_ != "PERSON":
                    persons = sorted(persons + [named], key=lambda x: x.start)
        cue_span = c.extra.get("cue_span")
        if cue_span is None and c.cue is not None:
            cue_span = (c.cue.idx, c.cue.idx + len(c.cue))
        value = {
            "speaker": speaker_text,
            "speaker_span": [c.speaker.start_char, c.speaker.end_char] if c.speaker is not None else None,
            "speaker_antecedent_span": [ante.start_char, ante.end_char] if ante is not None else None,
            "cue": c.extra.get("cue_text") or (("according to" if c.label == "according-to" else c.cue.lemma_.lower())
                                               if c.cue is not None else None),
            "cue_span": list(cue_span) if cue_span else None,
            "direct": c.quote is not None or bool(c.extra.get("transcript")),
        }
        out.append(Annotation(kind="quote", start=c.start, end=c.end, text=_text(doc)[c.start:c.end],
                              label=c.label, value=value))
    return out


def _dedupe(cands: list[Candidate]) -> list[Candidate]:
    """One candidate per content: a nested reporting verb ("he said officials
    told him X") keeps both, an exact or near repeat keeps the first."""
    cands = sorted(cands, key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[Candidate] = []
    for c in cands:
        dup = False
        for k in kept:
            ov = _overlap(c.start, c.end, k.start, k.end)
            if ov >= 0.8 * (c.end - c.start) and ov >= 0.8 * (k.end - k.start):
                dup = True
                if k.speaker is None and c.speaker is not None:
                    k.speaker, k.cue = c.speaker, c.cue
                break
        if not dup:
            kept.append(c)
    return kept
