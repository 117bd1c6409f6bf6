"""The grouper over the store: assign pending articles to stories, and the user's decisions.

``assign_stories(con)`` takes the annotated articles that have no story yet (live-blog pages
are containers: their entries are grouped, not the page), in date order, rebuilds the grouper
from the stories active around their dates (so ids stay stable across runs and restarts),
then writes ``story_members`` (score and explanation), duplicate links on ``articles`` and
each touched story's title, dates and counts. Every statement uses bound parameters.
A run with nothing active to join (a fresh store's backlog) is first clustered as a whole
(:func:`backlog_labels`), and the grouper then places each article in its cluster's story.
Live-blog entries have their page's theme damped (:func:`damp_page_theme`).

The user's decisions (``merge``, ``split``, ``move``) change ``story_members`` directly, pin
the members they place, and are logged in ``story_decisions``. Later runs rebuild from the
store, so a pinned member is never moved and a merged story's articles (and new ones like
them) go to the story it was merged into.
"""
from __future__ import annotations

import dataclasses
import json
import os
import socket
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager, nullcontext
from typing import Any

from storyline.store import add_reject, get_article, row_to_dict, transaction
from storyline.stories import fast
from storyline.stories.dedup import signature
from storyline.stories.features import (StoryDoc, doc_from_article, doc_from_cache, doc_to_cache, features_version,
                                         parse_day)
from storyline.stories.group import Assignment, Grouper, Settings, Story

BATCH = 500
# members loaded at once when a run restores the active stories
RESTORE_DOCS = 500
MAX_UNDATED_ACTIVE = 5000  # undated stories kept as candidates (most recently updated first)
THEME_SHOWN = 8  # page-theme features named in a live-blog entry's explanation
PENDING_STAGES = ("annotated",)


