"""Shared-nearest-neighbour similarity (docs/stories.md, "Session 4").

Reports of one event that share few words still share neighbours: J, the Jaccard overlap of two
articles' k nearest neighbours (each with itself), lifts them. ``max(cos, a*cos + (1-a)*J)`` only
ever raises a pair's cosine, so big coherent stories stay whole.
"""
from __future__ import annotations

import numpy as np


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
    nearest = np.argsort(-s2, axis=1, kind="stable")[:, :kk]
    m = np.zeros((n, n), dtype=np.float64)
    rows = np.repeat(np.arange(n), kk)
    cols = nearest.ravel()
    m[rows, cols] = (sim[rows, cols] >= floor).astype(np.float64)
    np.fill_diagonal(m, 1.0)
    inter = m @ m.T
    cnt = m.sum(axis=1)
    jac = inter / (cnt[:, None] + cnt[None, :] - inter)
    return np.maximum(sim, a * sim + (1 - a) * jac)
