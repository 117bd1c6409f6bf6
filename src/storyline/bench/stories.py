"""`storyline bench stories FILE.jsonl`: story grouping against labelled events.

Reads a labelled JSONL file (``id, title, text, published, source, event``: see
../shared/data/README.md), groups it and prints B-cubed precision/recall/F1, ARI, V-measure,
the number of stories, throughput (grouping alone and end to end) and peak memory, beside the
TF-IDF + average-linkage agglomerative baseline (threshold tuned on ECB+ dev).

Paths: the real pipeline (ingest -> clean -> annotate -> group into a temporary store) when
``storyline.pipeline`` provides it; otherwise (or with ``--direct``) the pure grouper fed with
StoryDocs built from the rows, with annotations from ``storyline.annotate`` when that exists,
text-only with ``--no-annotate``.

``--batch-snn`` also scores :func:`batch_snn`, a batch clustering over shared nearest
neighbours, and :func:`settle_snn`, the grouper's stories merged over the same similarity
(experiments for the next grouper, not the pipeline). ``--json`` prints one object:
``file, articles, path, precision, recall, f1, ari, v_measure, stories, gold_events,
group_articles_per_s, end_to_end_articles_per_s, peak_rss_mb``, then ``baseline``,
``batch_snn`` and ``settle_snn`` (each ``precision, recall, f1, ari, v_measure, stories, seconds`` and its
parameters) when they ran.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from storyline.bench import shared_data
from storyline.stories.persist import BATCH

DESCRIPTION = "group a labelled JSONL file and print B-cubed, ARI, V-measure, speed, memory, baseline"

# distance threshold of the baseline, tuned on ecbplus_dev with --tune-baseline (recorded in docs)
BASELINE_THRESHOLD = 0.8
# articles between two settle passes, as the pipeline's story stage batches them
SETTLE_EVERY = BATCH


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def agglomerative(rows: list[dict[str, Any]], threshold: float) -> list[int]:
    """TF-IDF (title counted three times) + average-linkage clustering at a cosine distance."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(rows) < 2:
        return [0] * len(rows)
    texts = [((r.get("title") or "") + " ") * 3 + (r.get("text") or "") for r in rows]
    x = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1).fit_transform(texts).toarray()
    model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                    distance_threshold=threshold)
    return [int(v) for v in model.fit_predict(x)]


def snn_cluster(sim, k: int = 4, a: float = 0.3, threshold: float = 0.30) -> list[int]:
    """Average-link clustering (from single articles) over ``stories.snn.snn_similarity``
    (``stories.snn.cluster``, which the pipeline's backlog pass also uses)."""
    from storyline.stories.snn import cluster

    return cluster(sim, k, a, threshold)


def merge_groups(sim, labels: list[Any], threshold: float) -> list[int]:
    """Average-link agglomeration that starts from the groups in ``labels`` (the grouper's
    stories) instead of single articles (``stories.snn.merge_closest``); never splits a group."""
    import numpy as np

    from storyline.stories.snn import merge_closest

    first: dict[Any, int] = {}
    groups = [first.setdefault(lab, len(first)) for lab in labels]
    parent = list(range(len(first)))
    for k, gone in merge_closest(np.asarray(sim, dtype=float), groups, threshold):
        parent[gone] = k
    def root(g: int) -> int:
        while parent[g] != g:
            g = parent[g]
        return g
    roots: dict[int, int] = {}
    return [roots.setdefault(root(g), len(roots)) for g in groups]


def _text_vectors(rows: list[dict[str, Any]]):
    """Cosine matrix of the grouper's own text-only article vectors (online IDF, the rows in
    date order, as ``group_direct`` feeds them)."""
    from storyline.stories import Grouper, doc_from_record
    from storyline.stories.snn import cosine_matrix

    order = sorted(range(len(rows)), key=lambda i: (rows[i].get("published") is None, rows[i].get("published") or "", i))
    g = Grouper()
    vecs = {i: g.vectorize(doc_from_record(rows[i], None)) for i in order}
    return cosine_matrix([vecs[i] for i in range(len(rows))])


def batch_snn(rows: list[dict[str, Any]], *, k: int = 4, a: float = 0.3, threshold: float = 0.30) -> list[int]:
    """:func:`snn_cluster` over the grouper's own text-only article vectors."""
    return snn_cluster(_text_vectors(rows), k=k, a=a, threshold=threshold)


