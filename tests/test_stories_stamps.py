"""Time stamp lines that cleaning removes ("Updated: 3 March 2031, 14:27") are not story text,
but the dates they print still count for grouping (``features.build_doc(stamps=...)``,
``persist.load_docs``): two reports of one event years apart from another are told apart by them.

All text here is invented.
"""
from __future__ import annotations

import json

from storyline import pipeline
from storyline.store import connect
from storyline.stories import build_doc
from storyline.stories.features import name_key
from storyline.stories.persist import load_docs

BODY = ("Firefighters in Port Alder fought a blaze at the grain terminal through the night. "
        "The harbour master said no ships were damaged.")


def test_build_doc_counts_the_dates_of_stamps_but_not_their_words():
    plain = build_doc(1, "Grain terminal fire in Port Alder", BODY, "a.example")
    stamped = build_doc(1, "Grain terminal fire in Port Alder", BODY, "a.example",
                        stamps=["Updated: 3 March 2031, 14:27 GMT"])
    assert plain.years == frozenset() and stamped.years == {"2031"}
    added = {k: v for k, v in stamped.features.items() if plain.features.get(k) != v}
    assert set(added) == {"~2031", "~03-03"}  # the year and the day; not "updated", "gmt" or 14:27


def test_the_store_keeps_the_year_of_a_removed_dateline(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a1", "title": "Grain terminal fire in Port Alder", "source": "a.example",
                               "text": "Updated: 3 March 2031, 14:27 GMT\n" + BODY}) + "\n")
    con = connect(tmp_path / "s.db")
    pipeline.ingest_paths(con, [str(src)])
    pipeline.process(con, stages=("clean",))
    row = con.execute("SELECT id, clean_text FROM articles").fetchone()
    assert "2031" not in row["clean_text"]  # the stamp line is gone from the text
    assert [r["reason"] for r in con.execute("SELECT reason FROM removed WHERE article_id = ?", (row["id"],))] \
        == ["timestamp"]
    doc = load_docs(con, [row["id"]], annotations=False)[row["id"]]
    assert doc.years == {"2031"} and doc.features["~2031"] == 1.0


def test_text_features_show_annotated_names_whole_and_once():
    from storyline.stories import Grouper, Settings

    text = ("Regional president Giulia Ferretti visited Faenza on Tuesday. Ferretti said Lugo, Cotignola "
            "and Faenza needed pumps. Rivers near Lugo and Cotignola rose again.")
    display = ["Giulia Ferretti", "Lugo, Cotignola", "Lugo and Cotignola"]  # the annotated names
    a = build_doc(1, "Faenza floods: Ferretti asks for pumps", text, "a.example", "2031-05-06", display=display)
    other = ("Giulia Ferretti, the regional president, was in Faenza as the Lamone rose. Ferretti asked Rome "
             "for pumps for Faenza, Lugo and Cotignola.")
    b = build_doc(2, "Ferretti in Faenza as rivers rise", other, "b.example", "2031-05-06", display=display)
    ferretti = "@" + name_key("ferretti")  # a rare name: its key drops the doubled letters
    assert a.names[ferretti] == "Giulia Ferretti" and a.names["@giulia"] == "Giulia Ferretti"
    assert a.names["@lugo"] == "Lugo"  # spans of two names are not taken for one name
    assert set(a.features) == set(build_doc(1, a.title, text, "a.example", "2031-05-06").features)
    g = Grouper(Settings.load())
    g.add(a)
    joined = g.add(b)
    assert not joined.new  # a copy would carry no "shared"
    shared = joined.explanation["shared"]["entities"]
    assert shared.count("Giulia Ferretti") == 1 and "Faenza" in shared
