"""`storyline bench clean`: removal precision/recall and live-blog split accuracy.

Scores the cleaning stage on a labelled set of invented articles
(tests/data/cleaning, format in its README): every line the cleaner must
remove is prefixed ``-<reason>| ``, every live-blog entry headline
``#entry| `` and every entry time ``@time| ``. The bench strips the prefixes
to make the input, cleans it and reports:

- line-level precision, recall and F1 of removal (and how often the reason
  given is the labelled one);
- live-blog detection accuracy over all articles, and entry-level accuracy
  over live blogs (an entry counts when its title, time and paragraphs are
  exactly right; lines whose removal was wrong are left out of the
  paragraph comparison so one error is not counted twice);
- cleaning speed in articles per second on one core (text input).
"""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from storyline.bench import REPO_ROOT
from storyline.clean import clean_text
from storyline.clean.lines import normalise
from storyline.commands.term import dumps
from storyline.records import Cleaned

DESCRIPTION = "cleaning: line removal precision/recall, live-blog split accuracy, articles/s"
DEFAULT_DATA = REPO_ROOT / "tests" / "data" / "cleaning"
_REMOVED = re.compile(r"^-([a-z-]+)\| ?(.*)$")
_ENTRY = re.compile(r"^#entry\| ?(.*)$")
_TIME = re.compile(r"^@time\| ?(.*)$")
_FIRST = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+(.*)$")


@dataclass(slots=True)
class GoldEntry:
    title: str
    time: str | None
    lines: list[int] = field(default_factory=list)  # body line indices of its paragraphs


@dataclass(slots=True)
class Labelled:
    """One labelled article: the input body and what the cleaner must do with it."""

    name: str
    title: str
    body: str
    removed: dict[int, str]  # body line index -> reason
    entries: list[GoldEntry]  # empty unless a live blog

    @property
    def is_liveblog(self) -> bool:
        return bool(self.entries)


def parse_labelled(name: str, raw: str) -> Labelled:
    """Read one labelled file (see tests/data/cleaning/README.md)."""
    first, _, rest = raw.partition("\n")
    m = _FIRST.match(first)
    if not m:
        raise ValueError(f"{name}: first line must be ' date YYYY-MM-DD <headline>'")
    title = normalise(m.group(2))
    lines: list[str] = []
    removed: dict[int, str] = {}
    entries: list[GoldEntry] = [GoldEntry(title, None)]
    pending_time = None
    for i, line in enumerate(rest.split("\n")):
        if mm := _TIME.match(line):
            lines.append(mm.group(1))
            removed[i] = "timestamp"
            pending_time = normalise(mm.group(1))
        elif mm := _REMOVED.match(line):
            lines.append(mm.group(2))
            removed[i] = mm.group(1)
        elif mm := _ENTRY.match(line):
            lines.append(mm.group(1))
            entries.append(GoldEntry(normalise(mm.group(1)), pending_time))
            pending_time = None
        else:
            lines.append(line)
            if line.strip():
                entries[-1].lines.append(i)
    if len(entries) == 1:
        entries = []
    elif not entries[0].lines:
        entries = entries[1:]
    return Labelled(name, title, "\n".join(lines), removed, entries)


def load_labelled(data: Path = DEFAULT_DATA) -> list[Labelled]:
    return [parse_labelled(p.name, p.read_text(encoding="utf-8")) for p in sorted(Path(data).glob("*.txt"))]


