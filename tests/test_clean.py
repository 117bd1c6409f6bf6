"""Unit tests of the cleaning stage on invented text: each rule, negatives, splitting."""
from __future__ import annotations

import re

import pytest

from storyline.clean import RULES_PATH, clean_article, clean_text, load_rules
from storyline.clean.rules import parse_rules
from storyline.records import Article


def removed_reasons(cleaned) -> dict[str, str]:
    return {r.text: r.reason for r in cleaned.removed}


STORY = [
    "The Dunmere ferry will run a night service from May, the operator said on Monday.",
    "About 900 people a night are expected to use it in the first year.",
]


def body(*lines: str) -> str:
    return "\n\n".join(lines)


@pytest.mark.parametrize("line, reason", [
    ("Crews at the quay on Monday. Picture: Harbour Gazette", "caption"),
    ("The minister at the dispatch box (PA Wire)", "caption"),
    ("Marchers in the square (AFP via Getty Images)", "caption"),
    ("Governor Reyes at the signing on Monday. (AW Photo/Jon Petty)", "caption"),
    ("Pictured: the damaged roof of the school hall", "caption"),
    ("Image caption, Firefighters at the mill", "caption"),
    ("Picture: Getty Images", "credit"),
    ("(Photo: Irena Kos/Meridian Press)", "credit"),
    ("Image source, Halvergate Fire Service", "credit"),
    ("By Mirela Costin", "byline"),
    ("By Andrei Lutz and Hannah Wexler, Political Correspondents", "byline"),
    ("BY JESS MALLORY FOR THE DAILY BEACON", "byline"),
    ("Reporting by Tomas Brandt; Editing by Clara Voss", "byline"),
    ("4 March 2025, 07:12 | Updated: 4 March 2025, 09:48", "timestamp"),
    ("Published 3 hours ago", "timestamp"),
    ("Sat 15 Feb 2025 08.00 GMT", "timestamp"),
    ("Read more: Greyline fares to rise for third time in two years", "read-more"),
    ("READ MORE: Council to build 400 homes on former bus depot", "read-more"),
    ("Join our commenting forum", "prompt"),
    ("Have your say in the comments below", "prompt"),
    ("Sign up to our free morning briefing newsletter", "newsletter"),
    ("Want the key points in your inbox? Sign up to our free Budget Briefing email", "newsletter"),
    ("Share this article", "share"),
    ("Facebook Twitter WhatsApp Email", "share"),
    ("Advertisement", "furniture"),
    ("This article was amended on 16 February 2025 to correct a name.", "furniture"),
    ("Follow the day's news from Port Allard as it happens, with updates from our reporters.", "furniture"),
    ("Welcome to our live coverage of the Dunmere by-election count.", "furniture"),
    ("Our live coverage is updated throughout the day. Times are UK time.", "furniture"),
    ("All times are GMT.", "furniture"),
])
def test_each_rule_removes_its_line_and_keeps_the_story(line, reason):
    cleaned = clean_text(body(STORY[0], line, STORY[1]), "Night ferry for Dunmere")
    assert removed_reasons(cleaned) == {line: reason}
    assert cleaned.paragraphs == STORY
    assert cleaned.removed[0].line == 2
    assert cleaned.removed[0].rule


@pytest.mark.parametrize("line", [
    '"Nobody called me back."',
    "“I made mistakes.”",
    "Then the heating.",
    "By Tuesday evening the water had fallen below the doorsteps of most houses.",
    "By contrast, the villages upstream stayed dry.",
    "By order of the magistrates' court, Victor Pell must also pay £22,000.",
    "Picture this: a bridge that carries 9,000 cars a day, held up by one failing pier.",
    "The picture, taken from CCTV, shows a man in a grey hooded top.",
    "Credit card records from the gallery cafe are also being examined, police said.",
    "Photo: a single gull on a bollard, 1989, is the picture most visitors ask about, the gallery says.",
    "Updated figures released on Thursday show unemployment fell to 4.6%.",
    "At 13:36 the fourth service of the day arrived, full.",
    "Read together with the rise in vacancies, the figures suggest the labour market is tight.",
    "Related to the staffing problem is housing: newly qualified midwives cannot afford to rent.",
    "Share prices of the town's water company were unaffected.",
    "Final score: Dunmere Rovers 2 Port Allard Athletic 1.",
    "Here are his comments in full:",
    "As it happens, the harbour master was away on the night of the storm.",
    "Follow-up inspections found cracks in two more piers, the council said.",
    "Welcome to Dunmere signs were taken down when the bypass opened in 1998.",
    "Times are hard for the town's fishing fleet, the union says.",
])
def test_real_text_is_kept(line):
    cleaned = clean_text(body(STORY[0], line, STORY[1]), "Night ferry for Dunmere")
    assert cleaned.removed == []
    assert cleaned.paragraphs == [STORY[0], line, STORY[1]]


