"""Turn query results into what the templates show.

The comparison report is read defensively: every key may be missing, and
items are understood by their shape (a label, the outlets, the verbatim
spans ``{"article_id", "outlet", "start", "end", "text"}``), so the page
renders whatever the comparison engine produced. Text is never marked safe
here: templates receive plain strings and Jinja2 escapes them; the only
markup built in Python is from fixed strings around escaped text.
"""
from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from markupsafe import Markup, escape

from storyline.stories.explain import explain_parts

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


@lru_cache(maxsize=4096)
def outlet_chip(outlet: str, count: int) -> Markup:
    """One outlet chip of the story list, escaped; cached, as the same outlets recur on every page."""
    more = Markup(" <b>%d</b>") % count if count > 1 else ""
    return Markup('<li><a class="chip" href="/?%s">%s%s</a></li>') % (urlencode({"outlet": outlet}), outlet, more)


def outlet_chips(outlets: list[dict[str, Any]], limit: int = 8) -> Markup:
    """The outlet chips of one story in the list: the ``limit`` largest, then "+N more"."""
    chips = Markup("").join(outlet_chip(o["outlet"], o["count"]) for o in outlets[:limit])
    if len(outlets) > limit:
        chips += Markup('<li class="muted">+%d more</li>') % (len(outlets) - limit)
    return Markup('<ul class="chips">%s</ul>') % chips


def install_filters(env) -> None:
    env.filters.update(safe_url=safe_url, snippet_html=snippet_html, day=day)
    env.globals.update(query_with=query_with, outlet_chips=outlet_chips)


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
    a, b, c = n.get("article_id"), n.get("start"), n.get("end")
    return type(a) is int and type(b) is int and type(c) is int


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


SENTENCE_BREAKS = (". ", "! ", "? ", "\n", '." ', ".” ", ".' ", "… ")


def _sentence_start(text: str, pos: int) -> int:
    """Where the sentence holding ``pos`` starts (looking back at most CONTEXT characters)."""
    lo = max(0, pos - CONTEXT)
    best = 0
    for brk in SENTENCE_BREAKS:
        i = text.rfind(brk, lo, pos)
        if i >= 0 and i + len(brk) > best:
            best = i + len(brk)
    return best


def _sentence_end(text: str, pos: int) -> int:
    m = SENTENCE_END.search(text, pos)
    return m.start() if m else len(text)


# --------------------------------------------------------------- story page
#
# The report schema is docs/comparison.md (storyline.compare.report). Items
# are read by shape, so an older or partial report still renders: a label
# (summary.text, text, value...), outlets, and spans (``spans``, ``span``, or
# any span found inside the item).

LABEL_KEYS = ("fact", "claim", "statement", "summary", "label", "text", "subject", "what", "name", "title", "value")


def _label(item: Any) -> str:
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return str(item)
    for k in LABEL_KEYS:
        v = item.get(k)
        if isinstance(v, dict) and isinstance(v.get("text"), str):
            v = v["text"]
        if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip():
            return str(v)
    return ""


def _own_spans(item: Any) -> list[dict[str, Any]]:
    """The item's spans: its ``spans`` list, else its ``span``, else every span inside it."""
    if isinstance(item, dict):
        spans = item.get("spans")
        if isinstance(spans, list) and any(isinstance(s, dict) and _is_span(s) for s in spans):
            return [s for s in spans if isinstance(s, dict) and _is_span(s)]
        if isinstance(item.get("span"), dict) and _is_span(item["span"]):
            return [item["span"]]
        if _is_span(item):
            return [item]
    return find_spans(item)


def _outlets(item: Any, spans: list[dict[str, Any]], texts: Texts) -> list[str]:
    out: list[str] = []
    if isinstance(item, dict):
        raw = item.get("outlets") or ([item["outlet"]] if isinstance(item.get("outlet"), str) else [])
        out = [o for o in raw if isinstance(o, str)] if isinstance(raw, (list, dict)) else []
    for s in spans:
        o = s.get("outlet") or texts.outlet.get(s["article_id"])
        if isinstance(o, str) and o not in out:
            out.append(o)
    return out


