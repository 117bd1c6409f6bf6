"""Incremental story grouping: each article joins the best active story or starts a new one.

The grouper is pure (no store): feed it :class:`~storyline.stories.features.StoryDoc`
records in date order and it returns an :class:`Assignment` for each. It keeps

- online document frequencies, so feature weights are TF-IDF over what it has seen;
- one centroid per active story (the sum of its members' unit vectors) with its squared norm
  kept up to date, so a score is one sparse dot product;
- an inverted index (:mod:`storyline.stories.index`) over the stories of the time window, so
  candidate retrieval costs the same at the millionth article as at the hundredth;
- a duplicate detector (:mod:`storyline.stories.dedup`): copies join their original's story
  without moving its centroid, so a story counts outlets, not copies;
- each story's last members' vectors (``Story.recent``), so an article that no story takes on
  average can join the story its nearest members are in (``Grouper._nearest_story``).

Same input in the same order gives the same stories and ids (no randomness, ties go to the
lower story id). Stories leaving the window are moved to ``retired`` for the caller to save.
"""
from __future__ import annotations

import heapq
import math
import tomllib
from collections import deque
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from typing import Any

from storyline.stories import fast
from storyline.stories.dedup import Deduper, Duplicate
from storyline.stories.features import StoryDoc, _word_freqs, day_to_iso
from storyline.stories.index import StoryIndex

CHANNELS = {"@": "entities", "#": "places", "~": "dates", "=": "figures", "^": "lead", "!": "title"}
EXPLAIN_ORDER = ("words", *CHANNELS.values())
# the learned score's per-channel similarities, in this order ("" = words)
PREFIXES = ("", "@", "#", "~", "=", "!")
CHANNEL_INDEX = {p: i for i, p in enumerate(PREFIXES)}
# names of the learned score's terms (settings.toml [model]): per-channel average cosines, then
# conflict terms between the article's and the story's years / persons
MODEL_TERMS = ("words", "entities", "places", "dates", "figures", "title",
               "year_conflict", "person_conflict", "words_x_year_conflict", "words_x_person_conflict")



def _heaviest(vec: dict[str, float], k: int) -> list[str]:
    """The ``k`` heaviest keys of ``vec``: ``heapq.nlargest(k, vec, key=vec.__getitem__)``, ties
    included (its documented equivalent), 4x faster on ~100 features."""
    return sorted(vec, key=vec.__getitem__, reverse=True)[:k]


def model_terms(sims: list[float], year_conflict: float, person_conflict: float) -> list[float]:
    """The learned score's inputs, in ``MODEL_TERMS`` order."""
    return [*sims, year_conflict, person_conflict, sims[0] * year_conflict, sims[0] * person_conflict]


def background_df(prior_docs: float, doc_tokens: float):
    """Pseudo document frequency of a feature in ``prior_docs`` background news articles.

    From wordfreq's English word frequencies: a word of frequency p appears in a document of
    ``doc_tokens`` words with probability 1 - exp(-doc_tokens * p). This gives the grouper
    sensible IDF weights from the first article on (online counts alone know nothing until
    hundreds of articles have been seen). Without wordfreq installed the prior is zero.
    """
    freqs = _word_freqs()
    if not freqs or prior_docs <= 0:
        return lambda f: 0.0
    cache: dict[str, float] = {}

    def prior(f: str) -> float:
        v = cache.get(f)
        if v is None:
            word = f.lstrip("^")
            word = word[1:] if word[:1] in "@#!" else word
            p = freqs.get(word.split(" ")[-1], 0.0) if word[:1] not in "~=" else 0.0
            v = cache[f] = prior_docs * (1.0 - math.exp(-doc_tokens * p)) if p else 0.0
        return v

    return prior


