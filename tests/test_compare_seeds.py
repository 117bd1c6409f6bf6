"""The comparison on the two seed articles (../shared/seeds, read at run time, never copied).

A plain article and a live blog report the same Zelensky statement, worded
differently. Checked: the statement is one quote group with both versions
and one speaker; the core facts are consensus; each outlet's own remark is
a unique detail.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from storyline.compare import compare_story, render_text
from storyline.compare.quotes import name_key

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


def _read(name: str) -> tuple[str, str, str]:
    raw = (SEEDS / name).read_text(encoding="utf-8")
    first, _, body = raw.lstrip().partition("\n")
    _, date, title = first.split(" ", 2)
    return date, title, body


def _members() -> list[dict]:
    clean = pytest.importorskip("storyline.clean")
    from storyline.records import Article

    files = sorted(p.name for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    if len(files) < 2:
        pytest.skip(f"seed articles not found in {SEEDS}")
    members = []
    for n, name in enumerate(files[:2]):
        date, title, body = _read(name)
        cleaned = clean.clean_article(Article(title=title, text=body, outlet=f"seed{n}", published=date))
        if cleaned.is_liveblog:
            # the entries about the captured Chinese citizens
            for k, e in enumerate(cleaned.entries):
                if "Chinese" in e.text:
                    members.append({"article_id": 100 + k, "outlet": "live blog", "published": date,
                                    "title": e.title, "text": e.text, "url": None, "annotations": []})
        else:
            members.append({"article_id": 1, "outlet": "plain article", "published": date, "title": title,
                            "text": cleaned.text, "url": None, "annotations": []})
    outlets = {m["outlet"] for m in members}
    assert outlets == {"plain article", "live blog"}, "expected one plain article and one live blog"
    try:
        from storyline.annotate import annotate_texts, resolve_across
    except ImportError:
        return members
    anns = resolve_across(list(annotate_texts([(m["text"], m["published"], m["outlet"]) for m in members])))
    for m, a in zip(members, anns):
        m["annotations"] = [{"kind": x.kind, "start": x.start, "end": x.end, "text": x.text, "label": x.label,
                             "value": x.value} for x in a]
    return members


@pytest.fixture(scope="module")
def report() -> dict:
    return compare_story(_members(), story_id=1)


def test_spans_are_verbatim(report):
    texts = {m["article_id"]: m["text"] for m in _members()}
    for f in report["consensus"]:
        for sp in f["spans"]:
            assert texts[sp["article_id"]][sp["start"]:sp["end"]] == sp["text"]


def test_many_more_chinese_citizens_is_one_quote_group(report):
    def versions(group, outlet, pattern):
        return [v for v in group["versions"] if v["outlet"] == outlet and re.search(pattern, v["span"]["text"])]

    hits = [g for g in report["quote_groups"]
            if versions(g, "plain article", r"significantly more Chinese citizens in the occupier")
            and versions(g, "live blog", r"many more Chinese citizens in the occupier")]
    assert len(hits) == 1, [g["versions"] for g in report["quote_groups"] if g["count"] > 1]
    group = hits[0]
    assert not group["speaker_conflict"]
    assert name_key(group["speaker"]) in ("zelensky", "zelenskyy")


def _consensus_with(report, *patterns) -> list[dict]:
    out = []
    for f in report["consensus"]:
        by_outlet = {o: " ".join(sp["text"] for sp in f["spans"] if sp["outlet"] == o) for o in f["outlets"]}
        if len(by_outlet) >= 2 and all(all(re.search(p, t) for p in patterns) for t in by_outlet.values()):
            out.append(f)
    return out


@pytest.mark.parametrize("patterns", [
    (r"\bsix\b", r"Chinese"),  # six Chinese soldiers engaged
    (r"\b(two|Two)\b", r"captur|prisoner|captive"),  # two captured
    (r"Donetsk",),
    (r"Security Service of Ukraine",),
    (r"Minister of Foreign Affairs", r"Beijing"),
])
def test_consensus_facts(report, patterns):
    assert _consensus_with(report, *patterns), render_text(report)


def test_unique_details(report):
    unique = {u["outlet"]: " ".join(sp["text"] for sp in u["spans"]) for u in report["unique"]}
    assert "first official confirmation" in unique["plain article"]
    assert re.search(r"released a video", unique["live blog"])
    # and the video is not claimed to be consensus
    assert not _consensus_with(report, r"released a video")
