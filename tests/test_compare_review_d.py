"""Review D fixes in the comparison: round words are not exact figures, increments are not totals,
publication times are ordered as instants, and the header counts copies' outlets (invented articles)."""
from __future__ import annotations

import time

from storyline import store
from storyline.compare import compare_story, persist, render_text
from storyline.compare.figures import find_figures, is_increment
from storyline.compare.units import time_key


def member(aid, outlet, text, published="2026-07-01", **kw):
    return {"article_id": aid, "outlet": outlet, "published": published, "title": f"{outlet} report {aid}",
            "text": text, "url": None, "annotations": [], **kw}


TWELVE = ("Twelve people were killed when the Harlan road bridge collapsed onto the rail line below during the "
          "morning rush hour on Wednesday, police said.\n\nTransport minister Irena Kask said the bridge, built "
          "in 1971, had passed an inspection in March.")
FOURTEEN = ("Fourteen people were killed when the Harlan road bridge collapsed onto the rail line below during "
            "Wednesday's morning rush hour, police said.\n\nTransport minister Irena Kask said the bridge, which "
            "opened in 1971, had passed its last inspection in March.")
ANALYSIS = ("The collapse of the Harlan road bridge, which killed more than a dozen people on Wednesday, has raised "
            "questions about how the country inspects its ageing bridges.\n\nTransport minister Irena Kask said "
            "the bridge had passed an inspection in March, but engineers said the checks were only visual.")


def _figure_values(report):
    return [{v["value"]: v["outlets"] for v in d["values"]} for d in report["discrepancies"] if d["kind"] == "figure"]


# ------------------------------------------------------------------ bug 2: round words


def test_round_words_are_bounds_or_estimates_not_exact_values():
    got = {f.text: (f.value, f.qualifier, f.vague) for t in (
        "It killed more than a dozen people.", "Nearly a hundred people died.", "A dozen people were hurt.",
        "Dozens of houses were destroyed.", "Hundreds of people fled.", "Several hundred people fled.",
        "Tens of thousands of people fled.", "Two hundred people fled.", "Two dozen soldiers were captured.")
        for f in find_figures(t)}
    assert got == {
        "more than a dozen people": (12.0, "min", True),
        "Nearly a hundred people": (100.0, "max", True),
        "A dozen people": (12.0, "approx", True),
        "Dozens of houses": (24.0, "min", True),
        "Hundreds of people": (200.0, "min", True),
        "Several hundred people": (200.0, "min", True),
        "Tens of thousands of people": (20000.0, "min", True),
        "Two hundred people": (200.0, None, False),  # a number with a scale: exact, one figure
        "Two dozen soldiers": (24.0, None, False),
    }


def test_more_than_a_dozen_does_not_silence_a_death_toll_conflict():
    base = [member(1, "a.example", TWELVE), member(2, "b.example", FOURTEEN)]
    assert _figure_values(compare_story(base)) == [{12.0: ["a.example"], 14.0: ["b.example"]}]
    # b.example's analysis piece says "more than a dozen": a bound, not b reporting 12
    r = compare_story(base + [member(3, "b.example", ANALYSIS)])
    assert _figure_values(r) == [{12.0: ["a.example"], 14.0: ["b.example"]}]


def test_hundreds_is_not_an_outlet_reporting_200():
    a = member(1, "a.example", "200 people were injured when the Harlan dam burst on Wednesday, the fire service said.")
    b1 = member(2, "b.example", "250 people were injured when the Harlan dam burst on Wednesday, the fire service said.")
    b2 = member(3, "b.example", "Hundreds were injured when the Harlan dam burst on Wednesday, officials said.")
    assert _figure_values(compare_story([a, b1])) == [{200.0: ["a.example"], 250.0: ["b.example"]}]
    # "hundreds" is at least 200, not b.example reporting 200
    assert _figure_values(compare_story([a, b1, b2])) == [{200.0: ["a.example"], 250.0: ["b.example"]}]


# ------------------------------------------------------------- suspicion: increments


def test_four_more_bodies_is_not_a_value_of_the_death_toll():
    for text, want in (("Rescuers found four more bodies.", True), ("Another three people died.", True),
                       ("A further 12 people died.", True), ("Four more than last year died.", False),
                       ("Four bodies were found.", False)):
        assert [is_increment(text, f) for f in find_figures(text)] == [want], text
    a = member(1, "a.example", "The number of people killed by the collapse of the Sorna dam above Tarvik rose "
                               "to 16 on Tuesday, after rescuers found four more bodies in the mud of the Oren valley.")
    b = member(2, "b.example", "The number of people killed by the Sorna dam collapse in Tarvik rose to 18 on "
                               "Tuesday, after rescuers found another three bodies in the Oren valley.")
    r = compare_story([a, b])
    values = _figure_values(r)
    assert values == [{16.0: ["a.example"], 18.0: ["b.example"]}]