@dataclass(slots=True, kw_only=True)
class Settings:
    """Grouping knobs; defaults come from ``settings.toml`` (its comments give the reasons)."""

    threshold: float = 0.3
    window_days: int = 7
    time_decay: float = 0.2
    query_terms: int = 24
    index_terms: int = 24
    max_index_terms: int = 400
    max_candidates: int = 8
    max_posting: int = 400
    title_candidates: int = 40
    weights: dict[str, float] = field(default_factory=lambda: {
        "words": 1.0, "entities": 2.0, "places": 1.5, "dates": 1.0, "figures": 0.5})
    core_terms: int = 20
    coverage_power: float = 0.0
    prior_docs: float = 1000.0
    doc_tokens: float = 400.0
    near_threshold: float = 0.7
    window_articles: int = 50_000
    dedup: bool = True
    linkage: str = "average"
    max_features: int = 0
    merge: bool = True
    # average-link similarity at which the merge pass joins two stories (0: = ``threshold``)
    merge_threshold: float = 0.0
    # story-level merge pass over shared nearest neighbours (``Grouper.settle``; off: an
    # experiment of session 4, docs/stories.md): each story touched since the last pass, with
    # its ``settle_candidates`` nearest stories, is merged by average link over
    # max(cos, settle_mix*cos + (1-settle_mix)*J) at ``settle_threshold``, J from each member's
    # ``settle_k`` nearest members of those stories (at most ``settle_max_articles`` articles)
    settle: bool = False
    settle_k: int = 4
    settle_mix: float = 0.3
    settle_threshold: float = 0.30
    settle_candidates: int = 4
    settle_max_articles: int = 400
    # a neighbour counts in J only at this cosine; a candidate story joins the neighbourhood
    # only at this average-link cosine to the touched story
    settle_floor: float = 0.3
    settle_prefilter: float = 0.2
    # only stories of at most this many members are settled (big stories are not fragments)
    settle_max_story: int = 40
    # a story is settled only when an article's runner-up (or, for a new story, its closest
    # story) scored at least this much: other stories are not near enough to merge with
    settle_near: float = 0.2
    # nearest-member attach (session 8; ``Grouper._nearest_story``; cosine score only): an
    # article that no story takes on average joins the story of its ``attach_k`` nearest
    # members from other outlets (cosine times the time factor), when those are all in one
    # story, their mean reaches ``attach_floor``, beats the nearest member of any other story
    # by ``attach_margin`` and reaches ``attach_cohesion`` x the story's average cosine between
    # its members; only candidate stories scoring at least ``attach_prefilter`` are searched,
    # over their last ``attach_members`` members (attach_k 0: off)
    attach_k: int = 0
    attach_floor: float = 0.3
    attach_margin: float = 0.1
    attach_prefilter: float = 0.1
    attach_members: int = 60
    attach_cohesion: float = 0.0
    # build the grouping features from the annotate stage's entities, places, dates and
    # figures (True), or from the text alone (False: its capitalised names, years and numbers)
    # when the store loads articles (persist.load_docs); the comparison uses the annotations either way
    use_annotations: bool = True
    # backlog pass (persist.assign_stories): a run of at least backlog_min articles (with
    # backlog_runs, also one into a store with active stories) is clustered as a whole first,
    # in parts of at most backlog_max (persist.Backlog.parts), by average link over
    # max(cos, backlog_mix*cos + (1-backlog_mix)*J) at backlog_threshold (J: overlap of the
    # articles' backlog_k nearest neighbours; stories.snn), times the time factor and the year
    # factor below; the grouper then places each article in its cluster's story
    backlog: bool = False
    backlog_min: int = 40
    # later runs too (a store with active stories): the run's clusters join active stories at
    # mean score >= threshold (persist.Backlog._targets); False: only a run with nothing active
    backlog_runs: bool = False
    backlog_max: int = 3000
    backlog_k: int = 4
    backlog_mix: float = 0.3
    backlog_threshold: float = 0.30
    # a neighbour counts in J only at this cosine (in a small set everyone is everyone's
    # neighbour, and J would merge everything that shares a theme)
    backlog_floor: float = 0.25
    # two articles that both write years (``StoryDoc.years``) and share none: similarity
    # times 1 - backlog_years (the two events of one kind are often years apart)
    backlog_years: float = 0.0
    # then clusters of at most backlog_attach_size articles (0: off) join the cluster their
    # backlog_attach_k nearest outside neighbours all lie in, at mean factored cosine >=
    # backlog_attach_floor and >= backlog_attach_ratio x their closest cosine inside their own
    # cluster (stories.snn.attach_small)
    backlog_attach_size: int = 0
    backlog_attach_k: int = 2
    backlog_attach_floor: float = 0.2
    backlog_attach_ratio: float = 0.7
    # a part where fewer than this share of the articles have another article of the part at
    # cosine >= threshold goes one by one instead (persist.paired_share; 0: always clustered)
    backlog_density: float = 0.0
    # live-blog entries: each feature's count times 1 - page_theme * (share of the page's other
    # entries that have it), pages of at least page_theme_min entries (persist.damp_page_theme)
    page_theme: float = 0.0
    page_theme_min: int = 4
    # join only when best - background_weight * (mean score of the other candidates) reaches
    # background_threshold as well (0: off): a score judged against what else the article resembles
    background_weight: float = 0.0
    background_threshold: float = 0.0
    # event identity (names and years of the headline and lead, the "^" features)
    identity_floor: float = 1.0
    identity_full: float = 0.5
    identity_top: int = 1
    identity_min: float = 0.1
    identity_keys: int = 24
    year_floor: float = 1.0
    year_bonus: float = 0.0
    # term frequency factor 1 + tf_log * log(tf) (1: sublinear TF like the baseline; 0: binary)
    tf_log: float = 1.0
    # "cosine": average (or centroid) cosine of the weighted one-vector bag vs ``threshold``;
    # "learned": sigmoid of the [model] coefficients over per-channel average cosines and
    # conflict terms vs ``model_threshold`` (docs/stories.md, session 3 part 2)
    score: str = "cosine"
    model: dict[str, float] = field(default_factory=dict)
    model_threshold: float = 0.5

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """The shipped settings, with keyword overrides (used by benchmarks and tests)."""
        data = tomllib.loads(resources.files(__package__).joinpath("settings.toml").read_text("utf-8"))
        kw: dict[str, Any] = dict(data.get("grouping", {}))
        kw["weights"] = dict(data.get("weights", {}))
        kw["model"] = dict(data.get("model", {}))
        kw.update(data.get("dedup", {}))
        names = {f.name for f in fields(cls)}
        kw.update(overrides)
        out = cls(**{k: v for k, v in kw.items() if k in names})
        out.check()
        return out

    # settings that count candidates or neighbours, with their least value: below it a loop has
    # nothing to look at (the compiled loops refuse or skip such values as well, but a clear
    # error at load says which setting to fix)
    MINIMUMS = {"max_candidates": 1, "settle_candidates": 0, "backlog_k": 0, "settle_k": 0, "attach_k": 0,
                "backlog_attach_k": 0, "query_terms": 1, "index_terms": 1, "window_articles": 0}

    def check(self) -> None:
        """Raise ValueError naming the first setting that is not a whole number at least its
        minimum (``MINIMUMS``)."""
        for name, least in self.MINIMUMS.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < least:
                raise ValueError(f"grouping setting {name} = {v!r} (settings.toml): must be a whole number "
                                 f"of at least {least}")


@dataclass(slots=True)
class Assignment:
    """Where one article went: ``story_id``, ``score`` and an explanation (JSON-able dict).

    ``new`` is True when the article started the story; ``duplicate`` is set when it is a copy
    of an earlier article (it then joins that article's story when the story is active).
    """

    article_id: Any
    story_id: int
    score: float
    new: bool
    explanation: dict[str, Any]
    duplicate: Duplicate | None = None