def _item(item: Any, texts: Texts, max_spans: int = 12) -> dict[str, Any]:
    spans = _own_spans(item)
    return {"label": _label(item), "outlets": _outlets(item, spans, texts),
            "spans": [texts.span(s) for s in spans[:max_spans]], "more": max(0, len(spans) - max_spans)}


def _as_list(value: Any) -> list[Any]:
    """A list of items from a list, or from {key: [items] | item} (key becomes the outlet)."""
    if isinstance(value, list):
        return value
    out: list[Any] = []
    if isinstance(value, dict):
        for k, v in value.items():
            for x in (v if isinstance(v, list) else [v]):
                if isinstance(x, dict):
                    out.append(x if "outlet" in x else dict(x, outlet=k))
                elif x is not None:
                    out.append({"text": str(x), "outlet": k})
    return out


def _discrepancy(x: Any, texts: Texts, facts: dict[str, str]) -> dict[str, Any]:
    it = _item(x, texts)
    d = x if isinstance(x, dict) else {}
    kind = str(d.get("kind") or d.get("type") or "")
    it["kind"] = kind
    values = d.get("values") or d.get("variants") or d.get("versions")
    if isinstance(values, list) and values:
        it["variants"] = [_item(v, texts) for v in values if isinstance(v, dict)]
    else:  # one variant per outlet, from the spans
        by_outlet: dict[str, list[dict[str, Any]]] = {}
        for s in _own_spans(x):
            by_outlet.setdefault(s.get("outlet") or texts.outlet.get(s["article_id"], ""), []).append(s)
        it["variants"] = [{"label": "", "outlets": [o], "spans": [texts.span(s) for s in ss], "more": 0}
                          for o, ss in by_outlet.items()]
    if kind == "figure":
        it["label"] = "Differing figures"
        fact_labels = [facts[f] for f in d.get("facts") or [] if f in facts]
        it["context"] = fact_labels[0] if fact_labels else ""
    elif kind == "quote-speaker":
        speakers = [s for s in d.get("speakers") or [] if isinstance(s, str)]
        it["label"] = "Who said it: " + " / ".join(speakers) if speakers else "Who said it differs"
    elif kind == "quote-part":
        it["label"] = f"Quote worded differently by {d.get('outlet') or 'one outlet'}"
        added = [_item(a, texts)["spans"] for a in d.get("added") or [] if isinstance(a, dict)]
        dropped = [_item(a, texts)["spans"] for a in d.get("dropped") or [] if isinstance(a, dict)]
        it["added"] = [s["hit"] for ss in added for s in ss]
        it["dropped"] = [s["hit"] for ss in dropped for s in ss]
    return it


