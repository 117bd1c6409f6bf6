"""The comparison on the bundled example corpus (examples/, invented), through the real pipeline.

examples/README.md plants hard cases the report must show: quake deaths 12
against 15, flooded area "about 40" against 42 square km, and the Greek
foreign minister's statement translated differently by two outlets (his name
spelled two ways). The pipeline (ingest, clean, annotate, group, compare)
runs once per module into a temporary store.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from storyline import store
from storyline.compare import persist
from storyline.pipeline import ingest_paths, process

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    """Reports of the three multi-outlet stories, keyed quake / floods / ferry."""
    if not EXAMPLES.is_dir():
        pytest.skip(f"example corpus not found in {EXAMPLES}")
    con = store.connect(tmp_path_factory.mktemp("examples") / "c.db")
    ingest_paths(con, [str(EXAMPLES)])
    process(con)
    out = {}
    for (sid,) in con.execute("SELECT id FROM stories"):
        members = persist.story_members(con, sid)
        text = " ".join(m["title"] for m in members).lower()
        if len({m["outlet"] for m in members}) < 4:
            continue
        key = "quake" if "earthquake" in text else "floods" if "flood" in text else "ferry" if "amber sea" in text else None
        if key:
            out[key] = persist.update_story(con, sid)
    con.close()
    assert set(out) == {"quake", "floods", "ferry"}, f"stories found: {sorted(out)}"
    return out


def _figures(report: dict) -> list[dict]:
    return [d for d in report["discrepancies"] if d["kind"] == "figure"]


def _sides(d: dict) -> dict[float, set[str]]:
    return {v["value"]: set(v["outlets"]) for v in d["values"]}


def _domain(name: str) -> str:
    return f"{name}.example"


def test_quake_deaths_12_against_15(reports):
    found = [d for d in _figures(reports["quake"]) if {12.0, 15.0} <= set(_sides(d))]
    assert len(found) == 1, [(_sides(d), d["counted"]) for d in _figures(reports["quake"])]
    sides = _sides(found[0])
    assert set(sides) == {12.0, 15.0}
    assert sides[12.0] == {_domain(o) for o in ("harbourgazette", "northfieldcourier", "kestrelpost", "coastlinetoday")}
    assert sides[15.0] == {_domain(o) for o in ("meridianwire", "dailylantern", "valleypost")}
    # each outlet's figure is listed once per value, with its verbatim words
    for v in found[0]["values"]:
        assert len(v["spans"]) == len(v["outlets"])
        for sp in v["spans"]:
            assert any(s["start"] <= sp["start"] < sp["end"] <= s["end"] and sp["text"] in s["text"]
                       for s in v["sentences"])


def test_quake_has_no_discrepancy_mixing_unrelated_claims(reports):
    for d in _figures(reports["quake"]):
        values = set(_sides(d))
        # the city's population, a 2020 quake's toll, the missing, magnitudes, distances
        assert not values & {4000000.0, 117.0, 7.0, 4.7, 6.1, 2.0, 30.0, 9.0, 34.0, 200.0}, values


def test_floods_area_about_40_against_42(reports):
    found = [d for d in _figures(reports["floods"]) if {40.0, 42.0} <= set(_sides(d))]
    assert len(found) == 1, [_sides(d) for d in _figures(reports["floods"])]
    sides = _sides(found[0])
    assert set(sides) == {40.0, 42.0}
    assert sides[40.0] == {_domain(o) for o in ("harbourgazette", "coastlinetoday", "valleypost")}
    assert sides[42.0] == {_domain(o) for o in ("meridianwire", "dailylantern", "northfieldcourier", "kestrelpost")}
    assert found[0]["approximate"] is True


def test_no_figure_discrepancy_in_the_ferry_story(reports):
    # every outlet gives $3.1bn, 98.4% and 12.40 zlotys alike
    assert _figures(reports["ferry"]) == []


def test_translated_statement_is_one_group_with_one_speaker(reports):
    groups = [q for q in reports["quake"]["quote_groups"]
              if any("rescue" in v["span"]["text"].lower() or "rescuers" in v["span"]["text"].lower()
                     for v in q["versions"]) and q["count"] > 1]
    assert len(groups) == 1, [(q["speaker"], q["outlets"]) for q in reports["quake"]["quote_groups"]]
    g = groups[0]
    assert set(g["outlets"]) == {_domain("harbourgazette"), _domain("meridianwire")}
    assert g["speaker_conflict"] is False
    assert g["speaker"] in ("Konstantinos Dimitriadis", "Constantinos Dimitriades")
    texts = " ".join(v["span"]["text"] for v in g["versions"])
    assert "Greece stands beside the Turkish people" in texts
    assert "Our rescuers can set off this evening" in texts
    assert not any(d["kind"] == "quote-speaker" for d in reports["quake"]["discrepancies"])


def test_quote_speakers_follow_the_pronoun_to_the_name(reports):
    # "In a statement after the vote she said:" -- she is Mette Kjærgaard, not the company
    speakers = {q["speaker"] for q in reports["ferry"]["quote_groups"]
                if any("Amber Sea" in v["span"]["text"] for v in q["versions"])}
    assert speakers and all(s and "Kj" in s for s in speakers), speakers