class Story:
    """An active story in memory: centroid, dates, outlets, members and index keys."""

    __slots__ = ("id", "centroid", "norm2", "n", "first", "last", "members", "outlets", "n_copies",
                 "index_keys", "title_cands", "_core", "_core_at", "lead", "idents",
                 "years", "n_years", "persons", "n_persons", "recent")

    def __init__(self, story_id: int):
        self.id = story_id
        self.centroid: dict[str, float] = {}  # sum of the members' unit vectors
        self.norm2 = 0.0
        self.n = 0  # unit vectors in the sum (members that are not copies)
        self.first: int | None = None
        self.last: int | None = None
        self.members: list[Any] = []
        self.outlets: dict[str, int] = {}
        self.n_copies = 0
        self.index_keys: set[str] = set()
        self.title_cands: list[tuple[Any, str, dict[str, float]]] = []
        self._core: tuple[dict[str, float], float] = ({}, 0.0)
        self._core_at = -1
        self.lead: dict[str, int] = {}  # identity key ("@name", "~year") -> members with it in their lead
        # (identity, vector) of the first members, for the event-identity check
        self.idents: list[tuple] = []
        # members (not copies) naming each year / person, and members naming any (learned score)
        self.years: dict[str, int] = {}
        self.n_years = 0
        self.persons: dict[str, int] = {}
        self.n_persons = 0
        # (article id, outlet, unit vector) of the last members, for the nearest-member attach
        # (None: off)
        self.recent: deque[tuple[Any, str, dict[str, float]]] | None = None

    def count_sets(self, years, persons) -> None:
        if years:
            self.n_years += 1
            for y in years:
                self.years[y] = self.years.get(y, 0) + 1
        if persons:
            self.n_persons += 1
            for p in persons:
                self.persons[p] = self.persons.get(p, 0) + 1

    def channel_dots(self, vec: dict[str, float]) -> list[float]:
        """Sparse dot product of the centroid sum with ``vec``, per channel (``PREFIXES`` order)."""
        c = self.centroid
        out = [0.0] * len(PREFIXES)
        idx = CHANNEL_INDEX
        for f in c.keys() & vec.keys():
            out[idx.get(f[0], 0)] += c[f] * vec[f]
        return out

    def core(self, k: int) -> tuple[dict[str, float], float]:
        """The story's ``k`` heaviest centroid features (what most members share) and their total.

        Recomputed after each of the first 20 articles, then every 5th (cheap on big stories).
        """
        n = len(self.members)
        if self._core_at != n and (n < 20 or n - self._core_at >= 5 or self._core_at < 0):
            top = heapq.nlargest(k, self.centroid.items(), key=lambda kv: kv[1])
            self._core = (dict(top), sum(w for _, w in top))
            self._core_at = n
        return self._core

    def see(self, doc: StoryDoc) -> None:
        self.members.append(doc.article_id)
        if doc.outlet:
            self.outlets[doc.outlet] = self.outlets.get(doc.outlet, 0) + 1
        if doc.day is not None:
            self.first = doc.day if self.first is None else min(self.first, doc.day)
            self.last = doc.day if self.last is None else max(self.last, doc.day)

    def absorb(self, vec: dict[str, float]) -> None:
        """Add a unit vector to the centroid, keeping ``norm2`` exact: |c+v|^2 = |c|^2 + 2c.v + 1."""
        dot = fast.absorb(self.centroid, vec)
        self.norm2 += 2.0 * dot + 1.0
        self.n += 1

    def dot(self, vec: dict[str, float]) -> float:
        """Sparse dot product of the centroid sum with ``vec`` (iterating the smaller of the two)."""
        return fast.dot(self.centroid, vec)

    def score(self, vec: dict[str, float], core_terms: int = 0, coverage_power: float = 0.0,
              average: bool = False) -> float:
        """Similarity of a unit vector to the story: with ``average``, the mean cosine to the
        members (average linkage: sum.x / n), else the cosine to the centroid (sum.x / |sum|);
        times the share of the story's core the article covers raised to ``coverage_power``."""
        dot = self.dot(vec)
        if average:
            cos = dot / self.n if self.n else 0.0
        else:
            cos = dot / math.sqrt(self.norm2) if self.norm2 > 0 else 0.0
        if coverage_power and core_terms and cos > 0:
            core, total = self.core(core_terms)
            if total > 0:
                covered = sum(w for f, w in core.items() if f in vec)
                cos *= (covered / total) ** coverage_power
        return cos

    def title(self) -> tuple[Any, str]:
        """(article id, headline) of the member closest to the centroid."""
        best: tuple[float, Any, str] | None = None
        for aid, title, vec in self.title_cands:
            s = self.score(vec)
            if best is None or s > best[0] + 1e-12:
                best = (s, aid, title)
        return (best[1], best[2]) if best else (self.members[0] if self.members else None, "")

    @property
    def n_articles(self) -> int:
        return len(self.members) - self.n_copies

    @property
    def n_outlets(self) -> int:
        return len(self.outlets)

    def summary(self) -> dict[str, Any]:
        """What the store keeps for a story (title, dates, counts)."""
        title_article, title = self.title()
        return {
            "id": self.id, "title": title, "title_article": title_article,
            "first_seen": day_to_iso(self.first), "last_seen": day_to_iso(self.last),
            "n_articles": self.n_articles, "n_outlets": self.n_outlets,
            "outlets": sorted(self.outlets), "members": list(self.members),
        }


