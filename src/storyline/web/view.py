"""Turn query results into what the templates show.

The comparison report is read defensively: every key may be missing, and
items are understood by their shape (a label, the outlets, the verbatim
spans ``{"article_id", "outlet", "start", "end", "text"}``), so the page
renders whatever the comparison engine produced. Text is never marked safe
here: templates receive plain strings and Jinja2 escapes them; the only
markup built in Python is from fixed strings around escaped text.
"""
from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from markupsafe import Markup, escape

N_COLOURS = 8
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+|\n+")
CONTEXT = 280  # most characters of sentence shown on either side of a span


# ------------------------------------------------------------------ filters


def safe_url(url: Any) -> str | None:
    """The URL if it is plain http(s), else None (never a javascript: or data: link)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in url for c in "\x00\r\n\t"):
        return url
    return None


def snippet_html(snippet: str | None) -> Markup:
    """An FTS snippet with its \\x01...\\x02 match markers as <mark>, everything else escaped."""
    text = str(escape(snippet or ""))
    return Markup(text.replace("\x01", "<mark>").replace("\x02", "</mark>"))


def day(value: Any) -> str:
    """The date part of an ISO date or datetime, '' when unknown."""
    return value[:10] if isinstance(value, str) else ""


def query_with(query: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (None drops one)."""
    params = {k: v for k, v in (query or {}).items()}
    for k, v in changes.items():
        if v is None or v == "":
            params.pop(k, None)
        else:
            params[k] = str(v)
    return "?" + urlencode(params) if params else "?"


def install_filters(env) -> None:
    env.filters.update(safe_url=safe_url, snippet_html=snippet_html, day=day)
    env.globals.update(query_with=query_with)


def pagination(result: dict[str, Any], page: int) -> dict[str, Any]:
    limit = max(1, result["limit"])
    last = max(1, math.ceil(result["total"] / limit))
    return {"page": page, "last": last, "prev": page - 1 if page > 1 else None,
            "next": page + 1 if page < last else None}


# --------------------------------------------------------------- span helpers


def find_spans(node: Any) -> list[dict[str, Any]]:
    """Every verbatim span under ``node`` (dicts with article_id, start and end), in order, no repeats."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[int, int, int]] = set()

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            if _is_span(n):
                key = (n["article_id"], n["start"], n["end"])
                if key not in seen:
                    seen.add(key)
                    out.append(n)
                return
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(node)
    return out


def _is_span(n: dict[str, Any]) -> bool:
    return all(isinstance(n.get(k), int) and not isinstance(n.get(k), bool) for k in ("article_id", "start", "end"))


def span_anchor(span: dict[str, Any]) -> str:
    return f"s{int(span['start'])}-{int(span['end'])}"


def span_href(span: dict[str, Any]) -> str:
    return f"/articles/{int(span['article_id'])}#{span_anchor(span)}"


class Texts:
    """Clean texts of a story's articles, to show each span inside its sentence."""

    def __init__(self, members: list[dict[str, Any]], colours: dict[str, int]):
        self.text = {m["id"]: m.get("clean_text") or "" for m in members}
        self.outlet = {m["id"]: m["outlet"] for m in members}
        self.colours = colours

    def span(self, span: dict[str, Any]) -> dict[str, Any]:
        """A span with its sentence split into before / hit / after, link and outlet colour."""
        aid, start, end = span["article_id"], span["start"], span["end"]
        text = self.text.get(aid, "")
        outlet = span.get("outlet") or self.outlet.get(aid) or ""
        hit = text[start:end] if 0 <= start <= end <= len(text) else ""
        if not hit:  # offsets do not fit the text we have: show the span's own text
            return {"outlet": outlet, "colour": self.colours.get(outlet, 0), "href": span_href(span),
                    "before": "", "hit": str(span.get("text") or ""), "after": "", "article_id": aid}
        s = max(_sentence_start(text, start), start - CONTEXT)
        e = min(_sentence_end(text, end), end + CONTEXT)
        return {
            "outlet": outlet, "colour": self.colours.get(outlet, 0), "href": span_href(span), "article_id": aid,
            "before": ("… " if s > 0 and text[s - 1] not in "\n .!?" else "") + text[s:start].lstrip(),
            "hit": hit,
            "after": text[end:e].rstrip() + (" …" if e < len(text) and text[e - 1] not in ".!?\"”’" else ""),
        }


def _sentence_start(text: str, pos: int) -> int:
    best = 0
    for m in SENTENCE_END.finditer(text, max(0, pos - CONTEXT), pos):
        best = m.end()
    return best


def _sentence_end(text: str, pos: int) -> int:
    m = SENTENCE_END.search(text, pos)
    return m.start() if m else len(text)