def settle_snn(rows: list[dict[str, Any]], pred: list[Any], *, k: int = 4, a: float = 0.3,
               threshold: float = 0.30) -> list[int]:
    """The grouper's stories ``pred``, then :func:`merge_groups` over ``snn_similarity``: a
    story-level merge pass over the whole set (``Grouper.settle`` is the local form)."""
    from storyline.stories.snn import snn_similarity

    return merge_groups(snn_similarity(_text_vectors(rows), k, a), pred, threshold)


def tune_baseline(rows: list[dict[str, Any]]) -> float:
    from storyline.stories.metrics import bcubed

    gold = [r["event"] for r in rows]
    best = max((bcubed(gold, agglomerative(rows, t / 100))[2], t / 100) for t in range(50, 100, 2))
    return best[1]


def annotator():
    """``annotate_texts`` from the annotate stage if it exists, else None."""
    try:
        from storyline.annotate import annotate_texts  # type: ignore[attr-defined]
    except ImportError:
        return None
    return annotate_texts


def annotations_for(rows: list[dict[str, Any]], cache: str | Path | None = None) -> list[Any] | None:
    """Annotation dicts per row from the annotate stage (None when it is not there).

    With ``cache`` (a pickle path, e.g. keyed by the file's sha256 under /tmp) the annotations
    are read from it when present and written to it otherwise: spaCy takes ~110 ms an article,
    and grouping experiments only need the annotations once.
    """
    import pickle

    if cache is not None and Path(cache).exists():
        with open(cache, "rb") as f:
            return pickle.load(f)
    ann_fn = annotator()
    if ann_fn is None:
        return None
    from dataclasses import asdict, is_dataclass

    result = ann_fn([(r.get("text") or "", r.get("published")) for r in rows])
    anns = [[asdict(a) if is_dataclass(a) else a for a in lst] for lst in result]
    if cache is not None:
        with open(cache, "wb") as f:
            pickle.dump(anns, f)
    return anns


def cache_path(path: str | Path, cache_dir: str | Path) -> Path:
    """``cache_dir/annotations-<sha256 of the file>.pkl``."""
    import hashlib

    return Path(cache_dir) / f"annotations-{hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]}.pkl"


def group_direct(rows: list[dict[str, Any]], *, annotate: bool = True, settings=None,
                 anns: list[Any] | None = None, runs: int = 1) -> dict[str, Any]:
    """The pure grouper over StoryDocs built from the rows (date order, file order within a day).

    ``anns``: precomputed annotation dicts per row (see :func:`annotations_for`). ``runs``: feed
    the rows in that many consecutive runs of (about) equal size, as a store fed in several
    runs is: each run gets the backlog pass when it applies (``Backlog.applies``), against the
    stories of the runs before it."""
    from storyline.stories import Grouper, doc_from_record
    from storyline.stories.persist import Backlog, equal_cuts

    t0 = time.perf_counter()
    have = anns is not None
    if annotate and anns is None:
        anns = annotations_for(rows)
        have = anns is not None
    if not annotate or anns is None:
        anns = [None] * len(rows)
    ann_fn = have and annotate
    t_ann = time.perf_counter() - t0
    order = sorted(range(len(rows)), key=lambda i: (rows[i].get("published") is None, rows[i].get("published") or "", i))
    g = Grouper(settings)  # loads the word-frequency prior once (a few seconds), outside the timing
    t1 = time.perf_counter()
    docs = {i: doc_from_record(rows[i], anns[i]) for i in order}
    pred: dict[int, int] = {}
    cuts = equal_cuts(len(order), int(runs))
    runs = len(cuts) - 1
    passes = 0
    n = 0
    for a, b in zip(cuts, cuts[1:]):
        # each run in its parts, clustered by the backlog pass or one by one, as the pipeline
        # runs it (persist.assign_stories)
        for start, end, clustered in Backlog.parts(g, b - a):
            part = order[a + start:a + end]
            backlog = Backlog(g, part, [docs[i] for i in part]) if clustered else None
            passes += backlog is not None and backlog.clustered
            for i in part:
                pred[i] = (backlog.add(i, docs[i]) if backlog else g.add(docs[i])).story_id
                n += 1
                if n % SETTLE_EVERY == 0:
                    g.settle()  # a no-op unless the settle pass is on; the pipeline settles each batch
        g.settle()
        g.drain_retired()
    t_group = time.perf_counter() - t1
    return {"pred": [g.resolve(pred[i]) for i in range(len(rows))], "group_s": t_group, "total_s": time.perf_counter() - t0,
            "annotate_s": t_ann, "path": "direct" + ("+annotations" if ann_fn else " (text only)")
            + (" + backlog pass" if passes else "") + (f", {runs} runs" if runs > 1 else "")
            + (f" ({passes} parts clustered)" if passes and (runs > 1 or passes > 1) else "")}


