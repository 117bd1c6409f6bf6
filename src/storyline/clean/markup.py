"""Live-blog entries read from HTML markup, where the page has it.

trafilatura's text keeps entry headlines but drops the ``<time>`` of each
entry and the containers that say where one entry ends. When the raw HTML
marks entries (elements whose class or id matches ``html_entry`` in
rules.toml), their headlines and times guide the split of the text.
"""
from __future__ import annotations

import re

from storyline.clean.lines import normalise

_HEADINGS = ("h1", "h2", "h3", "h4")


def html_entries(page: str, entry_class: re.Pattern[str]) -> dict[str, str | None]:
    """Entry headline -> entry time (or None) for every marked entry of the page."""
    try:
        import lxml.html

        root = lxml.html.fromstring(page)
    except (ValueError, TypeError, SyntaxError):  # lxml raises ParserError (a ValueError) on bad input
        return {}
    found: dict[str, str | None] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        marks = f"{el.get('class', '')} {el.get('id', '')}".strip()
        if not marks or not entry_class.search(marks):
            continue
        if any(isinstance(a.tag, str) and entry_class.search(f"{a.get('class', '')} {a.get('id', '')}".strip() or "\0")
               for a in el.iterancestors()):
            continue  # the outermost marked element is the entry
        head = next((h for h in el.iter(*_HEADINGS)), None)
        if head is None:
            continue
        title = normalise(head.text_content())
        if not title:
            continue
        when = next((t for t in el.iter("time")), None)
        time = None
        if when is not None:
            time = normalise(when.text_content()) or when.get("datetime")
        found.setdefault(title, time)
    return found
