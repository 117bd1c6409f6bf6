"""Entities: label fixes, name resolution within an article and across a story (invented text)."""
from __future__ import annotations

import pytest

from storyline.annotate.entities import cluster_person_names, extract_entities, resolve_across, same_name
from storyline.records import Annotation


@pytest.fixture(scope="module")
def nlp():
    from storyline.annotate.nlp import get_nlp

    return get_nlp()


def persons(anns):
    return [a for a in anns if a.kind == "entity" and a.label == "PERSON"]


def key_of(anns, text):
    hits = [a.value["key"] for a in anns if a.kind == "entity" and a.text == text]
    assert hits, f"no entity mention {text!r} in {[a.text for a in anns]}"
    return hits[0]


def test_transliterations_are_one_name():
    assert same_name("Zelensky", "Zelenskyy")
    assert same_name("Zelenskiy", "Zelenskyi")
    assert same_name("Hrytsenko", "Hrytsenkо".replace("о", "o"))
    assert not same_name("Obama", "Osama")
    assert not same_name("Peskov", "Petkov")


def test_cluster_keeps_people_who_share_a_surname_apart():
    names = [["Barack", "Obama"], ["Michelle", "Obama"], ["Obama"], ["Mykola", "Tkachenkо".replace("о", "o")], ["Tkachenko"]]
    ids = cluster_person_names(names)
    assert ids[0] != ids[1]
    assert ids[2] not in (ids[0], ids[1])  # bare "Obama" is ambiguous here
    assert ids[3] == ids[4]


def test_variants_titles_and_descriptions_resolve_to_one_person(nlp):
    text = (
        "Orest Malynovskyy said on Monday that the dam at Vilkove would be rebuilt by spring. "
        "Mr Malynovsky, the Moldovan president, visited the site with engineers. "
        "According to the Moldovan president, the repairs will cost less than expected. "
        "Malynovskiy later met the mayor of the town, Irina Dabija, who praised the rescue teams."
    )
    anns = extract_entities(nlp(text))
    key = key_of(anns, "Orest Malynovskyy")
    assert key_of(anns, "Mr Malynovsky") == key
    assert key_of(anns, "Malynovskiy") == key
    desc = [a for a in anns if a.value.get("mention") == "description"]
    assert any(a.text == "the Moldovan president" and a.value["key"] == key for a in desc)
    assert key_of(anns, "Irina Dabija") != key
    forms = next(a for a in anns if a.value["key"] == key).value["forms"]
    assert {"Orest Malynovskyy", "Mr Malynovsky", "Malynovskiy"} <= set(forms)


def test_name_followed_by_said_is_a_person_whatever_the_model_says(nlp):
    text = (
        "Two fishing boats were seized off the coast, Volodymyr Zelenskyy said on Tuesday. "
        "Zelenskyy says the crews are safe. The coastguard said the boats would be returned."
    )
    anns = extract_entities(nlp(text))
    labels = {a.text: a.label for a in anns if a.kind == "entity"}
    assert labels.get("Volodymyr Zelenskyy") == "PERSON"
    assert key_of(anns, "Zelenskyy") == key_of(anns, "Volodymyr Zelenskyy")


def test_two_people_with_one_surname_stay_apart(nlp):
    text = (
        "Barack Obama opened the library in Chicago on Friday. Michelle Obama spoke to students "
        "about the reading programme. Barack Obama thanked the volunteers."
    )
    anns = extract_entities(nlp(text))
    assert key_of(anns, "Barack Obama") != key_of(anns, "Michelle Obama")


def test_country_aliases_share_a_key(nlp):
    anns = extract_entities(nlp("The US sent aid. Officials in the United States said more would follow."))
    assert key_of(anns, "US") == key_of(anns, "United States")


def _ent(key, name, label="PERSON", forms=None):
    return Annotation("entity", 0, len(name), name, label, {"key": key, "name": name, "forms": forms or [name]})


def test_resolve_across_merges_spellings_and_keeps_namesakes_apart():
    a1 = [_ent("person:volodymyr zelensky", "Volodymyr Zelensky"), _ent("person:barack obama", "Barack Obama")]
    a2 = [_ent("person:volodymyr zelenskyy", "Volodymyr Zelenskyy"), _ent("person:michelle obama", "Michelle Obama")]
    a3 = [_ent("person:zelenskiy", "Zelenskiy"), _ent("person:obama", "Obama")]
    out = resolve_across([a1, a2, a3])
    k = [[a.value["key"] for a in arts] for arts in out]
    assert k[0][0] == k[1][0] == k[2][0]
    assert k[0][1] != k[1][1]
    assert k[2][1] not in (k[0][1], k[1][1])  # two Obamas in the story: a bare one stays apart
    assert set(out[2][0].value["forms"]) >= {"Volodymyr Zelensky", "Volodymyr Zelenskyy", "Zelenskiy"}
    assert a1[0].value["key"] == "person:volodymyr zelensky"  # inputs untouched


