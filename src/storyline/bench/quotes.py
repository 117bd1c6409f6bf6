"""`storyline bench quotes [FILE.jsonl]`: quote attribution on PolNeAR-format data.

Each line holds ``text`` and gold ``attributions`` (source, cue and content
spans as character offsets). Scoring follows the Gender Gap Tracker
(Asr et al. 2021) as ../shared/data/README.md describes it:

- a predicted content *matches* a gold content when it covers at least
  30% (and, stricter, 80%) of the gold content's characters (a gold content
  made of several pieces counts all their characters);
- precision = predictions that match some gold content / predictions;
  recall = gold contents matched by some prediction / gold contents; F1;
- speaker accuracy, over gold contents matched at 0.3 that have a source:
  of the predictions covering at least 30% of the gold content, the one with
  the highest overlap over union (so a paragraph-long quote does not stand
  for a shorter attribution nested in it) names the speaker right
  when its speaker mention (or the antecedent it was resolved to) overlaps a
  gold source span, or its speaker name ends in the same word as a gold
  source's ("Donald Trump" for "Trump").

Articles annotated by several annotators are parsed once and scored against
each annotation file. The naive baseline (every quote-mark span) is printed
beside ours.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from storyline.bench import shared_data
from storyline.commands.term import dumps

DESCRIPTION = "quote attribution P/R/F1 at 0.3 and 0.8 overlap and speaker accuracy (PolNeAR format)"
THRESHOLDS = (0.3, 0.8)
_BASELINE = re.compile(r"\u201c[^\u201d\n]+\u201d|\"[^\"\n]+\"")


def add_arguments(parser) -> None:
    parser.add_argument("path", nargs="?", default=str(shared_data() / "quotes" / "polnear_dev.jsonl"),
                        help="a PolNeAR-format JSONL file (default: ../shared/data/quotes/polnear_dev.jsonl)")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N lines")


def load(path: str | Path, limit: int | None = None) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


def predict(rows: list[dict], nlp=None) -> dict[str, list[dict]]:
    """Our predictions per article: [{"start", "end", "speaker", "spans": [[s, e], ...]}]."""
    from storyline.annotate.quotes import extract_quotes

    if nlp is None:
        from storyline.annotate.nlp import get_nlp

        nlp = get_nlp()
    texts: dict[str, str] = {}
    for r in rows:
        texts.setdefault(r["article"], r["text"])
    keys = list(texts)
    out = {}
    for key, doc in zip(keys, nlp.pipe((texts[k] for k in keys), batch_size=16)):
        out[key] = predictions_of(extract_quotes(doc))
    return out


def predictions_of(annotations) -> list[dict]:
    """The fields the scorer reads, from quote annotations."""
    preds = []
    for a in annotations:
        spans = [s for s in (a.value.get("speaker_span"), a.value.get("speaker_antecedent_span")) if s]
        preds.append({"start": a.start, "end": a.end, "speaker": a.value.get("speaker"), "spans": spans,
                      "cue_span": a.value.get("cue_span")})
    return preds


def baseline(rows: list[dict]) -> dict[str, list[dict]]:
    """The naive floor: every span between quote marks, no speaker."""
    out = {}
    for r in rows:
        out.setdefault(r["article"], [{"start": m.start(), "end": m.end(), "speaker": None, "spans": []}
                                      for m in _BASELINE.finditer(r["text"])])
    return out


def _last_word(text: str | None) -> str:
    words = re.findall(r"\w+", (text or "").lower())
    return words[-1] if words else ""


def score(rows: list[dict], preds: dict[str, list[dict]]) -> dict:
    """Precision, recall, F1 at each threshold, and speaker accuracy (see the module docstring)."""
    counts = {t: {"pred": 0, "pred_ok": 0, "gold": 0, "gold_ok": 0} for t in THRESHOLDS}
    speaker_n = speaker_ok = 0
    for r in rows:
        ps = preds.get(r["article"], [])
        golds = []
        for a in r["attributions"]:
            chars = set()
            for s, e, _ in a["content"]:
                chars.update(range(s, e))
            if chars:
                golds.append((chars, a))
        covers = [[len(g.intersection(range(p["start"], p["end"]))) / len(g) for g, _ in golds] for p in ps]
        for t in THRESHOLDS:
            c = counts[t]
            c["pred"] += len(ps)
            c["gold"] += len(golds)
            c["pred_ok"] += sum(1 for row in covers if any(x >= t for x in row))
            c["gold_ok"] += sum(1 for j in range(len(golds)) if any(row[j] >= t for row in covers))
        for j, (_, a) in enumerate(golds):
            if a.get("no_source") or not a["source"]:
                continue
            # the prediction that corresponds best: among those covering >= 0.3 of the gold
            # content, the one with the highest overlap over union (a paragraph-long quote
            # covers an attribution nested in it, but does not correspond to it)
            matching = [i for i in range(len(ps)) if covers[i][j] >= THRESHOLDS[0]]
            if not matching:
                continue
            gold_chars = golds[j][0]
            best = max(matching, key=lambda i: covers[i][j] * len(gold_chars)
                       / (len(gold_chars) + (ps[i]["end"] - ps[i]["start"]) - covers[i][j] * len(gold_chars)))
            speaker_n += 1
            p = ps[best]
            hit = any(min(e, pe) > max(s, ps_) for s, e, _ in a["source"] for ps_, pe in p["spans"])
            hit = hit or (p["speaker"] and any(_last_word(p["speaker"]) == _last_word(txt) for _, _, txt in a["source"]))
            speaker_ok += bool(hit)
    figures = {}
    for t, c in counts.items():
        prec = c["pred_ok"] / c["pred"] if c["pred"] else 0.0
        rec = c["gold_ok"] / c["gold"] if c["gold"] else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        figures[str(t)] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4),
                           "predicted": c["pred"], "gold": c["gold"]}
    figures["speaker_accuracy"] = round(speaker_ok / speaker_n, 4) if speaker_n else None
    figures["speaker_pairs"] = speaker_n
    return figures


def run(args) -> int:
    path = Path(args.path)
    if not path.exists():
        print(f"no data at {path}")
        return 2
    rows = load(path, args.limit)
    t0 = time.perf_counter()
    ours = score(rows, predict(rows))
    seconds = time.perf_counter() - t0
    naive = score(rows, baseline(rows))
    naive["speaker_accuracy"] = None  # the regex names no speaker
    articles = len({r["article"] for r in rows})
    if args.json:
        print(dumps({"file": str(path), "annotation_files": len(rows), "articles": articles,
                          "seconds": round(seconds, 1), "ours": ours, "quote_mark_regex": naive}, indent=2))
        return 0
    print(f"{path}: {len(rows)} annotation files over {articles} articles, parsed and scored in {seconds:.0f} s")
    print(f"{'':18} {'P@0.3':>6} {'R@0.3':>6} {'F1@0.3':>7} {'P@0.8':>6} {'R@0.8':>6} {'F1@0.8':>7} {'speaker':>8}")
    for name, f in (("ours", ours), ("quote-mark regex", naive)):
        a, b = f["0.3"], f["0.8"]
        spk = f"{f['speaker_accuracy']:.3f}" if f["speaker_accuracy"] is not None else "-"
        print(f"{name:18} {a['precision']:>6.3f} {a['recall']:>6.3f} {a['f1']:>7.3f} "
              f"{b['precision']:>6.3f} {b['recall']:>6.3f} {b['f1']:>7.3f} {spk:>8}")
    print(f"(speaker accuracy over {ours['speaker_pairs']} matched gold contents with a source)")
    return 0
