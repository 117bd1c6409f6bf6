"""`storyline stories | story ID | merge A B | split STORY ARTICLE... | move ARTICLE STORY`.

Listing and reading stories, and the user's corrections to the grouping. Every correction is
recorded in ``story_decisions`` and pins the articles it places, so later incremental runs keep
it. ``--json`` output is documented in docs/stories.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
from typing import Any

from storyline.commands.term import count as _count
from storyline.commands.term import dumps, ident
from storyline.commands.term import safe
from storyline.stories.explain import explain_parts
from storyline.store import connect


class _LazyPersist:
    """storyline.stories.persist, imported on first use (it pulls in numpy and the word-frequency prior)."""

    def __getattr__(self, name: str):
        from storyline.stories import persist as module

        return getattr(module, name)


persist = _LazyPersist()


def register(sub) -> None:
    from storyline.cli import common_parser

    p = sub.add_parser("stories", help="list stories (newest first)", parents=[common_parser()])
    p.add_argument("--since", metavar="YYYY-MM-DD", type=_day,
                   help="stories still running on or after this date (undated stories are left out)")
    p.add_argument("--until", metavar="YYYY-MM-DD", type=_day,
                   help="stories that began on or before this date (undated stories are left out)")
    p.add_argument("--outlet", help="only stories with an article from this outlet")
    p.add_argument("--query", help="only stories with an article matching these words")
    p.add_argument("--min-outlets", type=_positive, default=0, metavar="N", help="only stories told by N outlets or more")
    p.add_argument("--largest", action="store_true", help="most outlets first instead of newest first")
    p.add_argument("--limit", type=_positive, default=50, metavar="N", help="at most N stories (default 50)")
    p.set_defaults(func=cmd_stories)

    p = sub.add_parser("story", help="one story: its articles, why each is there, and the comparison",
                       parents=[common_parser()])
    p.add_argument("id", type=ident)
    p.add_argument("--no-compare", action="store_true", help="skip the comparison report")
    p.set_defaults(func=cmd_story)

    p = sub.add_parser("merge", help="merge story B into story A", parents=[common_parser()])
    p.add_argument("a", type=ident, metavar="A")
    p.add_argument("b", type=ident, metavar="B")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("split", help="move the named articles of a story into a new story", parents=[common_parser()])
    p.add_argument("story", type=ident)
    p.add_argument("articles", type=ident, nargs="+", metavar="ARTICLE")
    p.set_defaults(func=cmd_split)

    p = sub.add_parser("move", help="move an article into another story", parents=[common_parser()])
    p.add_argument("article", type=ident)
    p.add_argument("story", type=ident)
    p.set_defaults(func=cmd_move)


def _day(text: str) -> str:
    """A ``--since``/``--until`` value: a calendar date written YYYY-MM-DD."""
    try:
        if len(text) == 10:
            return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"not a date: {text!r} (write YYYY-MM-DD, e.g. 2026-05-09)")


def _positive(text: str) -> int:
    """A count option: a whole number, 0 or more."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"not a count: {text!r} (a whole number, 0 or more)")
    return int(text)


def _clean(s: Any) -> str:
    """Article text shown on a terminal: control characters (escape sequences) removed."""
    return safe(s)


def _err(args, msg: str, status: int = 2) -> int:
    """An error: ``storyline: MSG`` on standard error, with ``--json`` ``{"error": MSG}`` on
    standard output; status 2 (an unknown id, or a decision that cannot be made), 1 when the
    store is busy (docs/json.md)."""
    from storyline.cli import _fail

    return _fail(args, msg, status)


def cmd_stories(args) -> int:
    con = connect(args.db, create=False)
    rows = persist.list_stories(con, since=args.since, until=args.until, outlet=args.outlet, query=args.query,
                                min_outlets=args.min_outlets, limit=args.limit,
                                order="largest" if args.largest else "newest")
    if args.json:
        print(dumps(rows, indent=2))
        return 0
    if not rows:
        print("no stories")
        return 0
    for r in rows:
        span = r["first_seen"] or "undated"
        if r["last_seen"] and r["last_seen"] != r["first_seen"]:
            span += f"..{r['last_seen']}"
        no, na = r['n_outlets'], r['n_articles']
        print(f"{r['id']:>6}  {span:<22} {no:>3} {'outlet' if no == 1 else 'outlets':<7} "
              f"{na:>4} {'article' if na == 1 else 'articles':<8}  {_clean(r['title'])}")
    return 0


def _compare_report(con, story_id: int):
    """(report, text) from storyline.compare, or (None, reason) when it is unavailable."""
    try:
        from storyline.compare import render_text
        from storyline.compare.persist import get_or_update
    except ImportError as exc:
        return None, f"comparison unavailable ({exc})"
    report = get_or_update(con, story_id)
    return report, render_text(report) if report is not None else ""


def format_story(story: dict[str, Any]) -> str:
    """The story header and its members with scores and reasons, as terminal text."""
    lines = [f"Story {story['id']}: {_clean(story['title'])}",
             f"  first seen {story['first_seen'] or 'undated'}, last seen {story['last_seen'] or 'undated'}; "
             f"{_count(story['n_articles'], 'article')} from {_count(story['n_outlets'], 'outlet')}: "
             f"{', '.join(_clean(o) for o in story['outlets'])}"]
    for m in story["members"]:
        score = f"{m['score']:.2f}" if m["score"] is not None else "  - "
        lines.append(f"  [{m['article_id']}] {score} {m['published'] or 'undated':<10} {_clean(m['outlet'])}: "
                     f"{_clean(m['title'])}{'  (pinned)' if m['pinned'] else ''}")
        lines.append(f"        {_clean(explain_text(m))}")
    return "\n".join(lines)


def explain_text(member: dict[str, Any]) -> str:
    """One line saying why an article is in its story."""
    return "; ".join(explain_parts(member))


def cmd_story(args) -> int:
    con = connect(args.db, create=False)
    story = persist.get_story(con, args.id)
    if story is None:
        return _err(args, f"no story {args.id}")
    asked = None
    if story.get("merged_into"):
        target = persist.resolve(con, args.id)
        if not args.json:
            print(f"story {args.id} was merged into story {target}")
        story = persist.get_story(con, target)
        asked = args.id
    report, text = (None, "") if args.no_compare else _compare_report(con, story["id"])
    if args.json:
        story["comparison"] = report
        if asked is not None:
            story["merged_from"] = asked  # the id asked for, merged into this story
        print(dumps(story, indent=2, default=str))
        return 0
    print(format_story(story))
    if text:
        print()
        print(text)
    return 0


def _decision(args, fn, *fargs) -> int:
    con = connect(args.db, create=False)
    try:
        summary = fn(con, *fargs)
    except persist.StoreBusy as exc:
        return _err(args, str(exc), 1)
    except (LookupError, ValueError) as exc:
        return _err(args, str(exc.args[0]) if exc.args else str(exc))
    summary.pop("members", None)
    if args.json:
        print(dumps(summary, indent=2))
    else:
        print(f"story {summary['id']}: {_clean(summary['title'])} ({_count(summary['n_articles'], 'article')}, "
              f"{_count(summary['n_outlets'], 'outlet')})")
    return 0


def cmd_merge(args) -> int:
    return _decision(args, persist.merge_stories, args.a, args.b)


def cmd_split(args) -> int:
    return _decision(args, persist.split_story, args.story, args.articles)


def cmd_move(args) -> int:
    return _decision(args, persist.move_article, args.article, args.story)
