"""Plain typed records passed between pipeline stages.

Every stage takes and returns these records (or lists of them) and nothing
else: no stage holds a database handle or knows its place in the pipeline.
That is what lets the same stage run in one process, in a process pool, or
on a distributed engine. All records are slotted dataclasses made of plain
Python values (str, int, float, bool, None, list, dict), so they pickle and
serialise to JSON with ``dataclasses.asdict``.

Pipeline::

    ingest  -> Article | Reject
    clean   -> Cleaned (paragraphs, removed pieces, live-blog entries)
    annotate-> list[Annotation] over the clean text
    stories -> story assignment (see storyline.stories)
    compare -> Comparison dict (see storyline.compare)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Article:
    """One news article (or one live-blog entry) as ingested.

    ``text`` is the body as it arrived (for HTML: the main text extracted by
    trafilatura). ``published`` is an ISO date ``YYYY-MM-DD`` (or a full ISO
    datetime) or None when unknown. ``outlet`` is never empty: when no outlet
    is known the ingest stage names the outlet after the file, and sets
    ``outlet_known`` to False.
    """

    title: str
    text: str
    outlet: str
    published: str | None = None
    url: str | None = None
    external_id: str | None = None
    format: str = "text"  # text | jsonl | html | rss | atom | warc
    html: str | None = None
    outlet_known: bool = True
    source_path: str | None = None
    source_line: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    id: int | None = None  # store id, set once stored
    parent_id: int | None = None  # live-blog entry: the page it came from
    position: int | None = None  # live-blog entry: 0 = lead, 1.. = entries


@dataclass(slots=True)
class Reject:
    """Input that could not become an article, with the reason shown to the user."""

    path: str
    reason: str
    line: int | None = None

    def message(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class Removed:
    """A piece of text the cleaning stage cut, and why (nothing is lost)."""

    text: str
    reason: str  # e.g. "caption", "byline", "timestamp", "read-more", "prompt"
    line: int  # index of the line in the input body (0-based)
    rule: str = ""  # name of the rule in the rules file that matched


@dataclass(slots=True)
class Entry:
    """One live-blog entry: its own headline, paragraphs, position and time."""

    title: str
    paragraphs: list[str]
    position: int  # 0 = lead text before the first headed entry
    time: str | None = None  # time stamp of the entry if the page gave one

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(slots=True)
class Cleaned:
    """Output of the cleaning stage for one article."""

    paragraphs: list[str]
    removed: list[Removed] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # byline, updated, credits
    is_liveblog: bool = False
    entries: list[Entry] = field(default_factory=list)  # empty unless live blog

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(slots=True)
class Annotation:
    """One annotation with its exact character span in the clean text.

    ``kind`` and the keys of ``value``:

    - ``entity``: label PERSON/ORG/NORP/...; value ``{"key", "name", "forms"}``
      where ``key`` is the resolved entity id shared by all mentions of the
      same entity (within an article; across a story after story resolution).
    - ``place``: value ``{"name", "kind" (country|region|city), "country",
      "lat", "lon", "confidence", "geonameid"}``.
    - ``date``: value ``{"value" (ISO, e.g. 2025-04-08, 2025-04, 2024),
      "granularity" (day|month|year|...), "guess": bool}``.
    - ``figure``: value ``{"value": float, "unit", "counted", "qualifier"}``.
    - ``quote``: value ``{"speaker", "speaker_key", "speaker_span": [s, e] | None,
      "cue", "cue_span": [s, e] | None, "direct": bool}``; the span is the
      content of what was said.
    - ``error``: a step of the stage failed on this text; value ``{"step", "error"}``
      (the other steps' annotations are kept).

    Further optional keys (``mention``, ``article_key``, ``approximate``,
    ``antecedent``, ``speaker_antecedent_span``) are listed in the
    ``storyline.annotate`` module docstring.
    """

    kind: str
    start: int
    end: int
    text: str
    label: str = ""
    value: dict[str, Any] = field(default_factory=dict)
