"""Alignment: which sentences, quotes and figures of different outlets say the same thing.

Every function here works on prepared members (``units.Member``) and returns
groups of references into them; ``report`` turns the groups into the
documented JSON. Grouping is union-find over pair links, and each link rule
is a small, separately tunable test (knobs in ``settings.toml``).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from storyline.compare import figures as fig
from storyline.compare import quotes as qt
from storyline.compare.text import Span, content_words
from storyline.compare.units import Member, Sentence, Weights


class UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self, n: int) -> list[list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for i in range(n):
            out[self.find(i)].append(i)
        return sorted(out.values(), key=lambda g: g[0])


# ------------------------------------------------------------------------- quotes


@dataclass(slots=True)
class QuoteGroup:
    units: list[qt.QuoteUnit]
    speaker: str | None = None
    speaker_key: str | None = None
    speaker_conflict: bool = False
    speakers: dict[str, str] = field(default_factory=dict)  # outlet -> speaker named


def group_quotes(members: list[Member], weights: Weights, cfg: dict[str, Any]) -> list[QuoteGroup]:
    """Group quote sentences across members: same speaker and similar words, or near-identical words."""
    units: list[qt.QuoteUnit] = []
    for m in members:
        units.extend(qt.quote_units(m.index, m.text, m.quotes, cfg["min_quote_words"]))
    n = len(units)
    uf = UnionFind(n)
    ratio = cfg["speaker_name_ratio"]
    for i, a in enumerate(units):
        # each quote sentence joins its best match in every other member, so a
        # statement quoted in full does not chain its sentences together
        best: dict[int, tuple[float, int]] = {}
        wa = frozenset(a.words)
        for j, b in enumerate(units):
            if a.member == b.member:
                continue
            wb = frozenset(b.words)
            if len(wa & wb) < 2:
                continue
            sim = _quote_similarity(wa, wb, weights)
            same = qt.same_speaker(a.speaker_key, b.speaker_key, ratio)
            if (same and sim >= cfg["same_speaker_threshold"]) or sim >= cfg["any_speaker_threshold"]:
                if sim > best.get(b.member, (0.0, -1))[0]:
                    best[b.member] = (sim, j)
        for _, j in best.values():
            uf.union(i, j)
    _join_statements(units, uf, weights, cfg)
    groups = []
    for idx in uf.groups(n):
        g = QuoteGroup([units[i] for i in idx])
        _name_speaker(g, members, ratio)
        groups.append(g)
    return groups


def _join_statements(units: list[qt.QuoteUnit], uf: UnionFind, weights: Weights, cfg: dict[str, Any]) -> None:
    """Whole quotes of one speaker in two members that are one statement, translated differently.

    Sentence by sentence a translation shares too few words ("Greece stands
    beside the Turkish people" / "Greece is at the side of the people of
    Turkey"); the whole quotes, taken together, share enough.
    """
    whole: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        whole[(u.member, u.quote)].append(i)
    keys = list(whole)
    ratio = cfg["speaker_name_ratio"]
    for x, ka in enumerate(keys):
        a = units[whole[ka][0]]
        wa = frozenset(w for i in whole[ka] for w in units[i].words)
        for kb in keys[x + 1:]:
            b = units[whole[kb][0]]
            if a.member == b.member or not qt.same_speaker(a.speaker_key, b.speaker_key, ratio):
                continue
            wb = frozenset(w for i in whole[kb] for w in units[i].words)
            if min(len(wa), len(wb)) < cfg["statement_min_words"] or len(wa & wb) < 2:
                continue  # a scare-quoted phrase ("since I was a boy") is no statement
            if weights.cosine(wa, wb) >= cfg["statement_threshold"]:
                for i in whole[ka] + whole[kb]:
                    uf.union(whole[ka][0], i)


def _quote_similarity(a: frozenset[str], b: frozenset[str], weights: Weights) -> float:
    # A fragment quoted inside a sentence ("significantly more citizens") is
    # judged by how much of it the other version contains.
    if min(len(a), len(b)) <= 4:
        return weights.overlap(a, b) * 0.9
    return weights.cosine(a, b)


def _name_speaker(g: QuoteGroup, members: list[Member], ratio: float) -> None:
    """The group's speaker (most outlets agree), and whether outlets name different speakers."""
    keys: list[str] = []
    names: dict[str, str] = {}
    for u in g.units:
        if u.speaker_key:
            canon = next((k for k in keys if qt.same_speaker(k, u.speaker_key, ratio)), u.speaker_key)
            keys.append(canon)
            if len(u.speaker or "") > len(names.get(canon, "")):
                names[canon] = u.speaker or canon
            g.speakers.setdefault(members[u.member].outlet, u.speaker or canon)
    if not keys:
        return
    counts = defaultdict(set)
    for u, k in zip([u for u in g.units if u.speaker_key], keys):
        counts[k].add(members[u.member].outlet)
    best = sorted(counts, key=lambda k: (-len(counts[k]), keys.index(k)))[0]
    g.speaker_key, g.speaker = best, names[best]
    g.speaker_conflict = len(counts) > 1 and len({o for s in counts.values() for o in s}) > 1 and any(
        counts[k] - counts[best] for k in counts if k != best)


# -------------------------------------------------------------------------- facts


def align_facts(members: list[Member], weights: Weights, cfg: dict[str, Any],
                links: list[tuple[Sentence, Sentence]]) -> list[list[Sentence]]:
    """Group sentences into facts: each sentence links to its best match in every other outlet.

    ``links`` are extra sentence pairs known to state one claim (a shared
    quote, a figure about the same thing).
    """
    sents = [s for m in members for s in m.sentences if len(s.words) >= cfg["min_content_words"]]
    pos = {(s.member, s.index): k for k, s in enumerate(sents)}
    outlet = [members[s.member].outlet for s in sents]
    uf = UnionFind(len(sents))
    wanted: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for i, a in enumerate(sents):
        best: dict[str, tuple[float, int]] = {}
        for j, b in enumerate(sents):
            if outlet[i] == outlet[j]:
                continue
            sim = weights.cosine(a.words, b.words) + cfg["figure_bonus"] * _shares_counted(a, b)
            if sim >= cfg["fact_threshold"] and sim > best.get(outlet[j], (0.0, -1))[0]:
                best[outlet[j]] = (sim, j)
        for sim, j in best.values():
            wanted[i].append((j, sim))
    for i, targets in wanted.items():
        for j, sim in targets:
            # mutual best matches, or a strong one: keeps a loosely related
            # sentence from hanging on to a fact another sentence states better
            if sim >= cfg["strong_threshold"] or any(k == i for k, _ in wanted.get(j, [])):
                uf.union(i, j)
    for a, b in links:
        if (a.member, a.index) in pos and (b.member, b.index) in pos:
            uf.union(pos[(a.member, a.index)], pos[(b.member, b.index)])
    return [[sents[i] for i in g] for g in uf.groups(len(sents))]


def _shares_counted(a: Sentence, b: Sentence) -> bool:
    return any(f.counted and g.counted == f.counted for f in a.figures for g in b.figures)


# ------------------------------------------------------------------------ figures


@dataclass(slots=True)
class FigureConflict:
    counted: str | None
    mentions: list[tuple[Sentence, fig.Figure]]  # one mention per outlet and value, in text order
    classes: list[list[int]]  # indexes into mentions, grouped by agreeing value
    predicate: str | None = None  # what the figures say happened ("dead"), if known
    approximate: bool = False  # a differing value is given as approximate ("about 40")


def figure_conflicts(members: list[Member], weights: Weights, cfg: dict[str, Any]) -> tuple[
        list[FigureConflict], list[tuple[Sentence, Sentence]]]:
    """Figures of one claim in different outlets that disagree.

    One claim is the same counted thing with the same predicate
    (``figures.same_claim``: "12 people died" / "killed 15", not "200 were
    injured"); figures in background sentences ("a 2020 quake killed 117")
    are never compared. Returns the conflicts and the sentence pairs found to
    state one claim (agreeing or not), which the fact alignment uses as
    links. A pair is not a conflict when either outlet also reports the
    other's value for that claim ("six soldiers engaged, two captured" is not
    six against two).
    """
    tol = cfg["approximate_tolerance"]
    # an increment ("four more bodies") is not a value of the total it adds to
    mentions = [(s, f) for m in members for s in m.sentences for f in s.figures if not f.background
                and not f.increment]
    outlet = [members[s.member].outlet for s, _ in mentions]
    uf = UnionFind(len(mentions))
    links, conflict_pairs = [], set()
    by_outlet: dict[str, list[fig.Figure]] = defaultdict(list)
    for (_, f), o in zip(mentions, outlet):
        by_outlet[o].append(f)
    reported: dict[tuple[str, int], bool] = {}

    def reports(who: str, k: int) -> bool:
        """Whether outlet ``who`` states mention k's value (computed once per outlet and mention)."""
        if (who, k) not in reported:
            reported[(who, k)] = _reports(by_outlet[who], mentions[k][1], tol)
        return reported[(who, k)]

    # runs of consecutive mentions from one outlet: the pairs of different outlets are visited
    # in the same order as by a plain double loop, without stepping over the pairs within an
    # outlet one by one (quadratic in the number of figures, even for a story of one article)
    runs: list[tuple[int, int]] = []  # [start, end) of each run
    for k in range(len(mentions)):
        if k and outlet[k] == outlet[k - 1]:
            runs[-1] = (runs[-1][0], k + 1)
        else:
            runs.append((k, k + 1))
    run_of = [r for r, (lo, hi) in enumerate(runs) for _ in range(lo, hi)]
    for i, (sa, fa) in enumerate(mentions):
        later = (j for lo, hi in runs[run_of[i] + 1:] if outlet[lo] != outlet[i] for j in range(lo, hi))
        for j in later:
            sb, fb = mentions[j]
            sim = weights.cosine(sa.words, sb.words)
            if not fig.same_claim(fa, fb):
                # the same uncommon number ("2,400 dockers" / "2,400 workers") in similar sentences
                if fa.value == fb.value and fa.value > 10 and sim >= cfg["claim_similarity"]:
                    links.append((sa, sb))
                continue
            said = fa.predicate is not None and fa.predicate == fb.predicate
            if sim < (cfg["predicate_similarity"] if said else cfg["claim_similarity"]):
                continue
            if fig.agree(fa, fb, tol, bounds=False):
                uf.union(i, j)
                links.append((sa, sb))
                continue
            if fig.agree(fa, fb, tol):
                uf.union(i, j)  # "at least 15" and "15": one claim, no conflict
                continue
            if any(g.value == fb.value for g in sa.figures) or any(g.value == fa.value for g in sb.figures):
                continue  # the sentence gives both numbers: two different quantities
            if reports(outlet[i], j) or reports(outlet[j], i):
                continue
            uf.union(i, j)
            links.append((sa, sb))
            conflict_pairs.add((i, j))
    out = []
    for idx in uf.groups(len(mentions)):
        if not any((i, j) in conflict_pairs for i in idx for j in idx):
            continue
        out.append(_conflict([mentions[i] for i in idx], [outlet[i] for i in idx], tol))
    return out, links


def _conflict(ms: list[tuple[Sentence, fig.Figure]], outlets: list[str], tol: float) -> FigureConflict:
    """Value classes of one claim: exact figures first, qualified ones join the value they agree with."""
    order = sorted(range(len(ms)), key=lambda k: (ms[k][1].qualifier is not None, ms[k][0].member, ms[k][1].start))
    classes: list[list[int]] = []
    for k in order:
        f = ms[k][1]
        fits = [c for c in classes if fig.agree(ms[c[0]][1], f, tol)]
        if f.qualifier is not None and any(outlets[x] == outlets[k] for c in fits for x in c):
            continue  # a bound or estimate agreeing with a value its outlet is listed with already
        best = next((c for c in fits if ms[c[0]][1].value == f.value), fits[0] if fits else None)
        if best is None:
            classes.append([k])
        elif all(outlets[x] != outlets[k] for x in best):
            best.append(k)  # an outlet repeating its figure is listed once
    keep = sorted(k for c in classes for k in c)
    pos = {k: n for n, k in enumerate(keep)}
    classes = [sorted(pos[k] for k in c) for c in classes]
    kept = [ms[k] for k in keep]
    heads = [f.counted for _, f in kept if f.counted and f.counted not in fig.GENERIC]
    units = [fig.unit_key(f.unit) for _, f in kept if f.unit]
    preds = [f.predicate for _, f in kept if f.predicate]
    counted = _most(units) or _most(heads) or _most(preds) or _most([f.counted for _, f in kept if f.counted])
    approx = len(classes) > 1 and any(f.qualifier == "approx" for _, f in kept)
    return FigureConflict(counted, kept, classes, _most(preds), approx)


def _most(xs: list) -> Any:
    return max(xs, key=lambda x: (xs.count(x), -xs.index(x))) if xs else None


def _reports(figures: list[fig.Figure], other: fig.Figure, tol: float) -> bool:
    """Whether one outlet's ``figures`` (its mentions) state the value of ``other``."""
    # plain agreement only (no bounds): "about 300 residents" must not count as "at least 15 people";
    # and only a stated value: a bound ("more than a dozen", "at least 12") or a round word ("a dozen",
    # "dozens") is not the outlet reporting 12
    return any(f.qualifier not in ("min", "max") and not f.vague and fig.same_claim(f, other)
               and fig.agree(f, other, tol, bounds=False) for f in figures)


# ------------------------------------------------------------------ unique details

_CLAUSE = re.compile(r"\s*(?:[,;:](?=[\s”\"’])|[()\u2014\u2013]|\s-\s)\s*")


def unique_parts(sentence: Sentence, partners: list[Sentence], others: list[Sentence], text: str,
                 weights: Weights, cfg: dict[str, Any]) -> list[Span]:
    """Clauses of an aligned sentence that add words none of its counterparts has."""
    covered = set().union(*(p.words for p in partners)) if partners else set()
    base = sentence.span.start
    clauses, pos = [], 0
    for piece in _CLAUSE.split(sentence.span.text):
        start = sentence.span.text.find(piece, pos)
        pos = start + len(piece)
        ws = set(content_words(piece))
        if ws:
            clauses.append((start, piece, ws, ws - covered))
    if len(clauses) < 2:
        return []  # a one-clause sentence that aligns is a paraphrase, not a new detail
    # the clause that carries the alignment is never a unique detail
    main = max(clauses, key=lambda c: weights.weight(c[2] - c[3]))
    out = []
    for start, piece, ws, new in clauses:
        if piece is main[1] and start == main[0]:
            continue
        if qt.has_cue(piece):
            continue  # "she told supporters": attribution, not a detail
        if len(ws) < 3 or len(new) < cfg["min_new_words"] or weights.weight(new) < cfg["min_new_share"] * weights.weight(ws):
            continue
        # the detail may sit in another sentence of another outlet
        if any(weights.overlap(new, o.words) >= 0.5 for o in others):
            continue
        out.append(Span(base + start, base + start + len(piece), text[base + start:base + start + len(piece)]))
    return out
