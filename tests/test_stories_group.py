"""The pure grouper on invented articles and on a synthetic stream."""
from __future__ import annotations

import pytest

from storyline.bench.stream import synth_stream
from storyline.stories import Grouper, Settings, build_doc, doc_from_record
from storyline.stories.features import text_features
from storyline.stories.metrics import bcubed

QUAKE_1 = [
    ("Magnitude 6.4 quake shakes Tarvola", "A magnitude 6.4 earthquake struck Tarvola province on Sunday, "
     "killing 31 people, governor Anselm Ruvik said. The quake toppled the bell tower in Ostrand."),
    ("Tarvola quake toll rises to 31", "Governor Anselm Ruvik said 31 people died when the 6.4 earthquake hit "
     "Tarvola on Sunday; rescuers dug through the ruins of the Ostrand bell tower."),
    ("Ostrand mourns after Tarvola earthquake", "In Ostrand, families of the 31 victims of Sunday's Tarvola "
     "earthquake gathered by the fallen bell tower as Anselm Ruvik declared three days of mourning."),
]
QUAKE_2 = [
    ("Quake of magnitude 5.1 hits Mireval coast", "An earthquake of magnitude 5.1 hit the Mireval coast on "
     "Sunday, injuring 8 people in the fishing port of Kessa, mayor Lotte Brenner said."),
    ("Mireval: Kessa harbour damaged by earthquake", "Mayor Lotte Brenner said 8 people were hurt in Kessa when "
     "the 5.1 magnitude earthquake struck the Mireval coast; the harbour wall cracked."),
]


def _docs(items, outlet_prefix, day="2031-02-02", start=0):
    return [build_doc(start + i, t, x, f"{outlet_prefix}{i}.example", day) for i, (t, x) in enumerate(items)]


def test_same_kind_events_stay_apart():
    g = Grouper()
    docs = _docs(QUAKE_1, "a") + _docs(QUAKE_2, "b", start=10)
    sids = [g.add(d).story_id for d in docs]
    assert len(set(sids[:3])) == 1 and len(set(sids[3:])) == 1 and sids[0] != sids[3]


def test_explanation_names_shared_entities_and_figures():
    g = Grouper()
    docs = _docs(QUAKE_1, "a")
    g.add(docs[0])
    a = g.add(docs[1])
    assert not a.new and a.score >= g.s.threshold
    shared = a.explanation["shared"]
    assert "Ruvik" in shared["entities"] or "Tarvola" in shared["entities"]
    assert "31" in shared["figures"]


