"""Write examples/archive/valleypost-crawl-2026-05-09.warc.gz: a small web crawl.

The archive holds one warcinfo record and, for each of two article pages of the
invented outlet The Valley Post (valleypost.example), a request record and an
HTML response record. Record ids and dates are fixed, so rerunning the script
gives the same bytes (gzip members written by warcio carry no timestamp).

Run:  .venv/bin/python examples/make_warc.py [OUTPUT]

tests/fixtures/make_fixtures.py imports ``write_warc`` to build its truncated
WARC fixture from the same pages.
"""
from __future__ import annotations

import sys
import uuid
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "archive" / "valleypost-crawl-2026-05-09.warc.gz"
CRAWL_DATE = "2026-05-09T06:00:00Z"

PAGE_TEMPLATE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{title} | The Valley Post</title>
<meta property="og:site_name" content="The Valley Post">
<meta property="og:title" content="{title}">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{published}">
<meta name="author" content="{author}">
<link rel="canonical" href="{url}">
</head>
<body>
<header><a href="/">The Valley Post</a>
<nav><a href="/news">News</a> <a href="/news/world">World</a> <a href="/business">Business</a> <a href="/sport">Sport</a> <a href="/whats-on">What's on</a></nav>
</header>
<main>
<article>
<h1>{title}</h1>
<p class="byline">By {author}</p>
<p class="dateline"><time datetime="{published}">{human_date}</time></p>
{body}
</article>
<aside><h2>Most popular</h2><ul><li><a href="/news/valley-bus-timetable">New bus timetable starts on Monday</a></li><li><a href="/sport/rugby-cup-final">Cup final tickets on sale</a></li></ul></aside>
</main>
<footer><p>Get the Valley Post in your inbox every morning. <a href="/newsletter">Sign up</a></p>
<p>&copy; 2026 The Valley Post. <a href="/privacy">Privacy</a> | <a href="/terms">Terms</a></p></footer>
</body>
</html>
"""

# (url, title, author, published, human date, paragraphs)
PAGES: list[tuple[str, str, str, str, str, list[str]]] = [
    (
        "https://valleypost.example/news/world/turkey-earthquake-dikili-toll",
        "Turkey earthquake: 15 dead as aftershocks keep families out of their homes",
        "Gareth Pritchard",
        "2026-05-09T07:40:00+01:00",
        "Saturday 9 May 2026, 7:40am",
        [
            "Fifteen people are now known to have died in the earthquake that struck Turkey's Aegean coast on Thursday night, and thousands of families spent a second night outdoors as aftershocks continued to shake the region.",
            "The magnitude 6.1 quake was centred under the sea about 10km off Dikili, a small resort north of Izmir that is popular with Turkish and European holidaymakers. More than 200 people were injured, and 34 buildings collapsed in Dikili and Bergama, according to the provincial governor's office.",
            "Rescuers pulled a woman alive from the rubble of an apartment block on Friday afternoon, but hopes of finding more survivors were fading by Saturday morning. Officials said they believed two people were still missing.",
            "Izmir governor Selim Karaca said on Friday evening that more than 3,000 tents had been put up in parks and on the seafront. \"Nobody will be left without shelter. Engineers will inspect every building before anyone is allowed to go back inside,\" he said.",
            "Greece sent two search-and-rescue teams with sniffer dogs across the narrow strait from Lesbos, a gesture welcomed in Turkish newspapers. Greek foreign minister Konstantinos Dimitriadis had promised the help within hours of the quake.",
            "A family from Aberdare who were on holiday in the area told the Valley Post they were safe and hoped to fly home on Monday. \"We were lucky. Our hotel was new and it barely cracked, but the old houses behind it came down,\" said Sian Morgan, 44.",
            "Turkey's disaster management agency said it had recorded more than 150 aftershocks by Saturday morning, the strongest of them magnitude 4.7.",
        ],
    ),
    (
        "https://valleypost.example/business/amber-sea-nordhavn-ferries-explained",
        "Baltic ferry deal: what Nordhavn's takeover of Amber Sea means for passengers",
        "Bethan Lloyd",
        "2026-05-07T12:00:00+01:00",
        "Thursday 7 May 2026, 12:00pm",
        [
            "Shareholders in Amber Sea Ferries voted on Wednesday to accept a $3.1bn takeover by Denmark's Nordhavn Lines, bringing two of the biggest names in Baltic shipping under one roof.",
            "The vote was overwhelming: 98.4% of the votes cast at the meeting in Gdansk were in favour. But the deal is not done yet. The European Commission must decide whether the combined company would have too much power on routes between Poland, Sweden and Denmark.",
            "For passengers, little will change this summer. Nordhavn has said timetables and bookings already made with Amber Sea will be honoured, and that the Amber Sea name will stay on the ships.",
            "Consumer groups are less relaxed. A Polish passengers' association said fares on some crossings could rise once the two companies stopped competing, and urged the Commission to demand that some routes be sold to rivals.",
            "Nordhavn's chief executive, Mette Kjaergaard, has argued the opposite: that a bigger company will be able to afford the cleaner ships that new European rules on shipping emissions require, and that this will protect services in the long run.",
            "The deal matters in Wales too. Nordhavn has been among the bidders for a freight route from Fishguard, according to people familiar with the talks, and said last year that it wanted to grow in the Irish Sea.",
        ],
    ),
]


def render(url: str, title: str, author: str, published: str, human_date: str, paragraphs: list[str]) -> bytes:
    """The HTML of one page, UTF-8."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return PAGE_TEMPLATE.format(
        url=url, title=title, author=author, published=published, human_date=human_date, body=body
    ).encode("utf-8")


