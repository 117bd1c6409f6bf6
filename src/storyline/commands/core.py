"""Core commands: ingest, process, run, status, search, export, show-article.

Human output goes to the terminal (progress on stderr); ``--json`` prints one
JSON document on stdout, documented in docs/json.md. Exit status: 0 when all
went well, 1 when any input was rejected (or a stage failed on an article),
2 for usage errors (a missing article id, a bad option).
"""
from __future__ import annotations

import csv
import json
import sys
from contextlib import contextmanager
from pathlib import Path

from storyline import pipeline, store
from storyline.commands.term import count as _count
from storyline.commands.term import dumps as _dumps
from storyline.commands.term import ident
from storyline.commands.term import safe


def register(sub) -> None:
    from storyline.cli import common_parser

    common = common_parser()
    p = sub.add_parser("ingest", parents=[common], help="read files, folders or globs into the store")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--source", metavar="NAME", help="the outlet of every article read (overrides the records)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("process", parents=[common], help="run the pending stages: clean, annotate, stories, compare")
    p.add_argument("--stages", default=",".join(pipeline.STAGES), help="comma-separated subset of the stages")
    p.add_argument("--processes", type=int, default=1, help="spaCy worker processes for annotation")
    p.set_defaults(func=cmd_process, parser=p)

    p = sub.add_parser("run", parents=[common], help="ingest PATHs, then run every stage (the main job)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--source", metavar="NAME")
    p.add_argument("--processes", type=int, default=1)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("status", parents=[common], help="what the store holds")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("search", parents=[common], help="full-text search over titles and text")
    p.add_argument("query", nargs="+")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("export", parents=[common], help="every article with external id, outlet, date, title, story")
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output; parquet needs a file)")
    p.add_argument("--text", action="store_true", help="include the clean text")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("show-article", parents=[common], help="clean text, removed pieces, entries, annotations")
    p.add_argument("id", type=ident)
    p.set_defaults(func=cmd_show_article)


# ------------------------------------------------------------------ progress


