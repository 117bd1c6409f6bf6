"""Shared-nearest-neighbour similarity (docs/stories.md, "Session 4").

Reports of one event that share few words still share neighbours: J, the Jaccard overlap of two
articles' k nearest neighbours (each with itself), lifts them. ``max(cos, a*cos + (1-a)*J)`` only
ever raises a pair's cosine, so big coherent stories stay whole.
"""
from __future__ import annotations

from heapq import heappush, heappushpop

import numpy as np

from storyline.stories import fast


def top_k(a, k: int) -> np.ndarray:
    """Column indices of the ``k`` largest values of each row of ``a``, largest first, ties to
    the lower index: the same as ``np.argsort(-a, axis=1, kind="stable")[:, :k]``, without
    sorting whole rows (a partition finds each row's k-th value; only the values at or above it
    are sorted)."""
    a = np.atleast_2d(np.asarray(a, dtype=float))
    m, n = a.shape
    if k >= n or k < 1 or m == 0:
        return np.argsort(-a, axis=1, kind="stable")[:, :max(k, 0)]
    kth = -np.partition(-a, k - 1, axis=1)[:, k - 1]
    r, c = np.nonzero(a >= kth[:, None])
    order = np.lexsort((c, -a[r, c], r))
    r, c = r[order], c[order]
    starts = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=m))[:-1]])
    return c[starts[:, None] + np.arange(k)[None, :]]


def snn_similarity(sim, k: int = 4, a: float = 0.3, floor: float = -1.0) -> np.ndarray:
    """max(cos, a*cos + (1-a)*J) of a square cosine matrix ``sim`` (ties in the neighbour order
    go to the lower index); a neighbour whose cosine is below ``floor`` does not count."""
    sim = np.asarray(sim, dtype=float)
    n = len(sim)
    if n < 2:
        return sim.copy()
    s2 = sim.copy()
    np.fill_diagonal(s2, -np.inf)
    kk = min(k, n - 1)
    from scipy.sparse import csr_matrix

    nearest = top_k(s2, kk)
    del s2
    rows = np.repeat(np.arange(n), kk)
    cols = nearest.ravel()
    keep = sim[rows, cols] >= floor
    # each row: the article itself and its neighbours at or above the floor (k + 1 ones at
    # most), so the overlap counts are a sparse product
    diag = np.arange(n)
    m = csr_matrix((np.ones(n + int(keep.sum())), (np.concatenate([diag, rows[keep]]),
                                                   np.concatenate([diag, cols[keep]]))), shape=(n, n))
    jac = (m @ m.T).toarray()  # the overlap counts, then (in place) the Jaccard overlaps
    cnt = np.asarray(m.sum(axis=1)).ravel()
    union = np.add.outer(cnt, cnt)
    union -= jac
    np.divide(jac, union, out=jac)
    del union
    # max(sim, a * sim + (1 - a) * jac), the same operations in the same order, in place (each
    # n x n temporary is 65 MB at 2,857 articles)
    jac *= 1 - a
    out = a * sim
    out += jac
    return np.maximum(sim, out, out=out)


