"""The cleaning rules file (rules.toml), loaded and compiled once.

Patterns are data: every line pattern, live-blog cue and numeric knob lives
in ``rules.toml`` with a comment giving its reason. This module only reads
that file, expands the ``<<fragment>>`` references and compiles the regexes.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

RULES_PATH = Path(__file__).with_name("rules.toml")
REASONS = frozenset({"caption", "credit", "byline", "timestamp", "read-more", "prompt",
                     "newsletter", "share", "furniture", "duplicate-line"})
_FRAGMENT = re.compile(r"<<(\w+)>>")


@dataclass(slots=True, frozen=True)
class Rule:
    """One line rule: a whole-line pattern, the reason it removes, where it applies."""

    name: str
    reason: str
    pattern: re.Pattern[str]
    max_words: int = 40
    where: str = "any"  # any | tail
    next: str | None = None  # "headline": also remove a headline-like next line
    extract: re.Pattern[str] | None = None
    rest: bool = False  # tail only: the short lines after this one go too


@dataclass(slots=True, frozen=True)
class LiveblogRules:
    """Cues and weights that decide whether a page is a live blog."""

    min_entries: int
    min_score: int
    title_weight: int
    prefix_weight: int
    time_weight: int
    length_weight: int
    news_words: int
    title_pattern: re.Pattern[str]
    prefix: re.Pattern[str]
    headline_min_words: int
    headline_max_words: int
    headline_max_chars: int
    html_entry: re.Pattern[str]


@dataclass(slots=True, frozen=True)
class RuleSet:
    """Everything in the rules file, compiled."""

    rules: tuple[Rule, ...]
    liveblog: LiveblogRules
    settings: dict[str, Any]


def _expand(pattern: str, fragments: dict[str, str], depth: int = 0) -> str:
    if depth > 5:
        raise ValueError(f"fragments nest too deep in {pattern[:60]!r}")

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in fragments:
            raise ValueError(f"unknown fragment <<{name}>> in rules file")
        return _expand(fragments[name], fragments, depth + 1)

    return _FRAGMENT.sub(sub, pattern)


def parse_rules(data: dict[str, Any]) -> RuleSet:
    """Compile a parsed rules file; raises ValueError on a bad rule."""
    fragments = data.get("fragments", {})
    rules = []
    for raw in data.get("rule", []):
        name = raw.get("name") or "?"
        if raw.get("reason") not in REASONS:
            raise ValueError(f"rule {name}: unknown reason {raw.get('reason')!r}")
        if raw.get("where", "any") not in ("any", "tail"):
            raise ValueError(f"rule {name}: where must be 'any' or 'tail'")
        try:
            pattern = re.compile(_expand(raw["pattern"], fragments))
            extract = re.compile(_expand(raw["extract"], fragments)) if raw.get("extract") else None
        except (re.error, KeyError) as exc:
            raise ValueError(f"rule {name}: {exc}") from exc
        rules.append(Rule(name=name, reason=raw["reason"], pattern=pattern,
                          max_words=int(raw.get("max_words", 40)), where=raw.get("where", "any"),
                          next=raw.get("next"), extract=extract, rest=bool(raw.get("rest"))))
    lb = dict(data["liveblog"])
    for key in ("title_pattern", "prefix", "html_entry"):
        lb[key] = re.compile(_expand(lb[key], fragments))
    return RuleSet(rules=tuple(rules), liveblog=LiveblogRules(**lb), settings=dict(data.get("settings", {})))


@lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> RuleSet:
    """The compiled rule set (cached: the file is read and compiled once)."""
    with open(path or RULES_PATH, "rb") as fh:
        return parse_rules(tomllib.load(fh))
