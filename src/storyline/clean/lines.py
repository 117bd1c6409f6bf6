"""Cut a news body into the units the rules look at: lines or paragraphs.

Most bodies hold one paragraph per line (trafilatura's output, feeds, the
seed files). Text hard-wrapped at a fixed width is read block by block
instead, so a wrapped paragraph is judged as one piece. Each unit keeps the
index of its first line in the body, which is what ``Removed.line`` reports.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

_TAG = re.compile(r"<[^>]{0,2000}>")
_BLOCK_TAG = re.compile(r"(?i)<\s*(?:br\s*/?|/\s*(?:p|div|li|h[1-6]|blockquote|figcaption|tr)\s*)>")
_HTML_HINT = re.compile(r"(?i)<\s*(?:p|br|div|span|a|figure|h[1-6]|li)\b[^>]*>")
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")
SENTENCE_END = re.compile(r"[.!?:;,…]['\"”’)\]]*$|[-–—]$")  # a line that ends like a sentence
_OPEN_END = re.compile(r"[^.!?:;…\"”’')\]]$")


@dataclass(slots=True)
class Unit:
    """A line (or a wrapped paragraph) of the body."""

    text: str  # stripped, inner spaces collapsed, wrapped lines joined
    line: int  # index of its first line in the body (0-based)
    raw: str  # the body's own text for it, verbatim (lines joined by "\n")

    @property
    def words(self) -> int:
        return len(self.text.split())


def html_fragment_to_text(text: str) -> str:
    """Plain text of a feed body that still carries HTML (one paragraph a line)."""
    if not _HTML_HINT.search(text):
        return text
    text = _BLOCK_TAG.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _is_wrapped(lines: list[str], settings: dict) -> bool:
    """True when the body is hard-wrapped prose (paragraphs split over lines).

    In wrapped text the lines that continue onto a next line are long (close
    to the wrap width) and mostly stop mid-sentence; a block of a headline,
    a time stamp and a paragraph has short inner lines and is not wrapped.
    """
    nonblank = [ln.rstrip() for ln in lines if ln.strip()]
    if len(nonblank) < 4:
        return False
    width = max(len(ln) for ln in nonblank)
    if width > settings.get("wrap_max_chars", 120):
        return False
    in_blocks = 0
    inner: list[str] = []
    for i, ln in enumerate(lines):
        if not ln.strip():
            continue
        prev_full = i > 0 and lines[i - 1].strip()
        next_full = i + 1 < len(lines) and lines[i + 1].strip()
        in_blocks += bool(prev_full or next_full)
        if next_full:
            inner.append(ln.rstrip())
    if not inner or in_blocks < settings.get("wrap_block_share", 0.5) * len(nonblank):
        return False
    long_open = sum(1 for ln in inner if _OPEN_END.search(ln)
                    and len(ln) >= settings.get("wrap_fill", 0.7) * width)
    return long_open >= settings.get("wrap_open_share", 0.6) * len(inner)


def split_units(body: str, settings: dict) -> list[Unit]:
    """The units of a body, in order; blank lines are dropped."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not _is_wrapped(lines, settings):
        return [Unit(normalise(ln), i, ln) for i, ln in enumerate(lines) if ln.strip()]
    units: list[Unit] = []
    start = None
    for i, ln in enumerate(lines + [""]):
        if ln.strip() and start is None:
            start = i
        elif not ln.strip() and start is not None:
            block = lines[start:i]
            units.append(Unit(normalise(" ".join(block)), start, "\n".join(block)))
            start = None
    return units