def _record_id(name: str) -> str:
    """A stable WARC-Record-ID derived from a name."""
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'storyline-examples/' + name)}>"


def write_warc(out, pages=PAGES) -> None:
    """Write the warcinfo, request and response records of ``pages`` to the binary stream ``out``."""
    writer = WARCWriter(out, gzip=True)
    info = b"software: storyline examples/make_warc.py\r\nformat: WARC File Format 1.1\r\noperator: storyline examples\r\n"
    writer.write_record(writer.create_warc_record(
        "", "warcinfo", payload=BytesIO(info), length=len(info),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Record-ID": _record_id("warcinfo"), "WARC-Date": CRAWL_DATE,
                           "WARC-Filename": DEFAULT_OUT.name},
    ))
    for url, title, author, published, human_date, paragraphs in pages:
        html = render(url, title, author, published, human_date, paragraphs)
        path = url.split("valleypost.example", 1)[1]
        req_headers = StatusAndHeaders(f"GET {path} HTTP/1.1", [("Host", "valleypost.example"), ("User-Agent", "storyline-example-crawler/1.0"), ("Accept", "text/html")], is_http_request=True)
        http_headers = StatusAndHeaders("200 OK", [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(html))),
            ("Last-Modified", "Sat, 09 May 2026 05:30:00 GMT"),
        ], protocol="HTTP/1.1")
        response = writer.create_warc_record(
            url, "response", payload=BytesIO(html), length=len(html), http_headers=http_headers,
            warc_headers_dict={"WARC-Record-ID": _record_id("response " + url), "WARC-Date": CRAWL_DATE},
        )
        req = writer.create_warc_record(
            url, "request", payload=BytesIO(b""), length=0, http_headers=req_headers,
            warc_headers_dict={"WARC-Record-ID": _record_id("request " + url), "WARC-Date": CRAWL_DATE,
                               "WARC-Concurrent-To": _record_id("response " + url)},
        )
        writer.write_record(req)
        writer.write_record(response)


def main(argv: list[str]) -> int:
    out_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as out:
        write_warc(out)
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