def story_view(data: dict[str, Any]) -> dict[str, Any]:
    """Template context for the story page."""
    members = data["members"]
    report = data.get("comparison") or {}
    order: list[str] = [o for o in report.get("outlets") or [] if isinstance(o, str)]
    for m in members:
        if m["outlet"] not in order:
            order.append(m["outlet"])
    present = {m["outlet"] for m in members}
    order = [o for o in order if o in present]
    colours = {o: i % N_COLOURS for i, o in enumerate(order)}
    texts = Texts(members, colours)
    columns = [{"outlet": o, "colour": colours[o], "articles": [m for m in members if m["outlet"] == o],
                "unique": [], "omitted": []} for o in order]
    by_outlet = {c["outlet"]: c for c in columns}

    consensus, facts = [], {}
    for x in _as_list(report.get("consensus")):
        it = _item(x, texts)
        it["id"] = str(x.get("fact_id") or "") if isinstance(x, dict) else ""
        facts[it["id"]] = it["label"]
        first_by_outlet: dict[str, dict[str, Any]] = {}
        for sp in it["spans"]:
            first_by_outlet.setdefault(sp["outlet"], sp)
        # one cell per outlet column: its passage, or just a tick, or nothing
        it["cells"] = [(c, first_by_outlet.get(c["outlet"]), c["outlet"] in it["outlets"]) for c in columns]
        consensus.append(it)
    discrepancies = [_discrepancy(x, texts, facts) for x in _as_list(report.get("discrepancies"))]
    quotes = []
    for x in _as_list(report.get("quote_groups")):
        it = _item(x, texts)
        d = x if isinstance(x, dict) else {}
        it["speaker"] = str(d.get("speaker") or "")
        versions = d.get("versions") or d.get("variants") or d.get("wordings") or []
        it["variants"] = []
        same: dict[str, dict[str, Any]] = {}  # outlets that print the same words share one variant
        for v in versions if isinstance(versions, list) else []:
            vi = _item(v, texts, max_spans=4)
            vi["wording"] = str(v.get("wording") or "") if isinstance(v, dict) else ""
            if not vi["label"] or vi["label"] == vi.get("wording"):
                vi["label"] = vi["spans"][0]["hit"] if vi["spans"] else ""
            key = " ".join(re.findall(r"\w+", vi["label"].lower()))
            if key and key in same:
                first = same[key]
                first["outlets"] += [o for o in vi["outlets"] if o not in first["outlets"]]
                first["spans"] += vi["spans"]
                continue
            same[key] = vi
            it["variants"].append(vi)
        it["count"] = len(it["outlets"])
        quotes.append(it)
    shared_quotes = [q for q in quotes if q["count"] >= 2]
    single_quotes = [q for q in quotes if q["count"] < 2]
    for x in _as_list(report.get("unique")):
        outlet = x.get("outlet") if isinstance(x, dict) else None
        label = _label({k: v for k, v in x.items() if k != "outlet"}) if isinstance(x, dict) else ""
        spans = _own_spans(x)
        if outlet not in by_outlet:
            continue
        if label or len(spans) <= 1:
            by_outlet[outlet]["unique"].append(
                {"label": label, "spans": [texts.span(s) for s in spans[:3]]})
        else:  # one entry per verbatim passage only this outlet has
            by_outlet[outlet]["unique"] += [{"label": "", "spans": [texts.span(s)]} for s in spans[:12]]
    omissions = report.get("omissions")
    if isinstance(omissions, dict):
        for outlet, fids in omissions.items():
            if outlet in by_outlet and isinstance(fids, list):
                by_outlet[outlet]["omitted"] = [facts.get(str(f), str(f)) for f in fids][:8]
    timeline = []
    for x in _as_list(report.get("timeline")):
        d = x if isinstance(x, dict) else {}
        it = _item(x, texts, max_spans=2)
        it["date"] = str(d.get("time") or d.get("date") or d.get("when") or "")
        it["title"] = str(d.get("title") or "")
        it["article_id"] = d.get("article_id") if isinstance(d.get("article_id"), int) else None
        it["new_facts"] = [facts[f] for f in d.get("new_facts") or [] if f in facts]
        it["outlet"] = str(d.get("outlet") or "")
        timeline.append(it)
    first = report.get("first_reported")
    places = data.get("places") or []
    for m in members:
        m["why"] = explain_parts(m) or _raw_explanation(m.get("explanation"))
    return {
        "story": data["story"], "members": members, "columns": columns, "colours": colours,
        "has_report": bool(report), "consensus": consensus, "discrepancies": discrepancies,
        "quotes": shared_quotes, "single_quotes": single_quotes, "timeline": timeline,
        "first_reported": first if isinstance(first, dict) else None,
        "places": places, "map": story_map(places),
        "n_unique": sum(len(c["unique"]) for c in columns),
        "n_omitted": sum(len(c["omitted"]) for c in columns),
    }