def test_bare_caption_repeated_with_its_credit_goes_with_it():
    caption = "Pickets gathered at the slipway from 5am"
    text = "\n".join([STORY[0], "", caption, caption + ". Picture: Harbour Gazette", "", STORY[1]])
    cleaned = clean_text(text, "Strike")
    assert [(r.reason, r.rule, r.line) for r in cleaned.removed] == [
        ("caption", "caption-echo", 2), ("caption", "caption-with-credit", 3)]
    assert cleaned.meta["credits"] == ["Harbour Gazette"]
    assert cleaned.paragraphs == STORY


def test_caption_right_above_a_credit_line():
    text = body(STORY[0], "Smoke rises over the hills above Lesna", "(Photo: Irena Kos/Meridian Press)", STORY[1])
    cleaned = clean_text(text, "Fire")
    assert [r.rule for r in cleaned.removed] == ["caption-before-credit", "credit-line"]
    assert cleaned.paragraphs == STORY


def test_metadata_byline_update_time_and_credits():
    text = body("By Mirela Costin", "8 April 2025, 13:36 | Updated: 8 April 2025, 14:27", STORY[0],
                "A queue at the terminal. Picture: Jo Bloggs/Harbour Gazette", STORY[1])
    cleaned = clean_text(text, "Ferry")
    assert cleaned.meta == {"byline": "Mirela Costin", "updated": "8 April 2025, 14:27",
                            "credits": ["Jo Bloggs/Harbour Gazette"]}


def test_read_more_here_takes_its_link_line_but_not_a_sentence():
    link = "Valmora asks allies for more air defence systems"
    cleaned = clean_text("\n".join([STORY[0], "Read more here:", link, STORY[1]]), "Border")
    assert [(r.text, r.reason) for r in cleaned.removed] == [("Read more here:", "read-more"), (link, "read-more")]
    cleaned = clean_text("\n".join([STORY[0], "Read more here:", STORY[1]]), "Border")
    assert [r.text for r in cleaned.removed] == ["Read more here:"]
    assert cleaned.paragraphs == STORY


def test_tail_furniture_only_at_the_end():
    text = body(STORY[0], "Most read", STORY[1], "Topics", "Libraries", "Arts and culture", "Most read")
    cleaned = clean_text(text, "Library")
    assert cleaned.paragraphs == [STORY[0], "Most read", STORY[1]]
    assert [r.reason for r in cleaned.removed] == ["furniture"] * 4


def test_repeated_line_and_title_repeat():
    quote = '"This is a fair settlement and it is time to get back to teaching."'
    text = body("Teachers accept pay offer", STORY[0], quote, STORY[1], quote)
    cleaned = clean_text(text, "Teachers accept pay offer")
    assert [(r.reason, r.rule) for r in cleaned.removed] == [
        ("duplicate-line", "title-repeat"), ("duplicate-line", "duplicate-line")]
    assert cleaned.paragraphs == [STORY[0], quote, STORY[1]]
    # a brief whose only line is its headline (a headline-only feed entry) keeps it
    brief = clean_text("Teachers accept pay offer", "Teachers accept pay offer")
    assert brief.paragraphs == ["Teachers accept pay offer"] and brief.removed == []


def test_hard_wrapped_paragraphs_are_joined_and_judged_whole():
    text = ("Halvergate council has been fined GBP 90,000 by the data regulator\n"
            "after a laptop holding the social care records of 1,300 people was\n"
            "left on a train.\n\n"
            "The council's offices on Station Road. Picture: Martin Ruhl\n\n"
            "The unencrypted laptop, belonging to a social worker, has never been\n"
            "found. It held names, addresses and care notes, some going back to\n"
            "2011.\n")
    cleaned = clean_text(text, "Council fined")
    assert len(cleaned.paragraphs) == 2
    assert cleaned.paragraphs[0].endswith("social care records of 1,300 people was left on a train.")
    assert [(r.reason, r.line) for r in cleaned.removed] == [("caption", 4)]


LIVE = """Thousands of people are marching through Port Allard against the harbour tunnel.
Organisers say 15,000 have joined; police have not given a figure.
13:36
In Pictures: The march reaches the town hall
The head of the march has reached the town hall square.
Marchers fill Harbour Street. Picture: Grace Obi
12:58
Mayor says she will meet organisers
Mayor Helen Draper says she will meet the organisers next week.
"I hear them," she said.
12:20
What happens to the tunnel now?
The council will debate the tunnel's costs on 20 March.
Join our commenting forum"""


