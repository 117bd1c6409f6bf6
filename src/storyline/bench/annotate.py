"""`storyline bench annotate`: speed and memory of the whole annotate stage.

Generates ``--n`` synthetic articles of about ``--words`` words each from
invented sentences (invented people, organisations and events, real place
names so the gazetteer works; no third-party text), then runs
``annotate_texts`` over them with ``--processes`` worker processes and prints
articles/s, words/s, the annotations found per article and the peak resident
memory (this process and the workers). ``--baseline`` also times spaCy alone
(``nlp.pipe``) on the same texts, to show what the rules cost on top.

The model is loaded and the gazetteer built before the clock starts (they
are paid once per process, not per article).
"""
from __future__ import annotations

import json
import random
import resource
import sys
import time
from collections import Counter

from storyline.commands.term import dumps

DESCRIPTION = "annotate stage: articles/s and words/s on 600-word articles (synthetic, or real with --jsonl), peak memory"

FIRST = ["Anna", "Marek", "Lena", "Tomas", "Irina", "Pavel", "Sofia", "Jonas", "Elif", "Dmytro", "Maria", "Oskar"]
LAST = ["Kovalenko", "Berg", "Marsh", "Novak", "Petrenko", "Lindqvist", "Aydin", "Horvath", "Sandoval", "Okafor"]
ORGS = ["the Harbour Authority", "the Northern Rail Union", "the Ministry of Transport", "Baltic Freight Ltd", "the City Council", "the Red Cross"]
PLACES = ["Gdansk", "Riga", "Tallinn", "Kharkiv", "Odesa", "Lviv", "Hamburg", "Rotterdam", "Malmo", "Bergen", "Vilnius", "Warsaw"]
COUNTRIES = ["Poland", "Latvia", "Estonia", "Ukraine", "Germany", "Sweden", "Norway", "Lithuania"]
ROLES = ["mayor", "minister", "spokesman", "commander", "governor"]
NUMBERS = ["two", "six", "12", "about 40", "up to 1,500", "more than 300", "nearly 90", "at least 25", "98.4%", "$3.1bn", "30 miles"]
THINGS = ["workers", "passengers", "ferries", "trucks", "families", "soldiers", "volunteers", "containers"]

TEMPLATES = [
    "{first} {last} said on {day} that {num} {thing} had been moved out of {place}.",
    "\"We are doing everything we can to keep the port open,\" {first} {last} told reporters in {place}.",
    "According to {org}, {num} {thing} were waiting at the border with {country}.",
    "The {role} of {place}, {first} {last}, warned that the repairs could take {num} weeks.",
    "Mr {last} added that {org} would publish a full report before {month}.",
    "Officials in {country} said {num} {thing} had crossed into {place} since the storm began.",
    "{org} confirmed that two of them were taken to hospital in {place}.",
    "Ms {last} said: \"There is no reason to panic, but people should stay away from the coast.\"",
    "The storm damaged about 58 square km of farmland around {place}, the {role} said.",
    "Trains between {place} and {place2} were cancelled, leaving {num} {thing} stranded overnight.",
    "In {year}, {org} spent {money} on new flood barriers along the river in {place}.",
    "He said the {role} of {country} had asked {org} for help on {day}.",
]


def synthetic_articles(n: int, words: int, seed: int = 7) -> list[str]:
    """``n`` invented articles of about ``words`` words each (deterministic for a seed)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts: list[str] = []
        count = 0
        while count < words:
            s = rng.choice(TEMPLATES).format(
                first=rng.choice(FIRST), last=rng.choice(LAST), org=rng.choice(ORGS), place=rng.choice(PLACES),
                place2=rng.choice(PLACES), country=rng.choice(COUNTRIES), role=rng.choice(ROLES), num=rng.choice(NUMBERS),
                thing=rng.choice(THINGS), day=rng.choice(["Monday", "Tuesday", "Friday"]), month=rng.choice(["March", "June"]),
                year=rng.choice(["2019", "2021", "2024"]), money=rng.choice(["$4.5m", "\u20ac12 million", "\u00a3800,000"]),
            )
            parts.append(s)
            count += len(s.split())
            if rng.random() < 0.25:
                parts.append("\n\n")
        out.append(" ".join(parts).replace(" \n\n ", "\n\n"))
    return out


def real_articles(path: str, n: int, words: int) -> list[str]:
    """The first ``n`` texts of a JSONL file with at least ``words`` words, each cut after the
    sentence (or line) that reaches ``words`` words. Read at run time, never stored."""
    import re

    out: list[str] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(out) >= n:
                break
            if not line.strip():
                continue
            text = json.loads(line).get("text") or ""
            if text in seen or len(text.split()) < words:
                continue  # PolNeAR has one line per annotator: the same article several times
            seen.add(text)
            count, end = 0, len(text)
            for m in re.finditer(r"\S+", text):
                count += 1
                if count >= words:
                    stop = re.search(r"[.!?]['\"\u201d\u2019]?(?=\s)|\n", text[m.end():])
                    end = m.end() + (stop.end() if stop else len(text) - m.end())
                    break
            out.append(text[:end])
    return out


def add_arguments(p) -> None:
    p.add_argument("--n", type=int, default=200, help="articles (default 200)")
    p.add_argument("--words", type=int, default=600, help="words per article (default 600)")
    p.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--batch-size", type=int, default=32, help="texts per batch sent to a worker (default 32)")
    p.add_argument("--baseline", action="store_true", help="also time spaCy alone on the same texts")
    p.add_argument("--jsonl", metavar="FILE", help="real texts instead: the 'text' field of each line of a JSONL file "
                   "(e.g. ../shared/data/quotes/polnear_train.jsonl), each cut to its first --words words at a "
                   "paragraph or sentence end; the first --n texts with at least --words words")


def _rss_mb() -> tuple[float, float]:
    """(peak RSS of this process, peak RSS of the largest finished child) in MB (Linux: KiB units)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the workers, once joined)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _load() -> float:
    import os

    return os.getloadavg()[0]


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


