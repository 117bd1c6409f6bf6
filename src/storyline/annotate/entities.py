"""Named entities, with every mention of the same entity sharing one key.

spaCy's NER gives the mentions; rules then fix its labels and names resolve:

- Labels are votes. spaCy's label is one vote; stronger votes come from an
  honorific before the name ("Mr Zelensky"), a reporting verb after a
  two-word name ("Volodymyr Zelenskyy said", which the small model often
  calls ORG), a surname shared with a PERSON elsewhere in the article, or
  the gazetteer for place names it called a person or product ("Sumy",
  "Kursk"). All mentions of the same name take the label with most votes.
- Person names cluster by surname: spelling variants and transliterations
  (Zelensky / Zelenskyy / Zelenskiy) match with rapidfuzz after folding the
  usual endings; first names must agree, so Barack and Michelle Obama stay
  apart; a bare surname joins a full name only when exactly one fits.
- Role descriptions ("the Ukrainian president") resolve to the person who
  holds that role in the article ("Ukrainian president Volodymyr Zelensky"),
  else to the last person named before it whose known roles do not exclude it.
- Other entities key on their folded name; country aliases ("US", "the
  United States") share the country's key.

``resolve_across`` runs the same name clustering over the entities of all the
articles of a story, so keys can be compared across outlets.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rapidfuzz import fuzz

from storyline.annotate.nlp import Tokens, data_rows, fold
from storyline.records import Annotation

ENTITY_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"})
# Labels the NER gives to place names it does not recognise as places.
MISLABELLED_PLACE = frozenset({"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "FAC", "EVENT", "LOC", "GPE", "NORP"})
# Labels the NER gives to person names it does not recognise as persons.
MISLABELLED_PERSON = frozenset({"ORG", "GPE", "PRODUCT", "WORK_OF_ART", "FAC", "LOC", "EVENT", "NORP"})
# Vote weights: spaCy's own label counts once; a rule counts twice, so one
# rule outweighs the model on a mention, and the majority over all mentions
# of the name decides.
MODEL_VOTE = 1
RULE_VOTE = 2
# rapidfuzz ratio (0-100) above which two folded surnames are one name, and the
# shortest surname compared fuzzily (shorter ones must match exactly).
SURNAME_SIMILARITY = 86
FUZZY_MIN_LEN = 5
# Same for other names (organisations, events...): stricter, longer.
OTHER_SIMILARITY = 92
OTHER_FUZZY_MIN_LEN = 7
# Population above which a city name the NER calls a person/org counts as a place
# without any other hint (smaller towns need "in ..." or "... region").
PLACE_MIN_POPULATION = 100_000
PRONOUNS = frozenset({"he", "she", "him", "her"})
# Words that open a role description ("the president", "his top commander").
DESCRIPTION_DETERMINERS = frozenset({"the", "his", "her", "its", "their"})


def _rows(role: str) -> list[str]:
    return [w for r, w in data_rows("person_words.txt") if r == role]


HONORIFICS = frozenset(fold(w) for w in _rows("honorific"))
ROLES = sorted({tuple(re.findall(r"[\w']+|-", fold(w))) for w in _rows("role")}, key=len, reverse=True)
ROLE_LAST_WORDS = frozenset(r[-1] for r in ROLES)
ROLE_FIRST_WORDS = frozenset(r[0] for r in ROLES)
REPORTING = frozenset(fold(w) for w in _rows("reporting"))
PARTICLES = frozenset(fold(w) for w in _rows("particle"))
ORG_WORDS = frozenset(fold(r[0]) for r in data_rows("org_words.txt"))


def has_org_word(words: list[str]) -> bool:
    """True when a name contains an organisation word, or is one ("NBC News", "White House")."""
    return any(fold(w) in ORG_WORDS for w in words) or fold(" ".join(words)) in ORG_WORDS


# --- names -------------------------------------------------------------------

# Transliteration variants folded away before names are compared: Zelenskyy / Zelenskiy /
# Zelensky, Irakli / Irakly, Kharkov / Harkov, Youssef / Yussef, doubled letters.
_ENDINGS = [(re.compile(p), r) for p, r in [(r"(iy|yy|yi|ij|ii|yj)$", "y"), (r"i$", "y"), (r"kh", "h"), (r"ou", "u"), (r"(.)\1", r"\1")]]


@lru_cache(maxsize=1 << 16)
def translit(token: str) -> str:
    """A folded name token with the usual transliteration variants collapsed."""
    t = fold(token)
    for pat, rep in _ENDINGS:
        t = pat.sub(rep, t)
    return t


@lru_cache(maxsize=1 << 16)
def same_name(a: str, b: str, *, threshold: int = SURNAME_SIMILARITY) -> bool:
    """True when two name tokens are the same name, up to spelling and transliteration."""
    fa, fb = fold(a), fold(b)
    if fa == fb:
        return True
    ta, tb = translit(a), translit(b)
    if ta == tb:
        return True
    if min(len(ta), len(tb)) < FUZZY_MIN_LEN or ta[0] != tb[0]:
        return False
    return fuzz.ratio(ta, tb) >= threshold


def name_tokens(text: str) -> list[str]:
    """The words of a name without honorifics, "the" and possessive ("Mr Zelensky's" -> [Zelensky])."""
    text = re.sub(r"['\u2019]s?$", "", text.strip())
    words = text.split()
    while words and (fold(words[0]) in HONORIFICS or fold(words[0]) == "the"):
        words = words[1:]
    return words


def split_person(tokens: list[str]) -> tuple[str | None, list[str]]:
    """(first name or None, surname words): "Bart de Wever" -> ("Bart", ["de", "Wever"])."""
    if len(tokens) <= 1:
        return None, tokens
    for k in range(1, len(tokens)):
        if fold(tokens[k]) in PARTICLES:
            return tokens[0], tokens[k:]
    return tokens[0], tokens[-1:]


def _first_compatible(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True
    fa, fb = fold(a).rstrip("."), fold(b).rstrip(".")
    if len(fa) == 1 or len(fb) == 1:
        return fa[0] == fb[0]
    return same_name(a, b)


def _surname_matches(token_surname: list[str], surname: list[str]) -> bool:
    return _surnames_match(tuple(token_surname), tuple(surname))


@lru_cache(maxsize=1 << 16)
def _surnames_match(token_surname: tuple[str, ...], surname: tuple[str, ...]) -> bool:
    if len(token_surname) == len(surname):
        return all(same_name(x, y) for x, y in zip(token_surname, surname))
    # "Wever" against "de Wever"
    return same_name(token_surname[-1], surname[-1])


def cluster_person_names(names: list[list[str]]) -> list[int]:
    """A cluster id for each person name (a list of words, honorifics removed).

    Full names are placed first, longest first: one joins a cluster when the
    surnames match and the first names agree. Then each bare surname joins the
    one cluster it fits; when none or several fit ("Obama" with Barack and
    Michelle), bare surnames of the same spelling form a cluster of their own.
    """
    # "Kim Jong-un" and "Kim Jong Un" are one name
    names = [[p for w in n for p in w.split("-") if p] for n in names]
    order = sorted(range(len(names)), key=lambda i: (-len(names[i]), i))
    clusters: list[tuple[str | None, list[str]]] = []
    ids = [-1] * len(names)
    singles: dict[str, int] = {}
    for i in order:
        first, surname = split_person(names[i])
        if not surname:
            continue
        if first is not None:
            for cid, (cf, cs) in enumerate(clusters):
                if cf is not None and _surname_matches(surname, cs) and _first_compatible(first, cf):
                    ids[i] = cid
                    break
            else:
                clusters.append((first, surname))
                ids[i] = len(clusters) - 1
            continue
        fits = [cid for cid, (cf, cs) in enumerate(clusters) if cf is not None and _surname_matches(surname, cs)]
        if not fits:
            # no surname fits: a given name alone ("Kim" for Kim Jong Un), when only one person has it
            fits = [cid for cid, (cf, cs) in enumerate(clusters) if cf is not None and same_name(cf, surname[-1])]
        if len(fits) == 1:
            ids[i] = fits[0]
            continue
        key = translit(surname[-1])
        if key not in singles:
            for k, cid in singles.items():
                if same_name(k, key):
                    singles[key] = cid
                    break
            else:
                clusters.append((None, surname))
                singles[key] = len(clusters) - 1
        ids[i] = singles[key]
    return ids


def cluster_other_names(names: list[str]) -> list[int]:
    """A cluster id for each non-person name (folded): equal names, or long near-equal ones."""
    ids: list[int] = []
    reps: list[str] = []
    seen: dict[str, int] = {}
    for n in names:
        if n in seen:
            ids.append(seen[n])
            continue
        for cid, r in enumerate(reps):
            if n == r or (min(len(n), len(r)) >= OTHER_FUZZY_MIN_LEN and fuzz.ratio(n, r) >= OTHER_SIMILARITY):
                ids.append(cid)
                break
        else:
            reps.append(n)
            ids.append(len(reps) - 1)
        seen[n] = ids[-1]
    # an acronym joins the one long name it abbreviates ("eu" / "european union")
    expansions: dict[str, set[int]] = {}
    for r, cid in seen.items():
        words = [w for w in re.split(r"[\s\-]+", r) if w and w not in ACRONYM_SKIP]
        if len(words) >= 2:
            expansions.setdefault("".join(w[0] for w in words), set()).add(cid)
    merge = {}
    for r, cid in seen.items():
        short = r.replace(".", "")
        if " " not in r and 2 <= len(short) <= 6 and len(expansions.get(short, ())) == 1:
            merge[cid] = next(iter(expansions[short]))
    return [merge.get(i, i) for i in ids]


# Words left out of an acronym ("Security Service of Ukraine" -> SSU).
ACRONYM_SKIP = frozenset({"of", "the", "and", "for", "&"})


def _canonical(forms: list[list[str]]) -> str:
    """The name to show: the most frequent full name ("Donald Trump" over a rarer "Donald J.
    Trump"), longer on a tie, first seen on a tie again; a bare surname only when that is all."""
    full = [f for f in forms if len(f) >= 2] or forms
    joined = [" ".join(f) for f in full]
    counts = Counter(joined)
    return max(counts, key=lambda k: (counts[k], len(k.split()), -joined.index(k)))


# --- mentions ------------------------------------------------------------------


@dataclass(slots=True)
class Mention:
    """One mention while the article is being resolved (token span [i, j))."""

    i: int
    j: int
    label: str
    votes: Counter = field(default_factory=Counter)
    words: list[str] = field(default_factory=list)
    description: bool = False
    key: str = ""
    roles: list[tuple[tuple[str, ...], frozenset[str]]] = field(default_factory=list)


def _is_name_token(t) -> bool:
    return t.text[:1].isupper() and t.is_alpha and t.pos_ in ("PROPN", "NOUN", "ADJ", "X")


# Lower-case words the NER sometimes takes into a name's start ("meet European Commission").
_NOT_NAME_START = frozenset({"VERB", "AUX", "ADV", "ADP", "PRON", "SCONJ", "CCONJ", "PART", "DET"})


def _is_first_name(t) -> bool:
    """A capitalised proper noun that can open a person's name (not a role, title or other entity)."""
    low = fold(t.text)
    return (
        t.pos_ == "PROPN" and t.is_alpha and t.text[:1].isupper() and not t.text.isupper() and not t.ent_type_
        and low not in HONORIFICS and low not in ROLE_FIRST_WORDS and low not in ROLE_LAST_WORDS
    )


def _trim(doc, i: int, j: int) -> tuple[int, int]:
    while i < j and (doc[i].lower_ == "the" or doc[i].is_punct or (doc[i].is_lower and doc[i].pos_ in _NOT_NAME_START)):
        i += 1
    while j > i and (doc[j - 1].is_punct or doc[j - 1].text in ("'s", "\u2019s", "'", "\u2019")):
        j -= 1
    return i, j


def _pieces(doc, start: int, end: int) -> list[tuple[int, int]]:
    """An entity cut at line breaks and spaced dashes ("Telegram\nZelenskyy", "Kharkiv - Ukraine")."""
    out, i = [], start
    for k in range(start, end + 1):
        if k == end or doc[k].is_space or "\n" in doc[k].whitespace_ or (doc[k].text in ("-", "\u2013", "\u2014", "|") and doc[k - 1].whitespace_):
            stop = k + 1 if k < end and not doc[k].is_space and doc[k].text not in ("-", "\u2013", "\u2014", "|") else k
            if stop > i:
                out.append((i, stop))
            i = k + 1
    return out


def _initial_mentions(doc) -> list[Mention]:
    out: list[Mention] = []
    taken = set()
    for ent in doc.ents:
        if ent.label_ not in ENTITY_LABELS:
            continue
        pieces = _pieces(doc, ent.start, ent.end)
        for a, b in pieces:
            i, j = _trim(doc, a, b)
            if i >= j or (len(pieces) > 1 and not any(t.pos_ == "PROPN" for t in doc[i:j])):
                continue
            m = Mention(i, j, ent.label_)
            m.votes[ent.label_] += MODEL_VOTE
            if fold(doc[i].text) in HONORIFICS:
                m.votes["PERSON"] += RULE_VOTE
            elif i > 0 and fold(doc[i - 1].text) in HONORIFICS and doc[i - 1].text[:1].isupper():
                m.i = i - 1
                m.votes["PERSON"] += RULE_VOTE
            elif ent.label_ == "PERSON" and j - i == 1 and i > 0 and (i - 1) not in taken and _is_first_name(doc[i - 1]):
                m.i = i - 1  # "Irakly Kobakhidze" where the model tagged only the surname
            out.append(m)
            taken.update(range(m.i, m.j))
    # Honorific + capitalised words the NER missed ("Mr Peskov").
    for t in doc:
        if t.i in taken or fold(t.text) not in HONORIFICS or not t.text[:1].isupper():
            continue
        j = t.i + 1
        while j < len(doc) and j not in taken and _is_name_token(doc[j]):
            j += 1
        if j > t.i + 1:
            m = Mention(t.i, j, "PERSON")
            m.votes["PERSON"] += RULE_VOTE
            out.append(m)
            taken.update(range(t.i, j))
    return out


def _words_of(doc, m: Mention) -> list[str]:
    return name_tokens(doc[m.i : m.j].text)


def _person_surnames(mentions: list[Mention]) -> list[tuple[str | None, list[str]]]:
    """(first name, surname words) of the full person names, each name once."""
    out: dict[tuple, tuple[str | None, list[str]]] = {}
    for m in mentions:
        if len(m.words) >= 2 and m.votes.most_common(1)[0][0] == "PERSON":
            out.setdefault(tuple(m.words), split_person(m.words))
    return list(out.values())


def _matches_person(words: list[str], persons: list[tuple[str | None, list[str]]]) -> bool:
    if not words:
        return False
    first, surname = split_person(words)
    return any(_surname_matches(surname, s) and _first_compatible(first, f) for f, s in persons)


def _person_votes(doc, mentions: list[Mention]) -> None:
    """Votes for PERSON: a two- or three-word name before a reporting verb or after a role,
    then (once those count) any name whose surname a person of the article carries."""
    names = []
    for m in mentions:
        if m.label not in MISLABELLED_PERSON or not m.words:
            continue
        if has_org_word(m.words) or not all(w[:1].isupper() and w.replace("-", "").isalpha() for w in m.words if fold(w) not in PARTICLES):
            continue
        names.append(m)
        if 2 <= len(m.words) <= 3 and ((m.j < len(doc) and doc[m.j].lower_ in REPORTING) or _role_before(doc, m.i)):
            m.votes["PERSON"] += RULE_VOTE
    persons = _person_surnames(mentions)
    for m in names:
        if m.votes.most_common(1)[0][0] != "PERSON" and _matches_person(m.words, persons) and (len(m.words) >= 2 or len(m.words[0]) >= FUZZY_MIN_LEN):
            m.votes["PERSON"] += RULE_VOTE


def _role_before(doc, i: int) -> bool:
    """True when a role phrase ends right before token i ("top commander, Oleksandr Syrskyi")."""
    k = i - 1 if i > 0 and doc[i - 1].text == "," else i
    if k == 0 or fold(doc[k - 1].text) not in ROLE_LAST_WORDS:
        return False
    for role in ROLES:
        n = len(role)
        if k - n >= 0 and all(fold(doc[k - n + x].text) == role[x] for x in range(n)):
            return True
    return False


def _missed_speakers(doc, mentions: list[Mention]) -> list[Mention]:
    """Two or three capitalised proper nouns right before a reporting verb that the NER
    left untagged ("Irakly Beridze told reporters")."""
    taken = {k for m in mentions for k in range(m.i, m.j)}
    out = []
    for t in doc:
        if t.lower_ not in REPORTING or t.i < 2:
            continue
        i = t.i
        while i > 0 and t.i - i < 3 and (i - 1) not in taken and _is_name_token(doc[i - 1]) and doc[i - 1].pos_ == "PROPN":
            i -= 1
        words = [w.text for w in doc[i : t.i]]
        if len(words) >= 2 and not has_org_word(words):
            m = Mention(i, t.i, "PERSON", words=words)
            m.votes["PERSON"] += RULE_VOTE
            out.append(m)
    return out


def _missed_surnames(doc, mentions: list[Mention]) -> list[Mention]:
    """Surnames of persons named elsewhere that the NER did not tag at all ("Zelenskyy says")."""
    persons = _person_surnames(mentions)
    if not persons:
        return []
    taken = {k for m in mentions for k in range(m.i, m.j)}
    out = []
    for t in doc:
        if t.i in taken or not _is_name_token(t) or len(t.text) < FUZZY_MIN_LEN:
            continue
        if any(_surname_matches([t.text], s) for _, s in persons):
            i = t.i
            if i > 0 and (i - 1) not in taken and fold(doc[i - 1].text) in HONORIFICS:
                i -= 1
            m = Mention(i, t.i + 1, "PERSON")
            m.votes["PERSON"] += RULE_VOTE
            m.words = [t.text]
            out.append(m)
    return out


def _place_votes(doc, mentions: list[Mention]) -> None:
    from storyline.annotate.places import BEFORE_WORDS, clean_place_name, gazetteer, is_region_mention

    gaz = gazetteer()
    persons = _person_surnames(mentions)
    for m in mentions:
        if len(m.words) == 1 and m.label in ("GPE", "NORP", "LOC") and not gaz.by_name.get(fold(m.words[0])) and gaz.country_of_adjective(m.words[0]):
            m.votes["NORP"] += RULE_VOTE  # "Ukrainian" is a nationality, not a place
            continue
        if m.label not in MISLABELLED_PLACE or m.votes["PERSON"] > MODEL_VOTE:
            continue
        if m.label == "PERSON" and (len(m.words) > 1 or _matches_person(m.words, [p for p in persons if p[0]])):
            continue
        if m.j < len(doc) and doc[m.j].lower_ in REPORTING:
            continue  # "Jackson said": a speaker, not a place
        if m.label == "ORG" and len(m.words) > 1:
            continue
        span = doc[m.i : m.j]
        name = clean_place_name(span.text)
        region = is_region_mention(doc, span.start_char, span.end_char)
        cands = gaz.candidates(name, region=region)
        if not cands:
            continue
        hinted = region or (m.i > 0 and doc[m.i - 1].lower_ in BEFORE_WORDS)
        if any(p.kind != "city" or p.population >= PLACE_MIN_POPULATION or hinted for p, _ in cands):
            m.votes["GPE"] += RULE_VOTE
            if m.label == "LOC" and any(p.kind == "country" for p, _ in cands):
                m.votes["LOC"] += 0  # "eastern Ukraine" keeps LOC when the NER said so


def _missed_regions(doc, mentions: list[Mention]) -> list[Mention]:
    """Capitalised names before "region"/"oblast" the NER did not tag ("the Belgorod region")."""
    from storyline.annotate.places import REGION_WORDS, gazetteer

    taken = {k for m in mentions for k in range(m.i, m.j)}
    out = []
    for t in doc:
        if fold(t.text) not in REGION_WORDS:
            continue
        k = t.i - 1
        if k >= 0 and doc[k].lower_ == "border":
            k -= 1
        while k >= 0:
            c = doc[k]
            if c.i not in taken and _is_name_token(c) and gazetteer().candidates(c.text, region=True):
                m = Mention(k, k + 1, "GPE")
                m.votes["GPE"] += RULE_VOTE
                m.words = [c.text]
                out.append(m)
                taken.add(k)
            if k >= 2 and doc[k - 1].lower_ in ("and", "or", ","):
                k -= 2
                continue
            break
    return out


def _vote_labels(doc, mentions: list[Mention]) -> None:
    """Every mention of the same name takes the label with most votes over all of them."""
    totals: dict[str, Counter] = {}
    for m in mentions:
        totals.setdefault(fold(" ".join(m.words)), Counter()).update(m.votes)
    for m in mentions:
        votes = totals[fold(" ".join(m.words))]
        best = max(votes.values())
        # keep the model's label on a tie
        m.label = m.label if votes[m.label] == best else votes.most_common(1)[0][0]


# --- roles and descriptions -----------------------------------------------------


def _match_role(doc, k: int) -> int:
    """End token of a role phrase starting at token k, or k when none starts there."""
    if fold(doc[k].text) not in ROLE_FIRST_WORDS:
        return k
    for role in ROLES:
        n = len(role)
        if k + n <= len(doc) and all(fold(doc[k + x].text) == role[x] for x in range(n)):
            if doc[k + n - 1].tag_ in ("NNS", "NNPS") or doc[k + n - 1].pos_ not in ("NOUN", "PROPN"):
                continue
            return k + n
    return k


def _role_countries(doc, i: int, j: int, ent_at: dict[int, Mention]) -> tuple[int, frozenset[str]]:
    """Walk left from a role phrase over its modifiers; (start token, countries named)."""
    from storyline.annotate.places import gazetteer

    gaz = gazetteer()
    countries = set()
    k = i - 1
    while k >= 0:
        t = doc[k]
        if t.text in ("'s", "\u2019s") or t.pos_ in ("ADJ", "PROPN") or (t.pos_ == "NOUN" and t.dep_ in ("compound", "amod", "nmod", "poss")):
            if t.text not in ("'s", "\u2019s"):
                iso = gaz.country_of_adjective(t.text)
                if iso:
                    countries.add(iso)
            k -= 1
            continue
        break
    start = k + 1
    if j + 1 < len(doc) and doc[j].lower_ == "of" and (j + 1) in ent_at:
        iso = gaz.country_of_adjective(" ".join(ent_at[j + 1].words))
        if iso:
            countries.add(iso)
    return start, frozenset(countries)


def _roles_and_descriptions(doc, mentions: list[Mention]) -> list[Mention]:
    """Record roles of named persons; return unresolved description mentions."""
    ent_at = {m.i: m for m in mentions}
    ent_end = {m.j: m for m in mentions}
    taken = {k for m in mentions for k in range(m.i, m.j)}
    descs = []
    k = 0
    while k < len(doc):
        end = _match_role(doc, k)
        if end == k or k in taken:
            k += 1
            continue
        role = tuple(fold(doc[x].text) for x in range(k, end))
        start, countries = _role_countries(doc, k, end, ent_at)
        j = end  # "the Prime Minister of Belgium"
        if end + 1 < len(doc) and doc[end].lower_ == "of" and (end + 1) in ent_at:
            j = ent_at[end + 1].j
        nxt = j + 1 if j < len(doc) and doc[j].text == "," else j
        holder = ent_at.get(nxt) if nxt in ent_at and ent_at[nxt].label == "PERSON" else None
        if holder is not None:
            holder.roles.append((role, countries))
        # appositive after a name: "Zelensky, the Ukrainian president,"
        named = ent_end.get(start - 1) if start > 1 and doc[start - 1].text == "," else None
        if named is None and start > 2 and doc[start - 1].lower_ in DESCRIPTION_DETERMINERS and doc[start - 2].text == ",":
            named = ent_end.get(start - 2)
        if named is not None and named.label == "PERSON":
            named.roles.append((role, countries))
            holder = holder or named
        possessive = any(doc[x].text in ("'s", "\u2019s") for x in range(start, k))
        if start > 0 and doc[start - 1].lower_ in DESCRIPTION_DETERMINERS:
            start -= 1
        elif not possessive:
            k = end
            continue
        d = Mention(start, j, "PERSON", description=True)
        d.roles.append((role, countries))
        if holder is not None:
            d.key = holder.key  # "the EU's foreign policy chief, Kaja Kallas"
        descs.append(d)
        k = end
    return descs


def _role_fits(desc_role, roles) -> bool:
    role, countries = desc_role
    for r, c in roles:
        if (r == role or r[-1] == role[-1]) and (not countries or not c or countries & c):
            return True
    return False


# --- the step -------------------------------------------------------------------


def extract_entities(doc) -> list[Annotation]:
    """Entity annotations of one parsed article, each with its resolved key.

    value: ``{"key", "name", "forms", "mention"}``; ``mention`` is "name" or
    "description" (a role phrase resolved to a named person).
    """
    doc = Tokens(doc)  # the rules index tokens often: make each Token once
    mentions = _initial_mentions(doc)
    for m in mentions:
        m.words = _words_of(doc, m)
    mentions = [m for m in mentions if m.words]
    mentions += _missed_speakers(doc, mentions)
    _person_votes(doc, mentions)
    _vote_labels(doc, mentions)
    mentions += _missed_surnames(doc, mentions)
    _place_votes(doc, mentions)
    mentions += _missed_regions(doc, mentions)
    _vote_labels(doc, mentions)
    mentions.sort(key=lambda m: m.i)

    # Persons: cluster by name.
    persons = [m for m in mentions if m.label == "PERSON"]
    ids = cluster_person_names([m.words for m in persons])
    groups: dict[int, list[Mention]] = {}
    for m, cid in zip(persons, ids):
        groups.setdefault(cid, []).append(m)
    for ms in groups.values():
        key = "person:" + fold(_canonical([m.words for m in ms]))
        for m in ms:
            m.key = key

    _nearest_namesake(persons)

    # Others: cluster by folded name within a label, countries by their ISO code.
    _key_others(mentions)

    # Roles and descriptions.
    descs = _roles_and_descriptions(doc, mentions)
    roles_by_key: dict[str, list] = {}
    for m in persons:
        roles_by_key.setdefault(m.key, []).extend(m.roles)
    for d in descs:
        if d.key:
            mentions.append(d)
            continue
        before = [m for m in persons if m.j <= d.i]
        fits = Counter(m.key for m in before if _role_fits(d.roles[0], roles_by_key.get(m.key, [])))
        if fits:
            d.key = fits.most_common(1)[0][0]
        elif d.j < len(doc) and doc[d.j].lower_ != "of":
            # no holder known: the last person named shortly before, if no role of theirs excludes it
            prev = _previous_sentence_start(doc, d.i)
            free = [m for m in before if not roles_by_key.get(m.key) and " " in m.key and m.i >= prev]
            if free:
                d.key = free[-1].key
        if d.key:
            mentions.append(d)
    mentions.sort(key=lambda m: m.i)
    return _annotations(doc, mentions)


def _previous_sentence_start(doc, i: int) -> int:
    """Start token of the sentence before token i's (walking back: Token.sent rescans the doc)."""
    seen = 0
    for k in range(i, 0, -1):
        if doc[k].is_sent_start:
            seen += 1
            if seen == 2:
                return k
    return 0


def _nearest_namesake(persons: list[Mention]) -> None:
    """A bare surname shared by several people named in the article ("Lindqvist" after Ewa and
    Johan Lindqvist) goes to the one named last before it; before any of them it stays apart."""
    full = [m for m in persons if len(m.words) >= 2]
    surnames: dict[tuple[str, ...], set[str]] = {}  # surname words -> keys of the people carrying it
    for f in full:
        surnames.setdefault(tuple(split_person(f.words)[1]), set()).add(f.key)
    for m in persons:
        if len(m.words) != 1:
            continue
        keys = {k for sn, ks in surnames.items() if _surname_matches(m.words, list(sn)) for k in ks}
        if len(keys) < 2:
            continue
        before = [f for f in full if f.key in keys and f.j <= m.i]
        if before:
            m.key = before[-1].key


def _place_key_name(gaz, name: str) -> str:
    """The name a place's key is made from: a country's own name ("US" -> united states), a big
    city's primary name ("Kiev" -> kyiv), else the folded name as written."""
    iso = next((p.country for p, _ in gaz.by_name.get(name, ()) if p.kind == "country"), None)
    if iso:
        return fold(gaz.country_names[iso])
    if gaz.by_name.get(name):  # a US state or a continent: its own name
        return fold(gaz.by_name[name][0][0].name)
    cities = gaz.cities_by_name.get(name, ())
    if cities:
        big = max(cities, key=lambda c: c[0].population)[0]
        if big.population >= PLACE_MIN_POPULATION or len(cities) == 1:
            return fold(big.name)
    return name


def _key_others(mentions: list[Mention]) -> None:
    from storyline.annotate.places import gazetteer

    gaz = gazetteer()
    others = [m for m in mentions if m.label != "PERSON"]
    by_label: dict[str, list[Mention]] = {}
    for m in others:
        by_label.setdefault(m.label, []).append(m)
    for label, ms in by_label.items():
        names = []
        for m in ms:
            name = fold(" ".join(m.words))
            if label in ("GPE", "LOC"):
                name = _place_key_name(gaz, name)
            names.append(name)
        ids = cluster_other_names(names)
        first_name: dict[int, str] = {}
        for m, n, cid in zip(ms, names, ids):
            m.key = f"{label.lower()}:{first_name.setdefault(cid, n)}"


def _annotations(doc, mentions: list[Mention]) -> list[Annotation]:
    forms: dict[str, list[str]] = {}
    words: dict[str, list[list[str]]] = {}
    labels: dict[str, str] = {}
    for m in mentions:
        span = doc[m.i : m.j]
        forms.setdefault(m.key, [])
        if span.text not in forms[m.key]:
            forms[m.key].append(span.text)
        if not m.description:
            words.setdefault(m.key, []).append(m.words)
            labels.setdefault(m.key, m.label)
    out = []
    for m in mentions:
        span = doc[m.i : m.j]
        if m.key not in words:
            name = span.text
        elif m.key.startswith("person:"):
            name = _canonical(words[m.key])
        else:
            name = Counter(" ".join(w) for w in words[m.key]).most_common(1)[0][0]
        label = labels.get(m.key, m.label)
        value = {"key": m.key, "name": name, "forms": forms[m.key], "mention": "description" if m.description else "name"}
        out.append(Annotation("entity", span.start_char, span.end_char, span.text, label, value))
    return out


# --- speakers --------------------------------------------------------------------


def resolve_speaker(entities: list[Annotation], start: int | None, end: int | None, text: str | None, at: int) -> Annotation | None:
    """The entity mention a quote's speaker refers to, or None.

    An entity mention is the speaker when it covers the speaker span or ends
    where it ends (the head of "Kremlin spokesman Dmitry Peskov", "Russia's
    Defence Ministry"; not "Chinese" in "Chinese soldiers"); names and
    resolved role descriptions ("the Ukrainian president") both count. A
    personal pronoun takes the last person mentioned before ``at``.
    """
    if start is not None and end is not None:
        over = [
            a
            for a in entities
            if a.start < end and start < a.end and ((a.start <= start and a.end >= end) or (a.end >= end - 2 and a.label != "NORP"))
        ]
        if over:
            return max(over, key=lambda a: (a.label == "PERSON", a.end, a.end - a.start))
    if text and fold(text.strip()) in PRONOUNS:
        before = [a for a in entities if a.label == "PERSON" and a.end <= at]
        if before:
            return max(before, key=lambda a: a.end)
    return None


# --- across a story ---------------------------------------------------------------


def story_keys(articles: list[list[Annotation]]) -> dict[tuple[int, str], tuple[str, str]]:
    """(article index, article key) -> (story key, story name) for the entities of a story's articles."""
    clusters: dict[tuple[int, str], dict] = {}
    for n, anns in enumerate(articles):
        for a in anns:
            if a.kind != "entity" or "key" not in a.value:
                continue
            c = clusters.setdefault((n, a.value["key"]), {"label": a.label, "name": a.value.get("name", a.text), "count": 0, "forms": []})
            c["count"] += 1
            for f in a.value.get("forms", ()):
                if f not in c["forms"]:
                    c["forms"].append(f)
    items = list(clusters.items())
    out: dict[tuple[int, str], tuple[str, str]] = {}
    persons = [(k, c) for k, c in items if c["label"] == "PERSON"]
    ids = cluster_person_names([name_tokens(c["name"]) for _, c in persons])
    _assign(out, persons, ids, "person")
    by_label: dict[str, list] = {}
    for k, c in items:
        if c["label"] != "PERSON":
            by_label.setdefault(c["label"], []).append((k, c))
    for label, group in by_label.items():
        ids = cluster_other_names([k[1].split(":", 1)[-1] for k, _ in group])
        _assign(out, group, ids, label.lower())
    return out


def _assign(out: dict, group: list, ids: list[int], prefix: str) -> None:
    members: dict[int, list] = {}
    for (k, c), cid in zip(group, ids):
        members.setdefault(cid, []).append((k, c))
    for ms in members.values():
        names = [name_tokens(c["name"]) or [c["name"]] for _, c in ms for _ in range(c["count"])]
        name = _canonical(names) if prefix == "person" else Counter(c["name"] for _, c in ms).most_common(1)[0][0]
        key = f"{prefix}:{fold(name)}" if prefix == "person" else min(k[1] for k, _ in ms)
        for k, _ in ms:
            out[k] = (key, name)


def resolve_across(articles: list[list[Annotation]]) -> list[list[Annotation]]:
    """The articles' annotations with entity keys (and quote speaker keys) made story-wide.

    The same person spelled Zelensky / Zelenskyy / Zelenskiy in different
    articles gets one key; "Barack Obama" and "Michelle Obama" keep two; a
    bare "Obama" joins only when one full name fits. Each entity's ``forms``
    become the union over the story. Input lists are not modified.
    """
    mapping = story_keys(articles)
    forms: dict[str, list[str]] = {}
    for n, anns in enumerate(articles):
        for a in anns:
            if a.kind == "entity" and (n, a.value.get("key")) in mapping:
                lst = forms.setdefault(mapping[(n, a.value["key"])][0], [])
                lst.extend(f for f in a.value.get("forms", ()) if f not in lst)
    out = []
    for n, anns in enumerate(articles):
        new = []
        for a in anns:
            if a.kind == "entity" and (n, a.value.get("key")) in mapping:
                key, name = mapping[(n, a.value["key"])]
                a = replace(a, value={**a.value, "key": key, "name": name, "forms": list(forms[key]), "article_key": a.value["key"]})
            elif a.kind == "quote" and a.value.get("speaker_key"):
                hit = mapping.get((n, a.value["speaker_key"]))
                if hit:
                    a = replace(a, value={**a.value, "speaker_key": hit[0], "speaker": hit[1]})
            new.append(a)
        out.append(new)
    return out
