"""compare_story: the comparison report of one story (schema in docs/comparison.md)."""
from __future__ import annotations

import tomllib
from collections import defaultdict
from functools import lru_cache
from typing import Any

from storyline.compare import align
from storyline.compare import quotes as qt
from storyline.compare.text import HERE, Span
from storyline.compare.units import Member, Sentence, Weights, prepare

SCHEMA_VERSION = 1
# what the report was computed with: raised when the comparison itself changes (not its keys),
# so a stored report made by older code is computed again (compare.persist.get_or_update)
METHOD_VERSION = 2  # 2: round words as bounds, increments, times as instants (session 12)


@lru_cache(maxsize=1)
def settings() -> dict[str, Any]:
    with open(HERE / "settings.toml", "rb") as fh:
        return tomllib.load(fh)


def compare_story(members: list[dict[str, Any]], story_id: int | None = None,
                  config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Align the statements of a story's members and report agreement and differences.

    ``members``: dicts with article_id, outlet, published, title, text, url,
    annotations (and optionally duplicate_of: such members are listed as
    copies and not compared). Pure and deterministic: the same members give
    the same report. Every item carries verbatim spans into the members' texts.
    """
    cfg = config or settings()
    copies = [m for m in members if m.get("duplicate_of")]
    live = [m for m in members if not m.get("duplicate_of")]
    ms = prepare(live, cfg)
    weights = Weights(ms)

    groups = align.group_quotes(ms, weights, cfg["quotes"])
    conflicts, fig_links = align.figure_conflicts(ms, weights, cfg["figures"])
    facts = align.align_facts(ms, weights, cfg["align"], fig_links + _quote_links(ms, groups))
    b = _Builder(ms, story_id)
    fact_rows, fact_of = b.facts(facts, cfg["consensus"]["min_outlets"])
    consensus = [f for f in fact_rows if f["count"] >= cfg["consensus"]["min_outlets"]]
    quote_rows = b.quote_groups(groups, cfg["quotes"])
    discrepancies = b.figure_discrepancies(conflicts, fact_of) + b.quote_discrepancies(quote_rows)
    for k, d in enumerate(discrepancies, 1):
        d["id"] = f"D{k}"
    unique = b.unique(facts, weights, cfg)
    outlets = b.outlets
    majority = max(cfg["consensus"]["min_outlets"], (len(outlets) + 1) // 2 + (len(outlets) % 2 == 0))
    omissions = {o: [f["fact_id"] for f in consensus if o not in f["outlets"] and f["count"] >= majority]
                 for o in outlets}
    timeline = b.timeline(fact_rows)
    first = min(ms, key=lambda m: m.order) if ms else None
    return {
        "schema_version": SCHEMA_VERSION,
        "method_version": METHOD_VERSION,
        "story_id": story_id,
        "outlets": outlets,
        "articles": [b.article(m) for m in sorted(ms, key=lambda m: m.order)],
        "copies": [{"article_id": c.get("article_id"), "outlet": c.get("outlet"), "duplicate_of": c.get("duplicate_of"),
                    "title": c.get("title") or ""} for c in copies],
        "first_reported": ({"outlet": first.outlet, "article_id": first.article_id, "published": first.published,
                            "title": first.title} if first else None),
        "consensus": consensus,
        "discrepancies": discrepancies,
        "quote_groups": quote_rows,
        "unique": unique,
        "omissions": omissions,
        "timeline": timeline,
        "coverage": {
            "outlets": outlets,
            "facts": [f["fact_id"] for f in consensus],
            "matrix": [[1 if o in f["outlets"] else 0 for f in consensus] for o in outlets],
        },
        "stats": {
            "members": len(ms), "sentences": sum(len(m.sentences) for m in ms), "facts": len(fact_rows),
            "annotated": sorted({k for m in ms for k in m.annotated}),
        },
    }


def _quote_links(ms: list[Member], groups: list[align.QuoteGroup]) -> list[tuple[Sentence, Sentence]]:
    """Sentences holding versions of one quote are one claim."""
    links = []
    for g in groups:
        sents = []
        for u in g.units:
            s = next((s for s in ms[u.member].sentences if s.span.start <= u.span.start < s.span.end), None)
            if s is not None:
                sents.append(s)
        links += [(sents[0], s) for s in sents[1:]]
    return links


class _Builder:
    """Turns alignment groups into report rows with verbatim spans."""

    def __init__(self, ms: list[Member], story_id: int | None):
        self.ms = ms
        self.story_id = story_id
        seen: list[str] = []
        for m in sorted(ms, key=lambda m: m.order):
            if m.outlet not in seen:
                seen.append(m.outlet)
        self.outlets = seen

    def span(self, member: int, span: Span) -> dict[str, Any]:
        m = self.ms[member]
        return {"article_id": m.article_id, "outlet": m.outlet, "start": span.start, "end": span.end,
                "text": m.text[span.start:span.end], "url": m.url}

    def article(self, m: Member) -> dict[str, Any]:
        return {"article_id": m.article_id, "outlet": m.outlet, "published": m.published, "title": m.title,
                "url": m.url, "sentences": len(m.sentences)}

    def _outlets(self, members) -> list[str]:
        present = {self.ms[i].outlet for i in members}
        return [o for o in self.outlets if o in present]

    def facts(self, facts: list[list[Sentence]], min_outlets: int):
        def first_key(group):
            return min((self.ms[s.member].order, s.span.start) for s in group)

        rows, fact_of = [], {}
        for k, group in enumerate(sorted(facts, key=first_key), 1):
            group = sorted(group, key=lambda s: (self.ms[s.member].order, s.span.start))
            fid = f"F{k}"
            outlets = self._outlets(s.member for s in group)
            lead = group[0]
            rows.append({
                "fact_id": fid,
                "summary": {"text": lead.span.text, "outlet": self.ms[lead.member].outlet,
                            "article_id": self.ms[lead.member].article_id, "verbatim": True},
                "outlets": outlets,
                "count": len(outlets),
                "spans": [self.span(s.member, s.span) for s in group],
                "_first": (self.ms[lead.member].order, lead.member),
            })
            for s in group:
                fact_of[(s.member, s.index)] = fid
        return rows, fact_of

    def quote_groups(self, groups: list[align.QuoteGroup], cfg: dict[str, Any]) -> list[dict[str, Any]]:
        rows = []
        ordered = sorted(groups, key=lambda g: min((self.ms[u.member].order, u.span.start) for u in g.units))
        for g in ordered:
            units = sorted(g.units, key=lambda u: (self.ms[u.member].order, u.span.start))
            ref = max(units, key=lambda u: len(u.span.text)) if units else None
            versions = []
            for u in units:
                v = {"outlet": self.ms[u.member].outlet, "article_id": self.ms[u.member].article_id,
                     "speaker": u.speaker, "span": self.span(u.member, u.span)}
                if u is not ref and len(units) > 1:
                    ratio = qt.wording_ratio(u.span.text, ref.span.text)
                    v["wording"] = "close" if ratio >= cfg["close_wording_ratio"] else "different"
                    if v["wording"] == "close":
                        added, dropped = qt.diff_parts(u.span.text, ref.span.text)
                        v["added"] = [self.span(u.member, Span(u.span.start + a, u.span.start + b,
                                                               u.span.text[a:b])) for a, b in added]
                        v["dropped"] = [self.span(ref.member, Span(ref.span.start + a, ref.span.start + b,
                                                                   ref.span.text[a:b])) for a, b in dropped]
                else:
                    v["wording"] = "reference"
                versions.append(v)
            outlets = self._outlets(u.member for u in units)
            rows.append({
                "group_id": f"Q{len(rows) + 1}", "speaker": g.speaker, "speaker_key": g.speaker_key,
                "speaker_conflict": g.speaker_conflict, "speakers": g.speakers,
                "outlets": outlets, "count": len(outlets), "versions": versions,
            })
        return rows

    def figure_discrepancies(self, conflicts: list[align.FigureConflict], fact_of) -> list[dict[str, Any]]:
        rows = []
        for c in conflicts:
            values = []
            for cls in c.classes:
                ms = [c.mentions[i] for i in cls]
                f0 = next((f for _, f in ms if f.qualifier is None), ms[0][1])
                values.append({
                    "value": f0.value, "text": f0.text,
                    "outlets": self._outlets(s.member for s, _ in ms),
                    "spans": [self.span(s.member, Span(f.start, f.end, f.text)) for s, f in ms],
                    "sentences": [self.span(s.member, s.span) for s, _ in ms],
                })
            facts = sorted({fact_of[(s.member, s.index)] for s, _ in c.mentions if (s.member, s.index) in fact_of},
                           key=lambda f: int(f[1:]))
            rows.append({"kind": "figure", "counted": c.counted, "predicate": c.predicate,
                         "approximate": c.approximate, "values": values, "facts": facts,
                         "spans": [sp for v in values for sp in v["spans"]]})
        return rows

    def quote_discrepancies(self, quote_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows = []
        for q in quote_rows:
            if q["count"] < 2:
                continue
            if q["speaker_conflict"]:
                rows.append({"kind": "quote-speaker", "group_id": q["group_id"], "speakers": q["speakers"],
                             "spans": [v["span"] for v in q["versions"]]})
            for v in q["versions"]:
                if v.get("added") or v.get("dropped"):
                    rows.append({"kind": "quote-part", "group_id": q["group_id"], "outlet": v["outlet"],
                                 "added": v.get("added", []), "dropped": v.get("dropped", []),
                                 "spans": [v["span"]]})
        return rows

    def unique(self, facts: list[list[Sentence]], weights: Weights, cfg: dict[str, Any]) -> list[dict[str, Any]]:
        by_outlet: dict[str, list[dict[str, Any]]] = defaultdict(list)
        all_sents = [s for m in self.ms for s in m.sentences]
        for group in facts:
            outlets = {self.ms[s.member].outlet for s in group}
            for s in group:
                o = self.ms[s.member].outlet
                if len(outlets) == 1:
                    by_outlet[o].append({"kind": "sentence", **self.span(s.member, s.span)})
                    continue
                partners = [p for p in group if self.ms[p.member].outlet != o]
                # sentences are told apart by (member, index): a set of those, not a list scan with
                # the dataclass __eq__ (quadratic on a long story, and slow per comparison)
                taken = {(p.member, p.index) for p in partners}
                others = [x for x in all_sents if self.ms[x.member].outlet != o and (x.member, x.index) not in taken]
                for part in align.unique_parts(s, partners, others, self.ms[s.member].text, weights, cfg["unique"]):
                    by_outlet[o].append({"kind": "part", **self.span(s.member, part)})
        out = []
        for o in self.outlets:
            spans = sorted(by_outlet.get(o, []), key=lambda d: (self._order(d["article_id"]), d["start"]))
            out.append({"outlet": o, "spans": spans})
        return out

    def _order(self, article_id: int) -> int:
        return next((m.order for m in self.ms if m.article_id == article_id), 0)

    def timeline(self, fact_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        new: dict[int, list[str]] = defaultdict(list)
        for f in fact_rows:
            new[f.pop("_first")[1]].append(f["fact_id"])
        return [{"time": m.published, "article_id": m.article_id, "outlet": m.outlet, "title": m.title,
                 "new_facts": new.get(m.index, [])} for m in sorted(self.ms, key=lambda m: m.order)]