class Grouper:
    """The incremental grouper. ``add(doc)`` -> :class:`Assignment`.

    Args:
        settings: :class:`Settings` (default: the shipped ``settings.toml``).
        next_id: the first new story id (the store passes ``max(stories.id) + 1``).

    Note:
        Feed articles in date order (undated ones anywhere): a story is a candidate while its
        date range is within ``window_days`` of the article's date. Stories that fall out of
        the window are removed from the index and appended to ``retired``; the caller saves
        and clears that list. ``restore`` loads an existing story (after a restart) without
        scoring, so ids and membership persist across runs.

    Examples:
        >>> from storyline.stories.features import build_doc
        >>> g = Grouper()
        >>> a = g.add(build_doc(1, "Quake hits Valdoria", "A strong quake hit Valdoria on Monday, killing 12.", "a.example", "2031-03-03"))
        >>> b = g.add(build_doc(2, "Valdoria quake kills 12", "The quake in Valdoria killed 12 people on Monday.", "b.example", "2031-03-03"))
        >>> a.story_id == b.story_id
        True
    """

    def __init__(self, settings: Settings | None = None, next_id: int = 1):
        self.s = settings or Settings.load()
        self.next_id = next_id
        self.df: dict[str, float] = {}
        self.n_docs = 0
        self.stories: dict[int, Story] = {}
        self.index = StoryIndex(self.s.max_posting)
        self.dedup = Deduper(self.s.near_threshold, self.s.window_articles) if self.s.dedup else None
        self.article_story: dict[Any, int] = {}
        self.clock: int | None = None
        self.retired: list[Story] = []
        self.touched: set[int] = set()
        # story merges made by the merge pass, (merged-away id, surviving id), for the caller
        self.merges: list[tuple[int, int]] = []
        self.merged_into: dict[int, int] = {}
        # stories the user decided about (merge/split/move): the merge pass leaves them alone
        self.pinned: set[int] = set()
        w = self.s.weights
        self._identity_on = self.s.identity_floor < 1.0 or self.s.year_floor < 1.0 or self.s.year_bonus > 0
        self._ident = None
        self._prior = background_df(self.s.prior_docs, self.s.doc_tokens)
        self._chan_w = {"": w.get("words", 1.0),
                        **{p: w.get(name, 0.0 if p == "!" else 1.0) for p, name in CHANNELS.items()}}
        # the per-channel (learned) vectors: every channel at weight 1, the lead channel left out
        self._unit_w = {"": 1.0, **{p: 0.0 if p == "^" else 1.0 for p in CHANNELS}}
        self._learned = self.s.score == "learned"
        m = self.s.model
        self._coef = [float(m.get(t, 0.0)) for t in MODEL_TERMS]
        self._bias = float(m.get("bias", 0.0))
        self._thr = self.s.model_threshold if self._learned else self.s.threshold
        # nearest-member attach: its floor and margin are cosines, so the cosine score only
        self._attach_on = self.s.attach_k > 0 and not self._learned
        # settle: member vectors of the active stories, stories touched since the last pass
        self._settle_on = self.s.settle
        self.vecs: dict[Any, dict[str, float]] = {}
        self._unsettled: set[int] = set()
        # words can start with any letter: only the four channel prefixes map to other weights

    # ------------------------------------------------------------------ vectors

    def vectorize(self, doc: StoryDoc, *, learn: bool = True) -> dict[str, float]:
        """Unit TF-IDF vector of the doc; ``learn`` adds it to the document frequencies first.

        ``self.df`` holds observed document frequency plus the background prior of each feature.
        """
        vec = self._weights(doc, learn, self._chan_w, self._chan_w[""])
        cap = self.s.max_features
        if cap and len(vec) > cap:
            vec = {f: vec[f] for f in heapq.nlargest(cap, vec, key=vec.__getitem__)}
        norm = math.hypot(*vec.values()) if vec else 0.0
        if norm > 0:
            inv = 1.0 / norm
            vec = fast.scaled(vec, inv) if fast.scaled is not None else {f: w * inv for f, w in vec.items()}
        return vec

    def _weights(self, doc: StoryDoc, learn: bool, chan_w: dict[str, float], words_w: float) -> dict[str, float]:
        """Un-normalised TF-IDF weights of the doc's features (channel weights ``chan_w``,
        ``words_w`` for words); ``learn`` counts the doc in the document frequencies first."""
        if learn:
            self.n_docs += 1
        idf1 = math.log(self.n_docs + 1 + self.s.prior_docs) + 1.0
        tfidf = fast.tfidf if fast.tfidf is not None else self._tfidf  # compiled twin: same floats
        return tfidf(doc.features, self.df, self._prior, chan_w, words_w, idf1, learn, self.s.tf_log)

    @staticmethod
    def _tfidf(features, df, prior, chan_w, words_w, idf1, learn, tf_log) -> dict[str, float]:
        """Un-normalised TF-IDF weights (the pure-Python twin of ``_speedups.tfidf``)."""
        log = math.log
        vec: dict[str, float] = {}
        for f, tf in features.items():
            cw = chan_w.get(f[0], words_w)
            if not cw:
                continue
            d = df.get(f)
            if d is None:
                d = prior(f)
            if learn:
                d += 1.0
                df[f] = d
            w = cw * (idf1 - log(d + 1.0))
            if tf != 1.0 and tf_log:
                w *= 1.0 + tf_log * log(tf)
            vec[f] = w
        return vec

    def vectorize_channels(self, doc: StoryDoc, *, learn: bool = True) -> tuple[dict[str, float], dict[str, float]]:
        """(the weighted unit vector of :meth:`vectorize`, the per-channel unit vector).

        The second holds the same TF-IDF weights normalised channel by channel (words, entities,
        places, dates, figures, title: each channel's part is a unit vector, or empty), so one
        sparse dot product with a story's sum, split by prefix, gives every channel's cosine sum.
        """
        raw = self._weights(doc, learn, self._unit_w, 1.0)  # every channel at weight 1, no lead
        chan_w = self._chan_w
        words_w = chan_w[""]
        idx = CHANNEL_INDEX
        norms = [0.0] * len(PREFIXES)
        vec: dict[str, float] = {}
        for f, w in raw.items():
            c = f[0]
            norms[idx.get(c, 0)] += w * w
            cw = chan_w.get(c, words_w)
            if cw:
                vec[f] = cw * w
        norm = math.hypot(*vec.values()) if vec else 0.0
        if norm > 0:
            inv = 1.0 / norm
            vec = {f: w * inv for f, w in vec.items()}
        inv_n = [1.0 / math.sqrt(n) if n > 0 else 0.0 for n in norms]
        pvec = {f: w * inv_n[idx.get(f[0], 0)] for f, w in raw.items()}
        return vec, pvec

    def _conflicts(self, years, persons, st: Story) -> tuple[float, float]:
        """Share of the story's year-naming (person-naming) members that name none of the
        article's years (persons), as far as the counts tell; 0 when either side names none."""
        yc = pc = 0.0
        if years and st.n_years:
            got = st.years
            yc = 1.0 - min(1.0, sum([got.get(y, 0) for y in years]) / st.n_years)
        if persons and st.n_persons:
            got = st.persons
            pc = 1.0 - min(1.0, sum([got.get(p, 0) for p in persons]) / st.n_persons)
        return yc, pc

    def _model(self, sims: list[float], yc: float, pc: float) -> float:
        z = self._bias
        for c, t in zip(self._coef, model_terms(sims, yc, pc)):
            z += c * t
        if z < -60:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def learned_terms(self, pvec: dict[str, float], doc: StoryDoc, st: Story) -> list[float]:
        """The model's inputs for an article against a story (``MODEL_TERMS`` order)."""
        n = st.n or 1
        sims = [d / n for d in st.channel_dots(pvec)]
        yc, pc = self._conflicts(doc.years, doc.persons, st)
        return model_terms(sims, yc, pc)

    # ------------------------------------------------------------------ window

    def _advance(self, day: int | None) -> None:
        if day is None or (self.clock is not None and day <= self.clock):
            return
        self.clock = day
        horizon = day - self.s.window_days
        old = [st for st in self.stories.values() if st.last is not None and st.last < horizon]
        for st in old:
            self._retire(st)

    def _retire(self, st: Story) -> None:
        self.index.remove(st.id, st.index_keys)
        del self.stories[st.id]
        vecs = self.vecs
        for aid in st.members:
            self.article_story.pop(aid, None)
            if vecs:
                vecs.pop(aid, None)
        self.retired.append(st)

    def _time_factor(self, st: Story, day: int | None) -> float | None:
        """Score multiplier for the time gap; None when the story is outside the window."""
        if day is None or st.first is None:
            return 1.0
        if st.first <= day <= st.last:
            return 1.0
        gap = st.first - day if day < st.first else day - st.last
        if gap > self.s.window_days:
            return None
        return 1.0 - self.s.time_decay * gap / self.s.window_days

    # ------------------------------------------------------------------ adding

    def _new_story(self) -> Story:
        st = Story(self.next_id)
        self.next_id += 1
        self.stories[st.id] = st
        return st

    def _join(self, st: Story, doc: StoryDoc, vec: dict[str, float], top: list[str] | None = None,
              ident=None, cvec: dict[str, float] | None = None) -> None:
        """Add a member: ``cvec`` (default ``vec``) goes into the story's sum, ``vec``'s
        heaviest features into the index."""
        st.see(doc)
        st.absorb(vec if cvec is None else cvec)
        st.count_sets(doc.years, doc.persons)
        lead = st.lead
        for f in doc.features:
            if f[0] == "^":
                lead[f[1:]] = lead.get(f[1:], 0) + 1
        if self._identity_on and len(st.idents) < self.s.title_candidates:
            if ident is None:
                top = top or _heaviest(vec, self.s.index_terms)
                ident = self._top_ident(doc, vec, top)
            st.idents.append(ident)
        if len(st.title_cands) < self.s.title_candidates and doc.title:
            st.title_cands.append((doc.article_id, doc.title, vec if cvec is None else cvec))
        if len(st.index_keys) < self.s.max_index_terms:
            if top is None or len(top) < min(self.s.index_terms, len(vec)):
                top = _heaviest(vec, self.s.index_terms)
            new = [f for f in top[:self.s.index_terms] if f not in st.index_keys]
            st.index_keys.update(new)
            self.index.add(st.id, new)
        self.article_story[doc.article_id] = st.id
        self.touched.add(st.id)
        if self._settle_on:
            self.vecs[doc.article_id] = vec
        if self._attach_on:
            self._recent(st).append((doc.article_id, doc.outlet, vec))

    def add(self, doc: StoryDoc, into: int | None = None, mark: str | None = "backlog") -> Assignment:
        """Assign one article to a story (new or existing) and return why.

        The best-scoring story takes it at ``threshold``; below that, the story of its nearest
        members may (``_nearest_story``, explanation ``nearest``); else it starts a story.
        ``into`` places the article instead of the threshold deciding (the pipeline's backlog
        pass, which clusters a whole backlog first): 0 starts a new story, a story id joins
        that story (when it is still active; else the usual decision). The score and the
        explanation are still computed against the story, marked ``mark`` (``backlog``; None:
        unmarked, the caller says why); the merge pass is skipped. A copy still joins its
        original's story."""
        self._advance(doc.day)
        dup: Duplicate | None = None
        sig = None
        if self.dedup is not None:
            sig = self._signature(doc)
            dup = self.dedup.check_signature(sig)
            if dup is not None:
                sid = self.article_story.get(dup.original)
                if sid is not None and sid in self.stories:
                    st = self.stories[sid]
                    st.see(doc)
                    st.n_copies += 1
                    self.article_story[doc.article_id] = sid
                    self.touched.add(sid)
                    return Assignment(doc.article_id, sid, dup.score, False,
                                      {"duplicate_of": dup.original, "kind": dup.kind, "similarity": dup.score},
                                      dup)
        vec, pvec, top, scored, n_cand = self._query(doc, learn=True)
        thr = self._thr
        best_sid, best = (scored[0][1], scored[0][0]) if scored else (None, 0.0)
        if into is not None and (into == 0 or into in self.stories):
            return self._place(doc, vec, top, pvec, into, scored, n_cand, dup, sig, mark)
        joins = best_sid is not None and best >= thr
        # no story takes it on average: perhaps its nearest members do (``_nearest_story``)
        nearest = self._nearest_story(vec, doc, scored) if self._attach_on and scored and not joins else None
        if joins and self.s.background_weight and not self._beats_background(scored):
            joins = False
        if joins or nearest is not None:
            st = self.stories[best_sid if joins else nearest["story"]]
            best = next(sc for sc, sid in scored if sid == st.id)
            expl = self.explain(vec, st, doc)
            expl.update(score=round(best, 4), candidates=n_cand)
            if nearest is not None:  # below the threshold on average, but its nearest members are here
                expl["nearest"] = {k: nearest[k] for k in ("members", "mean", "margin", "cohesion")}
            runner_up = next(((sc, sid) for sc, sid in scored if sid != st.id), None)
            if runner_up:
                expl["runner_up"] = {"story": runner_up[1], "score": round(runner_up[0], 4)}
            new = False
        else:
            st = self._new_story()
            expl = {"new_story": True, "candidates": n_cand}
            if best_sid is not None:
                expl["closest"] = {"story": best_sid, "score": round(best, 4), "threshold": thr}
            best = 1.0
            new = True
        self._join(st, doc, vec, top, self._ident, pvec)
        if self._settle_on:
            # settle the story when another story came close: the runner-up, or the closest
            # story of an article that started a new one
            near = scored[0][0] if new and scored else (scored[1][0] if len(scored) > 1 else 0.0)
            if near >= self.s.settle_near:
                self._unsettled.add(st.id)
        if self.s.merge and not new:
            mthr = self.s.merge_threshold or thr
            merged = self._merge_pass(st, [sid for sc, sid in scored[1:] if sc >= mthr])
            if merged:
                expl["merged"] = merged
                st = self.stories[self.resolve(st.id)]
        if dup is not None:
            expl.update(duplicate_of=dup.original, kind=dup.kind, similarity=dup.score)
        elif self.dedup is not None:
            self.dedup.add_signature(doc.article_id, sig)
        return Assignment(doc.article_id, st.id, round(best, 4), new, expl, dup)

    def _query(self, doc: StoryDoc, learn: bool):
        """The doc's vectors, heaviest features and scored candidate stories, as ``add`` uses
        them: (vec, pvec or None, top features, [(score, story id)] best first, candidates)."""
        if self._learned:
            vec, pvec = self.vectorize_channels(doc, learn=learn)
        else:
            vec, pvec = self.vectorize(doc, learn=learn), None
        top = _heaviest(vec, max(self.s.query_terms, self.s.index_terms))
        self._ident = self._top_ident(doc, vec, top) if self._identity_on else None
        scored, n_cand = self._scored(vec, doc.day, top[:self.s.query_terms], pvec, doc)
        return vec, pvec, top, scored, n_cand

    def _signature(self, doc: StoryDoc):
        """The doc's duplicate signature: read from the store with its feature bag, or computed
        from its body."""
        return doc.signature if doc.signature is not None else self.dedup.signature(doc.body)

    def _recent(self, st: Story) -> deque:
        """The story's list of its last ``attach_members`` members (made on first use)."""
        if st.recent is None:
            st.recent = deque(maxlen=max(1, self.s.attach_members))
        return st.recent

    def _nearest_story(self, vec: dict[str, float], doc: StoryDoc, scored: list[tuple[float, int]]
                       ) -> dict[str, Any] | None:
        """The story an article joins through its nearest members, or None (``attach_*`` settings).

        Average linkage asks an article to resemble a story's members on average; a short or
        off-centre report of a big story resembles only a few of them (docs/stories.md, "Session
        8"). Among the candidate stories scoring at least ``attach_prefilter``, the article's
        cosines to their last ``attach_members`` members, times each story's time factor, are
        ranked (ties: lower story id, then earlier member); members from the article's own
        outlet do not count (house style, or the same live-blog page, would vote). When the
        ``attach_k`` nearest are all in one story, their mean reaches ``attach_floor``, beats the
        nearest member of every other story by ``attach_margin`` and is at least
        ``attach_cohesion`` x the story's cohesion (the average cosine between its members,
        (|sum|^2 - n) / (n (n - 1)): a tight story that the article resembles much less than its
        members resemble each other is another event of the same kind), the article joins that
        story: {"story", "members" (their article ids), "mean", "margin", "cohesion"}."""
        s = self.s
        k = s.attach_k
        day, outlet = doc.day, doc.outlet
        near: list[tuple[float, int, int, Any]] = []
        for sc, sid in scored:
            if sc < s.attach_prefilter:
                continue
            st = self.stories[sid]
            tf = self._time_factor(st, day)
            if not tf or not st.recent:
                continue
            for pos, (aid, out, mv) in enumerate(st.recent):
                if outlet and out == outlet:
                    continue  # its own outlet's reports: house style, or the same live-blog page
                near.append((fast.dot(vec, mv) * tf, sid, pos, aid))
        if len(near) < k:
            return None
        near.sort(key=lambda x: (-x[0], x[1], x[2]))
        top = near[:k]
        sid = top[0][1]
        if any(x[1] != sid for x in top):
            return None
        mean = sum(x[0] for x in top) / k
        rival = max((x[0] for x in near if x[1] != sid), default=0.0)
        if mean < s.attach_floor or mean - rival < s.attach_margin:
            return None
        st = self.stories[sid]
        cohesion = (st.norm2 - st.n) / (st.n * (st.n - 1)) if st.n > 1 else 0.0
        if mean < s.attach_cohesion * cohesion:
            return None
        return {"story": sid, "members": [x[3] for x in top], "mean": round(mean, 4),
                "margin": round(mean - rival, 4), "cohesion": round(cohesion, 4)}

    def scores(self, doc: StoryDoc) -> list[tuple[float, int]]:
        """(score, story id) of the active stories ``add`` would weigh for ``doc``, best first,
        without adding it or counting it in the document frequencies."""
        return self._query(doc, learn=False)[3]

    @property
    def threshold(self) -> float:
        """The score an article needs to join a story (the learned score's own when it is on)."""
        return self._thr

    def _place(self, doc: StoryDoc, vec, top, pvec, into: int, scored, n_cand: int, dup, sig,
               mark: str | None = "backlog") -> Assignment:
        """``add`` with the story chosen by the caller (``into``: 0 = a new story), the
        explanation marked ``mark`` (None: not marked)."""
        if into == 0:
            st = self._new_story()
            expl: dict[str, Any] = {"new_story": True, "candidates": n_cand}
            if mark:
                expl[mark] = True
            if scored:
                expl["closest"] = {"story": scored[0][1], "score": round(scored[0][0], 4), "threshold": self._thr}
            sc, new = 1.0, True
        else:
            st = self.stories[into]
            tf = self._time_factor(st, doc.day)
            sc = st.score(vec, self.s.core_terms, self.s.coverage_power, self.s.linkage == "average") * (tf or 0.0)
            expl = self.explain(vec, st, doc)
            expl.update(score=round(sc, 4), candidates=n_cand)
            if mark:
                expl[mark] = True
            other = [(x, sid) for x, sid in scored if sid != into]
            if other:
                expl["runner_up"] = {"story": other[0][1], "score": round(other[0][0], 4)}
            new = False
        self._join(st, doc, vec, top, self._ident, pvec)
        if dup is not None:
            expl.update(duplicate_of=dup.original, kind=dup.kind, similarity=dup.score)
        elif self.dedup is not None:
            self.dedup.add_signature(doc.article_id, sig)
        return Assignment(doc.article_id, st.id, round(sc, 4), new, expl, dup)

    def _beats_background(self, scored: list[tuple[float, int]]) -> bool:
        """The best score minus ``background_weight`` x the mean of the other candidates' scores
        reaches ``background_threshold`` (no other candidate: the best score alone)."""
        rest = [sc for sc, _ in scored[1:]]
        bg = sum(rest) / len(rest) if rest else 0.0
        return scored[0][0] - self.s.background_weight * bg >= self.s.background_threshold

    def _idf(self, f: str) -> float:
        d = self.df.get(f)
        if d is None:
            d = self._prior(f)
        return math.log(self.n_docs + 1 + self.s.prior_docs) + 1.0 - math.log(d + 1.0)

    @staticmethod
    def _mentions(keys, f: str) -> bool:
        return f in keys or (f[0] == "@" and f[1:] in keys)

    def _top_ident(self, doc: StoryDoc, vec: dict[str, float], top: list[str]):
        """The article's event identity: its ``identity_top`` heaviest names and years of the
        headline and lead (the ``^`` features, ranked by the weight of the name in the vector),
        and the set of its ``identity_keys`` heaviest features (what it is mainly about)."""
        k = self.s.identity_top
        names, years = [], []
        for f in doc.features:
            if f[0] == "^":
                g = f[1:]
                w = vec.get(g) or vec.get(g[1:], 0.0) if g[0] == "@" else vec.get(g, 0.0)
                (names if g[0] == "@" else years).append((w, g))
        names = heapq.nlargest(k, names)
        years = heapq.nlargest(k, years)
        main = set(top[:self.s.identity_keys])
        return tuple(f for _, f in names), tuple(f for _, f in years), main

    def _conflict(self, a: tuple[str, ...], a_keys, b: tuple[str, ...], b_keys) -> float:
        """1 when none of a's identity values occurs in b and none of b's in a, else 0."""
        if not a or not b:
            return 0.0
        m = self._mentions
        for f in a:
            if m(b_keys, f):
                return 0.0
        for f in b:
            if m(a_keys, f):
                return 0.0
        return 1.0

    def _identity(self, ident, vec, st: Story) -> float:
        """Score multiplier from event identity: the share of the story's (first 40) members
        whose heaviest names (years) and the article's exclude each other — another event of
        the same kind — lowers the score towards ``identity_floor`` (``year_floor``)."""
        mem = st.idents
        if not mem:
            return 1.0
        s = self.s
        cn = cy = 0.0
        main = ident[2]
        years = ident[1]
        sy = 0.0
        for m_ident in mem:
            if s.identity_floor < 1.0:
                cn += self._conflict(ident[0], main, m_ident[0], m_ident[2])
            if s.year_floor < 1.0:
                cy += self._conflict(years, main, m_ident[1], m_ident[2])
            if s.year_bonus and years and m_ident[1] and years[0] == m_ident[1][0]:
                sy += 1.0
        k = len(mem)
        return ((1.0 - (1.0 - s.identity_floor) * cn / k) * (1.0 - (1.0 - s.year_floor) * cy / k)
                * (1.0 + s.year_bonus * sy / k))

    def _scored(self, vec: dict[str, float], day: int | None, top: list[str], pvec: dict[str, float] | None = None,
                doc: StoryDoc | None = None) -> tuple[list[tuple[float, int]], int]:
        """Candidate stories (from the index, for the ``top`` features) with their exact scores,
        best first (ties: lower id). With ``pvec`` (learned score) the score is the model's
        probability over the per-channel similarities, times the time factor."""
        cands = self.index.candidates([(f, vec[f]) for f in top], self.s.max_candidates)
        average = self.s.linkage == "average"
        scored: list[tuple[float, int]] = []
        ident = self._ident
        for sid in cands:
            st = self.stories[sid]
            tf = self._time_factor(st, day)
            if tf is None:
                continue
            if pvec is not None:
                n = st.n or 1
                sims = [d / n for d in st.channel_dots(pvec)]
                yc, pc = self._conflicts(doc.years, doc.persons, st)
                scored.append((self._model(sims, yc, pc) * tf, sid))
                continue
            sc = st.score(vec, self.s.core_terms, self.s.coverage_power, average) * tf
            if ident is not None and sc >= self.s.identity_min:
                sc *= self._identity(ident, vec, st)
            scored.append((sc, sid))
        scored.sort(key=lambda x: (-x[0], x[1]))
        return scored, len(cands)

    def _range_factor(self, a: Story, b: Story) -> float | None:
        """Time factor between two stories' date ranges (None: further apart than the window)."""
        if a.first is None or b.first is None:
            return 1.0
        gap = max(a.first - b.last, b.first - a.last, 0)
        if gap > self.s.window_days:
            return None
        return 1.0 - self.s.time_decay * gap / self.s.window_days

    def _merge_pass(self, st: Story, others: list[int]) -> list[int]:
        """Merge into ``st`` the stories whose average-link similarity to it reaches the threshold.

        Average linkage between stories A and B is sum_A.sum_B / (n_A n_B). A story pair that
        was below the threshold can only cross it through the article just added, so only the
        other stories that article scored above the threshold are checked (incremental
        agglomerative clustering over the window). The older story (lower id) keeps its id;
        the other is recorded in ``merges`` and ``merged_into``. Pinned stories are left alone.
        """
        merged: list[int] = []
        for sid in others:
            other = self.stories.get(sid)
            if other is None or other is st or st.id in self.pinned or sid in self.pinned:
                continue
            if not other.n or not st.n:
                continue
            tf = self._range_factor(st, other)
            if tf is None:
                continue
            if self._learned:
                nn = st.n * other.n
                dots = st.channel_dots(other.centroid)
                sims = [d / nn for d in dots]
                yc = 1.0 if (st.years and other.years and not st.years.keys() & other.years.keys()) else 0.0
                pc = 1.0 if (st.persons and other.persons and not st.persons.keys() & other.persons.keys()) else 0.0
                if self._model(sims, yc, pc) * tf < self._thr:
                    continue
                dot = sum(dots)
            else:
                dot = st.dot(other.centroid)
                if dot / (st.n * other.n) * tf < (self.s.merge_threshold or self.s.threshold):
                    continue
            keep, gone = (st, other) if st.id < other.id else (other, st)
            self._absorb_story(keep, gone, dot)
            merged.append(gone.id)
            st = keep
        return merged

    def _absorb_story(self, keep: Story, gone: Story, dot: float) -> None:
        """Move ``gone`` (members, centroid, dates, outlets, index keys) into ``keep``."""
        c = keep.centroid
        for f, w in gone.centroid.items():
            c[f] = c.get(f, 0.0) + w
        keep.norm2 += gone.norm2 + 2.0 * dot
        keep.n += gone.n
        keep.n_copies += gone.n_copies
        for y, k in gone.years.items():
            keep.years[y] = keep.years.get(y, 0) + k
        keep.n_years += gone.n_years
        for p, k in gone.persons.items():
            keep.persons[p] = keep.persons.get(p, 0) + k
        keep.n_persons += gone.n_persons
        keep.members.extend(gone.members)
        if gone.recent:
            self._recent(keep).extend(gone.recent)
        for o, k in gone.outlets.items():
            keep.outlets[o] = keep.outlets.get(o, 0) + k
        if gone.first is not None:
            keep.first = gone.first if keep.first is None else min(keep.first, gone.first)
            keep.last = gone.last if keep.last is None else max(keep.last, gone.last)
        room = self.s.title_candidates - len(keep.title_cands)
        if room > 0:
            keep.title_cands.extend(gone.title_cands[:room])
        keep._core_at = -1
        for f, k in gone.lead.items():
            keep.lead[f] = keep.lead.get(f, 0) + k
        room = self.s.title_candidates - len(keep.idents)
        if room > 0:
            keep.idents.extend(gone.idents[:room])
        self.index.remove(gone.id, gone.index_keys)
        new = [f for f in gone.index_keys if f not in keep.index_keys][: max(0, self.s.max_index_terms - len(keep.index_keys))]
        keep.index_keys.update(new)
        self.index.add(keep.id, new)
        for aid in gone.members:
            self.article_story[aid] = keep.id
        del self.stories[gone.id]
        self.touched.discard(gone.id)
        self.touched.add(keep.id)
        self.merges.append((gone.id, keep.id))
        self.merged_into[gone.id] = keep.id

    def settle(self) -> list[tuple[int, int]]:
        """Story-level merge pass over shared nearest neighbours (``settle`` settings).

        For each story touched since the last pass (in id order), its neighbourhood is the
        story and its ``settle_candidates`` best stories from the index (by its members' top
        features); the members' cosines are lifted by shared neighbours within it
        (``stories.snn``), and story pairs whose average-link similarity reaches
        ``settle_threshold`` are merged, the closest pair first, as the merge pass does: the
        older id survives, pinned stories and stories further apart than the window are left
        alone, and the merges go to ``merges`` for the caller. Never splits. Returns the merges.
        """
        if not self._settle_on:
            return []
        from storyline.stories.snn import cosine_matrix, merge_closest, snn_similarity

        start = len(self.merges)
        todo, self._unsettled = sorted(self._unsettled), set()
        for sid in todo:
            sid = self.resolve(sid)
            st = self.stories.get(sid)
            if st is None or sid in self.pinned or st.n > self.s.settle_max_story:
                continue
            q = heapq.nlargest(self.s.query_terms, st.centroid.items(), key=lambda kv: kv[1])
            near = [c for c in self.index.candidates(q, self.s.settle_candidates + 1) if c != sid]
            group = [st]
            for c in near[: self.s.settle_candidates]:
                o = self.stories.get(c)
                if o is None or c in self.pinned or not o.n or not st.n:
                    continue
                if fast.dot(st.centroid, o.centroid) / (st.n * o.n) >= self.s.settle_prefilter:
                    group.append(o)
            if len(group) < 2:
                continue
            arts = [(gi, self.vecs[aid]) for gi, g in enumerate(group) for aid in g.members if aid in self.vecs]
            if len(arts) > self.s.settle_max_articles:
                continue
            sim = snn_similarity(cosine_matrix([v for _, v in arts]), self.s.settle_k, self.s.settle_mix,
                                 self.s.settle_floor)
            merge_closest(
                sim, [gi for gi, _ in arts], self.s.settle_threshold,
                allowed=lambda i, j: self._range_factor(group[i], group[j]) is not None,
                keep=lambda i, j: i if group[i].id < group[j].id else j,
                on_merge=lambda k, g: self._absorb_story(group[k], group[g],
                                                         fast.dot(group[k].centroid, group[g].centroid)))
        return self.merges[start:]

    def resolve(self, story_id: int) -> int:
        """The story that now holds ``story_id``'s articles (following merges)."""
        while story_id in self.merged_into:
            story_id = self.merged_into[story_id]
        return story_id

    def explain(self, vec: dict[str, float], st: Story, doc: StoryDoc, per_channel: int = 6) -> dict[str, Any]:
        """The features that made ``doc`` score against ``st``, strongest first, by channel."""
        # channels in a fixed order (words, entities, places, dates, figures, lead, title): the
        # same JSON from every process (a set's order changes with the string hash seed)
        contrib: dict[str, list[tuple[float, str]]] = {name: [] for name in EXPLAIN_ORDER}
        get = st.centroid.get
        channel = CHANNELS.get
        for f, w in vec.items():
            x = get(f)
            if x:
                contrib[channel(f[0], "words")].append((-(w * x), f))
        shared: dict[str, list[str]] = {}
        for name, items in contrib.items():
            if not items:
                continue
            items.sort()  # strongest first, ties by key: (-contribution, key)
            shown: dict[str, Any] = {}  # one entry per display name ("Giulia Ferretti" once)
            for _, f in items:
                label = doc.names.get(f, f[1:] if name != "words" else f)
                shown.setdefault(str(label).casefold(), label)
                if len(shown) == per_channel:
                    break
            shared[name] = list(shown.values())
        out: dict[str, Any] = {"shared": shared}
        tf = self._time_factor(st, doc.day)
        if doc.day is not None and st.first is not None and tf is not None and tf < 1.0:
            out["time_factor"] = round(tf, 3)
        return out

    # ------------------------------------------------------------------ state

    def restore(self, story_id: int, docs: list[StoryDoc], copies: dict[Any, Any] | None = None,
                linked: set[Any] | frozenset[Any] = frozenset(), index_signatures: bool = True) -> Story:
        """Load an existing story with its member docs (after a restart), without scoring.

        ``copies`` maps member ids that joined as copies (``add``'s early return: their
        original's story was active) to their original; they are counted as copies and not
        added to the centroid. ``linked`` holds members that are linked to an original but were
        scored like any article (their original's story had left the window): they are in the
        centroid and the index, and, as in ``add``, not in the duplicate index. With
        ``index_signatures`` false the other members are not put in the duplicate index either:
        the caller rebuilds it (``persist.restore_grouper``, in the run's order).
        """
        copies = copies or {}
        st = self.stories.get(story_id) or Story(story_id)
        self.stories[story_id] = st
        self.next_id = max(self.next_id, story_id + 1)
        for doc in docs:
            if doc.article_id in copies:
                st.see(doc)
                st.n_copies += 1
                self.article_story[doc.article_id] = story_id
                continue
            if self._learned:
                vec, pvec = self.vectorize_channels(doc)
                self._join(st, doc, vec, cvec=pvec)
            else:
                self._join(st, doc, self.vectorize(doc))
            if self.dedup is not None and index_signatures and doc.article_id not in linked:
                self.dedup.add_signature(doc.article_id, self._signature(doc))
            if doc.day is not None and (self.clock is None or doc.day > self.clock):
                self.clock = doc.day
        self.touched.discard(story_id)
        return st

    def active(self) -> list[Story]:
        return [self.stories[k] for k in sorted(self.stories)]

    def drain_retired(self) -> list[Story]:
        out, self.retired = self.retired, []
        return out