def group_pipeline(path: Path, rows: list[dict[str, Any]], settings=None, runs: int = 1) -> dict[str, Any] | None:
    """The real pipeline on a temporary store; None when storyline.pipeline is not there yet.

    ``runs``: group the processed articles in that many consecutive runs (the store's own order:
    by date, then id), each a ``storyline process`` of its own."""
    try:
        from storyline import pipeline
    except ImportError:
        return None
    if not hasattr(pipeline, "ingest_paths") or not hasattr(pipeline, "process"):
        return None
    from storyline.store import connect
    from storyline.stories import Settings
    from storyline.stories.persist import _pending, assign_stories, equal_cuts

    settings = settings or Settings.load()

    with tempfile.TemporaryDirectory() as tmp:
        con = connect(os.path.join(tmp, "bench.db"))
        t0 = time.perf_counter()
        pipeline.ingest_paths(con, [str(path)])
        pipeline.process(con, stages=("clean", "annotate"))
        t1 = time.perf_counter()
        if runs > 1:
            ids = [r["id"] for r in _pending(con, None) if not r["is_liveblog"]]
            cuts = equal_cuts(len(ids), runs)
            runs = len(cuts) - 1
            backlog = 0
            for a, b in zip(cuts, cuts[1:]):
                backlog += assign_stories(con, ids[a:b], settings=settings).get("backlog", 0)
            res = {"backlog": backlog}
            assign_stories(con, settings=settings)  # the containers (live-blog pages), if any
        else:
            res = assign_stories(con, settings=settings)
        t_group = time.perf_counter() - t1
        total = time.perf_counter() - t0
        by_ext = {str(r[0]): r[1] for r in con.execute(
            "SELECT a.external_id, m.story_id FROM articles a JOIN story_members m ON m.article_id = a.id")}
        con.close()
    missing = [r["id"] for r in rows if str(r["id"]) not in by_ext]
    pred = [by_ext.get(str(r["id"]), -1 - i) for i, r in enumerate(rows)]
    return {"pred": pred, "group_s": t_group, "total_s": total, "ungrouped": len(missing),
            "path": "pipeline" + ("" if settings.use_annotations else " (text features)")
            + (" + backlog pass" if res.get("backlog") else "") + (f", {runs} runs" if runs > 1 else "")}


def add_arguments(p) -> None:
    p.add_argument("file", help="labelled JSONL (id, title, text, published, source, event)")
    p.add_argument("--direct", action="store_true", help="skip the pipeline: pure grouper on the rows")
    p.add_argument("--no-annotate", action="store_true", help="text-only features (with --direct)")
    p.add_argument("--no-baseline", action="store_true", help="skip the agglomerative baseline")
    p.add_argument("--ann-cache", metavar="DIR",
                   help="cache the annotations under DIR (keyed by the file's sha256) and reuse them")
    p.add_argument("--runs", type=int, default=1, metavar="N",
                   help="feed the file in N consecutive runs (date order), each clustered by the "
                        "backlog pass against the stories of the runs before it")
    p.add_argument("--one-by-one", action="store_true",
                   help="turn the backlog pass off: every article grouped one by one, as later runs are")
    p.add_argument("--batch-snn", action="store_true",
                   help="also report the batch shared-nearest-neighbour clustering (an experiment, not the pipeline)")
    p.add_argument("--tune-baseline", action="store_true",
                   help="tune the baseline threshold on ecbplus_dev first (default: the recorded value)")


