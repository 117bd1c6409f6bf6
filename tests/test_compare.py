"""compare_story, render_text and persist on small invented stories (no annotator needed)."""
from __future__ import annotations

import json

from storyline.compare import SCHEMA_VERSION, compare_story, render_text
from storyline.compare.figures import agree, find_figures


def member(aid, outlet, text, published="2024-01-02", **kw):
    return {"article_id": aid, "outlet": outlet, "published": published, "title": f"{outlet} report",
            "text": text, "url": f"https://example.org/{aid}", "annotations": [], **kw}


FLOOD = [
    member(1, "Harbor Gazette",
           "A flood hit the town of Brisk on Monday after the river Omel burst its banks. "
           "Twelve people died in the flood, the fire service said.\n\n"
           "Mayor Anja Toll said: “The water came faster than any of us expected.”\n\n"
           "The old mill on Canal Street was swept away by the current.", "2024-01-02T08:00"),
    member(2, "Northline News",
           "The river Omel burst its banks and flooded Brisk on Monday. "
           "15 people died in the flood, according to the fire service.\n\n"
           "“Water came quicker than anyone of us had expected,” Mayor Anja Toll told reporters.",
           "2024-01-02T07:00"),
    member(3, "Radio Kestrel",
           "Brisk was flooded on Monday when the Omel burst its banks. "
           "12 people died in the flood, firefighters said.", "2024-01-02T09:30"),
]


def test_report_shape_and_verbatim_spans():
    r = compare_story(FLOOD, story_id=7)
    assert r["schema_version"] == SCHEMA_VERSION and r["story_id"] == 7
    assert r["outlets"] == ["Northline News", "Harbor Gazette", "Radio Kestrel"]  # by publication time
    assert r["first_reported"]["outlet"] == "Northline News"
    texts = {m["article_id"]: m["text"] for m in FLOOD}
    spans = [sp for f in r["consensus"] for sp in f["spans"]]
    spans += [sp for d in r["discrepancies"] for sp in d["spans"]]
    spans += [v["span"] for q in r["quote_groups"] for v in q["versions"]]
    spans += [sp for u in r["unique"] for sp in u["spans"]]
    assert spans
    for sp in spans:
        assert texts[sp["article_id"]][sp["start"]:sp["end"]] == sp["text"]
        assert sp["url"] == f"https://example.org/{sp['article_id']}"
    json.dumps(r)  # plain JSON


def test_figure_discrepancy_names_both_values():
    r = compare_story(FLOOD)
    figs = [d for d in r["discrepancies"] if d["kind"] == "figure"]
    assert len(figs) == 1
    values = {v["value"]: set(v["outlets"]) for v in figs[0]["values"]}
    assert values == {12.0: {"Harbor Gazette", "Radio Kestrel"}, 15.0: {"Northline News"}}


def test_translated_quote_is_one_group_with_one_speaker():
    r = compare_story(FLOOD)
    shared = [q for q in r["quote_groups"] if q["count"] > 1]
    assert len(shared) == 1
    assert shared[0]["speaker"] == "Anja Toll" and not shared[0]["speaker_conflict"]
    assert {v["outlet"] for v in shared[0]["versions"]} == {"Harbor Gazette", "Northline News"}


def test_consensus_unique_omissions_timeline():
    r = compare_story(FLOOD)
    burst = [f for f in r["consensus"] if all("burst its banks" in sp["text"] for sp in f["spans"])]
    assert burst and burst[0]["count"] == 3
    assert burst[0]["summary"]["outlet"] == "Northline News"  # earliest outlet's own words
    unique = {u["outlet"]: [sp["text"] for sp in u["spans"]] for u in r["unique"]}
    assert unique["Harbor Gazette"] == ["The old mill on Canal Street was swept away by the current."]
    assert unique["Radio Kestrel"] == []
    assert [t["article_id"] for t in r["timeline"]] == [2, 1, 3]
    assert r["timeline"][0]["new_facts"]
    quote_fact = [f for f in r["consensus"] if f["count"] == 2 and "Radio Kestrel" not in f["outlets"]]
    assert quote_fact  # the mayor's words: Radio Kestrel leaves them out
    cov = r["coverage"]
    assert len(cov["matrix"]) == 3 and all(len(row) == len(cov["facts"]) for row in cov["matrix"])


def test_wrong_speaker_is_flagged():
    ms = [
        member(1, "A", "Police chief Ora Lind said: “We will find the people who did this, however long it takes.”"),
        member(2, "B", "“We will find the people who did this, however long it takes,” said Mayor Piet Brun."),
    ]
    r = compare_story(ms)
    assert [d["kind"] for d in r["discrepancies"] if d["kind"] == "quote-speaker"] == ["quote-speaker"]
    assert r["quote_groups"][0]["speakers"] == {"A": "Ora Lind", "B": "Piet Brun"}


def test_dropped_part_of_a_quote_is_reported():
    ms = [
        member(1, "A", "Coach Lena Sorn said: “We played well, and the referee made two terrible decisions.”"),
        member(2, "B", "“We played well,” said coach Lena Sorn after the match in Varn."),
    ]
    r = compare_story(ms)
    parts = [d for d in r["discrepancies"] if d["kind"] == "quote-part"]
    assert parts and "referee made two terrible decisions" in parts[0]["dropped"][0]["text"]


def test_figure_rules():
    six, digits = find_figures("Six soldiers were captured.")[0], find_figures("6 soldiers were captured.")[0]
    assert agree(six, digits, 0.1) and six.counted == digits.counted
    about58 = find_figures("about 58 square km of forest")[0]
    exact58, exact60 = find_figures("58 square km")[0], find_figures("60 square km")[0]
    assert agree(about58, exact60, 0.1)
    assert not agree(exact58, exact60, 0.1)
    assert agree(find_figures("more than 50 houses")[0], find_figures("58 houses")[0], 0.1)
    assert [f.value for f in find_figures("In 2022 on April 12 the 1,300 square km")] == [1300.0]


def test_same_figure_worded_differently_is_not_a_discrepancy():
    ms = [member(1, "A", "Six miners were trapped in the Kell mine on Friday."),
          member(2, "B", "6 miners were trapped in the Kell mine on Friday, rescuers said.")]
    r = compare_story(ms)
    assert not [d for d in r["discrepancies"] if d["kind"] == "figure"]
    assert r["consensus"] and r["consensus"][0]["count"] == 2


def test_copies_and_determinism():
    ms = FLOOD + [member(4, "Copy Wire", FLOOD[0]["text"], duplicate_of=1)]
    a, b = compare_story(ms), compare_story(list(ms))
    assert a == b
    assert a["copies"] == [{"article_id": 4, "outlet": "Copy Wire", "duplicate_of": 1, "title": "Copy Wire report"}]
    assert "Copy Wire" not in a["outlets"]


def test_empty_and_single_member_stories():
    assert compare_story([])["consensus"] == []
    r = compare_story([member(1, "A", "")])
    assert r["outlets"] == ["A"] and r["unique"] == [{"outlet": "A", "spans": []}]
    render_text(r)


def test_render_text_is_plain_and_escaped():
    ms = [m | {"outlet": m["outlet"] + "\x1b[31m"} for m in FLOOD]
    out = render_text(compare_story(ms, story_id=3))
    assert "\x1b" not in out
    for heading in ("CONSENSUS", "DISCREPANCIES", "QUOTES", "UNIQUE", "TIMELINE", "COVERAGE"):
        assert heading in out
    assert "“Twelve people died in the flood, the fire service said.”" in out or "Twelve people" in out