def _chunks(seq: list, n: int = 500) -> Iterable[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def load_docs(con: sqlite3.Connection, ids: list[int], page_theme: float = 0.0,
              min_entries: int = 4, annotations: bool = True,
              errors: dict[int, str] | None = None) -> dict[int, StoryDoc]:
    """StoryDocs for the given article ids, with their stored annotations (bulk queries; with
    ``annotations`` false, from the clean text alone). An article whose doc cannot be built (a
    bug meeting its text) is left out, with the error in ``errors`` when given.

    With ``page_theme`` > 0, live-blog entries have their page's theme damped
    (:func:`damp_page_theme` over all the entries of their page, loaded when not in ``ids``, so
    an entry gets the same vector whichever batch it is in and when the grouper is restored)."""
    out = _load_docs(con, ids, annotations, errors)
    if page_theme <= 0:
        return out
    parent: dict[int, int] = {}
    for chunk in _chunks(list(out)):
        marks = ",".join("?" * len(chunk))
        for r in con.execute(f"SELECT id, parent_id FROM articles WHERE parent_id IS NOT NULL AND id IN ({marks})",
                             chunk):
            parent[r["id"]] = r["parent_id"]
    for pid in sorted(set(parent.values())):
        sib = [r["id"] for r in con.execute("SELECT id FROM articles WHERE parent_id = ? ORDER BY id", (pid,))]
        docs = {i: out[i] for i in sib if i in out}
        docs.update(_load_docs(con, [i for i in sib if i not in docs], annotations))
        sib = [i for i in sib if i in docs]
        for i, d in zip(sib, damp_page_theme([docs[i] for i in sib], page_theme, min_entries)):
            if i in out:
                out[i] = d
    return out


class Backlog:
    """The backlog pass over one part of a run (:meth:`parts`; ``keys``, ``docs`` in the
    grouper's order, at most ``backlog_max``) clustered by :func:`backlog_clusters`; :meth:`add`
    then gives each to its cluster's story through ``Grouper.add(doc, into=...)``: an active
    story the cluster joins (:meth:`_targets`, when the grouper has stories already), or one the
    cluster's first article starts. A part where fewer than ``backlog_density`` of the articles
    have another of the part at cosine >= the threshold (:func:`paired_share`) is not
    clustered (``clustered`` False): :meth:`add` places it one by one."""

    def __init__(self, g: Grouper, keys: list[Any], docs: list[StoryDoc]):
        self.g = g
        keys, docs = keys[: g.s.backlog_max], docs[: g.s.backlog_max]
        self.label: dict[Any, int] = {}
        self.attached: set[Any] = set()
        # cluster label -> its story; a cluster that joins an active story is mapped up front
        self._story: dict[int, int] = {}
        self.joins: dict[int, float] = {}
        # articles of a cluster that joins no active story but that one would take on its own:
        # they take the usual decision (one by one)
        self.alone: set[Any] = set()
        sim = backlog_cosines(docs, g.s)
        # a run of mostly single reports of different events (a feed polled often on a busy
        # day) gives the clustering no neighbours to work with: it goes one by one (session 9)
        self.paired = paired_share(sim, g.threshold)
        self.clustered = self.paired >= g.s.backlog_density
        if not self.clustered:
            return
        # a later run (the store has active stories): each article's scores against them
        scored = [g.scores(d) for d in docs] if g.stories else None
        # an article that an active story is about as near as the attach step's floor stays in
        # its cluster: the attach step sees only this run's articles, not the active stories
        fixed = {i for i, sc in enumerate(scored) if sc and sc[0][0] >= g.s.backlog_attach_floor} if scored else set()
        labels, moved = backlog_clusters(docs, g.s, fixed, sim)
        self.label = dict(zip(keys, labels))
        self.attached = {keys[i] for i in moved}
        if scored:
            self._story, self.joins, alone = self._targets(g, labels, scored, lambda i, j: sim[i, j])
            self.alone = {keys[i] for i in alone}

    @staticmethod
    def _targets(g: Grouper, labels: list[int], scored: list[list[tuple[float, int]]],
                 near: Callable[[int, int], float] | None = None
                 ) -> tuple[dict[int, int], dict[int, float], set[int]]:
        """The active story each cluster joins (a later run: the store already has stories).

        A cluster joins the active story its members score highest on average (``scored``:
        each member's (score, story id) list, best first; 0 for a member that does not have the
        story among its candidates), when that mean reaches the join threshold: average link
        between the cluster and the story. Otherwise it starts a story of its own, without those
        of its members that score at least the threshold with an active story: they are placed
        one by one, as without the pass (a follow-up of a live story stays with it even when
        this run's articles around it are new). A member of a joining cluster is placed one by
        one too when another active story takes it (its best score, at least the threshold, is
        another story's), or when the cluster's story scores it below ``backlog_attach_floor``
        and it is not near (``near(i, j)``, their cosine, at least the threshold) any
        cluster-mate that the story takes on its own: in a run of a few dozen articles from many
        events the clusters are small and noisy, and a cluster's mean must not carry an article
        into a story it does not resemble, while a follow-up that resembles the story only
        through this run's report of the same news still joins with it (session 9,
        docs/stories.md). Without ``near`` no member counts as near. Active stories are never
        merged or split here, so ids stay stable. Returns ({label: story id}, {label: mean
        score}, indices of the members placed one by one)."""
        size = Counter(labels)
        sums: dict[int, dict[int, float]] = {}
        for lab, pairs in zip(labels, scored):
            acc = sums.setdefault(lab, {})
            for sc, sid in pairs:
                acc[sid] = acc.get(sid, 0.0) + sc
        story: dict[int, int] = {}
        means: dict[int, float] = {}
        for lab, acc in sums.items():
            if not acc:
                continue
            sid, total = min(acc.items(), key=lambda kv: (-kv[1], kv[0]))
            mean = total / size[lab]
            if mean >= g.threshold:
                story[lab], means[lab] = sid, round(mean, 4)

        # each member's score with its cluster's story (joining clusters only), and the members
        # that story takes on their own
        own = [next((sc for sc, sid in pairs if sid == story[lab]), 0.0) if lab in story else 0.0
               for lab, pairs in zip(labels, scored)]
        anchors: dict[int, list[int]] = {}
        for i, lab in enumerate(labels):
            if lab in story and own[i] >= g.threshold:
                anchors.setdefault(lab, []).append(i)
        alone: set[int] = set()
        for i, (lab, pairs) in enumerate(zip(labels, scored)):
            if not pairs:
                continue
            best, best_sid = pairs[0]
            if lab not in story:
                if best >= g.threshold:
                    alone.add(i)
            elif best >= g.threshold and best_sid != story[lab]:
                alone.add(i)
            elif own[i] < g.s.backlog_attach_floor and (
                    near is None or not any(near(i, j) >= g.threshold for j in anchors.get(lab, ()))):
                alone.add(i)
        return story, means, alone

    @staticmethod
    def applies(g: Grouper, n: int) -> bool:
        """Whether a run of ``n`` articles gets the pass: it is on, the run has at least
        ``backlog_min`` articles, and either later runs are clustered too (``backlog_runs``) or
        nothing is active (the restored grouper holds every story seen since the window before
        the run's first date, later ones included, and recent undated ones)."""
        return bool(g.s.backlog and (g.s.backlog_runs or not g.stories) and max(2, g.s.backlog_min) <= n
                    and g.s.backlog_max >= 2)

    @staticmethod
    def parts(g: Grouper, n: int) -> list[tuple[int, int, bool]]:
        """A run of ``n`` articles (in the grouper's order) as consecutive parts ``(start, end,
        clustered)``. A run of at most ``backlog_max`` is one part. A bigger one is cut into
        parts of ``backlog_max`` from its start, each clustered in turn against the stories of
        the parts before it, when later runs are clustered (``backlog_runs``); what is left
        after them is the last part, unless it is under half of ``backlog_max``: then it and
        the part before it are cut into two equal halves (a part of a few articles would have
        no neighbours to cluster with). The cuts depend only on what is left of the run, so a
        run killed after a part and started again cuts the rest as the uninterrupted run did
        (each part is one transaction: :func:`_assign_part`). Without ``backlog_runs`` only
        the first ``backlog_max`` are clustered, and the rest go one by one. A run the pass
        does not apply to is one part, one by one."""
        if not Backlog.applies(g, n):
            return [(0, n, False)] if n else []
        cap = g.s.backlog_max
        if n <= cap or not g.s.backlog_runs:
            m = min(n, cap)
            return [(0, m, True)] + ([(m, n, False)] if m < n else [])
        full, rest = divmod(n, cap)
        cuts = [i * cap for i in range(full + 1)]
        if rest and 2 * rest < cap:
            cuts[-1] = cuts[-2] + (cap + rest + 1) // 2
        if rest:
            cuts.append(n)
        return [(a, b, True) for a, b in zip(cuts, cuts[1:])]

    def add(self, key: Any, doc: StoryDoc) -> Assignment:
        lab = self.label.get(key)
        if lab is None or key in self.alone:
            return self.g.add(doc)
        a = self.g.add(doc, into=self._story.get(lab, 0))
        if key in self.attached:
            a.explanation["attached"] = True
        if lab in self.joins and not a.new:
            a.explanation["cluster_score"] = self.joins[lab]
        if a.new:
            self._story[lab] = a.story_id
        return a


def equal_cuts(n: int, k: int) -> list[int]:
    """Boundaries of ``n`` items cut into ``k`` consecutive parts of (about) equal size:
    ``[0, ..., n]`` (``k`` at least 1, at most ``n``)."""
    k = max(1, min(k, n or 1))
    return [round(i * n / k) for i in range(k + 1)]


def backlog_labels(docs: list[StoryDoc], settings: Settings) -> list[int]:
    """Cluster labels for a whole backlog (``docs`` in the grouper's order): see
    :func:`backlog_clusters`."""
    return backlog_clusters(docs, settings)[0]


def backlog_cosines(docs: list[StoryDoc], settings: Settings):
    """The n x n cosines of the backlog pass over ``docs``: a fresh grouper's vectors, its
    document frequencies learnt in the docs' order, as the real one will."""
    from storyline.stories.snn import cosine_matrix

    scratch = Grouper(settings)
    return cosine_matrix([scratch.vectorize(d) for d in docs])


def backlog_factors(docs: list[StoryDoc], settings: Settings):
    """The n x n factors of the backlog pass over ``docs``: the time factor between two
    articles' dates (0 beyond the window), times 1 - ``backlog_years`` when both write years
    and share none. Compiled (``_speedups.backlog_factors``, one pass) when built, else
    :func:`py_backlog_factors`; the same floats."""
    import numpy as np

    if fast.backlog_factors is None:
        return py_backlog_factors(docs, settings)
    dated, days, table, last = _day_table(docs, settings)
    cols: dict[str, int] = {}
    ptr, ids = [0], []
    for d in docs:
        ids += sorted({cols.setdefault(y, len(cols)) for y in d.years})
        ptr.append(len(ids))
    out = np.empty((len(docs), len(docs)), dtype=np.float64)
    fast.backlog_factors(days, dated.view(np.uint8), table, last, np.array(ptr, dtype=np.intp),
                         np.array(ids or [0], dtype=np.intp), bool(settings.backlog_years),
                         1.0 - settings.backlog_years, out)
    return out


def _day_table(docs: list[StoryDoc], settings: Settings):
    """(dated flags, days (0 when undated), factor of each whole gap in days (``table[g]``, 0
    past the window), the first whole gap past the window) of the backlog factors."""
    import math

    import numpy as np

    dated = np.array([d.day is not None for d in docs], dtype=bool)
    days = np.array([d.day if d.day is not None else 0 for d in docs], dtype=np.int64)
    # days are whole numbers: a gap of g days has the factor table[g], 0 past the window
    window = settings.window_days
    last = max(0, math.floor(window)) + 1  # the first whole gap past the window
    gaps = np.arange(last, dtype=float)
    table = np.append(1.0 - settings.time_decay * gaps / window, 0.0)
    return dated, days, table, last


def py_backlog_factors(docs: list[StoryDoc], settings: Settings):
    """:func:`backlog_factors` with numpy."""
    import numpy as np

    n = len(docs)
    dated, days, table, last = _day_table(docs, settings)
    gap = np.subtract.outer(days, days)
    np.abs(gap, out=gap)
    np.minimum(gap, last, out=gap)
    factor = table[gap]
    del gap
    if not dated.all():  # an undated article: no time factor
        factor[~dated, :] = 1.0
        factor[:, ~dated] = 1.0
    if settings.backlog_years:
        cols: dict[str, int] = {}
        pairs = [(i, cols.setdefault(y, len(cols))) for i, d in enumerate(docs) for y in d.years]
        y = np.zeros((n, max(1, len(cols))))
        if pairs:
            y[tuple(np.array(pairs).T)] = 1.0
        has = y.any(axis=1)
        # both write years and share none
        conflict = (y @ y.T) == 0
        conflict &= has[:, None]
        conflict &= has[None, :]
        np.multiply(factor, 1.0 - settings.backlog_years, out=factor, where=conflict)
    return factor


def paired_share(sim, threshold: float) -> float:
    """The share of articles with another one at cosine >= ``threshold`` (``sim``: their n x n
    cosines): how many of a run's reports have a second report of their event in the run."""
    import numpy as np

    s = np.asarray(sim, dtype=float)
    n = len(s)
    if n < 2:
        return 0.0
    # neighbours at or above the threshold, the article itself left out (no n x n copy)
    others = (s >= threshold).sum(axis=1) - (np.diagonal(s) >= threshold)
    return float((others > 0).mean())


def backlog_clusters(docs: list[StoryDoc], settings: Settings, fixed: set[int] | frozenset[int] = frozenset(),
                     sim=None) -> tuple[list[int], set[int]]:
    """Cluster labels for a whole backlog (``docs`` in the grouper's order), and the indices of
    the articles the attach step moved.

    The grouper's own vectors (:func:`backlog_cosines`) give the cosines. Each is multiplied by
    the time factor between the two articles' dates and by the year factor
    (:func:`backlog_factors`). Average-link clustering at ``backlog_threshold`` runs over those cosines lifted
    by shared nearest neighbours (``stories.snn.snn_similarity``, the factors applied after the
    lift); then clusters of at most ``backlog_attach_size`` articles join the cluster their
    nearest outside neighbours are in (``stories.snn.attach_small``, over the factored
    cosines); a cluster with a member in ``fixed`` does not move. ``sim``: the cosines, when
    already computed."""
    from storyline.stories.snn import attach_small, average_link_distances, snn_lift

    if sim is None:
        sim = backlog_cosines(docs, settings)
    dist, scaled = snn_lift(sim, backlog_factors(docs, settings), settings.backlog_k, settings.backlog_mix,
                            settings.backlog_floor)
    labels = average_link_distances(dist, len(docs), settings.backlog_threshold)
    del dist
    if not settings.backlog_attach_size:
        return labels, set()
    return attach_small(scaled, labels, settings.backlog_attach_size, settings.backlog_attach_k,
                        settings.backlog_attach_floor, settings.backlog_attach_ratio, fixed=fixed)


def damp_page_theme(entries: list[StoryDoc], strength: float, min_entries: int = 4) -> list[StoryDoc]:
    """The entries of one live blog, each feature's count times 1 - strength * p, p = the share
    of the page's *other* entries that have it (a feature in every entry counts 1 - strength).

    A live blog mixes unrelated events under one theme: what most of its entries share
    ("Ukraine", "Russia", "Zelensky" in a war blog) is the page's theme, not what one entry
    reports, and left at full weight it pulls every entry into whichever war story is active.
    Pages with fewer than ``min_entries`` entries are left alone (too few to tell a theme)."""
    if len(entries) < max(2, min_entries):
        return entries
    df: dict[str, int] = {}
    for d in entries:
        for f in d.features:
            df[f] = df.get(f, 0) + 1
    others = len(entries) - 1
    out = []
    for d in entries:
        feats = {}
        for f, c in d.features.items():
            w = c * (1.0 - strength * (df[f] - 1) / others)
            if w > 0:
                feats[f] = w
        # the theme, for the explanation: features that at least half the other entries share
        theme = sorted((f for f in d.features if 2 * (df[f] - 1) >= others), key=lambda f: (-df[f], f))
        shown: dict[str, str] = {}
        for f in theme:
            if f[0] in "@#~=^!" and f not in d.names:
                continue  # e.g. a place's country code: its name is shown through the place
            name = d.names.get(f, f)
            shown.setdefault(name.casefold(), name)
        out.append(dataclasses.replace(d, features=feats, theme=tuple(list(shown.values())[:THEME_SHOWN])))
    return out


def _load_docs(con: sqlite3.Connection, ids: list[int], annotations: bool = True,
               errors: dict[int, str] | None = None) -> dict[int, StoryDoc]:
    """StoryDocs of the given articles: from their stored feature bags (table ``doc_features``)
    when stored under this code's :func:`features_version`, else from the text and annotations,
    then stored (when the connection can write). One that raises is left out (``errors``)."""
    version = features_version(annotations)
    out: dict[int, StoryDoc] = {}
    fresh: list[tuple[int, str, str]] = []
    cache = _has_doc_cache(con)
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        cached: dict[int, str] = {}
        if cache:
            cached = dict(con.execute(
                f"SELECT article_id, doc FROM doc_features WHERE version = ? AND article_id IN ({marks})",
                [version, *chunk]).fetchall())
        rows = {r["id"]: dict(r) for r in con.execute(
            f"SELECT id, title, outlet, published FROM articles WHERE id IN ({marks})", chunk)}
        for i, c in cached.items():
            if i in rows:
                out[i] = doc_from_cache(rows[i], c)  # no text read: the bag has the body's signature
        todo = [i for i in chunk if i in rows and i not in cached]
        if not todo:
            continue
        marks = ",".join("?" * len(todo))
        # the clean text, or the text when there is none (features.doc_from_article's choice)
        for i, text in con.execute(f"SELECT id, COALESCE(NULLIF(clean_text, ''), text) FROM articles "
                                   f"WHERE id IN ({marks})", todo):
            rows[i]["clean_text"] = text
        anns: dict[int, list[Any]] = {}
        if annotations:
            for r in con.execute(
                f"SELECT article_id, kind, start, end, text, label, value FROM annotations "
                f"WHERE article_id IN ({marks}) AND kind IN ('entity', 'place', 'date', 'figure') "
                f"ORDER BY article_id, start", todo,
            ):
                anns.setdefault(r["article_id"], []).append(row_to_dict(r))
        else:
            # with annotations off, entities and places still give the display names: each name
            # once, in the order of its first mention. SQLite reads the names (decoding every
            # value in Python cost more than the grouping); a value SQLite's JSON reader refuses
            # (NaN, which json.dumps writes) is decoded by Python as before.
            seen: set[tuple[int, Any]] = set()
            for aid, text, name, raw in con.execute(
                f"SELECT article_id, text, CASE WHEN ok THEN json_extract(value, '$.name') END, "
                f"CASE WHEN ok THEN NULL ELSE value END FROM (SELECT id, article_id, start, text, value, "
                f"json_valid(value) AS ok FROM annotations "
                f"WHERE article_id IN ({marks}) AND kind IN ('entity', 'place')) ORDER BY article_id, start, id",
                todo,
            ):
                if raw is not None:
                    try:
                        value = json.loads(raw)
                    except ValueError:
                        value = None
                    name = value.get("name") if isinstance(value, dict) else None
                full = name or text or ""
                if not isinstance(full, str):  # a name that is a list or an object: not a name
                    full = text or ""
                if (aid, full) not in seen:  # a name seen again changes nothing (features.build_doc)
                    seen.add((aid, full))
                    anns.setdefault(aid, []).append(full)
        # the time stamp lines cleaning removed: their dates count (features.build_doc)
        stamps: dict[int, list[str]] = {}
        for r in con.execute(f"SELECT article_id, text FROM removed WHERE article_id IN ({marks}) "
                             f"AND reason = 'timestamp' ORDER BY article_id, line", todo):
            stamps.setdefault(r["article_id"], []).append(r["text"])
        for i in todo:
            a = anns.get(i)
            try:
                d = (doc_from_article(rows[i], a, stamps.get(i, ())) if annotations else
                     doc_from_article(rows[i], None, stamps.get(i, ()), display=a))
                d.signature = signature(d.body)  # stored with the bag, and used by Grouper.add
                fresh.append((i, version, doc_to_cache(d)))
            except Exception as exc:  # noqa: BLE001 - a bug meeting one text must not stop the run
                if errors is not None:
                    errors[i] = f"{type(exc).__name__}: {exc}"
                continue
            out[i] = d
    if fresh and cache:
        try:
            with transaction(con):
                con.executemany("INSERT OR REPLACE INTO doc_features (article_id, version, doc) VALUES (?, ?, ?)",
                                fresh)
        except sqlite3.OperationalError:  # a read-only connection, or a busy store: computed next time
            pass
    return out


def _has_doc_cache(con: sqlite3.Connection) -> bool:
    """Whether the store has the ``doc_features`` table (schema 2 on; a read-only connection to
    an older store has not)."""
    return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'doc_features'").fetchone() is not None


def _pending(con: sqlite3.Connection, article_ids: list[int] | None) -> list[sqlite3.Row]:
    sql = (
        "SELECT a.id, a.published, a.is_liveblog, a.duplicate_of, a.dup_kind, a.dup_score FROM articles a "
        "LEFT JOIN story_members m ON m.article_id = a.id "
        f"WHERE m.article_id IS NULL AND a.stage IN ({','.join('?' * len(PENDING_STAGES))})"
    )
    params: list[Any] = list(PENDING_STAGES)
    rows: list[sqlite3.Row] = []
    if article_ids is None:
        rows = list(con.execute(sql, params))
    else:
        for chunk in _chunks(list(article_ids)):
            rows += list(con.execute(sql + f" AND a.id IN ({','.join('?' * len(chunk))})", params + chunk))
    # date order, undated last (they compare with whatever is active at the end), then id
    rows.sort(key=lambda r: (r["published"] is None, (r["published"] or "")[:10], r["id"]))
    return rows


def restore_grouper(con: sqlite3.Connection, first_day: int | None, settings: Settings | None = None,
                    problems: list[str] | None = None) -> Grouper:
    """A grouper holding the stories active around ``first_day`` (all members), ids preserved;
    ``problems`` gets a line per member restored without its features (:func:`_restore_stories`).

    The state is the one an uninterrupted run would hold: the stories within ``window_days``
    of ``first_day`` (a run of undated articles only: of the latest story's last day, where
    the run's clock would stand), their members replayed in the run's order (:func:`_pending`'s:
    day, then id), and the duplicate index rebuilt from the last ``window_articles`` articles
    it indexed (:func:`_restore_dedup`), not only the active stories' members."""
    next_id = (con.execute("SELECT max(id) FROM stories").fetchone()[0] or 0) + 1
    g = Grouper(settings, next_id=next_id)
    if first_day is None:
        # only undated articles: in one run they come last and meet whatever is active then,
        # the stories within the window of the latest day seen
        latest = con.execute("SELECT max(last_seen) FROM stories WHERE merged_into IS NULL AND n_articles > 0"
                             ).fetchone()[0]
        first_day = parse_day(latest)
    sids: list[int] = []
    if first_day is not None:
        since = _since(first_day, g.s.window_days)
        sids = [r[0] for r in con.execute(
            "SELECT id FROM stories WHERE merged_into IS NULL AND n_articles > 0 AND last_seen >= ? ORDER BY id",
            (since,))]
    sids += [r[0] for r in con.execute(
        "SELECT id FROM stories WHERE merged_into IS NULL AND n_articles > 0 AND last_seen IS NULL "
        "ORDER BY updated_at DESC, id DESC LIMIT ?", (MAX_UNDATED_ACTIVE,))]
    signatures: dict[int, Any] = {}
    _restore_stories(con, g, sorted(set(sids)), problems, signatures)
    _restore_dedup(con, g, signatures)
    # stories the user decided about are never merged automatically
    g.pinned = {r[0] for r in con.execute("SELECT DISTINCT story_id FROM story_members WHERE pinned = 1")}
    g.drain_retired()
    return g


def _since(day: int, window_days: int) -> str:
    """The first day (ISO) of the window ending on ``day``, clamped to 0001-01-01: an article
    dated in the first days of year 1 (a feed's placeholder) has no earlier window to restore."""
    import datetime as _dt

    return _dt.date.fromordinal(max(1, day - int(window_days))).isoformat()


def _run_order(published: str | None, article_id: int) -> tuple:
    """The order a run feeds articles in (:func:`_pending`): by day, undated last, then id."""
    return (published is None, (published or "")[:10], article_id)


def _copy_kinds(con: sqlite3.Connection, rows: list[sqlite3.Row]) -> tuple[dict[int, int], set[int]]:
    """Of a story's members, (the copies: id -> original, the linked ones: ids).

    A member linked to an original (``duplicate_of``) joined as a copy when ``Grouper.add``
    found the original's story active (its explanation is the copy's: ``duplicate_of``, no
    ``score``, no ``new_story``): a copy, out of the centroid. It was *scored* like any
    article when the original's story had left the window (its explanation has ``score`` or
    ``new_story``): linked, in the centroid and the index, not in the duplicate index. A
    member the user placed (``decision``; the grouper's explanation is gone) is a copy when
    it is in its original's story, as a copy that followed its original is."""
    copies: dict[int, int] = {}
    linked: set[int] = set()
    story_of: dict[int, int] | None = None
    for r in rows:
        orig = r["duplicate_of"]
        if orig is None:
            continue
        try:
            why = json.loads(r["explanation"] or "{}")
        except ValueError:
            why = {}
        if not isinstance(why, dict):
            why = {}
        if "score" in why or "new_story" in why:
            linked.add(r["id"])
        elif "duplicate_of" in why and "decision" not in why:
            copies[r["id"]] = orig
        else:
            if story_of is None:
                origs = sorted({x["duplicate_of"] for x in rows if x["duplicate_of"] is not None})
                story_of = {}
                for chunk in _chunks(origs):
                    story_of.update(con.execute(
                        f"SELECT article_id, story_id FROM story_members WHERE article_id IN "
                        f"({','.join('?' * len(chunk))})", chunk).fetchall())
            if story_of.get(orig) == r["story_id"]:
                copies[r["id"]] = orig
            else:
                linked.add(r["id"])
    return copies, linked


def _restore_stories(con: sqlite3.Connection, g: Grouper, story_ids: list[int],
                     problems: list[str] | None = None, signatures: dict[int, Any] | None = None) -> None:
    """Restore the stories (in this order) with their members, loaded in bulk (a few queries
    per ``RESTORE_DOCS`` members rather than per story). A member whose doc cannot be built
    again (its bag gone, and a bug meeting its text) is restored without features, so that its
    story keeps its counts, dates and outlets; ``problems`` gets a line for it.

    A story's members are replayed in the run's order (:func:`_run_order`), so what the
    grouper keeps of its first and last members (title candidates, index keys, recent members)
    is what the run kept; only the members that joined as copies are restored as copies
    (:func:`_copy_kinds`). With ``signatures`` (:func:`restore_grouper`) the duplicate index is
    left to the caller, and the signatures of the members it would hold are put there."""
    members: dict[int, list[sqlite3.Row]] = {}
    for chunk in _chunks(story_ids):
        for r in con.execute(
                "SELECT m.story_id, m.explanation, a.id, a.published, a.duplicate_of FROM story_members m "
                f"JOIN articles a ON a.id = m.article_id WHERE m.story_id IN ({','.join('?' * len(chunk))})", chunk):
            members.setdefault(r["story_id"], []).append(r)
    for rows in members.values():
        rows.sort(key=lambda r: _run_order(r["published"], r["id"]))
    # stories in groups of about RESTORE_DOCS members: the docs of a group are dropped once its
    # stories hold their vectors
    group: list[int] = []
    size = 0
    for k, sid in enumerate(story_ids):
        group.append(sid)
        size += len(members.get(sid, ()))
        if k + 1 < len(story_ids) and size < RESTORE_DOCS:
            continue
        errors: dict[int, str] = {}
        docs = load_docs(con, [r["id"] for x in group for r in members.get(x, ())], g.s.page_theme,
                         g.s.page_theme_min, g.s.use_annotations, errors)
        for i, error in errors.items():
            docs[i] = _bare_doc(con, i)
            if problems is not None:
                problems.append(f"article {i}: restored into its story without its features, which "
                                f"could not be built again: {error}")
        for x in group:
            rows = members.get(x, [])
            copies, linked = _copy_kinds(con, rows)
            restored = [docs[r["id"]] for r in rows if r["id"] in docs]
            g.restore(x, restored, copies, linked, index_signatures=signatures is None)
            if signatures is not None and g.dedup is not None:
                for d in restored:
                    if d.article_id not in copies and d.article_id not in linked and d.features:
                        signatures[d.article_id] = g._signature(d)
        group, size = [], 0


def _restore_dedup(con: sqlite3.Connection, g: Grouper, known: dict[int, Any]) -> None:
    """Rebuild the duplicate index as the run held it: the last ``window_articles`` articles it
    indexed (grouped members with no duplicate link and a body of at least 8 words; copies and
    linked articles are never indexed), added in the run's order (:func:`_run_order`), so the
    oldest leave it first, as they do in the run. Older than the story window too: a copy of
    an article whose story has left the window is linked in one run and after a restart alike.
    Signatures come from ``known`` (the restored members'), else from the stored feature bags
    (only their ``d`` part is read), else from the text (:func:`_load_docs`, which stores the
    bag). An article whose signature cannot be made is left out."""
    from storyline.stories.dedup import MIN_WORDS_EXACT, Signature

    dd = g.dedup
    if dd is None:
        return
    window = dd.window
    version = features_version(g.s.use_annotations)
    cache = _has_doc_cache(con)
    picked: list[tuple[tuple, int, Any]] = []  # latest first
    counted = 0

    def signatures_of(ids: list[int]) -> dict[int, Any]:
        out = {i: known[i] for i in ids if i in known}
        todo = [i for i in ids if i not in out]
        if todo and cache:
            for chunk in _chunks(todo):
                for i, d in con.execute(
                        f"SELECT article_id, json_extract(doc, '$.d') FROM doc_features WHERE version = ? "
                        f"AND article_id IN ({','.join('?' * len(chunk))})", [version, *chunk]):
                    try:
                        out[i] = Signature.from_json(json.loads(d))
                    except (TypeError, ValueError, KeyError):
                        pass
            todo = [i for i in todo if i not in out]
        for chunk in _chunks(todo):
            for i, d in _load_docs(con, chunk, g.s.use_annotations, {}).items():
                if d.signature is not None:
                    out[i] = d.signature
        return out

    def take(day_rows: list[tuple[tuple, int]]) -> None:
        nonlocal counted
        day_rows.sort(reverse=True)
        sigs = signatures_of([i for _, i in day_rows])
        for key, i in day_rows:
            sig = sigs.get(i)
            if sig is None:
                continue
            picked.append((key, i, sig))
            if sig.n_words >= MIN_WORDS_EXACT:
                counted += 1

    base = ("SELECT a.id, a.published FROM articles a JOIN story_members m ON m.article_id = a.id "
            "WHERE a.duplicate_of IS NULL AND ")
    # the end of the run's order first: undated articles, then day by day back in time, until
    # the window is full (whole days: within a day the order is by id)
    undated = [(_run_order(None, r[0]), r[0]) for r in con.execute(base + "a.published IS NULL")]
    if undated:
        take(undated)
    day: str | None = None
    rows: list[tuple[tuple, int]] = []
    if counted < window:
        for i, published in con.execute(base + "a.published IS NOT NULL ORDER BY a.published DESC"):
            d = published[:10]
            if d != day and rows:
                take(rows)
                rows = []
                if counted >= window:
                    break
            day = d
            rows.append((_run_order(published, i), i))
        else:
            if rows:
                take(rows)
    for _, i, sig in reversed(picked):
        dd.add_signature(i, sig)


def _write_story(con: sqlite3.Connection, st: Story, now: float) -> None:
    s = st.summary()
    state = json.dumps({"outlets": s["outlets"], "n_copies": st.n_copies}, ensure_ascii=False)
    con.execute(
        "INSERT INTO stories (id, title, title_article, first_seen, last_seen, n_articles, n_outlets, state, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title, "
        "title_article = excluded.title_article, first_seen = excluded.first_seen, last_seen = excluded.last_seen, "
        "n_articles = excluded.n_articles, n_outlets = excluded.n_outlets, state = excluded.state, "
        "updated_at = excluded.updated_at",
        (st.id, s["title"], s["title_article"], s["first_seen"], s["last_seen"], s["n_articles"],
         s["n_outlets"], state, now),
    )


def _apply_merges(con: sqlite3.Connection, g: Grouper, now: float) -> None:
    """Write the grouper's automatic merges: members move, the old id keeps a ``merged_into`` link."""
    for gone, keep in g.merges:
        con.execute("UPDATE story_members SET story_id = ? WHERE story_id = ?", (keep, gone))
        con.execute("UPDATE stories SET merged_into = ?, n_articles = 0, n_outlets = 0, updated_at = ? WHERE id = ?",
                    (keep, now, gone))
    g.merges.clear()


def assign_stories(
    con: sqlite3.Connection,
    article_ids: list[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Group the pending articles (all, or those of ``article_ids``) into stories.

    Returns counts ``{"grouped", "new_stories", "joined", "duplicates", "containers",
    "touched": set of story ids}``.
    """
    counts: dict[str, Any] = {"grouped": 0, "new_stories": 0, "joined": 0, "duplicates": 0, "containers": 0,
                              "touched": set()}
    with grouping_lock(con):  # what is pending is read under the lock: another run may just have grouped it
        pending = _pending(con, article_ids)
        containers = [r["id"] for r in pending if r["is_liveblog"]]
        work = [r for r in pending if not r["is_liveblog"]]
        if containers:
            with transaction(con):
                con.executemany("UPDATE articles SET stage = 'grouped' WHERE id = ?", [(i,) for i in containers])
            counts["containers"] = len(containers)
        if not work:
            return counts
        first_day = next((parse_day(r["published"]) for r in work if parse_day(r["published"]) is not None), None)
        with _fewer_collections():
            problems: list[str] = []
            g = restore_grouper(con, first_day, settings, problems)
            # the stories revisions return to, when the window did not bring them (a story whose
            # only article was revised counts none until the revision is placed)
            heirs = {aid: h for chunk in _chunks([r["id"] for r in work]) for aid, h in _heirs(con, chunk).items()}
            missing = sorted({sid for _, sid, _ in heirs.values()} - set(g.stories))
            if missing:
                _restore_stories(con, g, missing, problems)
            if problems:
                counts["errors"] = problems
            total = len(work)
            done = 0
            for start, end, clustered in Backlog.parts(g, total):
                done = _assign_part(con, g, work[start:end], clustered, counts, done, total, progress, heirs)
    return counts


@contextmanager
def _fewer_collections():
    """Python's cycle collector less often while a run builds hundreds of thousands of small
    dicts and tuples that live on (the stories' vectors, the index): 4% of a 20,000-article run
    (docs/benchmarks.md, "Session 11"). The thresholds are put back afterwards."""
    import gc

    old = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _assign_part(con: sqlite3.Connection, g: Grouper, work: list[sqlite3.Row], clustered: bool,
                 counts: dict[str, Any], done: int, total: int,
                 progress: Callable[[int, int], None] | None,
                 heirs: dict[int, tuple[int, int, int]] | None = None) -> int:
    """Group one part of a run (``Backlog.parts``): clustered by the backlog pass first, or one
    by one, in batches of ``BATCH`` articles; ``heirs``: the run's revisions (:func:`_heirs`),
    looked up once per run. Returns ``done`` + the part.

    A part the backlog pass clusters is one transaction: its clusters are made from all of its
    articles, so a run killed in it keeps nothing of it, and the rerun, which restores the
    stories of the parts before it, cuts and groups the rest as the uninterrupted run did
    (:meth:`Backlog.parts`; the cost is at most one part's work, a second or two, done again).
    A part placed one by one commits each batch: each article's place depends only on the
    articles before it, and another process (an ingest) is not kept waiting."""
    backlog: Backlog | None = None
    all_docs: dict[int, StoryDoc] = {}
    errors: dict[int, str] = {}
    if clustered:
        if progress is not None:
            progress(done, total)  # the clustering takes a few seconds before the first batch
        all_docs = load_docs(con, [r["id"] for r in work], g.s.page_theme, g.s.page_theme_min,
                             g.s.use_annotations, errors)
        head = [r["id"] for r in work if r["id"] in all_docs]
        backlog = Backlog(g, head, [all_docs[i] for i in head])
        if backlog.clustered:  # else a run of mostly single reports: placed one by one
            counts["backlog"] = counts.get("backlog", 0) + len(head)
    with transaction(con) if backlog is not None and backlog.clustered else nullcontext():
        done = _assign_batches(con, g, work, backlog, all_docs, errors, counts, done, total, progress, heirs)
    return done


def _assign_batches(con: sqlite3.Connection, g: Grouper, work: list[sqlite3.Row], backlog: Backlog | None,
                    all_docs: dict[int, StoryDoc], errors: dict[int, str], counts: dict[str, Any], done: int,
                    total: int, progress: Callable[[int, int], None] | None,
                    heirs: dict[int, tuple[int, int, int]] | None) -> int:
    """:func:`_assign_part`'s batches, each in a transaction of its own unless the part's
    transaction is open."""
    for batch in _chunks(work, BATCH):
        ids = [r["id"] for r in batch]
        docs = {i: all_docs[i] for i in ids if i in all_docs}
        if len(docs) < len(ids):
            docs.update(load_docs(con, [i for i in ids if i not in docs and i not in errors], g.s.page_theme,
                                  g.s.page_theme_min, g.s.use_annotations, errors))
        now = time.time()
        with transaction(con):
            _beat(con, g, now)
            rows = _Placed()
            for r in batch:
                doc = docs.get(r["id"])
                if doc is None:  # rejected with its reason, as the other stages do; the run goes on
                    _reject(con, r["id"], errors.get(r["id"], "no article"), counts)
                    continue
                heir = heirs.get(r["id"]) if heirs else None
                if heir is None:
                    a = backlog.add(r["id"], doc) if backlog else g.add(doc)
                else:  # a revision: its predecessor's story
                    placed = _take_over(con, g, doc, heir, rows, counts)
                    if placed is None:
                        continue  # that story is not in the grouper: joined without it
                    a = placed
                if doc.theme:
                    a.explanation["page_theme"] = list(doc.theme)
                dup = a.duplicate
                if dup is not None and r["duplicate_of"] is None:
                    rows.dups.append((dup.original, dup.kind, dup.score, r["id"]))
                    counts["duplicates"] += 1
                if a.new:
                    rows.stories.append((a.story_id, now))
                pin = heir is not None and heir[2] and a.story_id == g.resolve(heir[1])
                rows.members.append((r["id"], a.story_id, a.score, json.dumps(a.explanation, ensure_ascii=False),
                                     int(bool(pin))))
                if g.merges:  # a merge moves the members stored so far
                    rows.write(con)
                    _apply_merges(con, g, now)
                counts["new_stories" if a.new else "joined"] += 1
                counts["grouped"] += 1
            rows.write(con)
            for sid in sorted(rows.refresh):
                refresh_story(con, sid, g.s)
            if g.settle():  # the story-level merge pass, when it is on (off by default)
                _apply_merges(con, g, now)
            touched = g.touched
            counts["touched"] |= touched
            for st in g.drain_retired():
                if st.id in touched:
                    _write_story(con, st, now)
            for sid in sorted(touched):
                if sid in g.stories:
                    _write_story(con, g.stories[sid], now)
            g.touched = set()
        done += len(batch)
        if progress:
            progress(done, total)
    return done


def _beat(con: sqlite3.Connection, g: Grouper, now: float) -> None:
    """At the start of a batch's transaction: the run's heartbeat in ``run_lock`` (StoreBusy
    when the lock is no longer this run's), and the grouper's next story id past every stored one (a story made while the lock was not held,
    by an older Storyline, can never share an id with the run's next new story)."""
    if not con.execute("UPDATE run_lock SET beat = ? WHERE name = ? AND pid = ? AND host = ?",
                       (now, GROUPING, os.getpid(), socket.gethostname())).rowcount:
        # another run took the lock over (this one was silent past the stale limit): stop here;
        # this batch is rolled back and its articles wait for the next run
        row = _lock_holder(con)
        raise StoreBusy(_busy_message(row) if row is not None else "this run lost the store's grouping lock")
    g.next_id = max(g.next_id, (con.execute("SELECT max(id) FROM stories").fetchone()[0] or 0) + 1)


# how far back a chain of revisions is followed (an article revised again before it was grouped)
MAX_REVISIONS = 50


def _heirs(con: sqlite3.Connection, ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """The articles of ``ids`` that replace a superseded story member (``superseded_members``,
    kept by ``ingest.supersede``): a revision of it, or, when a live-blog page was revised, the
    new page's entry with the same content as one of the old page's entries. A revision of a
    revision that was never grouped reaches back along the chain to the last version that was
    in a story (the same for pages). {article id: (the member it replaces, that member's story,
    whether the user had pinned it there)}."""
    out: dict[int, tuple[int, int, int]] = {}
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    rows = con.execute(
        f"SELECT x.id, x.revision_of, x.content_hash, page.revision_of AS page_rev FROM articles x "
        f"LEFT JOIN articles page ON page.id = x.parent_id WHERE x.id IN ({marks}) "
        f"AND (x.revision_of IS NOT NULL OR page.revision_of IS NOT NULL) ORDER BY x.id", ids).fetchall()
    for r in rows:
        hit = None
        older = r["revision_of"]
        for _ in range(MAX_REVISIONS):  # the article's own versions
            if older is None:
                break
            hit = con.execute("SELECT article_id, story_id, pinned FROM superseded_members WHERE article_id = ?",
                              (older,)).fetchone()
            if hit is not None:
                break
            older = con.execute("SELECT revision_of FROM articles WHERE id = ?", (older,)).fetchone()[0]
        page = r["page_rev"]
        for _ in range(MAX_REVISIONS):  # the page's versions: an entry of the same content
            if hit is not None or page is None:
                break
            hit = con.execute(
                "SELECT sm.article_id, sm.story_id, sm.pinned FROM articles e "
                "JOIN superseded_members sm ON sm.article_id = e.id WHERE e.parent_id = ? AND e.content_hash = ? "
                "ORDER BY e.position, e.id LIMIT 1", (page, r["content_hash"])).fetchone()
            page = con.execute("SELECT revision_of FROM articles WHERE id = ?", (page,)).fetchone()[0]
        if hit is not None:
            out[r["id"]] = (hit[0], resolve(con, hit[1]), hit[2])
    return out


def _take_over(con: sqlite3.Connection, g: Grouper, doc: StoryDoc, heir: tuple[int, int, int], rows: "_Placed",
               counts: dict[str, Any]) -> Assignment | None:
    """Place an article that replaces a superseded member (:func:`_heirs`) in that member's
    story, so a revision keeps the story id and the user's decision (pinned stays pinned); the
    member's copies become the article's. In
    the grouper when the story is active (scored and explained as a placement, ``revision_of``
    added); otherwise written directly (``rows.refresh`` recomputes the story after the batch)
    and None is returned."""
    old, sid, pinned = heir
    sid = g.resolve(sid)
    # the copies of the version it replaces are copies of the report it now is
    con.execute("UPDATE articles SET duplicate_of = ? WHERE duplicate_of = ?", (doc.article_id, old))
    g._advance(doc.day)  # a revision dated past the story's window finds it retired
    if sid in g.stories:
        a = g.add(doc, into=sid, mark=None)
        a.explanation["revision_of"] = old
        if pinned and a.story_id == sid:
            g.pinned.add(sid)  # a story with a member the user placed is never merged automatically
        return a
    rows.members.append((doc.article_id, sid, None,
                         json.dumps({"revision_of": old, "kept": True}, ensure_ascii=False), pinned))
    rows.refresh.add(sid)
    counts["joined"] += 1
    counts["grouped"] += 1
    counts["touched"].add(sid)
    return None


class _Placed:
    """The rows a batch's placed articles write, written together (``executemany``) at the end
    of the batch or before a merge moves stored members; ``refresh``: stories to recompute
    after (members joined them without the grouper)."""

    def __init__(self) -> None:
        self.dups: list[tuple] = []
        self.stories: list[tuple] = []
        self.members: list[tuple] = []
        self.refresh: set[int] = set()

    def write(self, con: sqlite3.Connection) -> None:
        con.executemany("UPDATE articles SET duplicate_of = ?, dup_kind = ?, dup_score = ? WHERE id = ?", self.dups)
        con.executemany("INSERT INTO stories (id, updated_at) VALUES (?, ?)", self.stories)
        con.executemany("INSERT INTO story_members (article_id, story_id, score, explanation, pinned) "
                        "VALUES (?, ?, ?, ?, ?)", self.members)
        con.executemany("UPDATE articles SET stage = 'grouped' WHERE id = ?", [(m[0],) for m in self.members])
        self.dups, self.stories, self.members = [], [], []


def _bare_doc(con: sqlite3.Connection, article_id: int) -> StoryDoc:
    """An article's StoryDoc without features (id, outlet, date, headline only)."""
    row = con.execute("SELECT title, outlet, published FROM articles WHERE id = ?", (article_id,)).fetchone()
    return StoryDoc(article_id=article_id, outlet=row["outlet"] or "", day=parse_day(row["published"]),
                    title=(row["title"] or "").strip(), features={})


def _reject(con: sqlite3.Connection, article_id: int, error: str, counts: dict[str, Any]) -> None:
    """An article the stories stage could not read: stage 'failed', a reject naming its source
    file and line, and the message in ``counts["errors"]``."""
    row = con.execute("SELECT source_path, source_line FROM articles WHERE id = ?", (article_id,)).fetchone()
    path = (row["source_path"] if row else None) or f"article {article_id}"
    add_reject(con, path, f"grouping failed: {error}", row["source_line"] if row else None)
    con.execute("UPDATE articles SET stage = 'failed' WHERE id = ?", (article_id,))
    counts["failed"] = counts.get("failed", 0) + 1
    counts.setdefault("errors", []).append(f"article {article_id} ({path}): grouping failed: {error}")


# ------------------------------------------------------------------- decisions


def refresh_story(con: sqlite3.Connection, story_id: int, settings: Settings | None = None) -> dict[str, Any]:
    """Recompute a story's title, dates and counts from its members in the store."""
    g = Grouper(settings)
    _restore_stories(con, g, [story_id])
    st = g.stories[story_id]
    _write_story(con, st, time.time())
    return st.summary()


def _log(con: sqlite3.Connection, op: str, args: dict[str, Any]) -> None:
    con.execute("INSERT INTO story_decisions (op, args, at) VALUES (?, ?, ?)",
                (op, json.dumps(args, ensure_ascii=False), time.time()))


def _story_exists(con: sqlite3.Connection, story_id: int) -> bool:
    row = con.execute("SELECT merged_into FROM stories WHERE id = ?", (story_id,)).fetchone()
    if row is None:
        raise LookupError(f"no story {story_id}")
    if row[0] is not None:
        raise ValueError(f"story {story_id} was merged into story {resolve(con, story_id)}")
    return True


def resolve(con: sqlite3.Connection, story_id: int) -> int:
    """Follow ``merged_into`` links to the story that now holds the articles."""
    seen = set()
    while story_id not in seen:
        seen.add(story_id)
        row = con.execute("SELECT merged_into FROM stories WHERE id = ?", (story_id,)).fetchone()
        if row is None or row[0] is None:
            return story_id
        story_id = row[0]
    return story_id


def merge_stories(con: sqlite3.Connection, into: int, other: int) -> dict[str, Any]:
    """Merge story ``other`` into ``into``: its members move (pinned), it keeps a ``merged_into`` link."""
    if into == other:
        raise ValueError("cannot merge a story into itself")
    with transaction(con):
        _not_grouping(con)
        _story_exists(con, into)
        _story_exists(con, other)
        # each member is now placed by the user: no score, and the grouper's reasons kept as "earlier"
        moved = []
        for aid, why in con.execute("SELECT article_id, explanation FROM story_members WHERE story_id = ?",
                                    (other,)).fetchall():
            try:
                earlier = json.loads(why) if why else None
            except ValueError:
                earlier = None
            moved.append((into, json.dumps({"decision": "merge", "from": other, "earlier": earlier},
                                           ensure_ascii=False), aid))
        con.executemany("UPDATE story_members SET story_id = ?, pinned = 1, score = NULL, explanation = ? "
                        "WHERE article_id = ?", moved)
        con.execute("UPDATE stories SET merged_into = ?, n_articles = 0, n_outlets = 0, updated_at = ? WHERE id = ?",
                    (into, time.time(), other))
        _forget_comparisons(con, [into, other])
        _log(con, "merge", {"into": into, "other": other})
        return refresh_story(con, into)


# the stages of an article a user can place: grouped, or annotated and waiting for the next run
PLACEABLE_STAGES = ("grouped", "annotated")


def _placeable(con: sqlite3.Connection, article_id: int) -> sqlite3.Row:
    """The article's row, when a user may place it in a story; else LookupError (no such
    article) or ValueError saying why not (not processed yet, superseded, a live-blog page)."""
    row = con.execute("SELECT id, stage, is_liveblog, duplicate_of, dup_kind, dup_score FROM articles WHERE id = ?",
                      (article_id,)).fetchone()
    if row is None:
        raise LookupError(f"no article {article_id}")
    if row["is_liveblog"]:
        entries = [r[0] for r in con.execute("SELECT id FROM articles WHERE parent_id = ? AND stage != 'superseded' "
                                             "ORDER BY id LIMIT 6", (article_id,))]
        listed = ", ".join(map(str, entries[:5])) + (", ..." if len(entries) > 5 else "")
        raise ValueError(f"article {article_id} is a live-blog page, which belongs to no story; "
                         f"place its entries instead" + (f" (articles {listed})" if entries else ""))
    if row["stage"] == "superseded":
        newer = con.execute("SELECT id FROM articles WHERE revision_of = ? ORDER BY id DESC LIMIT 1",
                            (article_id,)).fetchone()
        raise ValueError(f"article {article_id} was superseded by a revision"
                         + (f" (article {newer[0]})" if newer else ""))
    if row["stage"] == "failed":
        raise ValueError(f"article {article_id} could not be processed (stage 'failed'; `storyline status` "
                         f"lists the reason)")
    if row["stage"] not in PLACEABLE_STAGES:
        raise ValueError(f"article {article_id} is not ready to be placed (stage '{row['stage']}'); "
                         f"run `storyline process` first")
    return row


def _followers(con: sqlite3.Connection, article_id: int) -> list[int]:
    """The copies that move with an article: its copies that are in its current story (a copy
    the user placed elsewhere stays there)."""
    return [r[0] for r in con.execute(
        "SELECT a.id FROM articles a JOIN story_members c ON c.article_id = a.id "
        "JOIN story_members o ON o.article_id = a.duplicate_of "
        "WHERE a.duplicate_of = ? AND c.story_id = o.story_id ORDER BY a.id", (article_id,))]


def _place(con: sqlite3.Connection, article_id: int, story_id: int, why: dict[str, Any]) -> int | None:
    """Pin an article (checked by :func:`_placeable`) and the copies in its story
    (:func:`_followers`) in ``story_id``; returns the story it was in (None: none yet).

    A copy placed away from its original's story is no longer a copy: the user says it is
    another article (a near copy that is really a different report), so its link is removed
    and the decision keeps what it was (``why["unlinked"]``)."""
    row = _placeable(con, article_id)
    old = con.execute("SELECT story_id FROM story_members WHERE article_id = ?", (article_id,)).fetchone()
    followers = _followers(con, article_id)
    if row["duplicate_of"] is not None:
        home = con.execute("SELECT story_id FROM story_members WHERE article_id = ?", (row["duplicate_of"],)).fetchone()
        if home is None or home[0] != story_id:
            why = {**why, "unlinked": {"duplicate_of": row["duplicate_of"], "kind": row["dup_kind"],
                                       "similarity": row["dup_score"]}}
            con.execute("UPDATE articles SET duplicate_of = NULL, dup_kind = NULL, dup_score = NULL WHERE id = ?",
                        (article_id,))
    con.execute(
        "INSERT INTO story_members (article_id, story_id, score, explanation, pinned) VALUES (?, ?, NULL, ?, 1) "
        "ON CONFLICT(article_id) DO UPDATE SET story_id = excluded.story_id, score = NULL, "
        "explanation = excluded.explanation, pinned = 1",
        (article_id, story_id, json.dumps(why, ensure_ascii=False)),
    )
    con.execute("UPDATE articles SET stage = 'grouped' WHERE id = ?", (article_id,))
    con.executemany("UPDATE story_members SET story_id = ?, pinned = 1 WHERE article_id = ?",
                    [(story_id, c) for c in followers])
    return old[0] if old else None


def _refresh_or_empty(con: sqlite3.Connection, story_id: int) -> None:
    """Recompute a story that members left (:func:`refresh_story`), or mark it empty."""
    if con.execute("SELECT 1 FROM story_members WHERE story_id = ? LIMIT 1", (story_id,)).fetchone():
        refresh_story(con, story_id)
    else:
        con.execute("UPDATE stories SET n_articles = 0, n_outlets = 0, state = ?, updated_at = ? WHERE id = ?",
                    (json.dumps({"outlets": [], "n_copies": 0}), time.time(), story_id))


def split_story(con: sqlite3.Connection, story_id: int, article_ids: list[int]) -> dict[str, Any]:
    """Move the named articles of a story (and the copies that follow them) into a new story,
    all pinned. Returns the new story."""
    if not article_ids:
        raise ValueError("name at least one article to split off")
    with transaction(con):
        _not_grouping(con)
        _story_exists(con, story_id)
        members = {r[0] for r in con.execute("SELECT article_id FROM story_members WHERE story_id = ?", (story_id,))}
        missing = [a for a in article_ids if a not in members]
        if missing:
            raise LookupError(f"not in story {story_id}: {', '.join(map(str, missing))}")
        moving = set(article_ids)
        for aid in article_ids:
            _placeable(con, aid)
            moving.update(_followers(con, aid))
        if moving >= members:
            raise ValueError("splitting off every article would leave the story empty"
                             + (" (the copies of the named articles follow them)" if len(moving) > len(set(article_ids))
                                else ""))
        new_id = (con.execute("SELECT max(id) FROM stories").fetchone()[0] or 0) + 1
        con.execute("INSERT INTO stories (id, updated_at) VALUES (?, ?)", (new_id, time.time()))
        # originals first: a copy split off with its original stays its copy, in any order given
        named = list(dict.fromkeys(article_ids))
        copies = {r[0] for r in con.execute(
            f"SELECT id FROM articles WHERE duplicate_of IS NOT NULL AND id IN ({','.join('?' * len(named))})", named)}
        for aid in sorted(named, key=lambda a: a in copies):
            _place(con, aid, new_id, {"decision": "split", "from": story_id})
        _log(con, "split", {"story": story_id, "new": new_id, "articles": list(article_ids)})
        _forget_comparisons(con, [story_id])
        refresh_story(con, story_id)
        return refresh_story(con, new_id)


def move_article(con: sqlite3.Connection, article_id: int, story_id: int) -> dict[str, Any]:
    """Move one article (and the copies in its story) into another story, pinned there."""
    with transaction(con):
        _not_grouping(con)
        _placeable(con, article_id)  # an unknown article is named before the story is checked
        _story_exists(con, story_id)  # a story merged away is refused, as merge refuses it
        old = _place(con, article_id, story_id, {"decision": "move"})
        _log(con, "move", {"article": article_id, "story": story_id, "from": old})
        _forget_comparisons(con, [story_id] + ([old] if old is not None else []))
        if old is not None and old != story_id:
            _refresh_or_empty(con, old)
        return refresh_story(con, story_id)


def _forget_comparisons(con: sqlite3.Connection, story_ids: list[int]) -> None:
    """Drop the stored comparison reports of stories whose members a decision changed: the next
    ``storyline story`` or page view computes them again."""
    con.executemany("DELETE FROM comparisons WHERE story_id = ?", [(i,) for i in story_ids])


# ------------------------------------------------------------------- the run lock

GROUPING = "grouping"


class StoreBusy(RuntimeError):
    """Another process is grouping the store (:func:`grouping_lock`)."""


# a lock whose heartbeat is older than this is stale: from another machine (a shared file
# system, where the process cannot be checked) after 10 minutes; on this machine, where a live
# process id says the run is alive, after an hour (the id may have been reused since a kill)
LOCK_STALE_SECONDS = 600.0
LOCK_STALE_LOCAL_SECONDS = 3600.0


def _lock_holder(con: sqlite3.Connection) -> sqlite3.Row | None:
    """The live run holding the grouping lock, or None (no row, or its process is gone)."""
    row = con.execute("SELECT pid, host, started, beat FROM run_lock WHERE name = ?", (GROUPING,)).fetchone()
    if row is None:
        return None
    age = time.time() - row["beat"]
    if row["host"] != socket.gethostname():
        return row if age < LOCK_STALE_SECONDS else None
    if row["pid"] == os.getpid():
        return None  # this process (a decision made from inside a run's callback)
    try:
        os.kill(row["pid"], 0)
    except ProcessLookupError:
        return None  # killed or crashed: the lock is stale
    except PermissionError:
        pass  # alive, another user's
    return row if age < LOCK_STALE_LOCAL_SECONDS else None


def _busy_message(row: sqlite3.Row) -> str:
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row["started"]))
    return (f"a run (process {row['pid']} on {row['host']}, since {started}) is grouping this store; "
            f"try again when it ends")


def _not_grouping(con: sqlite3.Connection) -> None:
    """Raise :class:`StoreBusy` when another process is grouping the store: a decision made
    between two of its batches would change stories under it (its next new story could take
    the id of a story the user just split off)."""
    row = _lock_holder(con)
    if row is not None:
        raise StoreBusy(_busy_message(row))


@contextmanager
def grouping_lock(con: sqlite3.Connection):
    """Hold the store's grouping lock for a run of the stories stage (table ``run_lock``): one
    run groups a store at a time, and the user's merge/split/move wait for it to end. A lock
    left by a process that was killed is taken over."""
    now = time.time()
    with transaction(con):
        row = _lock_holder(con)
        if row is not None:
            raise StoreBusy(_busy_message(row))
        con.execute("INSERT OR REPLACE INTO run_lock (name, pid, host, started, beat) VALUES (?, ?, ?, ?, ?)",
                    (GROUPING, os.getpid(), socket.gethostname(), now, now))
    try:
        yield
    finally:
        with transaction(con):
            con.execute("DELETE FROM run_lock WHERE name = ? AND pid = ? AND host = ?",
                        (GROUPING, os.getpid(), socket.gethostname()))


# ------------------------------------------------------------------- queries


def list_stories(
    con: sqlite3.Connection, *, since: str | None = None, until: str | None = None, outlet: str | None = None,
    query: str | None = None, min_outlets: int = 0, limit: int = 50, order: str = "newest",
) -> list[dict[str, Any]]:
    """Stories (not merged away) matching the filters, newest or largest first. A date filter
    leaves undated stories out (nothing says when they ran); ``query`` words that give no search
    term (only punctuation) match no story."""
    where = ["s.merged_into IS NULL", "s.n_articles > 0", "s.n_outlets >= ?"]
    params: list[Any] = [min_outlets]
    if since:
        where.append("s.last_seen >= ?")
        params.append(since)
    if until:
        where.append("s.first_seen <= ?")
        params.append(until)
    if outlet:
        where.append("EXISTS (SELECT 1 FROM story_members m JOIN articles a ON a.id = m.article_id "
                     "WHERE m.story_id = s.id AND a.outlet = ?)")
        params.append(outlet)
    if query:
        from storyline.store import fts_query

        q = fts_query(query)
        if not q:
            return []
        where.append("EXISTS (SELECT 1 FROM articles_fts f JOIN story_members m ON m.article_id = f.rowid "
                     "WHERE m.story_id = s.id AND articles_fts MATCH ?)")
        params.append(q)
    order_sql = ("s.n_outlets DESC, s.n_articles DESC, s.last_seen DESC, s.id DESC" if order == "largest"
                 else "s.last_seen IS NULL, s.last_seen DESC, s.n_outlets DESC, s.id DESC")
    sql = (f"SELECT s.id, s.title, s.first_seen, s.last_seen, s.n_articles, s.n_outlets, s.state FROM stories s "
           f"WHERE {' AND '.join(where)} ORDER BY {order_sql} LIMIT ?")
    params.append(limit)
    out = []
    for r in con.execute(sql, params):
        d = row_to_dict(r)
        d["outlets"] = (d.pop("state") or {}).get("outlets", [])
        out.append(d)
    return out


def get_story(con: sqlite3.Connection, story_id: int) -> dict[str, Any] | None:
    """One story with its members (outlet, date, title, score, explanation, duplicate link, pinned)."""
    row = con.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
    if row is None:
        return None
    story = row_to_dict(row)
    story["outlets"] = (story.pop("state") or {}).get("outlets", [])
    from storyline.compare.units import time_key

    members = [row_to_dict(r) for r in con.execute(
        "SELECT a.id AS article_id, a.external_id, a.outlet, a.published, a.title, a.parent_id, a.duplicate_of, "
        "a.dup_kind, m.score, m.explanation, m.pinned FROM story_members m JOIN articles a ON a.id = m.article_id "
        "WHERE m.story_id = ? ORDER BY a.id", (story_id,))]
    # in publication order as instants (UTC offsets count), as the comparison orders them
    story["members"] = sorted(members, key=lambda m: (time_key(m["published"]), m["article_id"]))
    return story
