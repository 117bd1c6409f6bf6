"""Exact and near duplicate detection on invented wire copies."""
from __future__ import annotations

from storyline.stories.dedup import Deduper
from storyline.stories.features import normalise_body

WIRE = (
    "Officials in the harbour town of Sallowmere said on Friday that the night ferry Gannet Star ran aground "
    "on the Tessel shoal with 214 passengers on board. Coastguard captain Ondine Brask said all passengers "
    "were taken off by lifeboats before dawn and that four were treated for cold. The ferry operator Northwind "
    "Lines said an investigation had begun and that the vessel would be towed to Sallowmere once the tide turned. "
    "Divers found a long gash in the hull, the harbour master told reporters at noon."
)


def test_exact_copy_with_different_spacing_and_case():
    d = Deduper()
    d.add(1, normalise_body(WIRE))
    dup = d.check(normalise_body("  " + WIRE.upper().replace(". ", ".\n\n")))
    assert dup is not None and dup.original == 1 and dup.kind == "exact"


def test_near_copy_with_trimmed_tail_and_edit():
    d = Deduper()
    d.add(7, normalise_body(WIRE))
    edited = WIRE.rsplit(".", 2)[0] + ". The operator apologised to passengers."
    dup = d.check(normalise_body(edited))
    assert dup is not None and dup.original == 7 and dup.kind == "near" and 0.7 <= dup.score < 1.0


def test_rewrite_of_the_same_event_is_not_a_copy():
    d = Deduper()
    d.add(1, normalise_body(WIRE))
    rewrite = ("A ferry carrying 214 people grounded near Sallowmere overnight. Captain Ondine Brask of the "
               "coastguard told us lifeboats brought everyone ashore, and four people needed treatment. "
               "Northwind Lines, which runs the Gannet Star, has opened an inquiry; the hull is badly damaged "
               "and the ship will be towed into port at high tide, according to the harbour master.")
    assert d.check(normalise_body(rewrite)) is None


def test_short_bodies_are_never_duplicates():
    d = Deduper()
    d.add(1, normalise_body("Read more here"))
    assert d.check(normalise_body("Read more here")) is None


def test_window_evicts_oldest():
    d = Deduper(window=2)
    bodies = [" ".join(f"{name}{i}" for i in range(60)) for name in ("aldern", "brisk", "corvo")]
    for i, b in enumerate(bodies):
        d.add(i, b)
    assert d.check(bodies[0]) is None  # evicted
    assert d.check(bodies[2]).original == 2