def story_html(env: Any, data: dict[str, Any]) -> bytes:
    """The story page for ``queries.story_page`` data (as served without a query string)."""
    path = f"/stories/{int(data['story']['id'])}"
    return env.get_template("story.html").render(request_path=path, query={}, **story_view(data)).encode()


def story_json(page: dict[str, Any]) -> bytes:
    """``/api/stories/{id}`` as bytes, serialised the way FastAPI's JSONResponse does."""
    return json.dumps(page, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


# ---------------------------------------------------------------------- map


def story_map(places: list[dict[str, Any]], max_places: int = 40) -> dict[str, Any] | None:
    """The viewBox and markers of the offline map (equirectangular: x = lon, y = -lat)."""
    pts = [p for p in places[:max_places] if -90 <= p["lat"] <= 90 and -180 <= p["lon"] <= 180]
    if not pts:
        return None
    xs = [p["lon"] for p in pts]
    ys = [-p["lat"] for p in pts]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    w = max(40.0, (max(xs) - min(xs)) * 1.35 + 8)
    h = max(20.0, (max(ys) - min(ys)) * 1.35 + 8)
    w, h = max(w, h * 2), max(h, w / 2)  # keep 2:1
    if w > 360:
        w, h = 360.0, 180.0
    x0 = min(max(cx - w / 2, -180), 180 - w)
    y0 = min(max(cy - h / 2, -90), 90 - h)
    unit = w / 100  # one hundredth of the width, for marker and text sizes
    most = max(p["mentions"] for p in pts)
    font = unit * 1.7
    def radius(p):
        return unit * (0.7 + 0.9 * math.sqrt(p["mentions"] / most))

    # labels avoid every marker and every label placed before them
    placed = [(p["lon"] - radius(p), -p["lat"] - radius(p), p["lon"] + radius(p), -p["lat"] + radius(p)) for p in pts]
    markers = []
    for i, p in enumerate(pts):  # most mentioned first: they win the label space
        x, y = p["lon"], -p["lat"]
        r = radius(p)
        lw, lh = len(p["name"]) * font * 0.56, font * 1.1
        gap = unit * 0.4
        label = None  # (text x, text baseline y, anchor) of the first free spot: above, below, right, left
        for tx, ty, anchor, box in (
            (x, y - r - gap, "middle", (x - lw / 2, y - r - gap - lh, x + lw / 2, y - r - gap)),
            (x, y + r + gap + lh * 0.8, "middle", (x - lw / 2, y + r + gap, x + lw / 2, y + r + gap + lh)),
            (x + r + gap, y + lh * 0.35, "start", (x + r + gap, y - lh / 2, x + r + gap + lw, y + lh / 2)),
            (x - r - gap, y + lh * 0.35, "end", (x - r - gap - lw, y - lh / 2, x - r - gap, y + lh / 2)),
        ):
            if not any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3]
                       for j, o in enumerate(placed) if j != i):
                placed.append(box)
                label = (round(tx, 3), round(ty, 3), anchor)
                break
        markers.append({
            "n": i + 1, "name": p["name"], "x": round(x, 3), "y": round(y, 3), "r": round(r, 3),
            "label": label, "mentions": p["mentions"], "outlets": p["outlets"],
            "href": span_href(p["first"]) if p.get("first") else None,
        })
    return {"viewbox": f"{x0:.3f} {y0:.3f} {w:.3f} {h:.3f}", "font": round(font, 3),
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


def _raw_explanation(explanation: Any, most: int = 4) -> list[str]:
    """An explanation that :func:`explain_parts` does not read (another tool's, an older
    store's) as short "key: value" strings."""
    if isinstance(explanation, dict):
        out = []
        for k, v in list(explanation.items())[:most]:
            if isinstance(v, float):
                v = f"{v:.2f}"
            elif isinstance(v, (list, dict)):
                v = json.dumps(v, ensure_ascii=False)[:80]
            out.append(f"{k}: {v}")
        return out
    return [str(explanation)] if explanation else []
