"""Clustering scores against gold labels: B-cubed precision/recall/F1, ARI, V-measure."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple


class Scores(NamedTuple):
    precision: float
    recall: float
    f1: float
    ari: float
    v_measure: float
    n_pred: int
    n_gold: int


def bcubed(gold: Sequence[Any], pred: Sequence[Any]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 over items (Bagga & Baldwin 1998)."""
    if len(gold) != len(pred):
        raise ValueError("gold and pred differ in length")
    if not gold:
        return 0.0, 0.0, 0.0
    pair = Counter(zip(gold, pred))
    g = Counter(gold)
    p = Counter(pred)
    prec = sum(n * n / p[pc] for (_, pc), n in pair.items()) / len(gold)
    rec = sum(n * n / g[gc] for (gc, _), n in pair.items()) / len(gold)
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def score(gold: Sequence[Any], pred: Sequence[Any]) -> Scores:
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    p, r, f = bcubed(gold, pred)
    gs = [str(x) for x in gold]
    ps = [str(x) for x in pred]
    return Scores(p, r, f, float(adjusted_rand_score(gs, ps)), float(v_measure_score(gs, ps)),
                  len(set(pred)), len(set(gold)))
