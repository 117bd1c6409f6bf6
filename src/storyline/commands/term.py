"""Untrusted text on a terminal: control characters (escape sequences, carriage returns, bells)
become spaces, so an article cannot move the cursor, retitle the window or hide a line; and the
``--json`` documents (:func:`dumps`: always valid JSON)."""
from __future__ import annotations

import json
import math
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


def finite(obj: Any) -> Any:
    """``obj`` with every NaN or infinite float replaced by None (JSON has no such numbers;
    a store written before figures dropped them can still hold one)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


def dumps(obj: Any, **kw: Any) -> str:
    """A ``--json`` document: always valid JSON (no NaN/Infinity), non-ASCII kept."""
    return json.dumps(finite(obj), ensure_ascii=False, allow_nan=False, **kw)


def ident(text: str) -> int:
    """An article or story id on the command line: a whole number SQLite can hold (1 to
    2**63 - 1); anything else is a usage error (argparse's ``type=``)."""
    import argparse

    if not text.strip().isdigit() or not 1 <= int(text) < 2 ** 63:
        raise argparse.ArgumentTypeError(f"not an id: {text!r} (a whole number from 1)")
    return int(text)
