"""The annotate stage as a whole: order, spans, speakers, worker processes, failures (invented text)."""
from __future__ import annotations

import pytest

import storyline.annotate as annotate
from storyline.annotate import annotate_article, annotate_texts

ARTICLE = (
    "Coastguard commander Lena Marsh said on Monday that about 40 fishermen had been rescued off Gdansk. "
    "\"The sea was rough, but every crew is safe,\" Ms Marsh told reporters in Gdansk.\n\n"
    "Poland's maritime office said two of the boats had sunk. The rescue cost the port $1.2m, officials said."
)


@pytest.fixture(scope="module")
def annotated():
    return annotate_article(ARTICLE, "2026-03-02")


def test_all_kinds_and_exact_spans(annotated):
    kinds = {a.kind for a in annotated}
    assert {"entity", "place", "figure"} <= kinds
    for a in annotated:
        assert ARTICLE[a.start : a.end] == a.text
    assert [a.start for a in annotated] == sorted(a.start for a in annotated)


def test_entity_values(annotated):
    marsh = [a for a in annotated if a.kind == "entity" and "Marsh" in a.text]
    assert len({a.value["key"] for a in marsh}) == 1
    assert marsh[0].value["name"] == "Lena Marsh"
    gdansk = [a for a in annotated if a.kind == "place" and a.text == "Gdansk"]
    assert gdansk and gdansk[0].value["country"] == "PL"


def test_figures_in_the_stage(annotated):
    figs = {a.value["value"]: a.value for a in annotated if a.kind == "figure"}
    assert figs[40]["qualifier"] == "about" and figs[40]["counted"] == "fishermen"
    assert figs[1.2e6]["unit"] == "USD"


def test_quote_speaker_is_resolved(annotated):
    if annotate.extract_quotes is None:
        pytest.skip("quotes module not present yet")
    quotes = [a for a in annotated if a.kind == "quote" and a.value.get("direct")]
    assert quotes
    assert quotes[0].value["speaker_key"] == "person:lena marsh"
    assert quotes[0].value["speaker"] == "Lena Marsh"


def test_order_and_empty_texts():
    items = [("Rain fell on Oslo.", None), ("", None), ("Nine ferries sailed from Bergen to Kiel.", "2026-01-01")]
    out = list(annotate_texts(items, batch_size=2))
    assert len(out) == 3
    assert out[1] == []
    assert any(a.text == "Oslo" for a in out[0])
    assert any(a.kind == "figure" and a.value["value"] == 9 for a in out[2])


def test_worker_processes_give_the_same_result(monkeypatch):
    monkeypatch.setattr(annotate, "MIN_TEXTS_PER_PROCESS", 2)
    items = [(f"Mayor Anna Berg said {n} buses left Malmo on time.", None) for n in range(2, 8)]
    one = list(annotate_texts(items, n_process=1, batch_size=2))
    two = list(annotate_texts(items, n_process=2, batch_size=2))
    assert one == two
    assert [next(a.value["value"] for a in anns if a.kind == "figure") for anns in two] == [2, 3, 4, 5, 6, 7]


def test_a_failing_step_is_recorded_and_the_rest_kept(monkeypatch):
    def broken(doc):
        raise ValueError("boom")

    monkeypatch.setattr(annotate, "extract_figures", broken)
    out = annotate_article("Officials in Riga counted 12 trams.", None)
    errors = [a for a in out if a.kind == "error"]
    assert errors and errors[0].value["step"] == "figures" and "boom" in errors[0].value["error"]
    assert any(a.kind == "entity" for a in out)


def test_odd_input_never_fails():
    odd = ["   \n\n  ", '""""', "Mr", "Mr Mr Mr said said", "the president the president of", "up to", "two of",
           "Kursk region region oblast", "$$$ 3.1bn bn bn", "1,000,000,000,000,000 people", "Zelensky " * 300]
    for text, anns in zip(odd, annotate_texts([(t, None) for t in odd])):
        assert not [a for a in anns if a.kind == "error"], (text, anns)
        for a in anns:
            assert text[a.start : a.end] == a.text


def test_outlet_is_a_hint_for_places():
    text = "Floods hit Valencia on Tuesday, closing schools and roads."
    (plain, spanish) = annotate_texts([(text, None), (text, None, "noticias.example.es")])
    country = lambda anns: next(a.value["country"] for a in anns if a.kind == "place" and a.text == "Valencia")  # noqa: E731
    assert country(spanish) == "ES"
    assert country(plain) == "VE"  # without the hint the bigger namesake (Valencia, Venezuela) wins
    conf = lambda anns: next(a.value["confidence"] for a in anns if a.kind == "place")  # noqa: E731
    assert 0 < conf(spanish) <= 1