def run(args) -> int:
    from storyline.annotate import annotate_texts
    from storyline.annotate.nlp import PIPE_BATCH, get_nlp
    from storyline.annotate.places import gazetteer

    texts = real_articles(args.jsonl, args.n, args.words) if getattr(args, "jsonl", None) else synthetic_articles(args.n, args.words)
    if not texts:
        print(f"no text of at least {args.words} words in {args.jsonl}", file=sys.stderr)
        return 1
    n_words = sum(len(t.split()) for t in texts)
    n = len(texts)
    t0 = time.perf_counter()
    nlp = get_nlp()
    gazetteer()
    res: dict = {
        "articles": n,
        "words_per_article": round(n_words / n),
        "load_seconds": round(time.perf_counter() - t0, 2),
        "pipeline": list(nlp.pipe_names),
        "processes": args.processes,
    }
    say = (lambda *a: None) if getattr(args, "json", False) else print
    res["texts"] = f"jsonl:{args.jsonl}" if getattr(args, "jsonl", None) else "synthetic"
    kind = f"real articles from {args.jsonl}" if getattr(args, "jsonl", None) else "synthetic articles"
    say(f"{n} {kind}, {n_words / n:.0f} words each on average; model + gazetteer load {res['load_seconds']:.1f}s")
    say(f"spaCy pipeline: {', '.join(nlp.pipe_names)}")

    if args.baseline:
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=PIPE_BATCH):
            pass
        dt = time.perf_counter() - t0
        cpu = _cpu_seconds() - cpu0
        res["spacy_alone"] = {"articles_per_s": round(n / dt, 2), "words_per_s": round(n_words / dt), "cpu_ms_per_article": round(cpu / n * 1000)}
        say(f"spaCy alone, 1 process: {n / dt:6.1f} articles/s  {n_words / dt:8.0f} words/s  (CPU {cpu / n * 1000:.0f} ms per article)")

    kinds: Counter = Counter()
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    for anns in annotate_texts(((t, "2026-03-02") for t in texts), n_process=args.processes, batch_size=args.batch_size):
        kinds.update(a.kind for a in anns)
    dt = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    own, kids = _rss_mb()
    res.update(
        articles_per_s=round(n / dt, 2),
        words_per_s=round(n_words / dt),
        seconds=round(dt, 1),
        cpu_ms_per_article=round(cpu / n * 1000),
        articles_per_s_two_idle_cores=round(2 * n / cpu, 1),
        load_average=round(_load(), 1),
        cores=_cores(),
        annotations_per_article={k: round(v / n, 1) for k, v in sorted(kinds.items())},
        peak_rss_mb={"main": round(own), "largest_worker": round(kids)},
    )
    say(f"annotate stage, {args.processes} process(es): {n / dt:6.1f} articles/s  {n_words / dt:8.0f} words/s  ({dt:.1f}s)")
    say(
        f"CPU time {cpu:.1f}s = {cpu / n * 1000:.0f} ms per article; two idle cores would give at most "
        f"{2 * n / cpu:.1f} articles/s (load average now {res['load_average']} on {res['cores']} cores)"
    )
    say("annotations per article: " + ", ".join(f"{k} {v}" for k, v in res["annotations_per_article"].items()))
    say(f"peak RSS: main process {own:.0f} MB, largest worker {kids:.0f} MB")
    if getattr(args, "json", False):
        print(dumps(res, indent=2))
    sys.stdout.flush()
    return 0
