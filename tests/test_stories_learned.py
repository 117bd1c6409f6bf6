"""The learned story score (``score = "learned"``): per-channel average cosines + conflict terms."""
from __future__ import annotations

import math

from storyline.stories import Grouper, Settings
from storyline.stories.features import build_doc
from storyline.stories.group import MODEL_TERMS, PREFIXES


def _learned(**kw) -> Grouper:
    return Grouper(Settings.load(score="learned", prior_docs=0, **kw))


A = ("Quake hits Valdoria, killing 12",
     "A strong earthquake struck the mountain town of Korvath in Valdoria in 2031, killing 12 people. "
     "Mayor Ilse Brandvik said rescue teams were searching the rubble of the old market.")
B = ("Valdoria earthquake death toll rises to 12",
     "Rescuers in Korvath dug through the rubble of the old market after the 2031 earthquake in Valdoria. "
     "Mayor Ilse Brandvik said 12 people had died.")
C = ("Quake hits Valdoria, killing 40",
     "A strong earthquake struck the port of Selmira in Valdoria in 2019, killing 40 people. "
     "Governor Tomas Quell said rescue teams were searching the rubble of the harbour.")


def test_channels_are_unit_vectors_each():
    g = _learned()
    doc = build_doc(1, *A, "a.example", "2031-03-03")
    vec, pvec = g.vectorize_channels(doc)
    assert abs(math.hypot(*vec.values()) - 1.0) < 1e-9
    for p in PREFIXES:
        part = [w for f, w in pvec.items() if (f[0] == p if p else f[0] not in "@#~=!^")]
        if part:
            assert abs(math.hypot(*part) - 1.0) < 1e-9, p
    assert any(f.startswith("!") for f in pvec)  # headline words are a channel of their own
    assert doc.years == frozenset({"2031"})


def test_same_event_joins_and_other_year_starts_a_story():
    g = _learned()
    a = g.add(build_doc(1, *A, "a.example", "2031-03-03"))
    b = g.add(build_doc(2, *B, "b.example", "2031-03-03"))
    c = g.add(build_doc(3, *C, "c.example", "2031-03-04"))
    assert b.story_id == a.story_id and not b.new and b.score >= g.s.model_threshold
    assert c.new and c.story_id != a.story_id


def test_year_conflict_lowers_the_probability():
    g = _learned()
    g.add(build_doc(1, *A, "a.example", "2031-03-03"))
    st = g.stories[1]
    doc = build_doc(3, *C, "c.example", "2031-03-03")
    _, pvec = g.vectorize_channels(doc, learn=False)
    terms = g.learned_terms(pvec, doc, st)
    yc = MODEL_TERMS.index("year_conflict")
    assert terms[yc] == 1.0  # the story names 2031, the article only 2019
    sims = terms[:len(PREFIXES)]
    assert g._model(sims, 1.0, 0.0) < g._model(sims, 0.0, 0.0)
    same = build_doc(2, *B, "b.example", "2031-03-03")
    _, pvec2 = g.vectorize_channels(same, learn=False)
    assert g.learned_terms(pvec2, same, st)[yc] == 0.0


def test_person_conflict_from_annotations():
    g = _learned()
    ann = [{"kind": "entity", "label": "PERSON", "text": "Ilse Brandvik",
            "value": {"key": "person:ilse brandvik", "name": "Ilse Brandvik"}}]
    other = [{"kind": "entity", "label": "PERSON", "text": "Tomas Quell",
              "value": {"key": "person:tomas quell", "name": "Tomas Quell"}}]
    d1 = build_doc(1, *A, "a.example", "2031-03-03", annotations=ann)
    assert d1.persons == frozenset({"brandvik"})
    g.add(d1)
    d3 = build_doc(3, *C, "c.example", "2031-03-03", annotations=other)
    _, pvec = g.vectorize_channels(d3, learn=False)
    assert g.learned_terms(pvec, d3, g.stories[1])[MODEL_TERMS.index("person_conflict")] == 1.0


def test_learned_batch_equals_one_by_one_and_default_is_cosine():
    docs = [build_doc(i, *t, f"o{i}.example", "2031-03-03") for i, t in enumerate([A, B, C, B, A], 1)]
    runs = []
    for _ in range(2):
        g = _learned()
        runs.append([(r.story_id, r.score) for r in (g.add(d) for d in docs)])
    assert runs[0] == runs[1]
    assert Settings.load().score == "cosine"  # the shipped mode (figures in docs/stories.md)
