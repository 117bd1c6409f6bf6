"""One key for the spellings of a rare name (``stories.features.name_key``): outlets transliterate
names differently ("Zelensky" / "Zelenskyy" in our seeds), and the entities channel should see
one person, while ordinary words keep their spelling.

Every article here is invented (a dam inspection in Vyshneve, its engineer spelled two ways).
"""
from __future__ import annotations

from storyline.stories import Grouper, Settings, build_doc
from storyline.stories.features import name_key


def test_spellings_of_a_rare_name_share_a_key():
    for a, b in [("zelensky", "zelenskyy"), ("zelensky", "zelenskiy"), ("dmitry", "dmitriy"),
                 ("gaddafi", "gadafi"), ("mohammed", "mohamed"), ("hrytsenko", "hrytsenkko")]:
        assert name_key(a) == name_key(b), (a, b)
    assert name_key("müller") == name_key("muller")


def test_common_words_and_distinct_names_keep_their_keys():
    # words common in English text are left alone, even with doubled letters
    for w in ("committee", "russell", "aggressive", "bill", "street", "village"):
        assert name_key(w) == w
    assert name_key("kovalenko") != name_key("kovalenka")
    assert name_key("baranetsky") != name_key("baranetska")


ENGINEER_A = ("Inspectors close Vyshneve dam road",
              "Engineers closed the road over the Vyshneve dam on Tuesday after cracks were found in the spillway. "
              "The chief engineer, Oleksiy Baranetskyy, said repairs would take a month.")
ENGINEER_B = ("Cracks shut Vyshneve dam crossing",
              "The crossing on top of the Vyshneve dam was shut on Tuesday. Chief engineer Oleksiy Baranetsky "
              "said cracks in the spillway would take a month to repair.")


def test_a_name_spelled_two_ways_is_one_entity_in_grouping():
    a = build_doc(1, *ENGINEER_A, "north.example", "2031-04-08")
    b = build_doc(2, *ENGINEER_B, "south.example", "2031-04-08")
    key = "@" + name_key("baranetsky")
    assert key in a.features and key in b.features
    assert {a.names[key], b.names[key]} == {"Baranetskyy", "Baranetsky"}
    g = Grouper(Settings.load())
    first = g.add(a)
    second = g.add(b)
    assert second.story_id == first.story_id
    shared = second.explanation["shared"]["entities"]
    assert any(n.startswith("Baranetsk") for n in shared), shared
