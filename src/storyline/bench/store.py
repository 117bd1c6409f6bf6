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
small late run into the full store. At the end, B-cubed against the rows' ``event`` labels
(a row that ingest dropped as a copy of another counts in its original's story).

The children's exit status and ``--json`` are checked: a failed step, a stage's error, a reject
(named by the user's file and line, which the store's rejects and articles are given in place of
the run's temporary file) or a labelled row in no story is reported and makes the exit status 1.
Bad input or a bad ``--keep``/``--db`` path is exit status 2 before anything runs.

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

from storyline.commands.term import dumps

DESCRIPTION = "daily runs into a growing store: each run's stories stage, wall time and peak memory"
# the help of --db (storyline.commands.bench shows it)
DB_HELP = "the same as --keep: build the store at FILE (a new path) and keep it"


def add_arguments(p) -> None:
    p.add_argument("file", nargs="?", help="labelled JSONL (id, title, text, published, source, event)")
    p.add_argument("--synth", type=int, metavar="N", help="an invented stream of N articles, 1,000 a day, instead of FILE")
    p.add_argument("--days", type=int, metavar="K", help="only the first K days")
    p.add_argument("--then", metavar="FILE", help="one more run of this file's rows after the days")
    p.add_argument("--late", type=int, metavar="M",
                   help="with --synth: one more run of M articles of the invented stream's next day")
    p.add_argument("--keep", metavar="DB", help="build the store at DB, a path that does not exist yet, and keep "
                   "it (default: a temporary store, deleted at the end); the same as --db")


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


def _child(cmd: list[str], key: str, what: str, problems: list[str]) -> dict[str, Any]:
    """Run ``cmd`` (a ``storyline ... --json`` command) and return the ``key`` object of its JSON.
    A child that printed no such JSON, or exited with a status other than 0 or 1 (1: some
    input rejected or an item failed, which its JSON says), adds a line to ``problems``."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    try:
        summary = json.loads(proc.stdout or b"{}").get(key)
    except (ValueError, AttributeError):
        summary = None
    if summary is None or proc.returncode not in (0, 1):
        tail = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()][-1:]
        problems.append(f"{what} failed (exit {proc.returncode})" + (f": {tail[0].strip()}" if tail else ""))
    return summary or {}


def relabel(db: Path, src: Path, origins: list[tuple[str, int]]) -> None:
    """Name the user's file and line instead of the run's temporary file (``src``, one row a
    line, row k from ``origins[k - 1]``) in the store's rejects and articles, so that
    ``storyline status`` and the later stages' rejects point at the user's row."""
    if not origins:
        return
    con = sqlite3.connect(db)
    try:
        with con:
            con.execute("CREATE TEMP TABLE IF NOT EXISTS origin (line INTEGER PRIMARY KEY, path TEXT, oline INTEGER)")
            con.execute("DELETE FROM origin")
            con.executemany("INSERT INTO origin VALUES (?, ?, ?)",
                            [(k, path, line) for k, (path, line) in enumerate(origins, start=1)])
            for table, pcol, lcol in (("rejects", "path", "line"), ("articles", "source_path", "source_line")):
                con.execute(
                    f"UPDATE {table} SET {pcol} = (SELECT path FROM origin o WHERE o.line = {table}.{lcol}), "
                    f"{lcol} = (SELECT oline FROM origin o WHERE o.line = {table}.{lcol}) "
                    f"WHERE {pcol} = ? AND {lcol} IN (SELECT line FROM origin)", (str(src),))
            con.execute("UPDATE rejects SET path = ? WHERE path = ? AND line IS NULL", (origins[0][0], str(src)))
    finally:
        con.close()


def prepare_run(db: Path, src: Path, origins: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    """Ingest ``src`` into the store, then clean and annotate it, each in a child process.

    ``origins``: each line's file and line for the user (see :func:`relabel`, done between
    ingest and cleaning). Returns ``ingested, duplicates, rejects`` (ingest's counts) and
    ``problems``: a line for each failed child and each error of the cleaning or annotation."""
    problems: list[str] = []
    ing = _child(_storyline("ingest", str(src), "--db", str(db), "--json"), "ingest", "ingest", problems)
    relabel(db, src, origins or [])
    proc = _child(_storyline("process", "--stages", "clean,annotate", "--processes", "1", "--db", str(db), "--json"),
                  "process", "process --stages clean,annotate", problems)
    problems.extend(str(e) for e in proc.get("errors") or [])
    return {"ingested": ing.get("ingested", 0), "duplicates": ing.get("duplicates", 0),
            "rejects": ing.get("rejects", 0), "problems": problems}


def stories_run(db: Path) -> dict[str, Any]:
    """``storyline process --stages stories --json`` in a fresh process: its wall seconds, peak
    RSS, exit status and summary."""
    cmd = _storyline("process", "--stages", "stories", "--db", str(db), "--json")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = [ln for ln in err.read().decode("utf-8", "replace").splitlines() if ln.strip()][-1:]
    try:
        summary = json.loads(out or b"{}").get("process")
    except (ValueError, AttributeError):
        summary = None
    problems = [str(e) for e in (summary or {}).get("errors") or []]
    if summary is None or proc.returncode not in (0, 1):
        problems.append(f"process --stages stories failed (exit {proc.returncode})"
                        + (f": {tail[0].strip()}" if tail else ""))
    summary = summary or {}
    # ru_maxrss is in KiB on Linux
    return {"seconds": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024), "exit": proc.returncode,
            "grouped": summary.get("grouped", 0), "backlog": summary.get("backlog", 0),
            "stories_touched": summary.get("stories_touched", 0), "errors": len(summary.get("errors", [])),
            "problems": problems}


def _outcome(con: sqlite3.Connection, runs, labelled: list[dict[str, Any]], origin: dict[int, tuple[str, int]],
             placed: dict[int, tuple[Path, int]]):
    """From the built store: (each labelled row's story id or None, how many of them are copies
    that ingest dropped, scored in their original's story, the labelled rows in no story,
    every reject of the store). ``origin``/``placed``: each row's place for the user / in its
    run's file (keyed by ``id(row)``)."""
    from storyline.bench.stories import copies_in_store, not_grouped

    by_ext = {str(e): s for e, s in con.execute(
        "SELECT a.external_id, m.story_id FROM articles a JOIN story_members m ON m.article_id = a.id")}
    story = {i: by_ext.get(str(r["id"])) for i, r in enumerate(labelled)}
    missing = [i for i in story if story[i] is None]
    for src in sorted({placed[id(labelled[i])][0] for i in missing}):
        mine = [i for i in missing if placed[id(labelled[i])][0] == src]
        copies = copies_in_store(con, src, {placed[id(labelled[i])][1] for i in mine})
        for i in mine:
            story[i] = copies.get(placed[id(labelled[i])][1])
    places = [origin[id(r)] for r in labelled]
    ungrouped = not_grouped(con, labelled, [i for i in missing if story[i] is None], places,
                            stored=[p for p, _ in places])
    row_at = {origin[id(r)]: r["id"] for _, part in runs for r in part}
    rejected = [{"id": row_at.get((path, line)), "file": path, "line": line, "reason": reason}
                for path, line, reason in con.execute("SELECT path, line, reason FROM rejects ORDER BY id")]
    return story, sum(story[i] is not None for i in missing), ungrouped, rejected


def run(args) -> int:
    from storyline.bench.stories import InputError, check_new_store, read_rows, say_not_grouped
    from storyline.commands.term import safe

    keep, option = args.keep, "--keep"
    if getattr(args, "db", None) is not None:
        if keep is not None and Path(keep) != Path(args.db):
            raise InputError(f"--db {args.db} and --keep {keep}: give one of them (they are the same option)")
        keep, option = args.db, "--db"
    if keep is not None:
        check_new_store(keep, option)
    late: list[dict[str, Any]] = []
    origin: dict[int, tuple[str, int]] = {}  # id(row) -> the user's file (or stream) and line
    if args.synth:
        name, rows, late = synth_rows(args.synth, args.late or 0)
        origin.update((id(r), (name, k)) for k, r in enumerate(rows, start=1))
        origin.update((id(r), (f"{name}: its next day", k)) for k, r in enumerate(late, start=1))
    elif args.file:
        rows, lines = read_rows(args.file, required=("id",))
        origin.update((id(r), (str(args.file), n)) for r, n in zip(rows, lines))
        name = Path(args.file).name
    else:
        raise InputError("give a labelled JSONL FILE or --synth N")
    days = _days(rows)[:args.days] if args.days else _days(rows)
    runs = [(day, part) for day, part in days]
    if late:
        runs.append(("late", late))
    if args.then:
        then, then_lines = read_rows(args.then, required=("id",))
        first = {str(r["id"]): origin[id(r)] for r in [*rows, *late]}
        for r, n in zip(then, then_lines):
            if str(r["id"]) in first:
                raise InputError(f"{args.then}:{n}: id {str(r['id'])!r} is also on {first[str(r['id'])][0]} "
                                 f"line {first[str(r['id'])][1]} (the benchmark scores rows by id)")
            origin[id(r)] = (str(args.then), n)
        runs.append(("then", then))
    results: list[dict[str, Any]] = []
    messages: list[str] = []
    placed: dict[int, tuple[Path, int]] = {}  # id(row) -> its run's file and line
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(keep) if keep else Path(tmp) / "store.db"
        if not args.json:
            print(f"{name}: {sum(len(p) for _, p in runs)} articles in {len(runs)} runs into {db}")
            print(f"{'run':>10} {'articles':>9} {'grouped':>8} {'backlog':>8} {'stories s':>10} {'peak MB':>8}")
        for day, part in runs:
            src = Path(tmp) / f"run-{len(results):04d}.jsonl"
            _write(src, part)
            placed.update((id(r), (src, k)) for k, r in enumerate(part, start=1))
            prep = prepare_run(db, src, [origin[id(r)] for r in part]) if part else \
                {"ingested": 0, "duplicates": 0, "rejects": 0, "problems": []}  # an empty --then file
            st = stories_run(db)
            problems = prep.pop("problems") + st.pop("problems")
            messages.extend(f"run {day}: {p}" for p in problems)
            r = {"run": day, "articles": len(part), **st, **prep, "errors": len(problems)}
            results.append(r)
            if not args.json:
                print(f"{day:>10} {r['articles']:>9} {r['grouped']:>8} {r['backlog']:>8} {r['seconds']:>10.2f} "
                      f"{r['peak_rss_mb']:>8}" + (f"  exit {r['exit']}" if r["exit"] else "")
                      + (f"  {r['rejects']} rejected" if r["rejects"] else "")
                      + (f"  {r['errors']} errors" if r["errors"] else ""))
        labelled = [r for _, part in runs for r in part if r.get("event") is not None]
        places = [origin[id(r)] for r in labelled]
        con = sqlite3.connect(db)
        try:
            story, copies, ungrouped, rejected = _outcome(con, runs, labelled, origin, placed)
        except sqlite3.Error as exc:  # no store: its children failed before making it
            messages.append(f"the store {db} cannot be read: {exc}")
            story, copies, rejected = {i: None for i in range(len(labelled))}, 0, []
            ungrouped = [{"id": r["id"], "file": f, "line": n, "reason": "the store cannot be read"}
                         for r, (f, n) in zip(labelled, places)]
        finally:
            con.close()
    out: dict[str, Any] = {"file": name, "runs": results}
    if labelled:
        from storyline.stories.metrics import score

        s = score([r["event"] for r in labelled], [story[i] if story[i] is not None else -1 - i
                                                   for i in range(len(labelled))])
        out.update(precision=s.precision, recall=s.recall, f1=s.f1, stories=s.n_pred, gold_events=s.n_gold)
    out.update(copies=copies, rejected=rejected,
               ungrouped=ungrouped, messages=messages, store=str(keep) if keep else None)
    if args.json:
        print(dumps(out))
    else:
        if labelled:
            print(f"B-cubed P {out['precision']:.3f} R {out['recall']:.3f} F1 {out['f1']:.3f}; "
                  f"{out['stories']} stories, {out['gold_events']} gold events"
                  + (f"; {out['copies']} copies of other rows, scored in their original's story" if out["copies"] else ""))
    for m in messages:
        print(safe(f"storyline bench store: {m}"), file=sys.stderr)
    if rejected:
        print(f"storyline bench store: {len(rejected)} rejected:", file=sys.stderr)
        for d in rejected:
            print(safe(f"  {d['file']}" + (f":{d['line']}" if d["line"] is not None else "")
                       + (f": id {d['id']}" if d["id"] is not None else "") + f": {d['reason']}"), file=sys.stderr)
    rest = [d for d in ungrouped if not d["reason"].startswith("rejected:")]
    if rest:
        print(f"storyline bench store: {say_not_grouped(rest)}", file=sys.stderr)
    return 1 if rejected or ungrouped or messages or any(r["exit"] for r in results) else 0
