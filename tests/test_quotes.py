"""Quote and attribution extraction on invented articles."""
from __future__ import annotations

import pytest

from storyline.annotate.quotes import extract_quotes, quote_spans, reporting_verbs


@pytest.fixture(scope="module")
def nlp():
    from storyline.annotate.nlp import get_nlp

    return get_nlp()


def quotes_of(nlp, text):
    return extract_quotes(nlp(text))


def find(quotes, fragment):
    hits = [q for q in quotes if fragment in q.text]
    assert hits, f"no quote contains {fragment!r}: {[q.text for q in quotes]}"
    return hits[0]


def test_lexicon_is_data():
    verbs = reporting_verbs()
    assert verbs["say"] == "speech"
    assert verbs["report"] == "statement"
    assert verbs["believe"] == "belief"


def test_quote_marks_straight_curly_mixed_and_run_on():
    text = ('Mayor Ilse Varda said: \u201cThe pier is unsafe. We close it today.\n'
            '\u201cRepairs start in June." Nothing more.\n'
            'She added "short one" later.')
    spans = quote_spans(text)
    inner = [text[s.start:s.end] for s in spans]
    assert inner[0] == "The pier is unsafe. We close it today."
    assert spans[0].runs_on and not spans[0].continues
    assert inner[1] == "Repairs start in June."  # curly open, straight close
    assert spans[1].continues
    assert inner[2] == "short one"


def test_unbalanced_quote_does_not_crash(nlp):
    doc = nlp('The harbour master said "we will see. Then he left.')
    out = extract_quotes(doc)
    for q in out:
        assert doc.text[q.start:q.end] == q.text


def test_indirect_speech_with_pronoun_resolved(nlp):
    text = ("Harbour master Tomas Greel inspected the Port Avel pier on Monday. "
            "He said he expects the council to close it within days.")
    q = find(quotes_of(nlp, text), "he expects the council")
    assert q.label == "indirect"
    assert q.value["speaker"] == "Tomas Greel"
    s, e = q.value["speaker_span"]
    assert text[s:e] == "He"
    a, b = q.value["speaker_antecedent_span"]
    assert text[a:b] == "Tomas Greel"
    assert q.value["cue"] == "say"
    assert q.value["direct"] is False


def test_parenthetical_reporting_clause(nlp):
    text = "The ferry service will stop next week, the Avel Transport Authority said on Tuesday."
    q = find(quotes_of(nlp, text), "ferry service will stop")
    assert "Transport Authority" in q.value["speaker"]
    assert "said" not in q.text


def test_according_to(nlp):
    text = "According to the Avel Coast Guard, three boats were damaged in the storm."
    q = find(quotes_of(nlp, text), "three boats were damaged")
    assert q.label == "according-to"
    assert q.value["speaker"] == "the Avel Coast Guard"
    assert q.value["cue"] == "according to"


def test_statement_label(nlp):
    text = ('"The pier will stay closed until further notice," the Avel Harbour Board said in a statement.')
    q = find(quotes_of(nlp, text), "pier will stay closed")
    assert q.label == "statement"
    assert q.value["direct"] is True
    assert "Harbour Board" in q.value["speaker"]


def test_direct_quote_over_paragraphs_shares_speaker(nlp):
    text = ("Councillor Mira Osk spoke after the vote.\n\n"
            'Ms Osk said: "We have waited three years for this decision. The town deserves a safe pier.\n\n'
            '"Work will start as soon as the money arrives. I will hold the contractor to it."\n\n'
            "The council meets again in July.")
    out = quotes_of(nlp, text)
    first = find(out, "waited three years")
    second = find(out, "Work will start")
    assert first.value["direct"] and second.value["direct"]
    assert first.value["speaker"] == second.value["speaker"] == "Mira Osk"
    assert not any("council meets again" in q.text for q in out)


def test_title_resolves_to_person(nlp):
    text = ("Avel's harbour minister, Oskar Lind, visited the site. "
            "The minister told reporters the pier would reopen in the autumn.")
    q = find(quotes_of(nlp, text), "pier would reopen")
    assert q.value["speaker"] == "Oskar Lind"


