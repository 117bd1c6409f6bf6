"""`--json` output is always valid JSON (no Infinity/NaN), and a bad `--stages` is a usage error
(exit status 2, `{"error": ...}` with `--json`). All text is invented."""
from __future__ import annotations

import json
import math

import pytest

from storyline import store
from storyline.cli import main

HUGE = "9" * 400  # float() of this is inf


def strict_loads(s: str):
    def bad(const):
        raise ValueError(f"non-standard JSON constant {const}")

    return json.loads(s, parse_constant=bad)


@pytest.fixture(scope="module")
def nlp():
    from storyline.annotate.nlp import get_nlp

    return get_nlp()


def test_a_number_beyond_a_float_is_not_a_figure(nlp):
    from storyline.annotate.figures import extract_figures

    text = (f"Officials in Farmland province said {HUGE} locusts arrived on Friday, "
            "and 40 farmers lost their crops.")
    figs = extract_figures(nlp(text))
    assert all(math.isfinite(f.value["value"]) for f in figs), [f.value for f in figs]
    assert any(f.value["value"] == 40 and f.value["counted"] == "farmers" for f in figs)


def test_a_scale_word_that_overflows_is_not_a_figure(nlp):
    from storyline.annotate.figures import extract_figures

    text = f"The central bank printed {'9' * 305} billion dollars, and 12 banks closed."
    figs = extract_figures(nlp(text))
    assert all(math.isfinite(f.value["value"]) for f in figs), [f.value for f in figs]


def test_show_article_json_of_an_old_store_with_an_infinite_figure_is_valid_json(tmp_path, capsys):
    f = tmp_path / "wire.jsonl"
    text = f"Officials said {HUGE} locusts arrived in Farmland province on Friday."
    f.write_text(json.dumps({"id": "h1", "title": "Locust swarm hits Farmland", "text": text,
                             "published": "2031-07-03", "source": "farm-news.example"}) + "\n")
    db = str(tmp_path / "s.db")
    assert main(["ingest", str(f), "--db", db]) == 0
    con = store.connect(db)
    start = text.index(HUGE)
    with store.transaction(con):  # what annotate wrote before figures dropped non-finite values
        store.put_annotations(con, 1, [{"kind": "figure", "start": start, "end": start + len(HUGE) + 8,
                                        "text": HUGE + " locusts", "label": "",
                                        "value": {"value": float("inf"), "unit": None, "counted": "locusts",
                                                  "qualifier": None, "approximate": False}}])
    con.close()
    capsys.readouterr()
    assert main(["show-article", "1", "--db", db, "--json"]) == 0
    rep = strict_loads(capsys.readouterr().out)
    (fig,) = [a for a in rep["annotations"] if a["kind"] == "figure"]
    assert fig["value"]["value"] is None and fig["value"]["counted"] == "locusts"


def test_unknown_stage_is_a_usage_error_with_a_json_error_object(tmp_path, capsys):
    db = tmp_path / "s.db"
    assert main(["process", "--stages", "clean,bogus", "--db", str(db), "--json"]) == 2
    cap = capsys.readouterr()
    assert strict_loads(cap.out) == {
        "error": "argument --stages: unknown stage(s) bogus; choose from clean, annotate, stories, compare"}
    assert cap.err.startswith("usage: storyline process")
    assert "storyline process: error: argument --stages: unknown stage(s) bogus" in cap.err
    assert not db.exists()  # a usage error touches no store


def test_unknown_or_empty_stages_without_json(tmp_path, capsys):
    db = str(tmp_path / "s.db")
    assert main(["process", "--stages", "clean,annotat", "--db", db]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and "unknown stage(s) annotat" in cap.err
    assert main(["process", "--stages", ",", "--db", db]) == 2
    assert "no stage given" in capsys.readouterr().err
    assert main(["process", "--stages", "clean", "--db", db, "--json"]) == 0
    assert strict_loads(capsys.readouterr().out)["process"]["cleaned"] == 0
