"""Review E: the comparison stays linear on number-heavy articles; time_key never raises."""
from __future__ import annotations

import datetime as dt
import random
import re

from storyline.compare import compare_story
from storyline.compare import figures as fig
from storyline.compare import units
from storyline.compare.report import settings
from storyline.compare.text import words
from storyline.compare.units import time_key


def _results_table(n: int) -> str:
    # invented results table: ordinary sentences, three numbers each
    return " ".join(f"Runner {i} finished in {30 + i % 20} minutes and won {i % 7 + 1} medals." for i in range(n))


def _figure_annotations(text: str) -> list[dict]:
    return [{"kind": "figure", "start": m.start(), "end": m.end(), "text": m.group(),
             "value": {"value": float(m.group().replace(",", "")), "counted": "medals" if k % 3 == 2 else None,
                       "qualifier": "about" if k % 5 == 0 else None}}
            for k, m in enumerate(re.finditer(r"\d[\d,]*", text))]


def _linear_context(ann: dict, toks: list, window: int) -> frozenset:
    """A figure's context words as from_annotation found them before: a linear scan of the
    text's words for the first word at or after the annotation's start and end."""
    i = next((k for k, t in enumerate(toks) if t[0] >= ann["start"]), len(toks))
    j = next((k for k, t in enumerate(toks) if t[0] >= ann["end"]), len(toks))
    return fig._context(toks, i, j, window)


def _tokenised(monkeypatch, text: str, anns: list[dict]):
    """(the lengths of the long texts ``words`` split while preparing one member, the member)."""
    calls = []

    def counting(t):
        if len(t) > 1000:
            calls.append(len(t))
        return words(t)

    monkeypatch.setattr(fig, "words", counting)
    monkeypatch.setattr(units, "words", counting, raising=False)
    members = units.prepare([{"article_id": 1, "outlet": "Results Daily", "published": "2024-03-05",
                              "title": "Marathon results", "text": text, "annotations": anns}], settings())
    return calls, members[0]


def test_prepare_tokenises_a_member_once_not_once_per_figure(monkeypatch):
    # 2,000 sentences, 6,000 figure annotations: about 25 s before (a words() pass per figure)
    text = _results_table(2000)
    anns = _figure_annotations(text)
    assert len(anns) == 6000
    calls, member = _tokenised(monkeypatch, text, anns)
    assert calls == [len(text)]  # the whole text is tokenised once, for all 6,000 annotations
    assert sum(len(s.figures) for s in member.sentences) == 6000


def test_from_annotation_with_shared_tokens_gives_the_same_figures():
    rnd = random.Random(5)
    text = _results_table(60) + " About 1,200 people, some 40 volunteers and 3 doctors were there"
    anns = _figure_annotations(text)
    # annotations that do not start on a word, run to the end, or are empty must be read the same way
    anns += [{"kind": "figure", "start": s, "end": min(len(text), s + rnd.randint(0, 9)), "value": {"value": 1}}
             for s in rnd.sample(range(len(text)), 40)]
    anns.append({"kind": "figure", "start": len(text), "end": len(text), "value": {"value": 2}})
    toks = words(text)
    for a in anns:
        got = fig.from_annotation(a, text, 5)
        assert got.context == _linear_context(a, toks, 5)
        assert fig.from_annotation(a, text, 5, toks) == got


def test_prepare_gives_each_sentence_its_figures_and_entities_in_text_order():
    text = _results_table(40) + " Officials said 12 people were hurt. In Westhaven 30 homes were damaged."
    anns = list(reversed(_figure_annotations(text)))  # the annotator's order need not be the text's
    west = text.index("Westhaven")
    anns.append({"kind": "entity", "start": west, "end": west + 9, "value": {"key": "westhaven"}})
    members = units.prepare([{"article_id": 1, "outlet": "A", "published": "2024-03-05", "title": "t",
                              "text": text, "annotations": anns}], settings())
    seen = []
    for s in members[0].sentences:
        assert all(s.span.start <= f.start < s.span.end for f in s.figures)
        assert [f.start for f in s.figures] == sorted(f.start for f in s.figures)
        seen += [f.start for f in s.figures]
        assert ("ent:westhaven" in s.words) == (s.span.start <= west < s.span.end)
    assert sorted(seen) == sorted(a["start"] for a in anns if a["kind"] == "figure")


