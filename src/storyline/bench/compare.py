"""Comparison benchmark: quote grouping, discrepancies and unique details against our gold set.

The gold set (tests/data/compare/, invented stories told by invented
outlets, hand-marked) is described in its README. For each story the members
are annotated (``storyline.annotate`` when it is installed; otherwise the
comparison's own fallback finders run) and compared; the report is scored:

- quote grouping: pairwise precision/recall over pairs of gold quote mentions
  (a predicted version stands for the gold mention it overlaps);
- discrepancy detection: item precision/recall; a predicted figure
  discrepancy is right when its spans overlap gold figures of two different
  values, a predicted speaker conflict when it overlaps a gold conflicting
  quote group;
- unique details: item precision/recall; a predicted unique span is right
  when it overlaps a gold unique sentence or clause of the same member;
- facts (extra): pairwise precision/recall over pairs of gold-labelled sentences.

``--newswcl50`` also prints a short inspection of the NewsWCL50 stories
(real articles, unlabelled for this task) from ../shared/data.
"""
from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

from storyline.bench import REPO_ROOT, shared_data
from storyline.commands.term import dumps
from storyline.compare import compare_story

DESCRIPTION = "comparison: quote grouping, discrepancies, unique details (gold set in tests/data/compare)"
DEFAULT_DATA = REPO_ROOT / "tests" / "data" / "compare"
_LABEL = re.compile(r"\[([^\]]+)\]\s*")


def add_arguments(parser) -> None:
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="gold set folder (default: tests/data/compare)")
    parser.add_argument("--newswcl50", action="store_true", help="also inspect the NewsWCL50 stories (../shared/data)")
    parser.add_argument("--show", action="store_true", help="print every error (missed and wrong items)")
    parser.add_argument("--no-annotate", action="store_true", help="do not run storyline.annotate even if present")


# ----------------------------------------------------------------------- loading


