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


def test_average_link_gives_sklearns_labels():
    # average_link runs scipy's linkage and cuts it as sklearn's AgglomerativeClustering does,
    # label numbers included (the attach step breaks ties between clusters by label)
    from sklearn.cluster import AgglomerativeClustering

    from storyline.stories.snn import average_link

    rng = np.random.default_rng(0)
    for trial in range(150):
        n = int(rng.integers(2, 90))
        x = rng.random((n, 6)) ** 3
        x /= np.linalg.norm(x, axis=1)[:, None]
        s = x @ x.T
        if trial % 2:
            s = s + rng.normal(0, 1e-3, s.shape)  # not quite symmetric: the upper triangle counts
        if trial % 3 == 0:
            s = np.round(s, 1)  # ties
        threshold = float(rng.choice([0.1, 0.3, 0.5, 0.9]))
        dist = np.clip(1.0 - s, 0.0, 2.0)
        np.fill_diagonal(dist, 0.0)
        ref = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                      distance_threshold=1.0 - threshold).fit_predict(dist)
        assert average_link(s, threshold) == ref.tolist(), (trial, n, threshold)
    assert average_link(np.ones((1, 1)), 0.3) == [0]


def test_backlog_factors_are_the_time_and_year_factors():
    import dataclasses

    from storyline.stories.features import StoryDoc
    from storyline.stories.group import Settings
    from storyline.stories.persist import backlog_factors

    rng = np.random.default_rng(1)
    n = 60
    days = [None if rng.random() < 0.15 else 739000 + int(rng.integers(0, 20)) for _ in range(n)]
    years = [frozenset(str(y) for y in rng.choice([2019, 2020, 2021], size=int(rng.integers(0, 3)), replace=False))
             for _ in range(n)]
    docs = [StoryDoc(article_id=i, outlet="o", day=d, title="t", features={}, years=y) for i, (d, y) in enumerate(zip(days, years))]
    for window, decay, yw in ((7, 0.2, 0.3), (3.5, 0.5, 0.0), (30, 0.1, 0.5)):
        s = dataclasses.replace(Settings(), window_days=window, time_decay=decay, backlog_years=yw)
        got = backlog_factors(docs, s)
        for i in range(n):
            for j in range(n):
                want = 1.0
                if days[i] is not None and days[j] is not None:
                    gap = abs(days[i] - days[j])
                    want = 0.0 if gap > window else 1.0 - decay * gap / window
                if yw and years[i] and years[j] and not years[i] & years[j]:
                    want *= 1.0 - yw
                assert got[i, j] == want, (i, j, window)