def test_live_blog_splits_into_lead_and_entries():
    title = "Port Allard protest live: thousands march against harbour tunnel"
    cleaned = clean_text(LIVE, title)
    assert cleaned.is_liveblog
    got = [(e.position, e.title, e.time, e.paragraphs) for e in cleaned.entries]
    assert got == [
        (0, title, None, ["Thousands of people are marching through Port Allard against the harbour tunnel.",
                          "Organisers say 15,000 have joined; police have not given a figure."]),
        (1, "In Pictures: The march reaches the town hall", "13:36",
         ["The head of the march has reached the town hall square."]),
        (2, "Mayor says she will meet organisers", "12:58",
         ["Mayor Helen Draper says she will meet the organisers next week.", '"I hear them," she said.']),
        (3, "What happens to the tunnel now?", "12:20", ["The council will debate the tunnel's costs on 20 March."]),
    ]
    assert cleaned.paragraphs == [p for e in cleaned.entries for p in e.paragraphs]
    assert {r.text: r.reason for r in cleaned.removed} == {
        "13:36": "timestamp", "12:58": "timestamp", "12:20": "timestamp",
        "Marchers fill Harbour Street. Picture: Grace Obi": "caption", "Join our commenting forum": "prompt"}


def test_live_blog_standing_intro_is_not_a_lead_entry():
    # a blog's daily "follow along" lines are furniture: left in, they would become the lead
    # entry, and a story of its own under the page headline
    intro = ["Follow the day's news from the coast as it happens, with updates from our reporters.",
             "Our live coverage is updated throughout the day. Times are UK time."]
    lead = LIVE.split("\n")[:2]
    title = "Port Allard protest live: thousands march against harbour tunnel"
    cleaned = clean_text(LIVE.replace("\n".join(lead), "\n".join(intro), 1), title)
    assert cleaned.is_liveblog
    assert [(e.position, e.title) for e in cleaned.entries] == [
        (1, "In Pictures: The march reaches the town hall"), (2, "Mayor says she will meet organisers"),
        (3, "What happens to the tunnel now?")]
    assert {r.text: r.reason for r in cleaned.removed if r.text in intro} == {t: "furniture" for t in intro}
    # with a real lead under the intro, the lead entry keeps the lead and only the lead
    cleaned = clean_text(LIVE.replace(lead[0], "\n".join(intro + [lead[0]]), 1), title)
    assert cleaned.entries[0].position == 0 and cleaned.entries[0].paragraphs == [
        "Thousands of people are marching through Port Allard against the harbour tunnel.",
        "Organisers say 15,000 have joined; police have not given a figure."]


def test_live_blog_standfirst_without_full_stop_stays_in_the_lead():
    text = ("Valmora's air defences shot down six drones near Lesna overnight\n"
            "No one was hurt, but debris damaged two houses.\n"
            "Breaking: Lesna residents describe night of explosions\n"
            "Residents said they were woken shortly after 2am.\n"
            "Mapped: Where the drones were brought down\n"
            "Four came down in fields; two over the river.\n")
    cleaned = clean_text(text, "Border conflict latest: drones shot down near Lesna")
    assert [len(e.paragraphs) for e in cleaned.entries] == [2, 1, 1]
    assert cleaned.entries[0].paragraphs[0].startswith("Valmora's air defences")


SUBHEADS = """Health officials have confirmed 14 cases of measles linked to three primary schools.

What happened?

The first case was reported on 9 January, in a pupil at Alder Lane primary.

Why it matters to every parent in the city

Measles is one of the most infectious diseases known.

What happens next

Extra vaccination clinics will open at all three schools on Saturday."""


@pytest.mark.parametrize("title", [
    "Measles cases rise in Kessington schools",
    "Where to live: five towns where first-time buyers can still afford a home",
])
def test_article_with_subheadings_is_not_split(title):
    cleaned = clean_text(SUBHEADS, title)
    assert not cleaned.is_liveblog and cleaned.entries == []
    assert len(cleaned.paragraphs) == 7 and cleaned.removed == []


