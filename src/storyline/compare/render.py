"""render_text: the comparison report as plain text for a terminal."""
from __future__ import annotations

import textwrap
from typing import Any

WIDTH = 100


def _clean(s: str) -> str:
    """Article text is untrusted: drop control characters (terminal escapes) before printing."""
    return "".join(ch if ch.isprintable() or ch == " " else " " for ch in s)


def _quote(span: dict[str, Any], limit: int = 240) -> str:
    t = " ".join(_clean(span["text"]).split())
    if len(t) > limit:
        t = t[: limit - 1] + "…"
    return f"“{t}” [{_clean(span['outlet'])} #{span['article_id']}]"


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ") or [indent]


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _header(report: dict[str, Any]) -> str:
    """"Story 3: 1 article compared from 1 outlet (a), plus 2 copies (b, c): 3 outlets in all".

    Copies (duplicates) are not compared but their outlets ran the story, so the outlets in
    all are counted as the story header counts them.
    """
    sid = report.get("story_id")
    outlets = report.get("outlets", [])
    line = (f"Story{f' {sid}' if sid is not None else ''}: {_count(len(report.get('articles', [])), 'article')} "
            f"compared from {_count(len(outlets), 'outlet')} ({', '.join(_clean(o) for o in outlets)})")
    copies = report.get("copies", [])
    if copies:
        copy_outlets = list(dict.fromkeys(c.get("outlet") or "unknown" for c in copies))
        every = dict.fromkeys(list(outlets) + copy_outlets)
        line += (f", plus {_count(len(copies), 'copy', 'copies')} "
                 f"({', '.join(_clean(o) for o in copy_outlets)}): {_count(len(every), 'outlet')} in all")
    return line


def render_text(report: dict[str, Any]) -> str:
    """A readable report: every statement shown is a verbatim span with its outlet and article id."""
    out: list[str] = [_header(report)]
    first = report.get("first_reported")
    if first:
        out.append(f"First reported by {_clean(first['outlet'])} (#{first['article_id']}, "
                   f"{first.get('published') or 'date unknown'}): {_clean(first.get('title') or '')}")
    for c in report.get("copies", []):
        out.append(f"  copy: #{c['article_id']} {_clean(c.get('outlet') or '')} duplicates #{c['duplicate_of']}")

    cons = report.get("consensus", [])
    out.append("")
    out.append(f"CONSENSUS — facts reported by several outlets ({len(cons)})")
    for f in cons:
        s = f["summary"]
        out += _wrap(f"{f['fact_id']} [{f['count']} outlets: {', '.join(_clean(o) for o in f['outlets'])}] "
                     f"as worded by {_clean(s['outlet'])}: “{' '.join(_clean(s['text']).split())}”", "  ")

    disc = report.get("discrepancies", [])
    out.append("")
    out.append(f"DISCREPANCIES ({len(disc)})")
    for d in disc:
        if d["kind"] == "figure":
            what = " ".join(_clean(x) for x in dict.fromkeys((d.get("counted") or "quantity",
                                                                   d.get("predicate") or "")) if x)
            hedge = " — differs, one side approximate" if d.get("approximate") else ""
            out.append(f"  {d['id']} figure ({what}){hedge}:")
            for v in d["values"]:
                out.append(f"    {_num(v['value'])} — {', '.join(_clean(o) for o in v['outlets'])}")
                for sp in v["sentences"][:3]:
                    out += _wrap(_quote(sp), "      ")
        elif d["kind"] == "quote-speaker":
            who = "; ".join(f"{_clean(o)}: {_clean(s)}" for o, s in d["speakers"].items())
            out.append(f"  {d['id']} quote attributed to different speakers ({d['group_id']}): {who}")
        elif d["kind"] == "quote-part":
            parts = [f"adds “{_clean(a['text'])}”" for a in d["added"]] + \
                    [f"drops “{_clean(a['text'])}”" for a in d["dropped"]]
            out += _wrap(f"{d['id']} {_clean(d['outlet'])}'s version of {d['group_id']} {'; '.join(parts)}", "  ")

    groups = [q for q in report.get("quote_groups", []) if q["count"] > 1]
    out.append("")
    out.append(f"QUOTES carried by several outlets ({len(groups)})")
    for q in groups:
        flag = "  ⚠ outlets name different speakers" if q["speaker_conflict"] else ""
        out.append(f"  {q['group_id']} {_clean(q.get('speaker') or 'unknown speaker')}{flag}")
        for v in q["versions"]:
            out += _wrap(_quote(v["span"]) + ("" if v["wording"] in ("reference", "close") else " (worded differently)"),
                         "    ")

    out.append("")
    out.append("UNIQUE — details only one outlet reports")
    for u in report.get("unique", []):
        if not u["spans"]:
            continue
        out.append(f"  {_clean(u['outlet'])} ({len(u['spans'])})")
        for sp in u["spans"]:
            out += _wrap(_quote(sp), "    ")

    om = {o: f for o, f in report.get("omissions", {}).items() if f}
    if om:
        out.append("")
        out.append("LEFT OUT — consensus facts an outlet does not report")
        for o, facts in om.items():
            out.append(f"  {_clean(o)}: {', '.join(facts)}")

    out.append("")
    out.append("TIMELINE")
    for t in report.get("timeline", []):
        new = ", ".join(t["new_facts"][:12]) + (" …" if len(t["new_facts"]) > 12 else "")
        out += _wrap(f"{t.get('time') or 'undated'}  {_clean(t['outlet'])} #{t['article_id']} "
                     f"{_clean(t.get('title') or '')} — new: {new or 'nothing new'}", "  ")

    cov = report.get("coverage", {})
    if cov.get("facts"):
        out.append("")
        out.append("COVERAGE (outlets × consensus facts)")
        w = max(len(o) for o in cov["outlets"])
        out.append("  " + " " * w + " " + " ".join(f"{f:>4}" for f in cov["facts"]))
        for o, row in zip(cov["outlets"], cov["matrix"]):
            out.append("  " + _clean(o).ljust(w) + " " + " ".join(f"{'x' if c else '.':>4}" for c in row))
    return "\n".join(out) + "\n"