# --------------------------------------------------------------- story page

LABEL_KEYS = ("fact", "claim", "statement", "summary", "label", "text", "subject", "what", "name", "detail", "value")
VARIANT_KEYS = ("values", "variants", "versions", "readings", "figures", "wordings", "quotes", "members", "claims")


def _label(item: Any) -> str:
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return str(item)
    for k in LABEL_KEYS:
        v = item.get(k)
        if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip():
            return str(v)
    return ""


def _outlets(item: Any, spans: list[dict[str, Any]], texts: Texts) -> list[str]:
    out: list[str] = []
    if isinstance(item, dict):
        raw = item.get("outlets") or ([item["outlet"]] if isinstance(item.get("outlet"), str) else [])
        if isinstance(raw, dict):
            raw = list(raw)
        out = [o for o in raw if isinstance(o, str)]
    for s in spans:
        o = s.get("outlet") or texts.outlet.get(s["article_id"])
        if isinstance(o, str) and o not in out:
            out.append(o)
    return out


def _item(item: Any, texts: Texts, max_spans: int = 12) -> dict[str, Any]:
    spans = find_spans(item)
    return {"label": _label(item), "outlets": _outlets(item, spans, texts),
            "spans": [texts.span(s) for s in spans[:max_spans]], "more": max(0, len(spans) - max_spans),
            "raw": item if isinstance(item, dict) else {}}


def _variants(item: Any, texts: Texts) -> list[dict[str, Any]]:
    """The competing versions inside a discrepancy or quote group."""
    if isinstance(item, dict):
        for k in VARIANT_KEYS:
            v = item.get(k)
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                return [_item(x, texts) for x in v]
            if isinstance(v, dict) and v and all(isinstance(x, (dict, list)) for x in v.values()):
                return [dict(_item(x, texts), label=_label(x) or str(key)) for key, x in v.items()]
    # no explicit variants: one variant per outlet, from the spans
    by_outlet: dict[str, list[dict[str, Any]]] = {}
    for s in find_spans(item):
        by_outlet.setdefault(s.get("outlet") or texts.outlet.get(s["article_id"], ""), []).append(s)
    return [{"label": spans[0].get("text") or "", "outlets": [o], "spans": [texts.span(s) for s in spans],
             "more": 0, "raw": {}} for o, spans in by_outlet.items()]


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        # {outlet: [items]} or {key: item}
        out = []
        for k, v in value.items():
            if isinstance(v, list):
                out += [dict(x, outlet=x.get("outlet", k)) if isinstance(x, dict) else {"text": str(x), "outlet": k}
                        for x in v]
            elif isinstance(v, dict):
                out.append(dict(v, outlet=v.get("outlet", k)) if "outlet" not in v else v)
        return out
    return []


def story_view(data: dict[str, Any]) -> dict[str, Any]:
    """Template context for the story page."""
    members = data["members"]
    report = data.get("comparison") or {}
    order: list[str] = []
    for m in members:
        if m["outlet"] not in order:
            order.append(m["outlet"])
    colours = {o: i % N_COLOURS for i, o in enumerate(order)}
    texts = Texts(members, colours)
    columns = [{"outlet": o, "colour": colours[o], "articles": [m for m in members if m["outlet"] == o],
                "unique": []} for o in order]
    by_outlet = {c["outlet"]: c for c in columns}

    consensus = [_item(x, texts) for x in _as_list(report.get("consensus"))]
    discrepancies = []
    for x in _as_list(report.get("discrepancies")):
        it = _item(x, texts)
        it["variants"] = _variants(x, texts)
        it["kind"] = x.get("kind") or x.get("type") or "" if isinstance(x, dict) else ""
        discrepancies.append(it)
    quotes = []
    for x in _as_list(report.get("quote_groups") or report.get("quotes")):
        it = _item(x, texts)
        it["speaker"] = (x.get("speaker") or x.get("speaker_name") or "") if isinstance(x, dict) else ""
        it["variants"] = _variants(x, texts)
        quotes.append(it)
    for x in _as_list(report.get("unique")):
        it = _item(x, texts, max_spans=3)
        for o in it["outlets"][:1]:
            if o in by_outlet:
                by_outlet[o]["unique"].append(it)
    timeline = []
    for x in _as_list(report.get("timeline")):
        it = _item(x, texts, max_spans=4)
        it["date"] = str(x.get("date") or x.get("when") or x.get("value") or "") if isinstance(x, dict) else ""
        timeline.append(it)
    omissions = [_item(x, texts, max_spans=2) for x in _as_list(report.get("omissions"))]
    first = report.get("first_reported")
    first_reported = _item(first, texts, max_spans=1) if isinstance(first, dict) else None
    places = data.get("places") or []
    return {
        "story": data["story"], "members": members, "columns": columns, "colours": colours,
        "has_report": bool(report), "consensus": consensus, "discrepancies": discrepancies,
        "quotes": quotes, "timeline": timeline, "omissions": omissions, "first_reported": first_reported,
        "places": places, "map": story_map(places),
        "n_unique": sum(len(c["unique"]) for c in columns),
    }