def test_html_live_blog_uses_entry_markup_for_times():
    html = """<html><body><h1>Flood updates from Dunmere</h1>
    <div class="liveblog-entry"><time datetime="2025-03-02T13:36">13:36</time>
      <h2>Bridge closed in Dunmere</h2><p>The old bridge was closed at noon after engineers found cracks.</p></div>
    <div class="liveblog-entry"><time>12:10</time>
      <h2>Mayor visits shelter</h2><p>The mayor spent an hour with families at the school hall.</p></div>
    </body></html>"""
    text = ("Flood updates from Dunmere\nBridge closed in Dunmere\n"
            "The old bridge was closed at noon after engineers found cracks.\n"
            "Mayor visits shelter\nThe mayor spent an hour with families at the school hall.")
    article = Article(title="Flood updates from Dunmere", text=text, outlet="Dunmere Post", format="html", html=html)
    cleaned = clean_article(article)
    assert cleaned.is_liveblog
    assert [(e.title, e.time) for e in cleaned.entries] == [
        ("Bridge closed in Dunmere", "13:36"), ("Mayor visits shelter", "12:10")]
    assert [r.rule for r in cleaned.removed] == ["title-repeat"]
    # the same text without the markup has no cue of a live blog: kept whole
    assert not clean_text(text, "Flood updates from Dunmere").is_liveblog


def test_html_extracted_when_ingest_left_no_text():
    html = ("<html><body><article><h1>Mill fire</h1><p>By Rhys Pennock</p>"
            "<p>A fire has destroyed a 200-year-old watermill in Halvergate, the fire service said on Monday.</p>"
            "<p>No one was hurt, and the cause of the fire is being investigated by the county.</p>"
            "</article></body></html>")
    cleaned = clean_article(Article(title="Mill fire", text="", outlet="Halvergate News", format="html", html=html))
    assert any(p.startswith("A fire has destroyed") for p in cleaned.paragraphs)
    assert "By Rhys Pennock" not in cleaned.paragraphs


def test_feed_html_fragment_is_read_as_paragraphs():
    text = "<p>By Amara Quinn</p><p>Kessington's library has reopened after a refit.</p><p>Share this article</p>"
    cleaned = clean_article(Article(title="Library", text=text, outlet="Gazette", format="rss"))
    assert cleaned.paragraphs == ["Kessington's library has reopened after a refit."]
    assert cleaned.meta["byline"] == "Amara Quinn"


def test_author_from_ingest_is_the_byline_fallback():
    article = Article(title="Ferry", text=body(*STORY), outlet="Gazette", extra={"author": "Lucy Farrant"})
    assert clean_article(article).meta["byline"] == "Lucy Farrant"


def test_deterministic_and_pure():
    article = Article(title="Port Allard protest live: march", text=LIVE, outlet="Gazette")
    assert clean_article(article) == clean_article(article)
    assert article.text == LIVE


def test_every_rule_is_commented():
    raw = RULES_PATH.read_text(encoding="utf-8")
    blocks = raw.split("\n[[rule]]\n")[1:]
    assert len(blocks) == len(load_rules().rules) > 10
    for block in blocks:
        assert block.startswith("#"), f"rule without a comment: {block[:80]!r}"


def test_bad_rule_file_is_refused():
    good = {"liveblog": {"min_entries": 2, "min_score": 2, "title_weight": 2, "prefix_weight": 1,
                         "time_weight": 1, "length_weight": 1, "news_words": 6, "title_pattern": "live",
                         "prefix": "Breaking: .*", "headline_min_words": 2, "headline_max_words": 20,
                         "headline_max_chars": 160, "html_entry": "entry"}}
    assert parse_rules(good).rules == ()
    with pytest.raises(ValueError, match="unknown reason"):
        parse_rules({**good, "rule": [{"name": "x", "reason": "boring", "pattern": "x"}]})
    with pytest.raises(ValueError, match="unknown fragment"):
        parse_rules({**good, "rule": [{"name": "x", "reason": "share", "pattern": "<<nope>>"}]})


def test_labelled_format_is_read_as_documented():
    from storyline.bench.clean import parse_labelled

    raw = (" date 2025-01-01 Storm live: winds\nLead line.\n-byline| By Jo Bloggs\n@time| 13:36\n"
           "#entry| Trees down in Lesna\nA tree fell.\n-share| Share\n")
    item = parse_labelled("x.txt", raw)
    assert item.body.split("\n")[:5] == ["Lead line.", "By Jo Bloggs", "13:36", "Trees down in Lesna", "A tree fell."]
    assert item.removed == {1: "byline", 2: "timestamp", 5: "share"}
    assert [(e.title, e.time, e.lines) for e in item.entries] == [
        ("Storm live: winds", None, [0]), ("Trees down in Lesna", "13:36", [4])]


def test_bench_command_prints_json(capsys):
    import json

    from storyline.cli import main

    assert main(["bench", "clean", "--json", "--seconds", "0.05"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["articles"] >= 40 and report["articles_per_s"] > 0
    assert set(report["removal"]) >= {"precision", "recall", "f1"}