def snn_lift(sim, factor, k: int = 4, a: float = 0.3, floor: float = -1.0) -> tuple[np.ndarray, np.ndarray]:
    """The backlog pass's two matrices from a square cosine matrix and its factors: (the
    condensed distances (:func:`distances`) of ``snn_similarity(sim, k, a, floor) * factor``,
    what :func:`average_link_distances` clusters; ``sim * factor``). Compiled
    (``_speedups.snn_lift``, one pass, no n x n temporaries) when built, else
    :func:`py_snn_lift`; the same floats."""
    sim = np.ascontiguousarray(sim, dtype=np.float64)
    factor = np.ascontiguousarray(factor, dtype=np.float64)
    n = len(sim)
    if fast.snn_lift is None or n < 2:
        return py_snn_lift(sim, factor, k, a, floor)
    dist = np.empty(n * (n - 1) // 2)
    scaled = np.empty_like(sim)
    fast.snn_lift(sim, factor, k, a, 1 - a, floor, dist, scaled)
    return dist, scaled


def py_snn_lift(sim, factor, k: int = 4, a: float = 0.3, floor: float = -1.0) -> tuple[np.ndarray, np.ndarray]:
    """:func:`snn_lift` with numpy."""
    return distances(snn_similarity(sim, k, a, floor) * factor), sim * factor


def distances(sim) -> np.ndarray:
    """The condensed distances of a square similarity matrix, as scipy's linkage takes them:
    1 - similarity (clipped to [0, 2]) of each pair i < j, its upper triangle row by row."""
    from scipy.spatial.distance import squareform

    s = np.asarray(sim, dtype=float)
    if len(s) < 2:
        return np.zeros(0)
    dist = squareform(s, checks=False)  # the upper triangle, row by row
    np.subtract(1.0, dist, out=dist)
    np.clip(dist, 0.0, 2.0, out=dist)
    return dist


def average_link(sim, threshold: float) -> list[int]:
    """Average-link clustering from single articles over the square similarity matrix ``sim``
    (its upper triangle), stopping at ``threshold``: labels 0..C-1 per row.

    scipy's linkage, cut where sklearn's ``AgglomerativeClustering(linkage="average",
    metric="precomputed", distance_threshold=1 - threshold)`` cuts it (merges at distance
    1 - similarity below the threshold's), with sklearn's label numbering (``_hc_cut``): the
    same labels, without importing sklearn (half a second) or its n x n index arrays.
    ``tests/test_bench_snn.py`` checks the two agree."""
    return average_link_distances(distances(sim), len(sim), threshold)


def average_link_distances(dist, n: int, threshold: float) -> list[int]:
    """:func:`average_link` of ``n`` articles from their condensed distances (:func:`distances`)."""
    from scipy.cluster.hierarchy import linkage

    if n < 2:
        return [0] * n
    z = linkage(dist, method="average")
    children = z[:, :2].astype(np.intp).tolist()  # row r merges two nodes into node n + r
    clusters = int(np.count_nonzero(z[:, 2] >= 1.0 - threshold)) + 1
    # sklearn's cut: from the root, split the highest node until there are enough clusters
    # (a heap of negated node ids); cluster i is the i-th node of the heap's final list
    nodes = [-(max(children[-1]) + 1)]
    for _ in range(clusters - 1):
        a, b = children[-nodes[0] - n]
        heappush(nodes, -a)
        heappushpop(nodes, -b)
    owner = [-1] * (2 * n - 1)
    for i, node in enumerate(nodes):
        owner[-node] = i
    for node in range(2 * n - 2, n - 1, -1):  # a parent's id is above its children's
        if owner[node] >= 0:
            a, b = children[node - n]
            owner[a] = owner[b] = owner[node]
    return owner[:n]


def cluster(sim, k: int = 4, a: float = 0.3, threshold: float = 0.30) -> list[int]:
    """:func:`average_link` over :func:`snn_similarity` of the cosine matrix ``sim``."""
    return average_link(snn_similarity(sim, k, a), threshold)


def cosine_matrix(vectors: list[dict[str, float]]) -> np.ndarray:
    """Dot products of sparse unit vectors (dicts), as a dense n x n matrix: compiled
    (``_speedups.cosines``, 4x faster) when built, else :func:`py_cosine_matrix`; the same floats."""
    if fast.cosines is None:
        return py_cosine_matrix(vectors)
    out = np.zeros((len(vectors), len(vectors)), dtype=np.float64)
    fast.cosines(list(vectors), out)
    return out


def py_cosine_matrix(vectors: list[dict[str, float]]) -> np.ndarray:
    """:func:`cosine_matrix` by scipy's sparse product (the features of a few thousand articles
    do not fit a dense article x feature array), made exactly symmetric from its upper
    triangle."""
    from scipy.sparse import csr_matrix

    keys: dict[str, int] = {}
    indptr, indices, data = [0], [], []
    for v in vectors:
        for f, w in v.items():
            indices.append(keys.setdefault(f, len(keys)))
            data.append(w)
        indptr.append(len(indices))
    x = csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
                   shape=(len(vectors), max(1, len(keys))))
    out = np.asarray((x @ x.T).toarray(), dtype=np.float64)
    # symmetric: a pair's sum in the lower triangle adds the same products in another order, so
    # it can differ from the upper one in the last bit; the upper triangle's value is used
    lower = np.tril_indices(len(out), -1)
    out[lower] = out.T[lower]
    return out