def load_story(path: Path) -> dict[str, Any]:
    """A gold story with labels stripped: members ready for compare_story, plus gold spans."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    members, labels = [], {}
    for k, m in enumerate(raw["members"]):
        text, marks = _strip_labels(m["text"])
        members.append({"article_id": k + 1, "outlet": m["outlet"], "published": m.get("published"),
                        "title": m.get("title", ""), "text": text, "url": None, "annotations": []})
        labels[m["key"]] = (k, marks)
    return {"id": raw["id"], "members": members, "labels": labels, "quotes": raw.get("quotes", {}),
            "discrepancies": raw.get("discrepancies", [])}


def _strip_labels(text: str) -> tuple[str, list[tuple[str, int, int, str | None]]]:
    """Remove [label] marks; return clean text and (label, start, end, unique clause) per sentence."""
    out, marks, pos = [], [], 0
    pieces = _LABEL.split(text)
    clean = pieces[0]
    for i in range(1, len(pieces), 2):
        label, body = pieces[i], pieces[i + 1]
        unique = None
        if "|u=" in label:
            label, unique = label.split("|u=", 1)
        start = len(clean)
        clean += body
        seg = body.rstrip()
        marks.append((label, start, start + len(seg), unique))
    del out, pos
    return clean, marks


def gold_spans(story: dict[str, Any]) -> dict[str, Any]:
    """Gold items as (member index, start, end) spans."""
    members = story["members"]
    labels = story["labels"]

    def find(key: str, needle: str, within: tuple[int, int] | None = None) -> tuple[int, int, int]:
        idx, _ = labels[key]
        text = members[idx]["text"]
        lo, hi = within or (0, len(text))
        at = text.find(needle, lo, hi)
        if at < 0:
            raise ValueError(f"{story['id']}: {needle!r} not found in member {key}")
        return idx, at, at + len(needle)

    facts: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    unique = []
    for key, (idx, marks) in labels.items():
        for label, s, e, clause in marks:
            if label == "U":
                unique.append((idx, s, e))
            elif label.startswith("F"):
                facts[label].append((idx, s, e))
                if clause:
                    unique.append(find(key, clause, (s, e)))
    quotes = {}
    for qid, q in story["quotes"].items():
        quotes[qid] = {"conflict": q.get("conflict", False),
                       "mentions": [find(k, v) for k, v in q["mentions"].items()]}
    discs = []
    for d in story["discrepancies"]:
        spans = []
        for key, words in d["figures"].items():
            idx, marks = labels[key]
            sent = next(((s, e) for label, s, e, _ in marks if label == d["fact"] and
                         members[idx]["text"].find(words, s, e) >= 0), None)
            if sent is None:
                raise ValueError(f"{story['id']}: figure {words!r} not in {d['fact']} of {key}")
            spans.append((*find(key, words, sent), words))
        discs.append(spans)
    return {"facts": facts, "unique": unique, "quotes": quotes, "discrepancies": discs}


# ----------------------------------------------------------------------- scoring


def _overlap(a: tuple[int, int, int], span: dict[str, Any], members) -> bool:
    idx, s, e = a[:3]
    if members[idx]["article_id"] != span["article_id"]:
        return False
    inter = min(e, span["end"]) - max(s, span["start"])
    return inter > 0 and inter >= 0.5 * min(e - s, span["end"] - span["start"])


class Tally:
    def __init__(self):
        self.tp_p = self.n_p = self.tp_r = self.n_r = 0

    def add(self, tp_p: int, n_p: int, tp_r: int, n_r: int) -> None:
        self.tp_p += tp_p
        self.n_p += n_p
        self.tp_r += tp_r
        self.n_r += n_r

    def prf(self) -> dict[str, float]:
        p = self.tp_p / self.n_p if self.n_p else 1.0
        r = self.tp_r / self.n_r if self.n_r else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3),
                "predicted": self.n_p, "gold": self.n_r}


def score_story(story: dict[str, Any], report: dict[str, Any], tallies: dict[str, Tally],
                errors: list[str]) -> None:
    members = story["members"]
    gold = gold_spans(story)
    sid = story["id"]

    # quote grouping, pairwise over gold mentions
    mentions = [(qid, m) for qid, q in gold["quotes"].items() for m in q["mentions"]]
    gold_pairs = {frozenset((i, j)) for i, j in combinations(range(len(mentions)), 2)
                  if mentions[i][0] == mentions[j][0]}
    pred_pairs = set()
    for g in report["quote_groups"]:
        ids = set()
        for v in g["versions"]:
            hit = [k for k, (_, m) in enumerate(mentions) if _overlap(m, v["span"], members)]
            ids.update(hit or [("x", v["span"]["article_id"], v["span"]["start"])])
        pred_pairs |= {frozenset((a, b)) for a, b in combinations(sorted(ids, key=str), 2)}
    ok = pred_pairs & gold_pairs
    tallies["quote grouping"].add(len(ok), len(pred_pairs), len(ok), len(gold_pairs))
    for p in pred_pairs - gold_pairs:
        errors.append(f"{sid} quote pair wrong: {_describe(p, mentions, members)}")
    for p in gold_pairs - pred_pairs:
        errors.append(f"{sid} quote pair missed: {_describe(p, mentions, members)}")

    # discrepancies: figure conflicts and speaker conflicts
    gold_items = [("figure", spans) for spans in gold["discrepancies"]] + [
        ("quote-speaker", q["mentions"]) for q in gold["quotes"].values() if q["conflict"]]
    found = [False] * len(gold_items)
    pred = [d for d in report["discrepancies"] if d["kind"] in ("figure", "quote-speaker")]
    right = 0
    for d in pred:
        hit = False
        for k, (kind, spans) in enumerate(gold_items):
            if kind != d["kind"]:
                continue
            if kind == "figure":
                values = set()
                for v in d["values"]:
                    for sp in v["spans"]:
                        for gs in spans:
                            if _overlap(gs, sp, members):
                                values.add((v["value"], gs[3]))
                ok_ = len({w for _, w in values}) >= 2 and len({v for v, _ in values}) >= 2
            else:
                ok_ = sum(any(_overlap(gs, sp, members) for sp in d["spans"]) for gs in spans) >= 2
            if ok_:
                found[k] = hit = True
        right += hit
        if not hit:
            errors.append(f"{sid} discrepancy wrong: {d['kind']} " + " | ".join(
                sp["text"] for sp in d["spans"][:4]))
    for k, f in enumerate(found):
        if not f:
            errors.append(f"{sid} discrepancy missed: {gold_items[k][0]} " + " | ".join(
                members[g[0]]["text"][g[1]:g[2]] for g in gold_items[k][1]))
    tallies["discrepancies"].add(right, len(pred), sum(found), len(gold_items))

    # unique details
    pred_u = [sp for u in report["unique"] for sp in u["spans"]]
    hit_gold = [False] * len(gold["unique"])
    right = 0
    for sp in pred_u:
        hits = [k for k, g in enumerate(gold["unique"]) if _overlap(g, sp, members)]
        for k in hits:
            hit_gold[k] = True
        right += bool(hits)
        if not hits:
            errors.append(f"{sid} unique wrong: [{sp['outlet']}] {sp['text']}")
    for k, h in enumerate(hit_gold):
        if not h:
            g = gold["unique"][k]
            errors.append(f"{sid} unique missed: [{members[g[0]]['outlet']}] {members[g[0]]['text'][g[1]:g[2]]}")
    tallies["unique details"].add(right, len(pred_u), sum(hit_gold), len(gold["unique"]))

    # facts: pairwise over gold-labelled sentences of different outlets
    sents = [(label, span) for label, spans in gold["facts"].items() for span in spans]
    gold_f = {frozenset((i, j)) for i, j in combinations(range(len(sents)), 2)
              if sents[i][0] == sents[j][0] and sents[i][1][0] != sents[j][1][0]}
    pred_f = set()
    all_facts = report["consensus"]
    for f in all_facts:
        ids = {k for k, (_, g) in enumerate(sents) for sp in f["spans"] if _overlap(g, sp, members)}
        pred_f |= {frozenset((a, b)) for a, b in combinations(sorted(ids), 2) if sents[a][1][0] != sents[b][1][0]}
    ok = pred_f & gold_f
    tallies["facts (pairs)"].add(len(ok), len(pred_f), len(ok), len(gold_f))


def _describe(pair, mentions, members) -> str:
    out = []
    for k in pair:
        if isinstance(k, tuple):
            out.append(f"(not a gold quote @{k[1]}:{k[2]})")
        else:
            qid, (idx, s, e) = mentions[k]
            out.append(f"{qid}[{members[idx]['outlet']}] {members[idx]['text'][s:e][:60]}")
    return " <-> ".join(out)


# ---------------------------------------------------------------------- running


def _annotator():
    """storyline.annotate.annotate_texts when it exists (another stage), else None."""
    try:
        from storyline.annotate import annotate_texts  # type: ignore
    except ImportError:
        return None
    return annotate_texts


def annotate_members(members: list[dict[str, Any]], annotate=None) -> str:
    """Fill members' annotations with storyline.annotate (resolving entities across the story)."""
    annotate = annotate or _annotator()
    if annotate is None:
        return "fallback finders (storyline.annotate not installed)"
    anns = list(annotate([(m["text"], m.get("published"), m.get("outlet")) for m in members]))
    try:
        from storyline.annotate import resolve_across  # type: ignore
        anns = resolve_across(anns)
    except ImportError:
        pass
    for m, a in zip(members, anns):
        m["annotations"] = [x if isinstance(x, dict) else _as_dict(x) for x in a]
    return "storyline.annotate"


