"""`storyline bench stream`: a synthetic year of news, grouped incrementally at scale.

Everything is invented (vocabulary, people, places, outlets), deterministic from a seed:
events of a few dozen kinds (many "another earthquake" look-alikes of each kind) start every
day and are reported in bursts over a few days by many outlets, with wire copies. The bench
prints the time per 100k articles (it must stay flat: candidate retrieval is an inverted index
over the time window), the grouping throughput, peak memory and B-cubed against the events;
then the TF-IDF + average-linkage baseline on small prefixes, whose distance matrix grows as n².
"""
from __future__ import annotations

import bisect
import datetime as _dt
import gc
import itertools
import random
import time
from collections.abc import Iterator
from typing import Any

from storyline.commands.term import dumps

DESCRIPTION = "synthetic stream: per-100k timing, peak memory, agglomerative baseline on prefixes"

SYLLABLES = ["ba", "ko", "ri", "tan", "mel", "sor", "vi", "dun", "pa", "lek", "zo", "mir", "gat", "nu",
             "fel", "qua", "bro", "tis", "hal", "den", "ju", "wex", "ol", "rin", "sta", "mo", "ky", "per"]
KINDS = ["quake", "flood", "storm", "strike", "summit", "election", "trial", "shooting", "fire", "crash",
         "merger", "protest", "heatwave", "outbreak", "launch", "ruling", "scandal", "derailment",
         "eruption", "drought", "landslide", "hostage", "heist", "treaty", "boycott", "recall", "blackout",
         "verdict", "referendum", "cyclone"]


class World:
    """Invented vocabulary and names, built once from a seed."""

    def __init__(self, seed: int = 7, n_words: int = 12000, n_names: int = 6000, n_outlets: int = 300):
        rnd = random.Random(seed)
        seen: set[str] = set(KINDS)

        def word(lo: int, hi: int) -> str:
            while True:
                w = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(lo, hi)))
                if w not in seen and len(w) > 3:
                    seen.add(w)
                    return w

        self.words = [word(2, 3) for _ in range(n_words)]
        # Zipf weights over the general vocabulary (rank r has weight 1/r)
        self.cum = list(itertools.accumulate(1.0 / (r + 1) for r in range(n_words)))
        self.kind_words = {k: [word(2, 4) for _ in range(25)] for k in KINDS}
        self.names = [word(2, 3).capitalize() for _ in range(n_names)]
        self.outlets = [f"{word(2, 3)}.example" for _ in range(n_outlets)]
        self.rnd = rnd

    def general(self, rnd: random.Random, k: int) -> list[str]:
        top = self.cum[-1]
        return [self.words[bisect.bisect(self.cum, rnd.random() * top)] for _ in range(k)]


