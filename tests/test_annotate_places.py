"""Places: gazetteer look-up, regions, disambiguation by context and outlet (invented text)."""
from __future__ import annotations

from collections import Counter

import pytest

from storyline.annotate.entities import extract_entities
from storyline.annotate.places import clean_place_name, extract_places, outlet_country, resolve_place


@pytest.fixture(scope="module")
def nlp():
    from storyline.annotate.nlp import get_nlp

    return get_nlp()


def places_of(nlp, text, outlet=None):
    doc = nlp(text)
    return extract_places(doc, extract_entities(doc), outlet)


def by_text(places):
    return {p.text: p.value for p in places}


def test_clean_place_name():
    assert clean_place_name("eastern Ukraine") == "Ukraine"
    assert clean_place_name("Kyiv\u2019s") == "Kyiv"
    assert clean_place_name("the Kursk region") == "Kursk"


def test_country_city_and_alias():
    assert resolve_place("Ukraine")["kind"] == "country"
    kyiv = resolve_place("Kiev")
    assert kyiv["name"] == "Kyiv" and kyiv["country"] == "UA" and kyiv["kind"] == "city"
    assert abs(kyiv["lat"] - 50.45) < 0.2 and abs(kyiv["lon"] - 30.52) < 0.2
    assert kyiv["confidence"] > 0.95  # one city, found under its primary and alternate names
    assert resolve_place("the United States")["country"] == "US"
    assert resolve_place("Nowhereville Upon Mire") is None


def test_region_is_placed_at_its_namesake_city():
    r = resolve_place("Kharkiv", region=True)
    assert r["kind"] == "region" and r["country"] == "UA" and r["name"] == "Kharkiv region"
    assert r["confidence"] < resolve_place("Kharkiv")["confidence"] + 1e-9


def test_context_decides_between_namesakes():
    plain = resolve_place("Birmingham")
    assert plain["country"] == "GB"
    us = resolve_place("Birmingham", context=Counter({"US": 3}))
    assert us["country"] == "US"
    assert us["confidence"] < 1.0


def test_outlet_country():
    assert outlet_country("www.example.co.uk") == "GB"
    assert outlet_country("https://nachrichten.example.de/politik") == "DE"
    assert outlet_country("example.com") is None
    assert outlet_country(None) is None


def test_article_regions_and_coordinated_regions(nlp):
    text = (
        "Shelling hit the Sumy and Kharkiv regions overnight, the governor said. "
        "Further north, fighting continued in Russia's Belgorod region, where a power line was cut."
    )
    got = by_text(places_of(nlp, text))
    for name, cc in (("Sumy", "UA"), ("Kharkiv", "UA"), ("Belgorod", "RU")):
        assert name in got, got
        assert got[name]["kind"] == "region" and got[name]["country"] == cc
        assert got[name]["lat"] is not None and got[name]["lon"] is not None
    assert got["Russia"]["kind"] == "country"


def test_article_context_moves_an_ambiguous_city(nlp):
    text = (
        "Storms closed schools across Alabama on Thursday. In Birmingham, crews cleared fallen trees "
        "while the governor of Alabama asked residents to stay home."
    )
    got = by_text(places_of(nlp, text))
    assert got["Birmingham"]["country"] == "US"


def test_every_place_span_matches_the_text(nlp):
    text = "Officials in Kyiv and Warsaw met delegates from eastern Ukraine and the Donetsk region."
    doc = nlp(text)
    places = extract_places(doc, extract_entities(doc))
    assert len(places) >= 3
    for p in places:
        assert text[p.start : p.end] == p.text
        assert 0.0 < p.value["confidence"] <= 1.0
        assert p.value["kind"] in ("country", "region", "city")


def test_organisations_named_like_places_are_not_placed(nlp):
    text = "The White House said the United States would send envoys to Cairo."
    got = by_text(places_of(nlp, text))
    assert "White House" not in got
    assert got["United States"]["country"] == "US"
    assert got["Cairo"]["country"] == "EG"
