"""`storyline bench dates [DIR]`: date normalisation on TimeML files (TimeBank).

For every ``<TIMEX3 type="DATE">`` in ``<TEXT>``, the gold span and the
document creation time (``<DCT>``) go to ``storyline.annotate.dates.normalize_date``
(with the sentence around it, for the tense cue of
``points_ahead``) and the value must equal the gold ``value`` exactly. Printed: accuracy on all
DATE expressions, on the calendar ones (gold value starts with a digit, i.e.
not PRESENT_REF/PAST_REF/FUTURE_REF), on the plain ones (a year, month or day:
YYYY, YYYY-MM, YYYY-MM-DD, the only values dateparser can give), and on two halves of the files (even and
odd positions in name order: the rules were tuned looking at errors in the
"tune" half), with dateparser alone beside ours.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

from storyline.annotate.dates import dateparser_value, normalize_date, parse_published, points_ahead
from storyline.bench import shared_data
from storyline.commands.term import dumps

DESCRIPTION = "date normalisation accuracy on TimeML files (TimeBank), ours vs dateparser alone"

_DCT = re.compile(r"<DCT>\s*<TIMEX3[^>]*\bvalue=\"([^\"]+)\"")
_TIMEX = re.compile(r"<TIMEX3([^>]*)>(.*?)</TIMEX3>", re.S)
_ATTR = re.compile(r"(\w+)=\"([^\"]*)\"")
_TAG = re.compile(r"<[^>]+>")
_PLAIN = re.compile(r"\d{4}(?:-\d\d){0,2}")  # a year, month or day: what dateparser can express


def add_arguments(parser) -> None:
    parser.add_argument("path", nargs="?", default=str(shared_data() / "dates" / "timebank"),
                        help="a folder of .tml files, or one .tml file (default: ../shared/data/dates/timebank)")
    parser.add_argument("--limit", type=int, default=None, help="read only the first N files")
    parser.add_argument("--errors", type=int, default=0, metavar="N", help="print N wrong answers")


def read_timeml(path: Path) -> list[dict]:
    """The DATE expressions of one TimeML file: text, gold value, creation time."""
    raw = path.read_text(encoding="utf-8")
    m = _DCT.search(raw)
    dct = m.group(1) if m else None
    body = raw.split("<TEXT>", 1)[-1]
    rows = []
    for t in _TIMEX.finditer(body):
        attrs = dict(_ATTR.findall(t.group(1)))
        if attrs.get("type") != "DATE":
            continue
        text = html.unescape(_TAG.sub("", t.group(2))).strip()
        rows.append({"file": path.name, "text": text, "gold": attrs.get("value", ""), "dct": dct,
                     **dict(zip(("sentence", "context"), _sentence(body, t.start(), t.end())))})
    return rows


def _sentence(body: str, start: int, end: int) -> tuple[str, str]:
    """The plain text of the sentence around a tagged expression and the sentence
    before it (the context ``extract_dates`` gives ``normalize_date`` too)."""
    before = _TAG.sub("", body[max(0, start - 800):start])
    after = _TAG.sub("", body[end:end + 400])
    parts = re.split(r"(?<=[.!?])\s|\n\n", before)
    after = re.split(r"[.!?]\s|\n\n", after)[0]
    sentence = html.unescape(parts[-1] + _TAG.sub("", body[start:end]) + after)
    previous = html.unescape(parts[-2]) + " " if len(parts) > 1 else ""
    return sentence, previous + sentence


def load(path: str | Path, limit: int | None = None) -> list[list[dict]]:
    """DATE rows grouped per file, files in name order."""
    p = Path(path)
    files = sorted(p.glob("*.tml")) if p.is_dir() else [p]
    return [read_timeml(f) for f in files[:limit]]


def _value(result) -> str | None:
    return result["value"] if result else None


def score(files: list[list[dict]]) -> dict:
    """Accuracy figures for ours and dateparser alone, overall and per half."""
    counts: Counter = Counter()
    errors = []
    for i, rows in enumerate(files):
        half = "tune" if i % 2 == 0 else "report"
        for r in rows:
            ours = _value(normalize_date(r["text"], r["dct"], future=points_ahead(r["sentence"]), context=r["context"]))
            base = _value(dateparser_value(r["text"], parse_published(r["dct"])))
            calendar = r["gold"][:1].isdigit()
            plain = bool(_PLAIN.fullmatch(r["gold"]))
            for group in ("all", half) + (("calendar",) if calendar else ()) + (("plain",) if plain else ()):
                counts[group, "n"] += 1
                counts[group, "ours"] += ours == r["gold"]
                counts[group, "dateparser"] += base == r["gold"]
            if ours != r["gold"]:
                errors.append({**r, "ours": ours, "half": half})
    figures = {}
    for group in ("all", "calendar", "plain", "tune", "report"):
        n = counts[group, "n"]
        figures[group] = {
            "n": n,
            "accuracy": round(counts[group, "ours"] / n, 4) if n else None,
            "dateparser_accuracy": round(counts[group, "dateparser"] / n, 4) if n else None,
        }
    return {"files": len(files), "figures": figures, "errors": errors}


def run(args) -> int:
    path = Path(args.path)
    if not path.exists():
        print(f"no data at {path}")
        return 2
    result = score(load(path, args.limit))
    if args.json:
        print(dumps({"files": result["files"], **result["figures"]}, indent=2))
        return 0
    print(f"TimeML DATE expressions from {result['files']} files in {path}")
    print(f"{'subset':<10} {'n':>5} {'ours':>7} {'dateparser':>11}")
    for group, f in result["figures"].items():
        if f["n"]:
            print(f"{group:<10} {f['n']:>5} {f['accuracy']:>7.3f} {f['dateparser_accuracy']:>11.3f}")
    print("(tune = files at even positions in name order, where rule errors were looked at; report = odd)")
    for e in result["errors"][: args.errors]:
        print(f"  {e['half']:<6} {e['dct'][:10]}  {e['text']!r:40} gold={e['gold']:<12} ours={e['ours']}")
    return 0