def test_resolve_across_joins_bare_surname_when_unambiguous():
    out = resolve_across([[_ent("person:barack obama", "Barack Obama")], [_ent("person:obama", "Obama")]])
    assert out[0][0].value["key"] == out[1][0].value["key"]


def test_resolve_across_updates_quote_speakers():
    q = Annotation("quote", 0, 5, "hello", "direct", {"speaker": "Zelenskyy", "speaker_key": "person:zelenskyy"})
    out = resolve_across([[_ent("person:volodymyr zelensky", "Volodymyr Zelensky")], [_ent("person:zelenskyy", "Zelenskyy"), q]])
    assert out[1][1].value["speaker_key"] == out[0][0].value["key"]


def test_bare_namesake_goes_to_the_one_named_last(nlp):
    text = (
        "Prime Minister Ewa Lindqvist said on Wednesday that the border would stay open. "
        "Lindqvist told parliament the decision was final. "
        "Her rival, Johan Lindqvist, who leads the Green Alliance, called the plan reckless. "
        "Mr Lindqvist said his party would vote against it."
    )
    anns = extract_entities(nlp(text))
    ewa, johan = key_of(anns, "Ewa Lindqvist"), key_of(anns, "Johan Lindqvist")
    assert ewa != johan
    bare = [a.value["key"] for a in anns if a.kind == "entity" and a.text == "Lindqvist"]
    assert bare == [ewa]
    assert key_of(anns, "Mr Lindqvist") == johan


def test_place_names_the_model_calls_people_become_places_but_speakers_do_not(nlp):
    text = (
        "Drones struck the Sumy and Kharkiv regions overnight. "
        "Jackson said the convoy would leave at dawn, and Jackson repeated the warning on Friday."
    )
    anns = extract_entities(nlp(text))
    labels = {}
    for a in anns:
        labels.setdefault(a.text, set()).add(a.label)
    assert labels.get("Sumy") == {"GPE"} and labels.get("Kharkiv") == {"GPE"}
    assert "GPE" not in labels.get("Jackson", {"PERSON"})


def test_appositive_role_phrase_is_a_mention_of_the_named_person(nlp):
    text = "The EU's foreign policy chief, Maren Tiits, said the talks in Vienna would resume. Tiits left on Friday."
    anns = extract_entities(nlp(text))
    key = key_of(anns, "Maren Tiits")
    desc = [a for a in anns if a.value.get("mention") == "description"]
    assert [(a.text, a.value["key"]) for a in desc] == [("The EU's foreign policy chief", key)]
    assert key_of(anns, "Tiits") == key


def test_first_name_left_out_by_the_model_and_transliterated_across_articles(nlp):
    a1 = extract_entities(nlp("Prime Minister Irakli Beridze said 45 people were detained. Mr Beridze blamed the opposition."))
    a2 = extract_entities(nlp("Irakly Beridze told reporters the protests were paid for from abroad."))
    assert any(a.text == "Irakly Beridze" for a in a2), [a.text for a in a2]
    story = resolve_across([a1, a2])
    keys = {a.value["key"] for arts in story for a in arts if "Beridze" in a.text}
    assert len(keys) == 1, keys


def test_city_spellings_share_a_key_across_articles(nlp):
    a1 = extract_entities(nlp("Talks were held in Kiev on Monday."))
    a2 = extract_entities(nlp("Talks were held in Kyiv on Monday."))
    assert key_of(a1, "Kiev") == key_of(a2, "Kyiv")


def test_korean_name_order_hyphens_and_the_usual_full_name():
    ids = cluster_person_names([["Kim", "Jong-un"], ["Kim", "Jong", "Un"], ["Kim"], ["Moon", "Jae-in"]])
    assert ids[0] == ids[1] == ids[2] != ids[3]


def test_canonical_name_is_the_most_frequent_full_name(nlp):
    text = ("Donald Trump arrived in Ohio. Donald J. Trump signed the order. Donald Trump then left. "
            "Trump said he would return.")
    anns = extract_entities(nlp(text))
    names = {a.value["name"] for a in anns if a.kind == "entity" and "Trump" in a.text}
    assert names == {"Donald Trump"}


def test_state_names_keep_their_own_key(nlp):
    anns = extract_entities(nlp("The storm reached Florida on Sunday and Georgia on Monday."))
    assert key_of(anns, "Florida") == "gpe:florida"  # not a namesake city found under an alternate name


def test_acronyms_join_the_name_they_abbreviate():
    from storyline.annotate.entities import cluster_other_names

    ids = cluster_other_names(["european union", "eu", "world health organization", "who", "imf", "e.u."])
    assert ids[0] == ids[1] == ids[5]
    assert ids[2] == ids[3]
    assert ids[4] not in (ids[0], ids[2])
