"""`storyline bench stories_fit`: fit the learned story score on ECB+ train, pick its threshold on dev.

The learned score (``[grouping] score = "learned"``) is a logistic model over the per-channel
average cosines of an article to a story plus conflict terms (``storyline.stories.group.MODEL_TERMS``).
Its training pairs come from ``ecbplus_train`` ONLY: the articles are fed in date order to a
grouper whose stories are the gold events (an oracle: each article joins its gold event's story),
and every candidate story the inverted index returns for an article gives one pair (label: the
candidate is the article's event). This is exactly the article-vs-story situation of the real
grouper, with its online IDF and candidate retrieval. Features never use the id, the file order
beyond the date order the grouper always uses, or whether an article has a source.

Then the threshold is swept on ``ecbplus_dev`` with the real grouper. Prints the coefficients as
a ``[model]`` table for settings.toml. ECB+ test and NewsWCL50 are never read here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from storyline.bench import shared_data

DESCRIPTION = "fit the learned story score on ecbplus_train (oracle pairs), sweep its threshold on ecbplus_dev"


def oracle_pairs(rows: list[dict[str, Any]], anns: list[Any] | None, settings) -> tuple[list[list[float]], list[int]]:
    """(features, labels) of every (article, candidate story) pair, stories = gold events."""
    from storyline.stories import Grouper, doc_from_record

    g = Grouper(settings)
    order = sorted(range(len(rows)), key=lambda i: (rows[i].get("published") is None, rows[i].get("published") or "", i))
    story_of: dict[Any, int] = {}
    xs: list[list[float]] = []
    ys: list[int] = []
    for i in order:
        doc = doc_from_record(rows[i], anns[i] if anns else None)
        ev = rows[i]["event"]
        g._advance(doc.day)
        vec, pvec = g.vectorize_channels(doc)
        top = sorted(vec, key=lambda f: (-vec[f], f))[: max(g.s.query_terms, g.s.index_terms)]
        cands = g.index.candidates([(f, vec[f]) for f in top[: g.s.query_terms]], g.s.max_candidates)
        gold_sid = story_of.get(ev)
        for sid in cands:
            st = g.stories[sid]
            if g._time_factor(st, doc.day) is None:
                continue
            xs.append(g.learned_terms(pvec, doc, st))
            ys.append(int(sid == gold_sid))
        if gold_sid is None or gold_sid not in g.stories:
            st = g._new_story()
            story_of[ev] = st.id
        else:
            st = g.stories[gold_sid]
        g._join(st, doc, vec, top, None, pvec)
    return xs, ys


def policy_pairs(rows: list[dict[str, Any]], anns: list[Any] | None, settings) -> tuple[list[list[float]], list[int]]:
    """(features, labels) of the pairs the real grouper with ``settings`` meets on ``rows``:
    every scored candidate story of every article, label 1 when most of the story's members
    (at that moment) are of the article's gold event. Adds the grouper's own mistakes (mixed
    stories) to the oracle pairs."""
    from collections import Counter

    from storyline.stories import Grouper, doc_from_record

    g = Grouper(settings)
    order = sorted(range(len(rows)), key=lambda i: (rows[i].get("published") is None, rows[i].get("published") or "", i))
    ev_of = {rows[i]["id"]: rows[i]["event"] for i in order}
    xs: list[list[float]] = []
    ys: list[int] = []
    orig = g._scored

    def hooked(vec, day, top, pvec=None, doc=None):
        scored, n = orig(vec, day, top, pvec, doc)
        for _, sid in scored:
            st = g.stories[sid]
            members = [m for m in st.members if m in ev_of]
            maj = Counter(ev_of[m] for m in members).most_common(1)[0][0] if members else None
            xs.append(g.learned_terms(pvec, doc, st))
            ys.append(int(maj == ev_of[doc.article_id]))
        return scored, n

    g._scored = hooked
    for i in order:
        g.add(doc_from_record(rows[i], anns[i] if anns else None))
    return xs, ys


def fit(xs, ys, c: float = 1.0) -> dict[str, float]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from storyline.stories.group import MODEL_TERMS

    m = LogisticRegression(C=c, max_iter=5000).fit(np.array(xs), np.array(ys))
    out = {"bias": float(m.intercept_[0])}
    out.update({t: float(w) for t, w in zip(MODEL_TERMS, m.coef_[0])})
    return out


def add_arguments(p) -> None:
    p.add_argument("--no-annotate", action="store_true", help="text-only features")
    p.add_argument("--ann-cache", metavar="DIR", default=None, help="annotation cache dir (see bench stories)")
    p.add_argument("--C", type=float, default=1.0, help="inverse L2 regularisation of the logistic model")
    p.add_argument("--thresholds", default="0.3,0.35,0.4,0.45,0.5,0.55,0.6,0.65,0.7",
                   help="thresholds to try on ecbplus_dev")
    p.add_argument("--min-words", type=float, default=0.0,
                   help="fit only on pairs whose word cosine reaches this (the pairs the decision hinges on)")
    p.add_argument("--rounds", type=int, default=0,
                   help="add the pairs of this many runs of the fitted grouper on train (refitting after each)")
    p.add_argument("--start-threshold", type=float, default=0.5, help="threshold of those runs")
    p.add_argument("--terms", default="", help="comma-separated MODEL_TERMS to keep (default: all)")


def run(args) -> int:
    from storyline.bench.stories import annotations_for, cache_path, group_direct, read_jsonl
    from storyline.stories import Settings
    from storyline.stories.group import MODEL_TERMS
    from storyline.stories.metrics import score

    data = shared_data() / "clustering"
    sets = {}
    for name in ("ecbplus_train", "ecbplus_dev"):
        path = data / f"{name}.jsonl"
        rows = read_jsonl(path)
        anns = None
        if not args.no_annotate:
            anns = annotations_for(rows, cache_path(path, args.ann_cache) if args.ann_cache else None)
        sets[name] = (rows, anns)
    base = Settings.load(score="learned", dedup=False)
    xs, ys = oracle_pairs(*sets["ecbplus_train"], base)
    keep = [t.strip() for t in args.terms.split(",") if t.strip()] or list(MODEL_TERMS)
    idx = [MODEL_TERMS.index(t) for t in keep]

    def fitted(xs, ys):
        if args.min_words:
            pairs = [(x, y) for x, y in zip(xs, ys) if x[0] >= args.min_words]
            xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
        coef = fit([[x[i] for i in idx] for x in xs], ys, args.C)
        # fit() names columns by MODEL_TERMS order; map back when a subset was kept
        named = {"bias": coef["bias"]}
        named.update({t: coef[MODEL_TERMS[j]] for j, t in enumerate(keep)})
        return named, len(ys), sum(ys)

    named, n_pairs, n_pos = fitted(xs, ys)
    for _ in range(args.rounds):
        st = Settings.load(score="learned", model=named, model_threshold=args.start_threshold)
        px, py = policy_pairs(*sets["ecbplus_train"], st)
        xs, ys = xs + px, ys + py
        named, n_pairs, n_pos = fitted(xs, ys)
    ys = [0] * (n_pairs - n_pos) + [1] * n_pos
    print(f"# fitted on ecbplus_train oracle pairs: {len(ys)} pairs, {sum(ys)} positive; C = {args.C}; "
          f"{'text-only' if args.no_annotate else 'annotated'}")
    print("[model]")
    for k, v in named.items():
        print(f"{k} = {v:.4f}")
    rows, anns = sets["ecbplus_dev"]
    tr_rows, tr_anns = sets["ecbplus_train"]
    gold = [r["event"] for r in rows]
    tr_gold = [r["event"] for r in tr_rows]
    for t in [float(v) for v in args.thresholds.split(",")]:
        st = Settings.load(score="learned", model=named, model_threshold=t)
        s = score(gold, group_direct(rows, annotate=anns is not None, settings=st, anns=anns)["pred"])
        s2 = score(tr_gold, group_direct(tr_rows, annotate=tr_anns is not None, settings=st, anns=tr_anns)["pred"])
        print(f"threshold {t:.2f}: dev P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f} stories {s.n_pred} | "
              f"train P {s2.precision:.3f} R {s2.recall:.3f} F1 {s2.f1:.3f} stories {s2.n_pred}")
    return 0
