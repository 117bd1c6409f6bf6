"""Daily runs into a growing store, as a scheduled feed makes them.

A labelled JSONL file (fields as in ``../shared/data/README.md``), or an invented stream
(``--synth N``: ``bench.stream.synth_stream(N, days=N // 1000)``), is cut into its days. Each
day is ingested, cleaned and annotated (``storyline ingest``, ``storyline process --stages
clean,annotate``; not timed), then the stories stage runs as ``storyline process --stages
stories`` in a fresh process, timed from its start to its end: Python's start and imports,
restoring the week's stories from the store (their stored feature bags), grouping the day,
writing members, stories and bags. Its peak memory is that process's own (``os.wait4``; Linux
counts a child's memory from the moment it is forked, so this process stays small: every stage
runs in a child, and the scores are computed at the end). ``--late M`` adds a run of M
articles of the invented stream's next day, ``--then FILE`` a run of another file's rows: a
small late run into the full store. At the end, B-cubed against the rows' ``event`` labels.

Each run reports what a user's scheduler would wait for; ``storyline bench stories`` measures
the grouping alone.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DESCRIPTION = "daily runs into a growing store: each run's stories stage, wall time and peak memory"


def add_arguments(p) -> None:
    p.add_argument("file", nargs="?", help="labelled JSONL (id, title, text, published, source, event)")
    p.add_argument("--synth", type=int, metavar="N", help="an invented stream of N articles, 1,000 a day, instead of FILE")
    p.add_argument("--days", type=int, metavar="K", help="only the first K days")
    p.add_argument("--then", metavar="FILE", help="one more run of this file's rows after the days")
    p.add_argument("--late", type=int, metavar="M",
                   help="with --synth: one more run of M articles of the invented stream's next day")
    p.add_argument("--keep", metavar="DB", help="build the store at DB (kept) instead of a temporary file")


def _days(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The rows by day (``published[:10]``), in date order; undated rows make a last run."""
    days: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        days.setdefault(str(r.get("published") or "")[:10] or "undated", []).append(r)
    return sorted(days.items(), key=lambda kv: (kv[0] == "undated", kv[0]))


def synth_rows(n: int, late: int = 0, per_day: int = 1000) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """(a name, the rows of ``synth_stream(n, days=n // per_day)``, the first ``late`` rows of its
    next day). The next day comes from the same stream one day longer, whose days before it are
    the same."""
    from storyline.bench.stream import synth_stream

    n_days = max(1, n // per_day)
    name = f"synth_stream({n}, days={n_days})"
    if not late:
        return name, list(synth_stream(n, days=n_days)), []
    longer = _days(list(synth_stream(n + n // n_days, days=n_days + 1)))
    rows = [r for _, part in longer[:n_days] for r in part]
    extra = longer[n_days][1][:late] if len(longer) > n_days else []
    return f"{name}, then {len(extra)} of its next day", rows, extra


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def _storyline(*args: str) -> list[str]:
    return [sys.executable, "-m", "storyline.cli", *args]


def prepare_run(db: Path, src: Path) -> None:
    """Ingest ``src`` into the store, then clean and annotate it, each in a child process."""
    for cmd in (_storyline("ingest", str(src), "--db", str(db)),
                _storyline("process", "--stages", "clean,annotate", "--processes", "1", "--db", str(db))):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def stories_run(db: Path) -> dict[str, Any]:
    """``storyline process --stages stories --json`` in a fresh process: its wall seconds, peak
    RSS, exit status and summary."""
    cmd = _storyline("process", "--stages", "stories", "--db", str(db), "--json")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    try:
        summary = json.loads(out or b"{}").get("process", {})
    except ValueError:
        summary = {}
    # ru_maxrss is in KiB on Linux
    return {"seconds": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024), "exit": proc.returncode,
            "grouped": summary.get("grouped", 0), "backlog": summary.get("backlog", 0),
            "stories_touched": summary.get("stories_touched", 0), "errors": len(summary.get("errors", []))}


def run(args) -> int:
    from storyline.bench.stories import read_jsonl

    late: list[dict[str, Any]] = []
    if args.synth:
        name, rows, late = synth_rows(args.synth, args.late or 0)
    elif args.file:
        rows = read_jsonl(args.file)
        name = Path(args.file).name
    else:
        print("storyline bench store: give a labelled JSONL FILE or --synth N", file=sys.stderr)
        return 2
    days = _days(rows)[:args.days] if args.days else _days(rows)
    runs = [(day, part) for day, part in days]
    if late:
        runs.append(("late", late))
    if args.then:
        runs.append(("then", read_jsonl(args.then)))
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.keep) if args.keep else Path(tmp) / "store.db"
        if not args.json:
            print(f"{name}: {sum(len(p) for _, p in runs)} articles in {len(runs)} runs into {db}")
            print(f"{'run':>10} {'articles':>9} {'grouped':>8} {'backlog':>8} {'stories s':>10} {'peak MB':>8}")
        for day, part in runs:
            src = Path(tmp) / f"run-{len(results):04d}.jsonl"
            _write(src, part)
            prepare_run(db, src)
            r = {"run": day, "articles": len(part), **stories_run(db)}
            results.append(r)
            if not args.json:
                print(f"{day:>10} {r['articles']:>9} {r['grouped']:>8} {r['backlog']:>8} {r['seconds']:>10.2f} "
                      f"{r['peak_rss_mb']:>8}" + (f"  exit {r['exit']}, {r['errors']} errors" if r["exit"] else ""))
        con = sqlite3.connect(db)
        by_ext = {str(e): s for e, s in con.execute(
            "SELECT a.external_id, m.story_id FROM articles a JOIN story_members m ON m.article_id = a.id")}
        con.close()
    labelled = [r for _, part in runs for r in part if r.get("event") is not None]
    out: dict[str, Any] = {"file": name, "runs": results}
    if labelled:
        from storyline.stories.metrics import score

        s = score([r["event"] for r in labelled], [by_ext.get(str(r["id"]), -1 - i) for i, r in enumerate(labelled)])
        out.update(precision=s.precision, recall=s.recall, f1=s.f1, stories=s.n_pred, gold_events=s.n_gold)
    if args.json:
        print(json.dumps(out))
    else:
        if labelled:
            print(f"B-cubed P {out['precision']:.3f} R {out['recall']:.3f} F1 {out['f1']:.3f}; "
                  f"{out['stories']} stories, {out['gold_events']} gold events")
    return 1 if any(r["exit"] for r in results) else 0
