"""The cleaning stage on the two seed articles in ../shared/seeds (read at run time, never copied).

The expected results are given as line numbers of the seed bodies (0-based,
the line after the ` date ...` line is 0), read off the files by hand.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from storyline.clean import clean_article
from storyline.clean.lines import normalise
from storyline.records import Article

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
PLAIN = "000_d1238f84d77087e4.txt"
LIVE = "002_ff328a0ba8df19de.txt"


def load(name: str) -> tuple[Article, list[str]]:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"seed article {path} not present (../shared is not part of the repo)")
    first, _, body = path.read_text(encoding="utf-8").partition("\n")
    m = re.match(r"\s*date (\d{4}-\d{2}-\d{2}) (.*)", first)
    assert m, "seed first line is ' date YYYY-MM-DD <headline>'"
    article = Article(title=m.group(2).strip(), text=body, outlet="seed", published=m.group(1))
    return article, [normalise(x) for x in body.split("\n")]


def test_plain_seed_loses_byline_stamp_captions_and_read_more_only():
    article, lines = load(PLAIN)
    cleaned = clean_article(article)
    expected = {1: "timestamp", 3: "caption", 4: "caption", 6: "byline", 18: "read-more", 20: "caption", 21: "caption"}
    assert {r.line: r.reason for r in cleaned.removed} == expected
    story = [x for i, x in enumerate(lines) if x and i not in expected]
    assert cleaned.paragraphs == story  # every paragraph of the story remains, in order
    assert not cleaned.is_liveblog
    assert cleaned.meta["byline"] and cleaned.meta["updated"] and len(cleaned.meta["credits"]) == 2


def test_live_blog_seed_splits_into_lead_and_its_entries():
    article, lines = load(LIVE)
    cleaned = clean_article(article)
    heads = [8, 17, 21, 27, 32, 34, 41, 45, 51]  # entry headline lines
    cut = {25: "read-more", 26: "read-more", 57: "prompt", 58: "prompt"}  # "Read more here:" + its link; comment prompt
    assert cleaned.is_liveblog
    assert {r.line: r.reason for r in cleaned.removed} == cut
    assert [e.position for e in cleaned.entries] == list(range(len(heads) + 1))
    assert cleaned.entries[0].title == article.title
    assert [e.title for e in cleaned.entries[1:]] == [lines[i] for i in heads]
    bounds = [-1] + heads + [len(lines)]
    for n, entry in enumerate(cleaned.entries):
        own = [lines[i] for i in range(bounds[n] + 1, bounds[n + 1]) if lines[i] and i not in cut]
        assert entry.paragraphs == own, f"entry {n} ({entry.title[:40]})"
    # the standfirst (first line, no full stop) is the lead's first paragraph
    assert cleaned.entries[0].paragraphs[0] == lines[0]
    assert cleaned.paragraphs == [p for e in cleaned.entries for p in e.paragraphs]
    assert not any("comment" in p.lower() for p in cleaned.entries[-1].paragraphs)