def synth_stream(n: int, *, days: int = 365, seed: int = 7, copy_rate: float = 0.05,
                 start: str = "2031-01-01", world: World | None = None) -> Iterator[dict[str, Any]]:
    """Yield ``n`` labelled articles (JSONL-shaped dicts with ``event``) in date order.

    About ``n / days`` articles a day; events have a heavy-tailed size (1 to a few hundred
    articles) and a burst of one to five days; ``copy_rate`` of articles are wire copies with a
    new headline and a trimmed last sentence.
    """
    w = world or World(seed)
    rnd = random.Random(seed + 1)
    day0 = _dt.date.fromisoformat(start).toordinal()
    per_day = max(1, n // days)
    live: list[dict[str, Any]] = []
    next_event = 0
    made = 0
    for d in range(days + 1):
        date = _dt.date.fromordinal(day0 + d).isoformat()
        today = per_day if d < days else n - made
        # start enough events that the live ones can supply today's articles
        want = today // 10 + 1
        for _ in range(want):
            kind = rnd.choice(KINDS)
            live.append({
                "id": next_event, "kind": kind, "people": rnd.sample(w.names, 3), "place": rnd.choice(w.names),
                "figures": [str(rnd.randint(3, 900)) for _ in range(2)],
                "words": w.general(rnd, 6) + rnd.sample(w.kind_words[kind], 2),
                "weight": min(300.0, rnd.paretovariate(1.3)), "until": d + rnd.randint(0, 4), "sent": [],
            })
            next_event += 1
        live = [e for e in live if e["until"] >= d]
        cum = list(itertools.accumulate(e["weight"] for e in live))
        for _ in range(today):
            if made >= n:
                return
            e = live[bisect.bisect(cum, rnd.random() * cum[-1])]
            outlet = rnd.choice(w.outlets)
            if e["sent"] and rnd.random() < copy_rate:
                orig = rnd.choice(e["sent"])
                title = f"{e['place']} {e['kind']}: {' '.join(w.general(rnd, 3))}"
                text = orig.rsplit(".", 2)[0] + "."
            else:
                title = _headline(rnd, w, e)
                text = _body(rnd, w, e)
                if len(e["sent"]) < 5:
                    e["sent"].append(text)
            made += 1
            yield {"id": f"s{made}", "title": title, "text": text, "published": date, "source": outlet,
                   "url": None, "event": f"e{e['id']}"}


def _headline(rnd: random.Random, w: World, e: dict[str, Any]) -> str:
    return f"{e['kind'].capitalize()} in {e['place']}: {rnd.choice(e['people'])} {' '.join(w.general(rnd, 3))}"


def _body(rnd: random.Random, w: World, e: dict[str, Any]) -> str:
    sentences = []
    for _ in range(rnd.randint(5, 9)):
        words = w.general(rnd, rnd.randint(8, 14))
        words += rnd.sample(e["words"], 2) + [e["kind"]]
        if rnd.random() < 0.7:
            words.append(rnd.choice(e["people"]))
        if rnd.random() < 0.4:
            words.append(e["place"])
        if rnd.random() < 0.3:
            words.append(rnd.choice(e["figures"]))
        if rnd.random() < 0.15:
            words.append(rnd.choice(w.kind_words[e["kind"]]))
        rnd.shuffle(words)
        sentences.append(words[0].capitalize() + " " + " ".join(words[1:]) + ".")
    return " ".join(sentences)


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def baseline_prefix(rows: list[dict[str, Any]], threshold: float) -> tuple[float, float]:
    """TF-IDF + average-linkage on ``rows``: (seconds, bytes of the condensed distance matrix)."""
    from storyline.bench.stories import agglomerative

    t = time.perf_counter()
    agglomerative(rows, threshold)
    n = len(rows)
    return time.perf_counter() - t, n * (n - 1) / 2 * 8


def add_arguments(p) -> None:
    p.add_argument("--n", type=int, default=100_000, help="articles to synthesise (default 100000)")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--step", type=int, default=100_000, help="print a line every STEP articles")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--baseline", default="2000,4000,6000",
                   help="prefix sizes for the agglomerative baseline ('' to skip)")
    p.add_argument("--settle", action="store_true",
                   help="turn the settle pass on (Grouper.settle every 500 articles, counted in Grouper.add's CPU)")


