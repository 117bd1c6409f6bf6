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
parameters) when they ran. The pipeline path adds ``copies, ungrouped, store``.

Every row needs ``id`` (unique) and ``event``; a bad line is ``FILE:LINE: reason`` and exit
status 2 (:class:`InputError`, reported by ``storyline.commands.bench``). A row that ingest
drops as a copy of another (same outlet and content, another id) is scored in its original's
story, as the product shows it; a labelled row still in no story (rejected, failed) is listed
with its line and reason, scored as a story of its own, and makes the exit status 1.
``--db FILE`` builds the pipeline's store at FILE (a new path) and keeps it.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from storyline.bench import shared_data
from storyline.commands.term import dumps
from storyline.stories.persist import BATCH

DESCRIPTION = "group a labelled JSONL file and print B-cubed, ARI, V-measure, speed, memory, baseline"
# the help of --db (storyline.commands.bench shows it; without --db the store is temporary)
DB_HELP = ("build the pipeline's store at FILE, a path that does not exist yet, and keep it "
           "(default: a temporary store, deleted at the end; not with --direct)")

# distance threshold of the baseline, tuned on ecbplus_dev with --tune-baseline (recorded in docs)
BASELINE_THRESHOLD = 0.8
# articles between two settle passes, as the pipeline's story stage batches them
SETTLE_EVERY = BATCH


class InputError(ValueError):
    """A benchmark input that cannot be used; the message is ``FILE[:LINE]: reason``."""


def read_rows(path: str | Path, required: tuple[str, ...] = ("id", "event")) -> tuple[list[dict[str, Any]], list[int]]:
    """The JSON objects of a JSONL file and the line number of each (blank lines skipped).

    Raises :class:`InputError` (``FILE:LINE: reason``) for an unreadable file, a line that is not
    a JSON object, or a row without a field of ``required``; ``id`` must then be a non-empty
    string or an integer, unique in the file (the benchmarks score rows by id), and ``event`` a
    string or a number."""
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    seen: dict[str, int] = {}
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise InputError(f"{where}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
            except ValueError as exc:
                raise InputError(f"{where}: malformed JSON: {exc}") from None
            if not isinstance(obj, dict):
                raise InputError(f"{where}: not a JSON object")
            for key in required:
                if obj.get(key) is None:
                    raise InputError(f"{where}: no '{key}' (each row needs {', '.join(required)})")
            if "id" in required:
                rid = obj["id"]
                if isinstance(rid, bool) or not isinstance(rid, (str, int)) or not str(rid).strip():
                    raise InputError(f"{where}: 'id' must be a non-empty string or an integer, not {rid!r}")
                if str(rid) in seen:
                    raise InputError(f"{where}: id {str(rid)!r} is also on line {seen[str(rid)]}")
                seen[str(rid)] = lineno
            if "event" in required and (isinstance(obj["event"], bool)
                                        or not isinstance(obj["event"], (str, int, float))):
                raise InputError(f"{where}: 'event' must be a string or a number, not {obj['event']!r}")
            rows.append(obj)
            lines.append(lineno)
    return rows, lines


def check_new_store(db: str | Path, option: str) -> None:
    """Raise :class:`InputError` unless ``db`` is a path where a new store can be made: it must
    not exist yet (a benchmark builds its store from nothing) and its directory must exist and
    be writable."""
    target = Path(db)
    parent = target.parent
    if target.exists() or target.is_symlink():
        raise InputError(f"{option} {db}: already exists (the benchmark builds a new store there; "
                         "give a path that does not exist)")
    if not parent.is_dir():
        raise InputError(f"{option} {db}: no directory {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{option} {db}: cannot write in {parent}")


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file (see :func:`read_rows`; no field is required)."""
    return read_rows(path, required=())[0]


def copies_in_store(con, path: str | Path, lines: set[int] | None = None) -> dict[int, int]:
    """``{line: story id}`` for the rows of ``path`` (a JSONL file ingested into ``con``) that
    ingest did not store because the same outlet's same content was already there (its
    ``duplicates``): such a copy is where its original is, so it is scored in the original's
    story. The rows are read again with ingest's own reader, hash and unknown-outlet name, so
    the match is ingest's. ``lines``: only these rows."""
    from storyline.ingest import content_hash
    from storyline.ingest.readers import read_path
    from storyline.records import Article

    unknown = f"file:{Path(path).name}"  # the outlet ingest gives a file's articles without one
    found: dict[int, int] = {}
    records = read_path(Path(path))
    while True:
        try:
            rec = next(records)
        except StopIteration:
            break
        except Exception:  # noqa: BLE001  a reader failure: ingest stopped there too, the rest stays unmatched
            break
        if not isinstance(rec, Article) or rec.source_line is None:
            continue
        if lines is not None and rec.source_line not in lines:
            continue
        hit = con.execute(
            "SELECT m.story_id FROM articles a JOIN story_members m ON m.article_id = a.id "
            "WHERE a.content_hash = ? AND a.outlet = ? AND a.parent_id IS NULL ORDER BY a.id LIMIT 1",
            (content_hash(rec.title, rec.text), rec.outlet or unknown)).fetchone()
        if hit:
            found[rec.source_line] = hit[0]
    return found