# ------------------------------------------------------------- bug 3: time order


def test_time_key_orders_instants_date_only_at_day_end_undated_last():
    values = ["2026-06-01T20:00:00-07:00", "2026-06-02T01:00:00Z", "2026-06-02", "2026-06-01",
              None, "2026-06-02T23:00:00+00:00", "2026-06-03T00:30:00+02:00", "2026-06-01T12:00:00"]
    assert sorted(values, key=time_key) == [
        "2026-06-01T12:00:00",        # no offset: read as UTC
        "2026-06-01",                 # date only: after the 1st's timed reports
        "2026-06-02T01:00:00Z",
        "2026-06-01T20:00:00-07:00",  # 03:00 UTC on the 2nd
        "2026-06-03T00:30:00+02:00",  # 22:30 UTC on the 2nd
        "2026-06-02T23:00:00+00:00",
        "2026-06-02",                 # date only: after every report timed on the 2nd (UTC)
        None,
    ]


WEST = ("Police in Orvik arrested the mayor, Henrik Sand, on corruption charges on Monday night after a two-year "
        "investigation into city building contracts. Prosecutors said Sand had taken 400,000 crowns in bribes.")
EAST = ("The mayor of Orvik, Henrik Sand, was arrested on Monday night on charges of corruption, prosecutors said, "
        "after a two-year inquiry into building contracts. They accuse him of taking 400,000 crowns in bribes.")


def test_first_reported_and_timeline_respect_utc_offsets():
    r = compare_story([member(1, "westcoast.example", WEST, "2026-06-01T20:00:00-07:00"),
                       member(2, "eastdaily.example", EAST, "2026-06-02T01:00:00+00:00")])
    assert r["first_reported"]["outlet"] == "eastdaily.example"
    assert [t["article_id"] for t in r["timeline"]] == [2, 1]
    assert r["timeline"][0]["new_facts"] and not r["timeline"][1]["new_facts"]


def test_story_members_are_ordered_by_instant(tmp_path):
    con = store.connect(tmp_path / "s.db")
    con.execute("INSERT INTO stories (id, title, updated_at) VALUES (1, 'Orvik', ?)", (time.time(),))
    ids = []
    for outlet, text, published in (("westcoast.example", WEST, "2026-06-01T20:00:00-07:00"),
                                    ("eastdaily.example", EAST, "2026-06-02T01:00:00+00:00"),
                                    ("undated.example", EAST + " Sand denies it.", None),
                                    ("dayonly.example", WEST + " Sand denies it.", "2026-06-02")):
        cur = con.execute(
            "INSERT INTO articles (outlet, published, title, text, format, content_hash, clean_text, ingested_at) "
            "VALUES (?, ?, ?, ?, 'text', ?, ?, ?)", (outlet, published, outlet, text, f"h{outlet}", text, time.time()))
        ids.append(cur.lastrowid)
        con.execute("INSERT INTO story_members (article_id, story_id) VALUES (?, 1)", (cur.lastrowid,))
    con.commit()
    assert [m["article_id"] for m in persist.story_members(con, 1)] == [ids[1], ids[0], ids[3], ids[2]]
    assert persist.get_or_update(con, 1)["first_reported"]["outlet"] == "eastdaily.example"


# ------------------------------------------------------------- bug 7: header


def test_header_counts_copies_outlets_and_pluralises():
    wire = "Dockers in Calder Bay went on strike on Monday over plans for remote-controlled cranes."
    r = compare_story([member(1, "meridianwire.example", wire),
                       member(2, "northbeacon.example", wire, duplicate_of=1),
                       member(3, "ridgewaytimes.example", wire, duplicate_of=1)], story_id=3)
    head = render_text(r).splitlines()[0]
    assert head == ("Story 3: 1 article compared from 1 outlet (meridianwire.example), plus 2 copies "
                    "(northbeacon.example, ridgewaytimes.example): 3 outlets in all")
    two = compare_story([member(1, "a.example", TWELVE), member(2, "b.example", FOURTEEN)], story_id=4)
    assert render_text(two).splitlines()[0] == "Story 4: 2 articles compared from 2 outlets (a.example, b.example)"