def merge_closest(sim: np.ndarray, groups: list[int], threshold: float, allowed=None, keep=None,
                  on_merge=None) -> list[tuple[int, int]]:
    """Average-link agglomeration that starts from groups (``groups[i]`` = article i's group,
    0..G-1) instead of single articles, over the similarity matrix ``sim``: merges the pair of
    groups with the highest mean pairwise similarity while it reaches ``threshold`` (ties to
    the pair scanned last), never splits. ``allowed(i, j)`` may veto a pair; ``keep(i, j)``
    says which index survives (default the first); ``on_merge(kept, gone)`` is called at each
    merge, before the next pair is chosen. Returns the merges as (kept, gone)."""
    n_groups = max(groups) + 1 if groups else 0
    member = np.zeros((len(groups), n_groups))
    member[np.arange(len(groups)), groups] = 1.0
    tot = member.T @ sim @ member
    size = member.sum(axis=0)
    live = [gi for gi in range(n_groups) if size[gi] > 0]
    out: list[tuple[int, int]] = []
    while len(live) > 1:
        best, pair = threshold, None
        for ai, i in enumerate(live):
            for j in live[ai + 1:]:
                if allowed is not None and not allowed(i, j):
                    continue
                v = tot[i, j] / (size[i] * size[j])
                if v >= best:
                    best, pair = v, (i, j)
        if pair is None:
            break
        i, j = pair
        k, g = (i, j) if keep is None or keep(i, j) == i else (j, i)
        out.append((k, g))
        if on_merge is not None:
            on_merge(k, g)
        tot[k, :] += tot[g, :]
        tot[:, k] += tot[:, g]
        size[k] += size[g]
        live.remove(g)
    return out


def attach_small(sim, labels: list[int], max_size: int, k: int = 2, floor: float = 0.2,
                 ratio: float = 0.7, rounds: int = 3, fixed=frozenset()) -> tuple[list[int], set[int]]:
    """Clusters of at most ``max_size`` articles join the cluster their nearest outside
    neighbours are in (docs/stories.md, "Session 6").

    Average link asks a newcomer to resemble a story's members *on average*; a short or
    off-centre report of a big story resembles only a few of them, and stays apart. A small
    cluster joins cluster C when, for each of its articles, the ``k`` most similar articles
    outside the small cluster (``sim``, a square similarity matrix) all lie in C, their mean
    similarity reaches ``floor``, and, when the small cluster has other members, it reaches
    ``ratio`` x the article's closest similarity inside it too (a tight group that is only
    loosely near C is its own story). Smallest clusters first (ties by label), at most
    ``rounds`` sweeps. A cluster with a member in ``fixed`` stays (it can still be joined).
    Returns the new labels and the indices of the articles that moved."""
    sim = np.asarray(sim, dtype=float)
    lab = list(labels)
    n = len(lab)
    moved: set[int] = set()
    if n < 3 or max_size < 1:
        return lab, moved
    kk = min(k, n - 1)
    for _ in range(rounds):
        members: dict[int, list[int]] = {}
        for i, c in enumerate(lab):
            members.setdefault(c, []).append(i)
        changed = False
        for c in sorted(members, key=lambda c: (len(members[c]), c)):
            idx = members[c]
            if not idx or len(idx) > max_size or len(idx) > n - kk or any(i in fixed for i in idx):
                continue
            target = None
            for i in idx:
                row = sim[i].copy()
                row[idx] = -np.inf
                near = top_k(row, kk)[0]
                where = {lab[j] for j in near}
                mean = float(row[near].mean())
                inside = max((sim[i, j] for j in idx if j != i), default=None)
                if len(where) != 1 or mean < floor or (inside is not None and mean < ratio * inside):
                    target = None
                    break
                t = where.pop()
                if target not in (None, t):
                    target = None
                    break
                target = t
            if target is None:
                continue
            for i in idx:
                lab[i] = target
                moved.add(i)
            members[target].extend(idx)
            members[c] = []
            changed = True
        if not changed:
            break
    return lab, moved