def run(args) -> int:

    from storyline.stories import Grouper, Settings, doc_from_record
    from storyline.stories.metrics import bcubed
    from storyline.stories.persist import BATCH

    settle = getattr(args, "settle", False)
    g = Grouper(Settings.load(settle=True) if settle else None)
    gold: list[str] = []
    pred: list[int] = []
    prefix: list[dict[str, Any]] = []
    want_prefix = max([int(x) for x in args.baseline.split(",") if x.strip()] or [0])
    curve = []
    t_group = t_gen = 0.0
    t0 = t_step = time.perf_counter()
    g_step = cpu_step = 0.0
    cpu_features = cpu_grouper = 0.0  # CPU of StoryDoc features (from the text) and of Grouper.add
    cpu0 = time.process_time()
    gc.freeze()
    it = synth_stream(args.n, days=args.days, seed=args.seed)
    # wall seconds per step (all work; the machine may be shared), grouping wall and CPU seconds,
    # grouping rate by CPU time (features + grouper), stories so far, active stories, peak RSS
    print(f"{'articles':>9} {'step s':>7} {'group s':>8} {'cpu s':>8} {'art/cpu s':>12} {'stories':>8} "
          f"{'active':>7} {'RSS MB':>7}")
    for i in itertools.count(1):
        t = time.perf_counter()
        row = next(it, None)
        if row is None:
            break
        t1 = time.perf_counter()
        t_gen += t1 - t
        c1 = time.process_time()
        doc = doc_from_record(row)
        c2 = time.process_time()
        sid = g.add(doc).story_id
        if settle and i % BATCH == 0:
            g.settle()  # merges show in the final B-cubed through g.resolve
        dt = time.perf_counter() - t1
        c3 = time.process_time()
        cpu_step += c3 - c1
        cpu_features += c2 - c1
        cpu_grouper += c3 - c2
        t_group += dt
        g_step += dt
        g.retired.clear()
        gold.append(row["event"])
        pred.append(sid)
        if len(prefix) < want_prefix:
            prefix.append(row)
        if i % args.step == 0:
            now = time.perf_counter()
            curve.append({"n": i, "step_s": round(now - t_step, 2), "group_s": round(g_step, 2),
                          "group_cpu_s": round(cpu_step, 2)})
            print(f"{i:>9} {now - t_step:>7.1f} {g_step:>8.1f} {cpu_step:>8.1f} {args.step / cpu_step:>12.0f} "
                  f"{g.next_id - 1:>8} {len(g.stories):>7} {peak_rss_mb():>7.0f}", flush=True)
            t_step, g_step, cpu_step = now, 0.0, 0.0
    total = time.perf_counter() - t0
    cpu_total = time.process_time() - cpu0
    n = len(gold)
    pred = [g.resolve(s) for s in pred]  # stories merged later hold their articles
    p, r, f = bcubed(gold, pred)
    print(f"total {n} articles in {total:.1f} s wall, {cpu_total:.1f} s CPU (generation {t_gen:.1f} s, grouping "
          f"{t_group:.1f} s wall = {n / t_group:.0f} articles/s); peak RSS {peak_rss_mb():.0f} MB")
    print(f"B-cubed vs synthetic events: P {p:.3f} R {r:.3f} F1 {f:.3f}; stories {len(set(pred))}, "
          f"events {len(set(gold))}")
    print(f"CPU per stage: features {n / cpu_features:.0f} articles/s, Grouper.add (duplicates, candidates, "
          f"scores, assignment) {n / cpu_grouper:.0f} articles/s")
    base = []
    for size in [int(x) for x in args.baseline.split(",") if x.strip()]:
        if size > len(prefix):
            continue
        secs, mem = baseline_prefix(prefix[:size], 0.8)
        ours = Grouper()
        t = time.perf_counter()
        for row in prefix[:size]:
            ours.add(doc_from_record(row))
        ours_s = time.perf_counter() - t
        base.append({"n": size, "agglomerative_s": round(secs, 2), "distance_matrix_mb": round(mem / 1e6, 1),
                     "ours_s": round(ours_s, 2)})
        print(f"baseline n={size}: agglomerative {secs:.1f} s, distance matrix {mem / 1e6:.0f} MB "
              f"(n²: {mem / 1e9 * (100_000 / size) ** 2:.0f} GB at 100k); ours {ours_s:.2f} s", flush=True)
    if args.json:
        print(dumps({"n": n, "total_s": total, "cpu_s": cpu_total, "group_s": t_group, "peak_rss_mb": peak_rss_mb(),
                           "features_cpu_s": round(cpu_features, 2), "grouper_cpu_s": round(cpu_grouper, 2),
                           "curve": curve, "bcubed": [p, r, f], "baseline": base}))
    return 0