@contextmanager
def progress_ui(enabled: bool):
    """A rich progress display on stderr; yields a (stage, done, total) callback."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        yield update


def _err(msg: str) -> None:
    """A message on stderr; it can carry file names and article text, so control characters go."""
    print(safe(msg), file=sys.stderr)


def _usage_error(args, msg: str) -> int:
    """A bad option value, reported as argparse does (usage and ``PROG: error: MSG`` on stderr,
    exit status 2); with ``--json`` also ``{"error": MSG}`` on stdout."""
    parser = getattr(args, "parser", None)
    if parser is not None:
        parser.print_usage(sys.stderr)
    _err(f"{parser.prog if parser is not None else 'storyline'}: error: {msg}")
    if getattr(args, "json", False):
        print(_dumps({"error": msg}))
    return 2


# ------------------------------------------------------------------ commands


def _ingest(con, args) -> pipeline.IngestSummary:
    with progress_ui(not args.json) as cb:
        file_cb = (lambda name, n: cb("ingest", n, 0)) if cb else None
        return pipeline.ingest_paths(con, args.paths, source=args.source, progress=file_cb,
                                     on_message=None if args.json else _err)


def _print_ingest(s: pipeline.IngestSummary) -> None:
    print(f"ingested {s.ingested} articles from {s.files} files"
          f" ({s.duplicates} duplicates, {s.revisions} revisions, {s.rejects} rejected, {s.warnings} warnings"
          f"{f', {s.skipped_files} files already ingested' if s.skipped_files else ''})")
    if s.unknown_outlets:
        print(f"{s.unknown_outlets} files had no outlet (no --source, record source or URL): "
              "each counts as an outlet of its own, named file:<name>")


def cmd_ingest(args) -> int:
    con = store.connect(args.db)
    s = _ingest(con, args)
    if args.json:
        print(_dumps({"ingest": s.as_dict()}))
    else:
        _print_ingest(s)
    return 1 if s.rejects else 0


def _stages(args) -> tuple[list[str], str | None]:
    """The stages ``--stages`` names, and what is wrong with them (None when nothing)."""
    stages = [s.strip() for s in getattr(args, "stages", ",".join(pipeline.STAGES)).split(",") if s.strip()]
    choose = f"choose from {', '.join(pipeline.STAGES)}"
    bad = [s for s in stages if s not in pipeline.STAGES]
    if bad:
        return stages, f"argument --stages: unknown stage(s) {', '.join(bad)}; {choose}"
    if not stages:
        return stages, f"argument --stages: no stage given; {choose}"
    return stages, None


def _process(con, args) -> pipeline.ProcessSummary:
    stages, problem = _stages(args)
    if problem:  # cmd_process checks first; a caller that did not gets argparse's status
        raise SystemExit(_usage_error(args, problem))
    with progress_ui(not args.json) as cb:
        summary = pipeline.process(con, cb, stages=stages, n_process=args.processes)
    for e in summary.errors:
        if not args.json:
            _err(f"error: {e}")
    return summary


def _print_process(p: pipeline.ProcessSummary) -> None:
    print(f"cleaned {p.cleaned} ({p.liveblogs} live blogs split into {p.entries} entries), "
          f"annotated {p.annotated}, grouped {p.grouped}"
          f"{f' ({p.backlog} clustered by the backlog pass)' if p.backlog else ''} into {p.stories_touched} stories touched, "
          f"compared {p.compared} stories")


def cmd_process(args) -> int:
    problem = _stages(args)[1]
    if problem:
        return _usage_error(args, problem)
    con = store.connect(args.db)
    p = _process(con, args)
    if args.json:
        print(_dumps({"process": p.as_dict()}))
    else:
        _print_process(p)
    return 1 if p.errors else 0


def cmd_run(args) -> int:
    con = store.connect(args.db)
    s = _ingest(con, args)
    if not args.json:
        _print_ingest(s)
    p = _process(con, args)
    st = status(con)
    if args.json:
        print(_dumps({"ingest": s.as_dict(), "process": p.as_dict(), "status": st}))
    else:
        _print_process(p)
        print()
        _print_status(st, args.db)
        _print_top_stories(con)
    return 1 if (s.rejects or p.errors) else 0


def status(con) -> dict:
    """What the store holds. Article counts are of current articles: a version replaced by a
    revision (stage ``superseded``, with its live-blog entries) is counted in ``superseded``
    (and ``superseded_entries``) only."""
    q = con.execute
    current = "stage != 'superseded'"
    top = f"parent_id IS NULL AND {current}"
    out = {
        "schema_version": store.schema_version(con),
        "articles": q(f"SELECT count(*) FROM articles WHERE {top}").fetchone()[0],
        "entries": q(f"SELECT count(*) FROM articles WHERE parent_id IS NOT NULL AND {current}").fetchone()[0],
        "liveblogs": q(f"SELECT count(*) FROM articles WHERE is_liveblog = 1 AND {current}").fetchone()[0],
        "revisions": q("SELECT count(*) FROM articles WHERE revision_of IS NOT NULL").fetchone()[0],
        "superseded": q("SELECT count(*) FROM articles WHERE parent_id IS NULL AND stage = 'superseded'"
                        ).fetchone()[0],
        "superseded_entries": q("SELECT count(*) FROM articles WHERE parent_id IS NOT NULL "
                                "AND stage = 'superseded'").fetchone()[0],
        "duplicates": q(f"SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL AND {current}"
                        ).fetchone()[0],
        "rejects": q("SELECT count(*) FROM rejects").fetchone()[0],
        "stories": q("SELECT count(*) FROM stories WHERE merged_into IS NULL AND n_articles > 0").fetchone()[0],
        "multi_outlet_stories": q(
            "SELECT count(*) FROM stories WHERE merged_into IS NULL AND n_outlets > 1").fetchone()[0],
        "unknown_outlets": q(f"SELECT count(DISTINCT outlet) FROM articles WHERE {top} AND outlet_known = 0"
                             ).fetchone()[0],
    }
    first, last = q(f"SELECT min(substr(published, 1, 10)), max(substr(published, 1, 10)) FROM articles "
                    f"WHERE {top}").fetchone()
    out["date_range"] = {"first": first, "last": last,
                         "undated": q(f"SELECT count(*) FROM articles WHERE {top} AND published IS NULL").fetchone()[0]}
    out["by_outlet"] = {r[0]: r[1] for r in q(
        f"SELECT outlet, count(*) FROM articles WHERE {top} GROUP BY outlet ORDER BY count(*) DESC, outlet")}
    out["by_format"] = {r[0]: r[1] for r in q(
        f"SELECT format, count(*) FROM articles WHERE {top} GROUP BY format ORDER BY count(*) DESC")}
    out["by_stage"] = {r[0]: r[1] for r in q("SELECT stage, count(*) FROM articles GROUP BY stage ORDER BY stage")}
    out["recent_rejects"] = [
        {"path": r[0], "line": r[1], "reason": r[2]}
        for r in q("SELECT path, line, reason FROM rejects ORDER BY id DESC LIMIT 20")
    ]
    return out


def _print_status(st: dict, db: str) -> None:
    dr = st["date_range"]
    print(f"Store {db} (schema v{st['schema_version']})")
    print(f"  {st['articles']} articles ({st['liveblogs']} live blogs -> {st['entries']} entries), "
          f"{st['revisions']} revisions ({st['superseded']} earlier versions kept aside), "
          f"{st['duplicates']} near/exact copies linked, {st['rejects']} rejects")
    print(f"  {st['stories']} stories, {st['multi_outlet_stories']} told by more than one outlet")
    print(f"  dates {dr['first'] or '?'} .. {dr['last'] or '?'} ({dr['undated']} undated)")
    print("  outlets: " + safe(", ".join(f"{k} {v}" for k, v in st["by_outlet"].items())))
    if st["unknown_outlets"]:
        print(f"  {st['unknown_outlets']} outlets unknown (named after their file)")
    print("  formats: " + ", ".join(f"{k} {v}" for k, v in st["by_format"].items()))
    print("  stages: " + ", ".join(f"{k} {v}" for k, v in st["by_stage"].items()))
    for r in st["recent_rejects"][:10]:
        where = f"{r['path']}:{r['line']}" if r["line"] is not None else r["path"]
        print(f"  rejected {safe(where)}: {safe(r['reason'])}")


def _print_top_stories(con, limit: int = 10) -> None:
    rows = con.execute(
        "SELECT id, title, n_articles, n_outlets, first_seen FROM stories WHERE merged_into IS NULL "
        "AND n_articles > 0 ORDER BY n_outlets DESC, n_articles DESC, last_seen DESC LIMIT ?", (limit,)
    ).fetchall()
    if rows:
        print("\nLargest stories (storyline story ID for the comparison):")
        for r in rows:
            print(f"  #{r['id']:<4} {_count(r['n_outlets'], 'outlet')}, {_count(r['n_articles'], 'article')}  "
                  f"{safe(r['title'])}")


def cmd_status(args) -> int:
    if not Path(args.db).exists():
        from storyline.cli import _fail

        return _fail(args, f"no store at {args.db} (ingest something first, or pass --db FILE)", 2)
    con = store.connect(args.db)
    st = status(con)
    if args.json:
        print(_dumps(st))
    else:
        _print_status(st, args.db)
    return 0


def cmd_search(args) -> int:
    con = store.connect(args.db, create=False)
    hits = store.search(con, " ".join(args.query), limit=args.limit)
    if args.json:
        print(_dumps({"query": " ".join(args.query), "results": hits}))
        return 0
    for h in hits:
        print(f"{h['id']:>6}  {h['published'] or '????-??-??':.10}  {safe(h['outlet'])}: {safe(h['title'])}")
        print("        " + safe(" ".join(h['snippet'].split())))
    if not hits:
        print("no matches")
    return 0


EXPORT_FIELDS = ("id", "external_id", "outlet", "published", "title", "url", "story_id", "parent_id",
                 "position", "duplicate_of", "revision_of", "format", "stage")


def export_rows(con, with_text: bool = False):
    cols = ", ".join(f"a.{c}" for c in EXPORT_FIELDS if c != "story_id")
    text = ", coalesce(a.clean_text, a.text) AS text" if with_text else ""
    sql = (f"SELECT {cols}, m.story_id AS story_id{text} FROM articles a "
           "LEFT JOIN story_members m ON m.article_id = a.id ORDER BY a.id")
    for r in con.execute(sql):
        yield {k: r[k] for k in r.keys()}


# Control characters (C0 but line feed and tab, DEL, C1) as spaces: what CSV on standard output
# gets, so an escape sequence in a headline cannot drive the terminal it ends up on.
_CONTROLS = str.maketrans({c: " " for c in [*range(0x20), *range(0x7F, 0xA0)] if c not in (0x09, 0x0A)})


def _csv_row_for_stdout(row: dict) -> dict:
    return {k: v.translate(_CONTROLS) if isinstance(v, str) else v for k, v in row.items()}


def cmd_export(args) -> int:
    """Every article as JSONL, CSV or Parquet. With ``-o FILE`` the records go to FILE and
    ``--json`` prints one summary object ``{"export": {"format", "output", "articles"}}``;
    without it the records are the output (JSONL: ``--json`` changes nothing; CSV is not JSON,
    so ``--format csv --json`` needs ``-o``). Errors go through ``cli._fail``."""
    from storyline.cli import _fail

    if args.format == "parquet" and not args.output:
        return _fail(args, "parquet export needs --output FILE", 2)
    if args.json and args.format == "csv" and not args.output:
        return _fail(args, "--json with --format csv needs --output FILE (without it, --json prints "
                           "the JSONL records)", 2)
    con = store.connect(args.db, create=False)
    fields = list(EXPORT_FIELDS) + (["text"] if args.text else [])
    try:
        n = _export(con, args, fields)
    except OSError as exc:  # -o in a missing directory, a directory, a read-only place
        if not args.output or isinstance(exc, BrokenPipeError):  # standard output: cli.main's
            raise
        return _fail(args, f"cannot write {args.output}: {exc.strerror or exc}", 2)
    if args.output:
        if args.json:
            print(_dumps({"export": {"format": args.format, "output": args.output, "articles": n}}))
        else:
            _err(f"exported {n} articles to {args.output}")
    return 0


def _export(con, args, fields: list[str]) -> int:
    """Write the records (to ``args.output``, or standard output); returns how many."""
    if args.format == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = list(export_rows(con, args.text))
        table = pa.Table.from_pylist(rows) if rows else pa.table({f: [] for f in fields})
        pq.write_table(table, args.output)
        return len(rows)
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        n = 0
        if args.format == "csv":
            w = csv.DictWriter(out, fieldnames=fields)
            w.writeheader()
            # a file keeps the stored text exactly; standard output usually ends on a
            # terminal (directly or through head, less, grep), so it gets no control characters
            clean = _csv_row_for_stdout if not args.output else (lambda row: row)
            for row in export_rows(con, args.text):
                w.writerow(clean(row))
                n += 1
        else:
            for row in export_rows(con, args.text):  # JSON escapes control characters (\u001b)
                out.write(_dumps(row) + "\n")
                n += 1
    finally:
        if args.output:
            out.close()
    return n


def article_report(con, article_id: int) -> dict | None:
    art = store.get_article(con, article_id)
    if not art:
        return None
    member = con.execute("SELECT story_id, score, explanation FROM story_members WHERE article_id = ?",
                         (article_id,)).fetchone()
    return {
        "id": art["id"], "external_id": art["external_id"], "outlet": art["outlet"], "published": art["published"],
        "title": art["title"], "url": art["url"], "format": art["format"], "stage": art["stage"],
        "parent_id": art["parent_id"], "position": art["position"], "revision_of": art["revision_of"],
        "duplicate_of": art["duplicate_of"], "dup_kind": art["dup_kind"], "is_liveblog": bool(art["is_liveblog"]),
        "meta": art["clean_meta"] or {}, "text": store.article_text(art),
        "removed": store.get_removed(con, article_id),
        "entries": [{"id": e["id"], "position": e["position"], "title": e["title"],
                     "time": (e["extra"] or {}).get("entry_time"), "text": e["clean_text"] or e["text"]}
                    for e in store.get_entries(con, article_id)],
        "annotations": store.get_annotations(con, article_id),
        "story": {"id": member["story_id"], "score": member["score"],
                  "explanation": json.loads(member["explanation"])} if member else None,
    }


def cmd_show_article(args) -> int:
    con = store.connect(args.db, create=False)
    rep = article_report(con, args.id)
    if rep is None:
        from storyline.cli import _fail

        return _fail(args, f"no article {args.id} in {args.db}", 2)
    if args.json:
        print(_dumps(rep))
        return 0
    print(f"#{rep['id']} {safe(rep['outlet'])} {safe(rep['published'] or 'date unknown')}  [{rep['format']}, {rep['stage']}]")
    print(safe(rep["title"]))
    if rep["url"]:
        print(safe(rep["url"]))
    if rep["parent_id"]:
        print(f"entry {rep['position']} of live blog #{rep['parent_id']}")
    if rep["story"]:
        print(f"story #{rep['story']['id']} (score {rep['story']['score']})")
    meta = {k: v for k, v in rep["meta"].items() if v}
    if meta:
        print("found: " + safe("; ".join(f"{k}: {v}" for k, v in meta.items())))
    print("\n--- clean text ---")
    print(safe(rep["text"], newlines=True))
    if rep["entries"]:
        print(f"\n--- live blog: {len(rep['entries'])} entries ---")
        for e in rep["entries"]:
            print(f"  [{e['position']}] #{e['id']} {safe(e['time'] or '')} {safe(e['title'])}")
    if rep["removed"]:
        print(f"\n--- removed ({len(rep['removed'])}) ---")
        for r in rep["removed"]:
            print(f"  line {r['line']:>3} {r['reason']:<12} {safe(r['text'][:100])}")
    if rep["annotations"]:
        print(f"\n--- annotations ({len(rep['annotations'])}) ---")
        for a in rep["annotations"]:
            v = a["value"]
            detail = {
                "entity": lambda: v.get("name", ""),
                "place": lambda: f"{v.get('name')} {v.get('country') or ''} ({v.get('lat')}, {v.get('lon')})",
                "date": lambda: f"{v.get('value')} {v.get('granularity', '')}{' (guess)' if v.get('guess') else ''}",
                "figure": lambda: f"{v.get('qualifier') or ''} {v.get('value')} {v.get('unit') or ''} "
                                  f"{v.get('counted') or ''}".strip(),
                "quote": lambda: f"speaker: {v.get('speaker')} cue: {v.get('cue')}",
            }.get(a["kind"], lambda: json.dumps(v, ensure_ascii=False))()
            text = a["text"] if len(a["text"]) < 80 else a["text"][:77] + "..."
            print(f"  {a['kind']:<7} {a['start']:>5}-{a['end']:<5} {a['label']:<10} {text!r} -> {safe(detail)}")
    return 0