def run(args) -> int:
    from storyline.bench.stream import peak_rss_mb
    from storyline.stories.metrics import score

    path = Path(args.file)
    rows = read_jsonl(path)
    gold = [r["event"] for r in rows]
    from storyline.stories import Settings

    settings = Settings.load(backlog=False) if getattr(args, "one_by_one", False) else None
    res = None if args.direct else group_pipeline(path, rows, settings, runs=getattr(args, "runs", 1) or 1)
    if res is None:
        anns = None
        if not args.no_annotate and getattr(args, "ann_cache", None):
            anns = annotations_for(rows, cache_path(path, args.ann_cache))
        res = group_direct(rows, annotate=not args.no_annotate, anns=anns, settings=settings,
                           runs=getattr(args, "runs", 1) or 1)
    s = score(gold, res["pred"])
    n = len(rows)
    out: dict[str, Any] = {
        "file": path.name, "articles": n, "path": res["path"], "precision": s.precision, "recall": s.recall,
        "f1": s.f1, "ari": s.ari, "v_measure": s.v_measure, "stories": s.n_pred, "gold_events": s.n_gold,
        "group_articles_per_s": n / res["group_s"] if res["group_s"] else None,
        "end_to_end_articles_per_s": n / res["total_s"] if res["total_s"] else None,
        "peak_rss_mb": peak_rss_mb(),
    }
    if not args.no_baseline:
        threshold = BASELINE_THRESHOLD
        dev = shared_data() / "clustering" / "ecbplus_dev.jsonl"
        if args.tune_baseline and dev.exists():
            threshold = tune_baseline(read_jsonl(dev))
        t = time.perf_counter()
        b = score(gold, agglomerative(rows, threshold))
        out["baseline"] = {"threshold": threshold, "precision": b.precision, "recall": b.recall, "f1": b.f1,
                           "ari": b.ari, "v_measure": b.v_measure, "stories": b.n_pred,
                           "seconds": time.perf_counter() - t}
    if getattr(args, "batch_snn", False):
        t = time.perf_counter()
        b = score(gold, batch_snn(rows))
        out["batch_snn"] = {"k": 4, "a": 0.3, "threshold": 0.30, "precision": b.precision, "recall": b.recall,
                            "f1": b.f1, "ari": b.ari, "v_measure": b.v_measure, "stories": b.n_pred,
                            "seconds": time.perf_counter() - t}
        t = time.perf_counter()
        b = score(gold, settle_snn(rows, res["pred"]))
        out["settle_snn"] = {"k": 4, "a": 0.3, "threshold": 0.30, "precision": b.precision, "recall": b.recall,
                             "f1": b.f1, "ari": b.ari, "v_measure": b.v_measure, "stories": b.n_pred,
                             "seconds": time.perf_counter() - t}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{path.name}: {n} articles, {s.n_gold} gold events, path: {res['path']}")
    print(f"  storyline   B3 P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f}  ARI {s.ari:.3f}  "
          f"V {s.v_measure:.3f}  stories {s.n_pred}")
    if "baseline" in out:
        b = out["baseline"]
        print(f"  baseline    B3 P {b['precision']:.3f} R {b['recall']:.3f} F1 {b['f1']:.3f}  ARI {b['ari']:.3f}  "
              f"V {b['v_measure']:.3f}  stories {b['stories']}  (TF-IDF + average link, distance {b['threshold']})")
    if "batch_snn" in out:
        b = out["batch_snn"]
        print(f"  batch SNN   B3 P {b['precision']:.3f} R {b['recall']:.3f} F1 {b['f1']:.3f}  ARI {b['ari']:.3f}  "
              f"V {b['v_measure']:.3f}  stories {b['stories']}  (experiment: k 4, a 0.3, similarity 0.30; text only)")
        b = out["settle_snn"]
        print(f"  + SNN merge B3 P {b['precision']:.3f} R {b['recall']:.3f} F1 {b['f1']:.3f}  ARI {b['ari']:.3f}  "
              f"V {b['v_measure']:.3f}  stories {b['stories']}  (experiment: the stories above, merged at 0.30 over the same similarity)")
    gs = out["group_articles_per_s"]
    print(f"  speed       grouping {gs:,.0f} articles/s; end to end {out['end_to_end_articles_per_s']:,.0f} articles/s; "
          f"peak RSS {out['peak_rss_mb']:.0f} MB")
    return 0