def test_long_number_run_is_tokenised_once(monkeypatch):
    # "1,000 " repeated: one long sentence with a figure annotation on every word
    text = "1,000 " * 20000
    calls, member = _tokenised(monkeypatch, text, _figure_annotations(text))
    assert calls == [len(text)]
    assert sum(len(s.figures) for s in member.sentences) == 20000


def test_time_key_far_future_offset_does_not_raise_and_sorts_last_of_the_dated():
    values = ["9999-12-31T23:59:59-12:00", "9999-12-31", "9999-12-31T23:00:00Z", "2026-06-02T01:00:00Z",
              "0001-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00+14:00", None,
              "9999-12-31T23:59:59-11:00"]
    assert sorted(values, key=time_key) == [
        "0001-01-01T00:00:00+14:00",  # 10:00 on 31 December of year 0
        "0001-01-01T00:30:00+01:00",  # 23:30 the same day
        "0001-01-01T00:00:00Z",
        "2026-06-02T01:00:00Z",
        "9999-12-31T23:00:00Z",
        "9999-12-31",  # the end of that day
        "9999-12-31T23:59:59-11:00",  # 10:59 on 1 January 10000
        "9999-12-31T23:59:59-12:00",  # 11:59
        None,
    ]
    # an ordinary value keeps its key
    assert time_key("2026-06-01T20:00:00-07:00") == (0, dt.datetime(2026, 6, 2, 3, tzinfo=dt.timezone.utc), 0)


def test_time_key_is_total():
    rnd = random.Random(7)
    alphabet = "0123456789-:+TZ.W "
    samples = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 32))) for _ in range(3000)]
    samples += [f"{y:04d}-{m:02d}-{d:02d}T{h:02d}:59:59{sign}{oh:02d}:{om:02d}"
                for y in (1, 2, 9998, 9999) for m, d in ((1, 1), (12, 31)) for h in (0, 23)
                for sign in "+-" for oh in (0, 12, 23) for om in (0, 59)]
    samples += [12, 3.5, object(), "\x00" * 10, "+10000-01-01T00:00:00"]
    keys = [time_key(s) for s in samples]
    sorted(keys)  # keys of any values compare with each other


def test_story_with_a_far_future_member_compares():
    text = "A storm hit the coast of Westhaven, damaging 30 homes. Officials said 4 people were hurt."
    members = [{"article_id": 1, "outlet": "Out A", "published": "9999-12-31T23:59:59-12:00", "title": "Storm",
                "text": text, "annotations": []},
               {"article_id": 2, "outlet": "Out B", "published": "2024-03-05T10:00:00+02:00", "title": "Storm",
                "text": text.replace("30", "35"), "annotations": []}]
    report = compare_story(members, story_id=1)
    assert report["first_reported"]["article_id"] == 2
    assert [t["article_id"] for t in report["timeline"]] == [2, 1]


def test_figure_conflicts_visits_the_cross_outlet_pairs_in_order(monkeypatch):
    from storyline.compare import align
    from storyline.compare.units import Weights

    base = "Officials said {} people were hurt in Westhaven. The storm damaged {} homes and {} boats."
    outlets = ["A", "B", "A", "C", "C", "B"]  # one outlet's members need not be next to each other
    raw = [{"article_id": k + 1, "outlet": o, "published": f"2024-03-0{k + 1}", "title": "Storm",
            "text": base.format(4 + k % 2, 30 + k, 3), "annotations": []} for k, o in enumerate(outlets)]
    cfg = settings()
    ms = units.prepare(raw, cfg)
    weights = Weights(ms)
    mentions = [(s, f) for m in ms for s in m.sentences for f in s.figures if not f.background and not f.increment]
    who = [ms[s.member].outlet for s, _ in mentions]
    expected = [(id(mentions[i][0].words), id(mentions[j][0].words))
                for i in range(len(mentions)) for j in range(i + 1, len(mentions)) if who[i] != who[j]]
    seen = []
    real = Weights.cosine

    def cosine(self, a, b):
        seen.append((id(a), id(b)))
        return real(self, a, b)

    monkeypatch.setattr(Weights, "cosine", cosine)
    conflicts, links = align.figure_conflicts(ms, weights, cfg["figures"])
    assert seen == expected
    assert conflicts  # 4 against 5 hurt