# ---------------------------------------------------------------------- map


def story_map(places: list[dict[str, Any]], max_places: int = 40) -> dict[str, Any] | None:
    """The viewBox and markers of the offline map (equirectangular: x = lon, y = -lat)."""
    pts = [p for p in places[:max_places] if -90 <= p["lat"] <= 90 and -180 <= p["lon"] <= 180]
    if not pts:
        return None
    xs = [p["lon"] for p in pts]
    ys = [-p["lat"] for p in pts]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    w = max(24.0, (max(xs) - min(xs)) * 1.35 + 6)
    h = max(12.0, (max(ys) - min(ys)) * 1.35 + 6)
    w, h = max(w, h * 2), max(h, w / 2)  # keep 2:1
    if w > 360:
        w, h = 360.0, 180.0
    x0 = min(max(cx - w / 2, -180), 180 - w)
    y0 = min(max(cy - h / 2, -90), 90 - h)
    unit = w / 100  # one hundredth of the width, for marker and text sizes
    most = max(p["mentions"] for p in pts)
    markers = []
    for i, p in enumerate(pts):
        markers.append({
            "n": i + 1, "name": p["name"], "x": round(p["lon"], 3), "y": round(-p["lat"], 3),
            "r": round(unit * (0.7 + 0.9 * math.sqrt(p["mentions"] / most)), 3),
            "mentions": p["mentions"], "outlets": p["outlets"],
            "href": span_href(p["first"]) if p.get("first") else None,
        })
    return {"viewbox": f"{x0:.3f} {y0:.3f} {w:.3f} {h:.3f}", "font": round(unit * 1.7, 3),
            "stroke": round(unit * 0.18, 3), "markers": markers, "dy": round(unit * 1.1, 3)}


# --------------------------------------------------------------- article page


def article_body(text: str, spans: list[tuple[int, int]], annotations: list[dict[str, Any]]) -> Markup:
    """The clean text as paragraphs, each report span wrapped in <mark id="s{start}-{end}">.

    Spans may overlap, which HTML elements cannot: the text is cut at every
    span boundary and each piece covered by a span becomes a <mark> listing
    the spans it belongs to (``data-s``); the first piece of a span carries
    its id (a second span starting at the same place gets an empty anchor),
    so /articles/{id}#s{start}-{end} scrolls to it and static/app.js lights
    all its pieces. Quote annotations get a class for a subtle style.
    """
    n = len(text)
    spans = sorted({(s, e) for s, e in spans if 0 <= s < e <= n})
    quote_ranges = sorted({(a["start"], a["end"]) for a in annotations
                           if a.get("kind") == "quote" and 0 <= a["start"] < a["end"] <= n})
    cuts = {0, n}
    for s, e in spans + quote_ranges:
        cuts.update((s, e))
    for i, ch in enumerate(text):
        if ch == "\n":
            cuts.update((i, i + 1))
    points = sorted(cuts)
    out: list[str] = ["<p>"]
    started: set[tuple[int, int]] = set()
    for a, b in zip(points, points[1:]):
        piece = text[a:b]
        if piece == "\n":
            if out[-1] != "<p>" and not out[-1].endswith("</p><p>"):
                out.append("</p><p>")
            continue
        covering = [sp for sp in spans if sp[0] <= a and b <= sp[1]]
        in_quote = any(q[0] <= a and b <= q[1] for q in quote_ranges)
        body = str(escape(piece))
        if covering:
            ids = [f"s{s}-{e}" for s, e in covering]
            starting = [f"s{s}-{e}" for s, e in covering if s == a and (s, e) not in started]
            started.update(sp for sp in covering if sp[0] == a)
            anchors = "".join(f'<span class="anchor" id="{i}"></span>' for i in starting[1:])
            ident = f' id="{starting[0]}"' if starting else ""
            cls = ' class="q"' if in_quote else ""
            out.append(f'{anchors}<mark{ident} data-s="{" ".join(ids)}"{cls}>{body}</mark>')
        elif in_quote:
            out.append(f'<span class="q">{body}</span>')
        else:
            out.append(body)
    out.append("</p>")
    html = "".join(out).replace("<p></p>", "")
    return Markup(html)
