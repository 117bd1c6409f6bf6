"""Date normalisation against the publication date (invented text)."""
from __future__ import annotations

import pytest

from storyline.annotate.dates import extract_dates, normalize_date

PUB = "2031-06-11"  # a Wednesday


def value(text: str, published: str | None = PUB, **kw) -> str | None:
    out = normalize_date(text, published, **kw)
    return out["value"] if out else None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("on Tuesday", "2031-06-10"),  # the latest Tuesday before publication
        ("Wednesday", "2031-06-11"),  # the publication day itself counts
        ("Thursday", "2031-06-05"),  # a bare weekday never points ahead without a cue
        ("last Wednesday", "2031-06-04"),
        ("next Monday", "2031-06-16"),
        ("Tuesday's", "2031-06-10"),
        ("yesterday", "2031-06-10"),
        ("tomorrow morning", "2031-06-12"),
        ("today", "2031-06-11"),
        ("last year", "2030"),
        ("since August last year", "2030-08"),
        ("early March", "2031-03"),
        ("late last year", "2030"),
        ("mid-April", "2031-04"),
        ("April 12", "2031-04-12"),
        ("Sept. 3, 2029", "2029-09-03"),
        ("3 September 2029", "2029-09-03"),
        ("May 2029", "2029-05"),
        ("in 2027", "2027"),
        ("this week", "2031-W24"),
        ("last month", "2031-05"),
        ("three years ago", "2028"),
        ("the third quarter", "2030-Q3"),  # Q3 has not begun in June: last year's
        ("the first quarter", "2031-Q1"),
        ("the first half of 2030", "2030-H1"),
        ("the 1990s", "199"),
        ("the mid-1980s", "198"),
        ("nineteen ninety-six", "1996"),
        ("now", "PRESENT_REF"),
        ("recently", "PAST_REF"),
        ("in the future", "FUTURE_REF"),
        ("in weeks", "PXW"),
        ("for decades", "PXDE"),
        ("at least five years", "P5Y"),
        ("2029-11-02", "2029-11-02"),
    ],
)
def test_news_rules(text, expected):
    assert value(text) == expected


def test_granularity_and_guess_flags():
    tuesday = normalize_date("on Tuesday", PUB)
    assert tuesday == {"value": "2031-06-10", "granularity": "day", "guess": True}
    assert normalize_date("last year", PUB) == {"value": "2030", "granularity": "year", "guess": False}
    assert normalize_date("early March", PUB)["granularity"] == "month"
    assert normalize_date("Sept. 3, 2029", PUB)["guess"] is False


def test_future_cue_turns_weekday_and_month_forward():
    assert value("Friday", future=True) == "2031-06-13"
    assert value("Friday") == "2031-06-06"
    # a month far ahead of publication without a cue is last year's
    assert value("November") == "2030-11"
    assert value("November", future=True) == "2031-11"


def test_without_publication_date_only_absolute_dates_are_read():
    assert value("Tuesday", None) is None
    assert normalize_date("Sept. 3, 2029", None) == {"value": "2029-09-03", "granularity": "day", "guess": False}
    assert normalize_date("in 2027", None)["guess"] is False


def test_not_a_date():
    assert normalize_date("", PUB) is None
    assert normalize_date("the harbour authority", PUB) is None


@pytest.fixture(scope="module")
def nlp():
    from storyline.annotate.nlp import get_nlp

    return get_nlp()


def test_extract_dates_spans_and_values(nlp):
    text = ("The Port Avel council voted on Tuesday to close the ferry pier, which opened in March 2019. "
            "The mayor, Ilse Varda, said repairs would begin in weeks and that the pier will reopen on Friday.")
    doc = nlp(text)
    found = {a.text: a.value["value"] for a in extract_dates(doc, PUB)}
    assert found.get("Tuesday") == "2031-06-10"
    assert found.get("March 2019") == "2019-03"
    assert found.get("in weeks") == "PXW"
    assert found.get("Friday") == "2031-06-13"  # "will reopen": forward
    for a in extract_dates(doc, PUB):
        assert a.kind == "date"
        assert text[a.start:a.end] == a.text


def test_month_far_behind_is_next_year_and_year_ago_in_quarter_story():
    assert value("January", "2031-11-20") == "2032-01"  # ten months back, two ahead
    assert value("March", "2031-11-20") == "2031-03"  # eight months back stays this year
    ctx = "The mill's earnings fell sharply in the quarter. Sales were lower than a year ago."
    assert value("a year ago", "2031-11-20", context=ctx) == "2030-Q3"  # the last quarter completed
    assert value("a year ago", "2031-11-20", context="Sales were lower than a year ago.") == "2030"
