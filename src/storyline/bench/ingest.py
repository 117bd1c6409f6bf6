"""Ingest throughput: JSONL articles/s and HTML pages/s into a fresh store.

The inputs are synthesised here (invented outlets and text), written to a
temporary folder, and ingested with the real ``ingest_paths``; the figure is
wall time of ingest alone (reading, detection, extraction, hashing, SQLite).
"""
from __future__ import annotations

import json
import random
import resource
import tempfile
import time
from pathlib import Path

from storyline import store
from storyline.commands.term import dumps
from storyline.ingest import ingest_paths

DESCRIPTION = "ingest throughput on synthetic JSONL articles and HTML pages"

WORDS = ("harbour council ferry strike vote river flood bridge mayor minister budget school hospital rail "
         "union court police storm farmers market port island coast festival museum election").split()


def _para(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return (" ".join(words).capitalize() + ", officials said.")


def make_jsonl(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            text = "\n\n".join(_para(rng, 60) for _ in range(6))  # about 400 words
            fh.write(json.dumps({"id": f"b{i}", "title": f"{_para(rng, 8)} {i}", "text": text,
                                 "published": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                                 "source": f"outlet{i % 40}.example",
                                 "url": f"https://outlet{i % 40}.example/a/{i}"}) + "\n")


def make_html(folder: Path, n: int, seed: int = 2) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        paras = "".join(f"<p>{_para(rng, 60)}</p>" for _ in range(6))
        (folder / f"page{i}.html").write_text(
            f"<!doctype html><html><head><title>{_para(rng, 8)} {i}</title>"
            f'<meta property="og:site_name" content="Outlet {i % 40}">'
            f'<meta property="article:published_time" content="2026-03-{1 + i % 28:02d}T08:00:00Z"></head>'
            f"<body><nav><a href='/'>Home</a></nav><article><h1>Headline {i}</h1>{paras}</article>"
            f"<footer>Contact us</footer></body></html>", encoding="utf-8")


def _timed(con, path: Path) -> dict:
    """Wall time and this process's CPU time (the latter is what a busy shared machine cannot inflate)."""
    t0, c0 = time.perf_counter(), time.process_time()
    s = ingest_paths(con, [str(path)])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"articles": s.ingested, "seconds": round(wall, 2), "per_second": round(s.ingested / wall),
            "cpu_seconds": round(cpu, 2), "per_cpu_second": round(s.ingested / cpu)}


def add_arguments(p) -> None:
    p.add_argument("--jsonl", type=int, default=10_000, help="JSONL articles (default 10000)")
    p.add_argument("--html", type=int, default=1_000, help="HTML pages (default 1000)")


def run(args) -> int:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        if args.jsonl:
            make_jsonl(tmpd / "a.jsonl", args.jsonl)
            con = store.connect(tmpd / "j.db")
            results["jsonl"] = _timed(con, tmpd / "a.jsonl")
            con.close()
        if args.html:
            make_html(tmpd / "html", args.html)
            con = store.connect(tmpd / "h.db")
            results["html"] = _timed(con, tmpd / "html")
            con.close()
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.json:
        print(dumps(results))
    else:
        for k in ("jsonl", "html"):
            if k in results:
                r = results[k]
                print(f"{k:>5}: {r['articles']} articles in {r['seconds']} s = {r['per_second']} articles/s wall; "
                      f"{r['cpu_seconds']} s CPU = {r['per_cpu_second']} articles per CPU-second")
        print(f"peak RSS {results['peak_rss_mb']} MB")
    return 0
