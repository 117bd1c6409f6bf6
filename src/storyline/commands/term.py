"""Untrusted text on a terminal: control characters (escape sequences, carriage returns, bells)
become spaces, so an article cannot move the cursor, retitle the window or hide a line."""
from __future__ import annotations

from typing import Any


def safe(s: Any, newlines: bool = False) -> str:
    """``s`` as text with every non-printable character replaced by a space; with ``newlines``,
    line breaks (``\\n``) and tabs are kept (clean text shown as paragraphs)."""
    text = str(s if s is not None else "")
    if newlines:
        return "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    return "".join(ch if ch.isprintable() else " " for ch in text)


def count(n: int, noun: str) -> str:
    """'1 outlet', '3 outlets'."""
    return f"{n} {noun}" + ("" if n == 1 else "s")
