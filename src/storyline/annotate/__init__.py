"""The annotate stage: who is named, where, when, which figures, who said what.

Each clean text is parsed once by spaCy (``nlp.get_nlp``); every step reads
the same ``Doc`` and returns ``Annotation`` records with exact character
spans in the clean text:

- ``entities.extract_entities``: named entities with resolved keys;
- ``places.extract_places``: place mentions resolved to coordinates;
- ``figures.extract_figures``: numbers with unit, thing counted and qualifier;
- ``dates.extract_dates`` and ``quotes.extract_quotes`` (written apart);
  each quote's speaker is then resolved to an entity (``speaker_key``).

Beyond the keys documented in ``records.Annotation``: an entity's value has
``mention`` ("name", or "description" for a role phrase such as "the
Ukrainian president" resolved to a named person); a figure's value has
``approximate`` and, when it counts a pronoun ("two of them"), ``antecedent``;
``entities.resolve_across`` adds ``article_key`` when it makes keys
story-wide. A step that fails on a text is recorded as an annotation of kind
``error`` (label and ``value["step"]`` name the step, ``value["error"]`` the
message) and the other steps' annotations are kept.

``annotate_texts`` runs the stage over many texts, in worker processes when
asked: each worker parses and annotates its own batches, so only the small
annotation lists cross between processes (never spaCy ``Doc`` objects).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import islice

from storyline.annotate.entities import extract_entities, resolve_across, resolve_speaker
from storyline.annotate.figures import extract_figures
from storyline.annotate.nlp import MAX_CHARS, PIPE_BATCH, freeze_loaded, get_nlp
from storyline.annotate.places import extract_places, gazetteer
from storyline.records import Annotation

try:  # written by another engineer; the stage runs without them
    from storyline.annotate.quotes import extract_quotes
except ImportError:  # pragma: no cover - until the module lands
    extract_quotes = None
try:
    from storyline.annotate.dates import extract_dates
except ImportError:  # pragma: no cover
    extract_dates = None

__all__ = ["annotate_texts", "annotate_article", "annotate_doc", "resolve_across"]

log = logging.getLogger(__name__)

# Below this many texts a second process costs more (model load, fork) than it saves.
MIN_TEXTS_PER_PROCESS = 64


def _item(item) -> tuple[str, str | None, str | None]:
    """(text, published, outlet) from a 2- or 3-tuple."""
    text, published = item[0], item[1]
    outlet = item[2] if len(item) > 2 else None
    return text or "", published, outlet


def _step(out: list[Annotation], name: str, fn, *args) -> list[Annotation]:
    try:
        result = fn(*args)
    except Exception as exc:  # noqa: BLE001 - record the problem, keep the rest
        log.warning("annotate step %s failed: %s", name, exc)
        out.append(Annotation("error", 0, 0, "", name, {"step": name, "error": f"{type(exc).__name__}: {exc}"}))
        return []
    out.extend(result)
    return result


def annotate_doc(doc, published: str | None = None, outlet: str | None = None) -> list[Annotation]:
    """All annotations of one parsed text, sorted by position."""
    out: list[Annotation] = []
    entities = _step(out, "entities", extract_entities, doc)
    if entities:
        _step(out, "places", extract_places, doc, entities, outlet)
    _step(out, "figures", extract_figures, doc)
    if extract_dates is not None:
        _step(out, "dates", extract_dates, doc, published)
    if extract_quotes is not None:
        quotes = _step(out, "quotes", extract_quotes, doc)
        text = doc.text  # Doc.text joins every token on each call: once per document
        _step(out, "speakers", _fill_speakers, quotes, entities, text)
    out.sort(key=lambda a: (a.start, a.end, a.kind))
    return out


def _fill_speakers(quotes: list[Annotation], entities: list[Annotation], text: str) -> list[Annotation]:
    """Fill every quote's speaker in place; returns no new annotations."""
    for q in quotes:
        _fill_speaker(q, entities, text)
    return []


def _fill_speaker(quote: Annotation, entities: list[Annotation], text: str) -> None:
    """Set the quote's ``speaker_key`` (and canonical ``speaker``) from the entity it names.

    The quote extractor gives the speaker span and, for a pronoun or a
    relative ("he", "who"), the span of its antecedent. The span itself is
    tried first (a name there is the speaker, and the entity resolution
    knows namesakes apart); the antecedent only when the span names no entity.
    """
    v = quote.value
    hit = None
    for key in ("speaker_span", "speaker_antecedent_span"):
        span = v.get(key)
        if span:
            hit = resolve_speaker(entities, span[0], span[1], text[span[0] : span[1]], span[0])
            if hit is not None:
                break
    if hit is not None:
        v["speaker_key"] = hit.value["key"]
        v["speaker"] = hit.value["name"]
    else:
        v.setdefault("speaker_key", None)


def _annotate_batch(batch: list[tuple]) -> list[list[Annotation]]:
    nlp = get_nlp()
    items = [_item(x) for x in batch]
    texts = ((t[:MAX_CHARS], (p, o)) for t, p, o in items)
    return [annotate_doc(doc, p, o) for doc, (p, o) in nlp.pipe(texts, as_tuples=True, batch_size=PIPE_BATCH)]


def _batches(items: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def annotate_texts(items: Iterable[tuple], *, n_process: int = 1, batch_size: int = 32) -> Iterator[list[Annotation]]:
    """Annotate many texts; yields one annotation list per item, in order.

    ``items`` are ``(clean_text, published)`` tuples (``published`` an ISO date
    or None), optionally with a third element, the outlet (domain or name),
    used as a hint for places. With ``n_process`` > 1 the texts are shared out
    in batches of ``batch_size`` to that many forked worker processes (worth it
    from a few dozen texts on; fewer run in this process). spaCy itself parses
    ``nlp.PIPE_BATCH`` texts at a time, which keeps memory flat.
    """
    get_nlp()
    gazetteer()  # built before forking so workers share it
    freeze_loaded()
    if n_process <= 1:
        for batch in _batches(items, batch_size):
            yield from _annotate_batch(batch)
        return
    it = iter(items)
    head = list(islice(it, MIN_TEXTS_PER_PROCESS))
    if len(head) < MIN_TEXTS_PER_PROCESS:
        for batch in _batches(head, batch_size):
            yield from _annotate_batch(batch)
        return
    import multiprocessing as mp
    from itertools import chain

    ctx = mp.get_context("fork")
    with ctx.Pool(n_process) as pool:
        for result in pool.imap(_annotate_batch, _batches(chain(head, it), batch_size)):
            yield from result


def annotate_article(text: str, published: str | None = None, outlet: str | None = None) -> list[Annotation]:
    """Annotations of one clean text."""
    return _annotate_batch([(text, published, outlet)])[0]