def not_grouped(con, rows: list[dict[str, Any]], missing: list[int],
                places: list[tuple[str, int]], stored: list[str] | None = None) -> list[dict[str, Any]]:
    """Why the rows at indexes ``missing`` are in no story: ``{"id", "file", "line", "reason"}``
    each, ``places[i]`` being row i's file and line for the user. The reason is the store's
    reject of that row (``rejected: ...``, matched by ``stored[i]``, the file as the store names
    it, and the line; by the line alone without ``stored``) or the stage its article stopped at."""
    rejects: dict[tuple[str | None, int], str] = {}
    for path, line, reason in con.execute("SELECT path, line, reason FROM rejects WHERE line IS NOT NULL"):
        rejects.setdefault((path if stored else None, line), reason)
    out = []
    for i in missing:
        file, line = places[i]
        reason = rejects.get((stored[i] if stored else None, line))
        if reason is not None:
            reason = f"rejected: {reason}"
        else:
            art = con.execute("SELECT stage, is_liveblog FROM articles WHERE external_id = ? ORDER BY id DESC LIMIT 1",
                              (str(rows[i]["id"]),)).fetchone()
            reason = ("not stored" if art is None else "a live-blog page, in no story" if art[1]
                      else f"in no story (stage {art[0]})")
        out.append({"id": rows[i]["id"], "file": file, "line": line, "reason": reason})
    return out


def say_not_grouped(items: list[dict[str, Any]], limit: int = 20) -> str:
    """The human lines for :func:`not_grouped`: a count, then ``FILE:LINE: id ID: reason`` each."""
    from storyline.commands.term import safe

    head = f"{len(items)} labelled row{'s' if len(items) != 1 else ''} in no story (scored as single-article stories): " \
           + ", ".join(safe(str(d["id"])) for d in items[:limit]) + (" ..." if len(items) > limit else "")
    return "\n".join([head] + [safe(f"  {d['file']}:{d['line']}: id {d['id']}: {d['reason']}") for d in items[:limit]])


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


def group_pipeline(path: Path, rows: list[dict[str, Any]], settings=None, runs: int = 1,
                   lines: list[int] | None = None, db: str | Path | None = None) -> dict[str, Any] | None:
    """The real pipeline on a temporary store (or a new store at ``db``, kept); None when
    storyline.pipeline is not there yet.

    ``runs``: group the processed articles in that many consecutive runs (the store's own order:
    by date, then id), each a ``storyline process`` of its own. ``lines``: each row's line in
    ``path`` (default: one row a line). A row that ingest dropped as a copy of another (same
    outlet, same content) is scored in its original's story (:func:`copies_in_store`), as the
    product shows it; ``copies`` counts them and ``ungrouped`` lists the rows still in no story
    (:func:`not_grouped`), each scored as a story of its own."""
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

    lines = lines or list(range(1, len(rows) + 1))
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(str(db) if db else os.path.join(tmp, "bench.db"))
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
        missing = [i for i, r in enumerate(rows) if str(r["id"]) not in by_ext]
        copies = copies_in_store(con, path, {lines[i] for i in missing}) if missing else {}
        story = {i: by_ext.get(str(r["id"]), copies.get(lines[i])) for i, r in enumerate(rows)}
        ungrouped = not_grouped(con, rows, [i for i in missing if story[i] is None],
                                [(str(path), n) for n in lines])
        con.close()
    pred = [story[i] if story[i] is not None else -1 - i for i in range(len(rows))]
    return {"pred": pred, "group_s": t_group, "total_s": total, "copies": len(copies), "ungrouped": ungrouped,
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
    db = getattr(args, "db", None)
    if db is not None:
        if args.direct:
            raise InputError(f"--db {db}: --direct builds no store (--db keeps the pipeline's store)")
        check_new_store(db, "--db")
    rows, lines = read_rows(path)
    if not rows:
        raise InputError(f"{path}: no rows")
    gold = [r["event"] for r in rows]
    from storyline.stories import Settings

    settings = Settings.load(backlog=False) if getattr(args, "one_by_one", False) else None
    res = None if args.direct else group_pipeline(path, rows, settings, runs=getattr(args, "runs", 1) or 1,
                                                  lines=lines, db=db)
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
    ungrouped = res.get("ungrouped") or []
    if "copies" in res:  # the pipeline path
        out.update(copies=res["copies"], ungrouped=ungrouped, store=str(db) if db else None)
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
    status = 1 if ungrouped else 0
    if ungrouped:
        print(f"storyline bench stories: {path}: {say_not_grouped(ungrouped)}", file=sys.stderr)
    if args.json:
        print(dumps(out, indent=2))
        return status
    print(f"{path.name}: {n} articles, {s.n_gold} gold events, path: {res['path']}"
          + (f"; {res['copies']} copies of other rows, scored in their original's story" if res.get("copies") else "")
          + (f"; store kept at {db}" if db else ""))
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
    return status