def data_sha256(data: Path = DEFAULT_DATA) -> str:
    """One hash over the names and bytes of the labelled files (pinned by the gate test)."""
    h = hashlib.sha256()
    for p in sorted(Path(data).glob("*.txt")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _predicted_lines(cleaned: Cleaned) -> dict[int, str]:
    out: dict[int, str] = {}
    for r in cleaned.removed:
        for k in range(r.text.count("\n") + 1):
            out[r.line + k] = r.reason
    return out


def _paragraph_lines(body: str, paragraphs: list[str], start: int = 0) -> tuple[list[int], int]:
    """Body line index of each paragraph (found in order, from line ``start``)."""
    lines = [normalise(x) for x in body.split("\n")]
    found = []
    i = start
    for para in paragraphs:
        j = i
        while j < len(lines) and lines[j] != para and not (lines[j] and para.startswith(lines[j])):
            j += 1
        if j < len(lines):
            found.append(j)
            i = j + 1
    return found, i


def _score_entries(item: Labelled, cleaned: Cleaned, doubtful: set[int]) -> tuple[int, int, int]:
    """(correct, gold, predicted) entries of one article."""
    gold = item.entries or [GoldEntry(item.title, None)]
    pred: list[tuple[str, str | None, list[int]]] = []
    pos = 0
    for e in cleaned.entries or []:
        found, pos = _paragraph_lines(item.body, e.paragraphs, pos)
        pred.append((normalise(e.title), e.time, found))
    if not cleaned.is_liveblog:
        pred = [(item.title, None, _paragraph_lines(item.body, cleaned.paragraphs)[0])]
    gold_keys = [(g.title, g.time, tuple(x for x in g.lines if x not in doubtful)) for g in gold]
    pred_keys = [(t, tm, tuple(x for x in ls if x not in doubtful)) for t, tm, ls in pred]
    correct = sum(1 for k in pred_keys if k in gold_keys)
    return correct, len(gold_keys), len(pred_keys)


def evaluate(items: list[Labelled]) -> dict:
    """Scores of the cleaner on the labelled items, with the list of errors."""
    tp = fp = fn = same_reason = 0
    entries_ok = entries_gold = entries_pred = 0
    detect_ok = 0
    errors: list[str] = []
    for item in items:
        cleaned = clean_text(item.body, item.title)
        pred = _predicted_lines(cleaned)
        body_lines = item.body.split("\n")
        for i in sorted(set(pred) | set(item.removed)):
            if i in pred and i in item.removed:
                tp += 1
                same_reason += pred[i] == item.removed[i]
                if pred[i] != item.removed[i]:
                    errors.append(f"{item.name}:{i + 2}: reason {pred[i]} (labelled {item.removed[i]})")
            elif i in pred:
                fp += 1
                errors.append(f"{item.name}:{i + 2}: cut as {pred[i]} but is story text: {body_lines[i][:70]!r}")
            else:
                fn += 1
                errors.append(f"{item.name}:{i + 2}: kept but is {item.removed[i]}: {body_lines[i][:70]!r}")
        detect_ok += cleaned.is_liveblog == item.is_liveblog
        if not (cleaned.is_liveblog or item.is_liveblog):
            continue
        doubtful = set(pred) ^ set(item.removed)
        ok, g, p = _score_entries(item, cleaned, doubtful)
        entries_ok, entries_gold, entries_pred = entries_ok + ok, entries_gold + g, entries_pred + p
        if ok != max(g, p):
            errors.append(f"{item.name}: {ok} of {g} labelled entries right ({p} predicted)")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "articles": len(items),
        "liveblogs": sum(1 for x in items if x.is_liveblog),
        "removal": {
            "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
            "reason_accuracy": round(same_reason / tp, 4) if tp else 1.0,
            "labelled": tp + fn, "removed": tp + fp, "correct": tp,
        },
        "split": {
            "liveblog_detection_accuracy": round(detect_ok / len(items), 4) if items else 1.0,
            "entry_accuracy": round(entries_ok / max(entries_gold, entries_pred), 4) if entries_gold else 1.0,
            "entries_labelled": entries_gold, "entries_predicted": entries_pred, "entries_correct": entries_ok,
        },
        "errors": errors,
    }


def articles_per_second(items: list[Labelled], min_seconds: float = 1.0) -> float:
    """Cleaning speed on one core (CPU time of this process), text input."""
    done = 0
    start = time.process_time()
    while True:
        for item in items:
            clean_text(item.body, item.title)
        done += len(items)
        spent = time.process_time() - start
        if spent >= min_seconds and done >= 3 * len(items):
            return done / spent


def add_arguments(parser) -> None:
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, metavar="DIR",
                        help="folder of labelled articles (default: tests/data/cleaning)")
    parser.add_argument("--errors", action="store_true", help="list every wrong line and entry")
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent measuring speed (default 2)")


def run(args) -> int:
    items = load_labelled(args.data)
    if not items:
        print(f"no labelled articles (*.txt) in {args.data}")
        return 1
    report = evaluate(items)
    report["articles_per_s"] = round(articles_per_second(items, args.seconds), 1)
    report["data_sha256"] = data_sha256(args.data)
    if args.json:
        if not args.errors:
            report.pop("errors")
        print(dumps(report, indent=2))
        return 0
    r, s = report["removal"], report["split"]
    print(f"articles: {report['articles']} ({report['liveblogs']} live blogs) from {args.data}")
    print(f"removal (line level): precision {r['precision']:.3f}  recall {r['recall']:.3f}  F1 {r['f1']:.3f}"
          f"  ({r['correct']} right of {r['removed']} removed, {r['labelled']} labelled)")
    print(f"reason right on correctly removed lines: {r['reason_accuracy']:.3f}")
    print(f"live-blog detection accuracy: {s['liveblog_detection_accuracy']:.3f}")
    print(f"entry-level split accuracy: {s['entry_accuracy']:.3f}  ({s['entries_correct']} right of "
          f"{s['entries_labelled']} labelled, {s['entries_predicted']} predicted)")
    print(f"speed: {report['articles_per_s']:.0f} articles/s on one core (text input)")
    if args.errors:
        for line in report["errors"]:
            print("  " + line)
    return 0
