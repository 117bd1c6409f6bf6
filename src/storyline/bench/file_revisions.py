"""`storyline bench file_revisions`: the overlap an edited file keeps with its earlier version,
against the overlap of two different articles (``ingest.file_revisions``).

An edited text or HTML file is taken as a revision of the article it held when their bodies'
word sets overlap enough (Jaccard, ``REVISION_OVERLAP``; with the same headline
``HEADLINE_OVERLAP``). Printed, for each kind of pair, the distribution of that overlap and the
share of pairs at or above each threshold:

- different articles: every pair of the example corpus (``examples/``: three stories told by up
  to seven outlets, so many pairs report the same event); in ECB+ (``../shared/data``, when
  present) two documents on two events of one kind (two earthquakes: what a scraper's rolling
  file holds one after the other) and two documents on the same event (another outlet's report,
  or a follow-up);
- edits of every article, made by script (seeded, so the figures repeat): a figure changed, one
  or two paragraphs added (taken from another report of the same event), the text a third or a
  half longer, a paragraph cut, the lead rewritten (replaced by another report's lead; articles
  of three paragraphs or more), the lead rewritten and a paragraph added (four or more).
"""
from __future__ import annotations

import itertools
import json
import random
import re
from pathlib import Path

from storyline.bench import REPO_ROOT, shared_data
from storyline.commands.term import dumps
from storyline.ingest.file_revisions import HEADLINE_OVERLAP, REVISION_OVERLAP, overlap
from storyline.ingest.readers import iter_files, read_path
from storyline.records import Article

DESCRIPTION = "word-set overlap of edited files vs different articles (the revision-by-file threshold)"

ECB_SPLITS = ("ecbplus_dev.jsonl", "ecbplus_train.jsonl")


def add_arguments(parser) -> None:
    parser.add_argument("--examples", default=str(REPO_ROOT / "examples"), help="the example corpus folder")
    parser.add_argument("--data", default=str(shared_data() / "clustering"),
                        help="folder with ECB+ (ecbplus_dev.jsonl, ecbplus_train.jsonl); skipped when absent")


def paragraphs(text: str) -> list[str]:
    """One paragraph a line, as the readers give them (blank lines between or not)."""
    return [p for p in text.splitlines() if p.strip()]


def edits(text: str, donor: str, rng: random.Random) -> dict[str, str]:
    """Realistic edits of ``text`` by kind; added or rewritten paragraphs come from ``donor``,
    another report of the same event."""
    ps, extra = paragraphs(text), paragraphs(donor) or ["More details were not given."]
    n, out = len(ps), {}
    numbers = list(re.finditer(r"\d+", text))
    if numbers:
        m = rng.choice(numbers)
        out["figure changed"] = text[:m.start()] + str(int(m.group()) + 3) + text[m.end():]
    out["paragraph added"] = text + "\n\n" + rng.choice(extra)
    out["two paragraphs added"] = text + "\n\n" + "\n\n".join(rng.sample(extra, min(2, len(extra))))
    out["a third longer"] = text + "\n\n" + "\n\n".join(extra[:max(1, n // 3)])
    out["half longer"] = text + "\n\n" + "\n\n".join(extra[:max(1, n // 2)])
    if n > 2:
        i = rng.randrange(1, n)
        out["paragraph cut"] = "\n\n".join(ps[:i] + ps[i + 1:])
        out["lead rewritten"] = "\n\n".join([extra[0]] + ps[1:])
    if n > 3:
        out["lead rewritten, paragraph added"] = "\n\n".join([extra[0]] + ps[1:] + [extra[-1]])
    return out


def example_articles(folder: str | Path) -> list[Article]:
    return [rec for f in iter_files([str(folder)]) if isinstance(f, Path)
            for rec in read_path(f) if isinstance(rec, Article)]


def summary(values: list[float]) -> dict:
    v = sorted(values)
    if not v:
        return {"n": 0}

    def q(p: float) -> float:
        return round(v[min(len(v) - 1, int(p * len(v)))], 3)

    return {"n": len(v), "min": round(v[0], 3), "p05": q(0.05), "p50": q(0.5), "p95": q(0.95),
            "max": round(v[-1], 3),
            "at_revision": round(sum(x >= REVISION_OVERLAP for x in v) / len(v), 3),
            "at_headline": round(sum(x >= HEADLINE_OVERLAP for x in v) / len(v), 3)}


def _edit_rows(docs: list[tuple[str, str]], donor_of, rng: random.Random) -> dict[str, list[float]]:
    """Per kind of edit, the overlap of each doc's text with its edited text."""
    out: dict[str, list[float]] = {}
    for key, text in docs:
        for kind, edited in edits(text, donor_of(key), rng).items():
            out.setdefault(kind, []).append(overlap(text, edited))
    return out


def measure(examples: str | Path, data: str | Path) -> dict:
    rng = random.Random(7)
    rows: dict[str, dict] = {}
    arts = example_articles(examples)
    rows["examples: different articles"] = summary(
        [overlap(a.text, b.text) for a, b in itertools.combinations(arts, 2)])
    texts = [a.text for a in arts]
    for kind, vals in _edit_rows(list(enumerate(texts)), lambda i: texts[(i + 1) % len(texts)], rng).items():
        rows[f"examples: {kind}"] = summary(vals)
    for name in ECB_SPLITS:
        path = Path(data) / name
        if not path.exists():
            continue
        docs = [r for r in (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
                if paragraphs(r["text"])]
        by_event: dict[str, list[dict]] = {}
        for r in docs:
            by_event.setdefault(r["event"], []).append(r)
        split = name.removesuffix(".jsonl")
        rows[f"{split}: two events of one kind"] = summary(
            [overlap(a["text"], b["text"]) for a, b in itertools.combinations(docs, 2)
             if a["event"] != b["event"] and a["event"].split("_")[0] == b["event"].split("_")[0]])
        rows[f"{split}: same event, another document"] = summary(
            [overlap(a["text"], b["text"]) for ev in by_event.values() for a, b in itertools.combinations(ev, 2)])
        by_id = {r["id"]: r for r in docs}

        def donor(doc_id: str) -> str:
            mates = [r for r in by_event[by_id[doc_id]["event"]] if r["id"] != doc_id] or list(docs)
            return rng.choice(mates)["text"]

        for kind, vals in _edit_rows([(r["id"], r["text"]) for r in docs], donor, rng).items():
            rows[f"{split}: {kind}"] = summary(vals)
    return {"revision_overlap": REVISION_OVERLAP, "headline_overlap": HEADLINE_OVERLAP, "rows": rows}


def run(args) -> int:
    result = measure(args.examples, args.data)
    if args.json:
        print(dumps(result))
        return 0
    print(f"word-set overlap (Jaccard); revision at >= {REVISION_OVERLAP}, with the same headline >= "
          f"{HEADLINE_OVERLAP}")
    print(f"{'pairs':52} {'n':>5} {'min':>6} {'p05':>6} {'p50':>6} {'p95':>6} {'max':>6} "
          f"{'>=rev':>6} {'>=head':>6}")
    for name, s in result["rows"].items():
        if s["n"]:
            print(f"{name:52} {s['n']:5d} {s['min']:6.3f} {s['p05']:6.3f} {s['p50']:6.3f} {s['p95']:6.3f} "
                  f"{s['max']:6.3f} {s['at_revision']:6.3f} {s['at_headline']:6.3f}")
    return 0