def test_explanation_json_is_the_same_in_every_process():
    # the channels come in a fixed order, whatever the string hash seed of the process
    import json
    import os
    import subprocess
    import sys

    script = ("import json, sys; sys.path.insert(0, sys.argv[1]); from test_stories_group import QUAKE_1, _docs; "
              "from storyline.stories import Grouper; g = Grouper(); d = _docs(QUAKE_1, 'a'); g.add(d[0]); "
              "print(json.dumps(g.add(d[1]).explanation))")
    outs = {subprocess.run([sys.executable, "-c", script, os.path.dirname(__file__)], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2", "3", "4")}
    assert len(outs) == 1
    shared = list(json.loads(outs.pop())["shared"])
    assert shared == sorted(shared, key=["words", "entities", "places", "dates", "figures"].index)
    assert {"words", "entities", "figures"} <= set(shared)


def test_deterministic_and_batch_equals_one_by_one():
    rows = list(synth_stream(1500, days=20, seed=3))
    g1 = Grouper()
    first = [g1.add(doc_from_record(r)).story_id for r in rows]
    g2 = Grouper()
    docs = [doc_from_record(r) for r in rows]  # features built in bulk first
    second = [g2.add(d).story_id for d in docs]
    assert first == second


def test_synthetic_stream_quality_and_window():
    rows = list(synth_stream(3000, days=30, seed=5))
    g = Grouper()
    pred = [g.add(doc_from_record(r)).story_id for r in rows]
    p, r, f = bcubed([x["event"] for x in rows], pred)
    assert f > 0.9, (p, r, f)
    # stories whose last article is older than the window have left the index
    horizon = g.clock - g.s.window_days
    assert all(st.last is None or st.last >= horizon for st in g.stories.values())
    assert g.retired


def test_undated_articles_still_group():
    g = Grouper()
    docs = [build_doc(i, t, x, f"o{i}.example", None) for i, (t, x) in enumerate(QUAKE_1 + QUAKE_2)]
    sids = [g.add(d).story_id for d in docs]
    assert len(set(sids)) == 2


def test_far_apart_dates_do_not_join():
    g = Grouper(Settings.load(window_days=7))
    a = g.add(build_doc(1, *QUAKE_1[0], "a.example", "2031-02-02"))
    b = g.add(build_doc(2, *QUAKE_1[1], "b.example", "2031-03-20"))
    assert a.story_id != b.story_id


def test_text_features_channels():
    feats, names = text_features("Floods in Korvath", "Mayor Elira Dunmore said on 12 March 1987 that 40 "
                                 "people were rescued, and 2.5 million euros were pledged.")
    assert "@dunmore" in feats and names["@dunmore"] == "Dunmore"
    assert "~1987" in feats and "~03-12" in feats
    assert "=40" in feats and "=2.5" in feats
    assert "@mayor" not in feats  # sentence-initial capital is not a name
    assert "korvath" in feats  # title words count as words


# two reports of one dam breach with little vocabulary in common, and a third that covers both
BREACH = ("Dam breach floods Korvath", "The Ister dam gave way above Korvath on Tuesday and water swept through "
          "the lower town. Mayor Elira Dunmore ordered the evacuation of the riverside streets.")
RESCUE = ("Rescuers pull 40 from rooftops", "Rescue boats pulled 40 residents from rooftops overnight, and "
          "helicopters searched the flooded farmland near the collapsed bridge, the coastguard said.")
BOTH = ("Korvath dam breach: rescuers pull 40 from rooftops", "After the Ister dam gave way above Korvath, rescue "
        "boats pulled 40 residents from rooftops and Mayor Elira Dunmore said helicopters searched the flooded "
        "farmland near the collapsed bridge.")


def test_bridging_article_merges_stories_and_old_id_resolves():
    g = Grouper()
    a, b, c = (g.add(build_doc(i, t, x, f"o{i}.example", "2031-05-06")) for i, (t, x) in enumerate([BREACH, RESCUE, BOTH]))
    assert a.story_id != b.story_id  # too little in common on their own
    assert c.explanation.get("merged") == [b.story_id]
    assert c.story_id == a.story_id  # the older story keeps its id
    assert g.merges == [(b.story_id, a.story_id)] and g.resolve(b.story_id) == a.story_id
    st = g.stories[a.story_id]
    assert sorted(st.members) == [0, 1, 2] and st.n == 3 and b.story_id not in g.stories


def test_pinned_story_is_not_merged():
    g = Grouper()
    g.pinned = {2}
    sids = [g.add(build_doc(i, t, x, f"o{i}.example", "2031-05-06")).story_id
            for i, (t, x) in enumerate([BREACH, RESCUE, BOTH])]
    assert sids[1] == 2 and sids[2] != 2 and not g.merges


def test_dateline_headline_counts_once():
    """A time stamp taken for the headline is not weighted like a headline; a real one is."""
    stamp, _ = text_features("MONDAY, MAY 23, 2005 at 10: 30 GMT", "The coach was fired.")
    assert stamp["~2005"] == 1.0 and stamp["~05-23"] == 1.0
    real, _ = text_features("Sixers fire coach in 2005", "The coach was fired.", title_w=3.0)
    assert real["sixer"] == 3.0 and real["~2005"] == 3.0


def test_year_conflict_knob_lowers_the_score_of_another_years_event(monkeypatch):
    """Experiment knob (off by default, docs/stories.md session 3): an article whose lead names
    another year than every member of the story scores lower against it with year_floor < 1."""
    import storyline.stories.features as F

    opts = {**F.options(), "lead_chars": 300.0}
    monkeypatch.setattr(F, "options", lambda: opts)
    a = build_doc(1, "Quake hits Valdoria", "In 2008 a strong quake hit Valdoria, killing 12.", "a.example")
    b = build_doc(2, "Quake hits Valdoria", "In 2013 a strong quake hit Valdoria, killing 30.", "b.example")
    assert "^~2008" in a.features and "^~2013" in b.features
    scores = []
    for floor in (1.0, 0.3):
        g = Grouper(Settings.load(year_floor=floor, threshold=0.99, dedup=False))
        g.add(a)
        scores.append(g.add(b).explanation["closest"]["score"])
    assert scores[0] > 0.3
    assert scores[1] == pytest.approx(scores[0] * 0.3, abs=2e-4)