def test_cited_as_saying(nlp):
    text = ("The Avel ferry line will be sold to a private firm, the Coastal Gazette reported, "
            "citing two officials.")
    q = find(quotes_of(nlp, text), "ferry line will be sold")
    assert q.value["speaker"] == "the Coastal Gazette"
    assert q.label == "statement"


def test_offsets_are_exact(nlp):
    text = ('Greel said the repairs would cost more than planned. "It is a disgrace," '
            "said Mira Osk, who chairs the harbour committee.")
    doc = nlp(text)
    out = extract_quotes(doc)
    assert out
    for q in out:
        assert q.kind == "quote"
        assert text[q.start:q.end] == q.text
        if q.value["speaker_span"]:
            s, e = q.value["speaker_span"]
            assert 0 <= s < e <= len(text)
    assert find(out, "It is a disgrace").value["speaker"] == "Mira Osk"


def test_later_quote_in_paragraph_keeps_speaker_after_long_tag(nlp):
    text = ('"The reservoir will not last the summer," said Ann Lorrey, a senior hydrologist at the '
            'Invented Institute for Water Studies in Port Avel, speaking after the board meeting. '
            '"Every household will have to cut its use by a fifth before July."')
    q = find(quotes_of(nlp, text), "Every household")
    assert q.value["speaker"] == "Ann Lorrey"


def test_headline_names_its_speaker_before_a_colon(nlp):
    text = ("Varda: Port Avel pier 'will stay shut until the repairs are paid for'.\n\n"
            "The Latest: council meets again on Friday about the pier.\n\n"
            "Mayor Ilse Varda spoke to reporters on Monday.")
    out = quotes_of(nlp, text)
    q = find(out, "pier 'will stay shut")
    assert q.value["speaker"] == "Ilse Varda" and q.value["cue"] == ":"  # the surname resolved
    assert not any("council meets again" in x.text for x in out)  # a rubric, and not the first line


def test_cue_noun_with_owner(nlp):
    text = ("Councillor Pia Renholm repeated her support for the harbour tax on Monday. "
            "The mayor's decision to close the pier angered fishermen.")
    out = quotes_of(nlp, text)
    q = find(out, "the harbour tax")
    assert q.value["cue"] == "support" and q.value["speaker"] == "Pia Renholm"
    assert find(out, "close the pier").value["cue"] == "decision"


def test_speaker_named_in_apposition_or_after_the_verb(nlp):
    text = ('One fisherman at the meeting, Joren Halvik of the Port Avel cooperative, said the quotas were unfair.\n\n'
            '"Nobody on this board has ever hauled a net," said retired skipper Maud Tennel, asked about the vote.')
    out = quotes_of(nlp, text)
    assert find(out, "the quotas were unfair").value["speaker"] == "Joren Halvik"
    assert find(out, "Nobody on this board").value["speaker"].endswith("Maud Tennel")


def test_speech_tag_with_a_verb_outside_the_lexicon(nlp):
    text = ('Turnout at the Port Avel by-election was the lowest in decades.\n\n'
            '"People are afraid of wasting their votes," Halvik grumbled. "Nobody here believes the count."')
    out = quotes_of(nlp, text)
    assert find(out, "afraid of wasting").value["speaker"] == "Halvik"
    assert find(out, "Nobody here").value["speaker"] == "Halvik"


def test_attribution_nested_in_a_quote_is_the_quoted_speakers(nlp):
    text = ('"I think the sea wall will hold for another decade, and I know the council agrees," '
            'said engineer Mara Tolven.\n\n'
            'Tolven said the council wants to repair the harbour before winter.')
    out = quotes_of(nlp, text)
    q = find(out, "I think the sea wall")
    assert q.value["speaker"] == "Mara Tolven" and q.value["cue"] == "say" and q.value["direct"]
    # "I think ..." and "I know ..." inside her quote are not attributions of their own
    assert not any(x.value["cue"] in ("think", "know") for x in out)
    assert not any(x.text.startswith("the sea wall") for x in out)
    # outside quote marks, a nested reporting verb still counts ("said the council wants ...")
    assert find(out, "the council wants to repair").value["speaker"] == "Mara Tolven"
