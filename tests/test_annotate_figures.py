"""Figures: value, unit, thing counted and qualifier, in words and digits (invented text)."""
from __future__ import annotations

import pytest

from storyline.annotate.figures import extract_figures


@pytest.fixture(scope="module")
def nlp():
    from storyline.annotate.nlp import get_nlp

    return get_nlp()


def figures(nlp, text):
    out = extract_figures(nlp(text))
    for f in out:
        assert text[f.start : f.end] == f.text
    return out


def one(nlp, text, value):
    hits = [f for f in figures(nlp, text) if f.value["value"] == pytest.approx(value)]
    assert hits, f"no figure {value} in {text!r}: {[f.text for f in figures(nlp, text)]}"
    return hits[0].value


def test_words_with_the_thing_counted(nlp):
    v = one(nlp, "The patrol met six Freedonian sailors near the harbour and detained two of them.", 6)
    assert v["counted"] == "Freedonian sailors" and v["unit"] is None and v["qualifier"] is None
    v2 = one(nlp, "The patrol met six Freedonian sailors near the harbour and detained two of them.", 2)
    assert v2["counted"] == "them"
    assert v2.get("antecedent") == "Freedonian sailors"


def test_area_with_qualifier(nlp):
    v = one(nlp, "The militia now holds about 58 square km of farmland near the river.", 58)
    assert v["unit"] == "km2" and v["qualifier"] == "about" and v["approximate"] is True
    assert v["counted"] == "farmland"


def test_upper_bound_is_not_approximate(nlp):
    v = one(nlp, "The ministry may send up to 10,000 troops to the border.", 10000)
    assert v["qualifier"] == "up to" and v["counted"] == "troops" and v["approximate"] is False


def test_distance_percent_and_money(nlp):
    assert one(nlp, "The depot lies 30 miles from the coast.", 30)["unit"] == "mile"
    assert one(nlp, "Turnout reached 98.4% in the northern district.", 98.4)["unit"] == "%"
    money = one(nlp, "The port authority borrowed $3.1bn last year to deepen the channel.", 3.1e9)
    assert money["unit"] == "USD"
    assert one(nlp, "The club paid \u00a32m for the goalkeeper.", 2e6)["unit"] == "GBP"
    assert one(nlp, "Rebuilding will cost \u20ac40 million over five years.", 4e7)["unit"] == "EUR"


def test_compound_number_words(nlp):
    v = one(nlp, "Twenty-five firefighters worked through the night.", 25)
    assert v["counted"] == "firefighters"
    assert one(nlp, "Rescuers reached two hundred villagers by boat.", 200)["counted"] == "villagers"


def test_dates_and_times_are_not_figures(nlp):
    text = "In 2022 the council met on April 12 and again on 8 April 2025 at 13:36, after the second vote."
    assert figures(nlp, text) == []


def test_numbers_inside_names_are_not_figures(nlp):
    assert figures(nlp, "The clinic treated Covid-19 patients and the air force flew F-16 jets.") == []


def test_fractions(nlp):
    v = one(nlp, "The navy could withdraw as many as half its patrol boats.", 0.5)
    assert v["unit"] == "fraction" and v["qualifier"] == "as many as" and v["counted"] == "patrol boats"
    v = one(nlp, "Nearly two-thirds of voters backed the plan.", 2 / 3)
    assert v["unit"] == "fraction" and v["counted"] == "voters" and v["approximate"] is True
    assert figures(nlp, "He scored early in the second half.") == []


def test_number_words_that_count_nothing_are_not_figures(nlp):
    assert figures(nlp, "It was one of the most difficult days. The two met in Oslo.") == []
    assert one(nlp, "One soldier was wounded.", 1)["counted"] == "soldier"
