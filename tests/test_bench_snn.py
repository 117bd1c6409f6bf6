"""The batch shared-nearest-neighbour experiment of `storyline bench stories --batch-snn`."""
from __future__ import annotations

import numpy as np

from storyline.bench.stories import snn_cluster


def _matrix() -> np.ndarray:
    # A1, A2, A3 report one event (A3 in other words: cosine 0.25 to both), B1, B2 another
    s = np.full((5, 5), 0.05)
    s[0, 1] = s[1, 0] = 0.6
    s[0, 2] = s[2, 0] = s[1, 2] = s[2, 1] = 0.25
    s[3, 4] = s[4, 3] = 0.6
    np.fill_diagonal(s, 1.0)
    return s


def test_shared_neighbours_join_a_report_in_other_words():
    lab = snn_cluster(_matrix(), k=2, a=0.3, threshold=0.30)
    assert lab[0] == lab[1] == lab[2]
    assert lab[3] == lab[4] != lab[0]


def test_without_neighbours_it_is_plain_average_link():
    lab = snn_cluster(_matrix(), k=2, a=1.0, threshold=0.30)
    assert lab[0] == lab[1] != lab[2]  # 0.25 < 0.30: alone
    assert lab[3] == lab[4] != lab[0]


def test_merging_groups_starts_from_the_groupers_stories():
    from storyline.bench.stories import merge_groups
    from storyline.stories.snn import snn_similarity

    s = _matrix()
    # the grouper left A3 alone: the story-level pass joins it over the shared neighbours
    lab = merge_groups(snn_similarity(s, k=2, a=0.3), ["a", "a", "x", "b", "b"], 0.30)
    assert lab[0] == lab[1] == lab[2] and lab[3] == lab[4] != lab[0]
    # over the plain cosine it stays alone, and a group is never split
    lab = merge_groups(s, ["a", "a", "x", "b", "b"], 0.30)
    assert lab[0] == lab[1] != lab[2] and lab[3] == lab[4]
    assert len(set(merge_groups(s, ["a", "a", "a", "a", "a"], 0.99))) == 1


def test_top_k_is_the_stable_argsort_prefix_ties_and_all():
    from storyline.stories.snn import top_k

    rng = np.random.default_rng(0)
    for trial in range(200):
        m, n = int(rng.integers(1, 25)), int(rng.integers(2, 30))
        k = int(rng.integers(1, n + 2))
        a = np.round(rng.random((m, n)), 1)  # one decimal: many ties
        if trial % 3 == 0:
            a[np.arange(min(m, n)), np.arange(min(m, n))] = -np.inf
        assert (top_k(a, k) == np.argsort(-a, axis=1, kind="stable")[:, :k]).all(), (m, n, k)
    assert top_k([0.2, 0.9, 0.9, 0.1], 2).tolist() == [[1, 2]]
