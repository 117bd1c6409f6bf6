"""The compiled parser helper (``storyline.annotate._heldgil``) changes speed, never output.

It runs spaCy's own greedy parse loop with the GIL held (docs/benchmarks.md, "Annotation:
speed"). These tests parse invented news text with the shipped pipeline (parser and entity
recognizer wrapped) and with a plain ``spacy.load`` of the same model, and compare every
token's parse. CI builds the helper and sets STORYLINE_REQUIRE_COMPILED=1, so there a
missing helper fails; elsewhere (no C++ compiler) the tests skip and say why.
"""
from __future__ import annotations

import os

import pytest

from storyline.annotate import nlp as nlp_mod

TEXTS = [
    "Harbour master Ilse Varn said on Tuesday that six ferries had been held in Port Orrin. "
    "\"We will reopen the quay when the wind drops,\" she told the Harbour Gazette.\n\n"
    "According to the Coastal Authority, about 40 square km of farmland was flooded near Selby, "
    "and two of the injured were taken to hospital in Kesh.",
    "Minister Andreas Kolovos told reporters in Athens the aid would arrive \"within days\". "
    "Mr Kolovos, 54, added that 1,200 tents and $3.1bn in loans had been promised.",
    "",
    "Breaking: a second quake hit the coast.",
]


def _helper_or_skip():
    parse = nlp_mod.held_gil_parse()
    if parse is None:
        if os.environ.get("STORYLINE_REQUIRE_COMPILED") == "1":
            pytest.fail("storyline.annotate._heldgil was not built (setup.py needs Cython, g++ and spaCy's headers)")
        pytest.skip("the compiled parser helper is not built here (no C++ compiler or Cython); spaCy parses unchanged")
    return parse


def _tokens(docs):
    return [[(t.text, t.tag_, t.pos_, t.dep_, t.head.i, t.ent_iob_, t.ent_type_, t.lemma_, t.is_sent_start)
             for t in d] for d in docs]


def test_shipped_pipeline_wraps_parser_and_ner():
    _helper_or_skip()
    nlp = nlp_mod.get_nlp()
    wrapped = {name for name, proc in nlp.pipeline if isinstance(proc, nlp_mod.HeldGILParser)}
    assert wrapped == {"parser", "ner"}


def test_held_gil_parse_gives_spacys_own_parses():
    _helper_or_skip()
    import spacy
    from thinc.api import use_ops

    with use_ops("numpy", use_blis=False):
        plain = spacy.load(nlp_mod.MODEL)
    assert not any(isinstance(p, nlp_mod.HeldGILParser) for _, p in plain.pipeline)
    ours = nlp_mod.get_nlp()
    texts = TEXTS * 3  # several batches, sorted by length inside each, as Parser.pipe does
    got = _tokens(ours.pipe(texts, batch_size=4))
    want = _tokens(plain.pipe(texts, batch_size=4))
    assert got == want
    # one text at a time (nlp(text)) as well
    assert _tokens([ours(TEXTS[1])]) == _tokens([plain(TEXTS[1])])
    ents = [(e.text, e.label_) for e in ours(TEXTS[1]).ents]
    assert ("Andreas Kolovos", "PERSON") in ents and ("Athens", "GPE") in ents