def _as_dict(a) -> dict[str, Any]:
    return {k: getattr(a, k) for k in ("kind", "start", "end", "text", "label", "value")}


def evaluate(data: Path, use_annotate: bool = True) -> dict[str, Any]:
    files = sorted((data / "stories").glob("*.json"))
    tallies = {k: Tally() for k in ("quote grouping", "discrepancies", "unique details", "facts (pairs)")}
    errors: list[str] = []
    mode = "fallback finders"
    t0 = time.perf_counter()
    annotate = _annotator() if use_annotate else None
    for f in files:
        story = load_story(f)
        if annotate:
            mode = annotate_members(story["members"], annotate)
        report = compare_story(story["members"], story_id=None)
        score_story(story, report, tallies, errors)
    return {"stories": len(files), "annotations": mode, "seconds": round(time.perf_counter() - t0, 2),
            "scores": {k: t.prf() for k, t in tallies.items()}, "errors": errors}


def inspect_newswcl50(limit_events: int = 10) -> list[dict[str, Any]]:
    path = shared_data() / "clustering" / "newswcl50.jsonl"
    if not path.exists():
        return []
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        events[d["event"]].append(d)
    out = []
    for ev in sorted(events)[:limit_events]:
        members = [{"article_id": k + 1, "outlet": d.get("source") or f"outlet{k}", "published": d.get("published"),
                    "title": d.get("title") or "", "text": d.get("text") or "", "url": d.get("url"),
                    "annotations": []} for k, d in enumerate(events[ev])]
        t0 = time.perf_counter()
        r = compare_story(members)
        out.append({"event": ev, "articles": len(members), "outlets": len(r["outlets"]),
                    "consensus": len(r["consensus"]), "quote_groups": sum(q["count"] > 1 for q in r["quote_groups"]),
                    "figure_discrepancies": sum(d["kind"] == "figure" for d in r["discrepancies"]),
                    "speaker_conflicts": sum(d["kind"] == "quote-speaker" for d in r["discrepancies"]),
                    "unique": sum(len(u["spans"]) for u in r["unique"]),
                    "seconds": round(time.perf_counter() - t0, 2),
                    "example_consensus": (r["consensus"][0]["summary"]["text"][:140] if r["consensus"] else None)})
    return out


def run(args) -> int:
    result = evaluate(Path(args.data), use_annotate=not args.no_annotate)
    if args.newswcl50:
        result["newswcl50"] = inspect_newswcl50()
    if args.json:
        if not args.show:
            result.pop("errors")
        print(dumps(result, indent=2))
        return 0
    print(f"comparison gold set: {result['stories']} stories, annotations: {result['annotations']}, "
          f"{result['seconds']} s")
    print(f"{'measure':<16} {'precision':>9} {'recall':>7} {'F1':>6} {'predicted':>9} {'gold':>5}")
    for name, s in result["scores"].items():
        print(f"{name:<16} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['f1']:>6.3f} {s['predicted']:>9} {s['gold']:>5}")
    if args.show:
        print("\n".join(result["errors"]))
    if args.newswcl50:
        rows = result["newswcl50"]
        if not rows:
            print("NewsWCL50 not found (../shared/data/clustering/newswcl50.jsonl); skipped", file=sys.stderr)
        for r in rows:
            print(f"{r['event']}: {r['articles']} articles, {r['consensus']} consensus facts, "
                  f"{r['quote_groups']} shared quotes, {r['figure_discrepancies']} figure / "
                  f"{r['speaker_conflicts']} speaker discrepancies, {r['unique']} unique details, {r['seconds']} s")
    return 0
