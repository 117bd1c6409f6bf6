"""The grouper's compiled inner loops (stories/_speedups.pyx) give exactly the floats of their
pure-Python twins in stories/fast.py, so a build without a C compiler groups the same way."""
from __future__ import annotations

import os
import random

import numpy as np
import pytest

from storyline.stories import fast


def _compiled_or_skip():
    if not fast.COMPILED:
        if os.environ.get("STORYLINE_REQUIRE_COMPILED") == "1":
            pytest.fail("storyline.stories._speedups was not built (setup.py needs Cython and a C compiler)")
        pytest.skip("the compiled grouping loops are not built here; the Python versions run")
    from storyline.stories import _speedups

    return _speedups


def _vectors(rnd: random.Random, n: int, vocab: int) -> dict[str, float]:
    return {f"w{rnd.randrange(vocab)}": rnd.uniform(-1.0, 3.0) for _ in range(n)}


def test_python_versions_compute_the_sums():
    a = {"quake": 0.5, "@Korvath": 2.0, "#Selby": 1.0}
    b = {"quake": 0.2, "#Selby": 3.0, "flood": 9.0}
    assert fast.py_dot(a, b) == pytest.approx(0.5 * 0.2 + 1.0 * 3.0)
    assert fast.py_dot(a, {}) == 0.0
    c = dict(a)
    assert fast.py_absorb(c, b) == pytest.approx(3.1)
    assert c == {"quake": 0.7, "@Korvath": 2.0, "#Selby": 4.0, "flood": 9.0}
    postings = {"quake": {1, 2}, "#Selby": {2}, "the": set(range(50))}
    acc = fast.py_accumulate(postings, [("quake", 0.5), ("#Selby", 1.0), ("the", 9.0), ("none", 1.0)], 10)
    assert acc == {1: 0.5, 2: 1.5}  # "the" is in too many stories to count


def test_compiled_loops_match_python_bit_for_bit():
    sp = _compiled_or_skip()
    rnd = random.Random(3)
    for _ in range(200):
        a = _vectors(rnd, rnd.randrange(0, 120), 400)
        b = _vectors(rnd, rnd.randrange(0, 900), 400)
        assert sp.dot(a, b) == fast.py_dot(a, b)
        assert sp.dot(b, a) == fast.py_dot(b, a)
        c1, c2 = dict(b), dict(b)
        assert sp.absorb(c1, a) == fast.py_absorb(c2, a)
        assert c1 == c2 and list(c1) == list(c2)  # same values, same key order
        postings = {f"w{i}": set(rnd.sample(range(300), rnd.randrange(0, 30))) for i in range(400)}
        weighted = list(a.items())
        for limit in (4, 1000):
            assert sp.candidates(postings, weighted, 20, limit) == fast.py_candidates(postings, weighted, 20, limit)


def test_compiled_minhash_is_the_numpy_sketch():
    _compiled_or_skip()
    from storyline.stories.dedup import Deduper

    d = Deduper()
    rnd = random.Random(5)
    for _ in range(100):
        words = [f"w{rnd.randrange(300)}" for _ in range(rnd.randrange(40, 600))]
        body = " ".join(words)
        compiled = d.sketch(body)
        assert compiled is not None and compiled.dtype == np.uint64
        assert np.array_equal(compiled, d.sketch_numpy(words))
    # a near copy (one word changed) still shares most of the sketch; an unrelated text does not
    base = " ".join(f"w{i}" for i in range(200))
    near = base.replace("w100", "changed")
    other = " ".join(f"x{i}" for i in range(200))
    assert np.count_nonzero(d.sketch(base) == d.sketch(near)) > 48
    assert np.count_nonzero(d.sketch(base) == d.sketch(other)) < 8


def test_compiled_tfidf_and_scaling_are_the_python_loops():
    sp = _compiled_or_skip()
    from storyline.stories.group import Grouper

    rnd = random.Random(9)
    chan_w = {"": 1.0, "@": 1.5, "#": 1.0, "~": 0.0, "=": 0.5}
    prior = lambda f: 0.5 * len(f)  # noqa: E731 - any deterministic prior
    for learn in (True, False):
        df1: dict = {f"w{i}": float(rnd.randrange(1, 50)) for i in range(100)}
        df2 = dict(df1)
        for _ in range(50):
            feats = {rnd.choice(["", "@", "#", "~", "="]) + f"w{rnd.randrange(200)}": float(rnd.choice([1, 1, 2, 3.0]))
                     for _ in range(rnd.randrange(1, 80))}
            for tf_log in (1.0, 0.7, 0.0):
                a = sp.tfidf(feats, df1, prior, chan_w, 1.0, 9.3, learn, tf_log)
                b = Grouper._tfidf(feats, df2, prior, chan_w, 1.0, 9.3, learn, tf_log)
                assert a == b and list(a) == list(b)
                assert not any(f.startswith("~") for f in a)  # a channel of weight 0 is left out
        assert df1 == df2
    for _ in range(50):
        vec = {f"w{rnd.randrange(300)}": rnd.uniform(0.0, 5.0) for _ in range(rnd.randrange(0, 60))}
        inv = 1.0 / rnd.uniform(0.1, 9.0)
        got, want = sp.scaled(vec, inv), {f: w * inv for f, w in vec.items()}
        assert got == want and list(got) == list(want)


def test_compiled_crc32_is_zlibs():
    sp = _compiled_or_skip()
    import zlib

    words = ["quake", "Korvath", "Zelenskyy", "Зеленський", "北京", "naïve", "", "x" * 300, "’s", "1,300"]
    rnd = random.Random(2)
    words += ["".join(chr(rnd.randrange(32, 0x3000)) for _ in range(rnd.randrange(1, 12))) for _ in range(300)]
    out = np.empty(len(words), dtype=np.uint64)
    sp.crc32_words(words, out)
    assert [int(v) for v in out] == [zlib.crc32(w.encode("utf-8")) for w in words]


def test_top_ids_keeps_nlargests_ties():
    import heapq

    rnd = random.Random(11)
    for _ in range(500):
        n = rnd.randrange(0, 40)
        # few distinct values: many ties at the boundary
        acc = {rnd.randrange(1000): float(rnd.choice([0.5, 1.0, 1.5, 2.0])) for _ in range(n)}
        for limit in (1, 3, 4, 8):
            best = sorted(acc, key=lambda k: -acc[k])[:limit]  # stable: ties to the first added
            assert fast.py_top_ids(acc, limit) == sorted(best)
            assert fast.py_top_ids(acc, limit) == sorted(heapq.nlargest(limit, acc, key=acc.__getitem__))
    assert fast.py_top_ids({5: 1.0, 3: 2.0, 9: 1.0, 1: 0.5}, 2) == [3, 5]  # 5 before 9: added first


def test_compiled_candidates_is_top_ids_of_accumulate_with_its_ties():
    sp = _compiled_or_skip()
    rnd = random.Random(5)
    for _ in range(400):
        # large ids (not interned ints: equal ids are different objects in different sets),
        # weights from a few values so that sums tie at the boundary
        ids = [rnd.randrange(10**6, 10**6 + 200) for _ in range(60)]
        postings = {f"w{i}": {int(str(x)) for x in rnd.sample(ids, rnd.randrange(0, 25))} for i in range(60)}
        weighted = [(f"w{rnd.randrange(70)}", rnd.choice([0.25, 0.5, 1.0])) for _ in range(rnd.randrange(0, 30))]
        for limit in (1, 4, 8, 100):
            expect = fast.py_top_ids(fast.py_accumulate(postings, weighted, 20), limit)
            assert sp.candidates(postings, weighted, 20, limit) == expect
    assert sp.candidates({"quake": {7, 3}, "#Selby": {3}}, [("quake", 0.5), ("#Selby", 1.0)], 10, 1) == [3]


def _texts_for_the_tokeniser() -> list[tuple[str, str]]:
    """The bundled example articles (invented), plus random strings of the characters the
    tokeniser and the date and name rules treat specially."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "examples"
    texts = []
    for path in sorted(root.rglob("*.txt")):
        head, _, body = path.read_text(encoding="utf-8").partition("\n")
        texts.append((head, body))
    rnd = random.Random(17)
    pieces = list("aAzZ \n.,:;'’-–—\"“”([|!?_0123456789²①é") + [
        "March ", "12 ", " 2019", "May ", "Dec. 5", "5 June", "31", "32", "0012", "İstanbul", "O'Brien",
        "Zelenskyy", "١٢", "٢٠٢٤", "1,300", "3.5", "10:30", "said ", "Korvath ", "9" * 40]
    for _ in range(3000):
        texts.append(("".join(rnd.choice(pieces) for _ in range(rnd.randrange(0, 12))),
                      "".join(rnd.choice(pieces) for _ in range(rnd.randrange(0, 120)))))
    return texts


def test_text_features_read_numbers_as_the_tokeniser_finds_them():
    # "²" and "①" are letters to WORD_RE's classes (not decimal digits): they used to go down
    # the number branch and crash int(); a 40-digit run is no day of the month
    from storyline.stories import features as F

    for impl in (fast.text_features, None):
        old, fast.text_features = fast.text_features, impl
        try:
            feats, _, body = F._text_features("Area", "The field was 5² metres, entry ① on 12 March 2031; code " + "9" * 40)
        finally:
            fast.text_features = old
        assert feats["=5"] == 1.0 and feats["~03-12"] == 1.0 and feats["~2031"] == 1.0
        assert "=12" not in feats and "²" not in feats
        assert body.startswith("the field was 5 ² metres")


@pytest.mark.parametrize("lead_chars", [0.0, 60.0])
def test_compiled_text_features_is_the_python_loop(lead_chars, monkeypatch):
    _compiled_or_skip()
    from storyline.stories import features as F

    monkeypatch.setitem(F.options(), "lead_chars", lead_chars)  # the lead features ("^" keys) too
    texts = _texts_for_the_tokeniser()
    assert len(texts) > 3000
    compiled = fast.text_features
    leads = 0
    for kw in ({}, {"with_entities": False}, {"title_w": 1.0}):
        for title, text in texts:
            try:
                fast.text_features = None
                want = F._text_features(title, text, **kw)
            finally:
                fast.text_features = compiled
            got = F._text_features(title, text, **kw)
            assert got == want, (title, text)
            assert list(got[0].items()) == list(want[0].items())  # same key order: same float sums later
            assert list(got[1].items()) == list(want[1].items())
            leads += any(k[0] == "^" for k in got[0])
    assert (leads > 100) == bool(lead_chars)


def test_compiled_cosines_are_scipys_product_bit_for_bit():
    sp = _compiled_or_skip()
    from storyline.stories import snn

    rnd = random.Random(23)
    for n in (0, 1, 2, 7, 60):
        # skewed vocabularies: a few features in most vectors, as common words are
        vectors = [{f"w{int(rnd.paretovariate(0.8)) % 500}": rnd.uniform(0.01, 1.0) for _ in range(rnd.randrange(0, 90))}
                   for _ in range(n)]
        want = snn.py_cosine_matrix(vectors)
        got = np.zeros((n, n))
        sp.cosines(vectors, got)
        assert got.view(np.uint64).tolist() == want.view(np.uint64).tolist()  # the same bits
        assert np.array_equal(snn.cosine_matrix(vectors), want)
    a, b = {"quake": 0.6, "@Korvath": 0.8}, {"@Korvath": 0.5, "flood": 0.5}
    assert snn.cosine_matrix([a, b, {}]).tolist() == [[1.0, 0.4, 0.0], [0.4, 0.5, 0.0], [0.0, 0.0, 0.0]]


def test_compiled_snn_lift_is_the_numpy_lift_bit_for_bit():
    """The backlog pass's lifted and factored matrices: the same bits from the one-pass loop as
    from numpy's temporaries, with ties in the neighbour order (rounded cosines), floors that
    drop neighbours, asymmetric input and factors of 0."""
    sp = _compiled_or_skip()
    from storyline.stories import snn

    rng = np.random.default_rng(5)
    for trial in range(120):
        n = int(rng.integers(2, 50))
        x = rng.random((n, n))
        if trial % 3 == 0:
            x = np.round(x, 1)  # many equal cosines: the lower index comes first
        if trial % 4:
            x = (x + x.T) / 2
        np.fill_diagonal(x, 1.0)
        factor = rng.choice([0.0, 0.7, 0.85, 1.0], size=(n, n))
        k = int(rng.integers(1, 7))  # k >= n too: every other article is a neighbour
        a = float(rng.choice([0.0, 0.3, 1.0]))
        floor = float(rng.choice([-1.0, 0.25, 0.6]))
        want = snn.py_snn_lift(x, factor, k, a, floor)
        dist, scaled = np.empty(n * (n - 1) // 2), np.empty((n, n))
        sp.snn_lift(x, factor, k, a, 1 - a, floor, dist, scaled)
        assert dist.view(np.uint64).tolist() == want[0].view(np.uint64).tolist(), (trial, n, k, a, floor)
        assert scaled.view(np.uint64).tolist() == want[1].view(np.uint64).tolist()
        got = snn.snn_lift(x, factor, k, a, floor)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    # one article: no pair, nothing to lift
    one = snn.snn_lift(np.ones((1, 1)), np.full((1, 1), 0.5))
    assert one[0].tolist() == [] and one[1].tolist() == [[0.5]]
    # the distances are the lifted similarities' (1 - s, clipped), pair by pair
    x = np.array([[1.0, 0.9, 0.1], [0.9, 1.0, 0.2], [0.1, 0.2, 1.0]])
    dist, scaled = snn.snn_lift(x, np.ones((3, 3)), k=1, a=0.3)
    lifted = snn.snn_similarity(x, 1, 0.3)
    assert dist.tolist() == [1 - lifted[0, 1], 1 - lifted[0, 2], 1 - lifted[1, 2]] and scaled.tolist() == x.tolist()


def test_compiled_backlog_factors_are_numpys():
    """Days, undated articles and year sets: the one-pass factors are the numpy ones."""
    import dataclasses

    from storyline.stories.features import StoryDoc
    from storyline.stories.group import Settings
    from storyline.stories.persist import backlog_factors, py_backlog_factors

    _compiled_or_skip()
    rng = np.random.default_rng(9)
    n = 80
    days = [None if rng.random() < 0.2 else 739000 + int(rng.integers(0, 25)) for _ in range(n)]
    years = [frozenset(str(y) for y in rng.choice([1999, 2019, 2020, 2021, 2024], size=int(rng.integers(0, 4)),
                                                  replace=False)) for _ in range(n)]
    docs = [StoryDoc(article_id=i, outlet="o", day=d, title="t", features={}, years=y)
            for i, (d, y) in enumerate(zip(days, years))]
    for window, decay, yw in ((7, 0.2, 0.3), (3.5, 0.5, 0.0), (30, 0.1, 0.5), (0.5, 1.0, 0.3)):
        s = dataclasses.replace(Settings(), window_days=window, time_decay=decay, backlog_years=yw)
        got, want = backlog_factors(docs, s), py_backlog_factors(docs, s)
        assert got.view(np.uint64).tolist() == want.view(np.uint64).tolist(), (window, decay, yw)
    assert backlog_factors([], Settings()).shape == (0, 0)


def test_compiled_candidates_with_no_room_is_the_pythons_empty_list():
    """``limit`` 0 or below (``max_candidates`` 0, ``settle_candidates`` -1): no candidates,
    as the Python twin gives, instead of reading outside an empty selection."""
    sp = _compiled_or_skip()
    postings = {"quake": {7, 3}, "#Selby": {3}}
    for weighted in ([("quake", 0.5), ("#Selby", 1.0)], [], [("none", 1.0)]):
        for limit in (0, -1, -40):
            assert sp.candidates(postings, weighted, 10, limit) == fast.py_candidates(postings, weighted, 10, limit) == []


def test_compiled_snn_lift_without_neighbours_is_numpys():
    """``k`` 0 (``backlog_k`` 0): each neighbour set is the article itself, J = 0, the same bits
    as numpy; ``k`` < 0 is refused by both."""
    sp = _compiled_or_skip()
    from storyline.stories import snn

    rng = np.random.default_rng(9)
    for trial in range(40):
        n = int(rng.integers(2, 30))
        x = rng.random((n, n)) * 2 - 0.5  # negative cosines too: a * s > s there
        if trial % 2:
            x = (x + x.T) / 2
        np.fill_diagonal(x, 1.0)
        factor = rng.choice([0.0, 0.7, 1.0], size=(n, n))
        a = float(rng.choice([0.0, 0.3, 1.0]))
        want = snn.py_snn_lift(x, factor, 0, a, 0.25)
        dist, scaled = np.empty(n * (n - 1) // 2), np.empty((n, n))
        sp.snn_lift(x, factor, 0, a, 1 - a, 0.25, dist, scaled)
        assert dist.view(np.uint64).tolist() == want[0].view(np.uint64).tolist(), trial
        assert scaled.view(np.uint64).tolist() == want[1].view(np.uint64).tolist()
    x = np.array([[1.0, 0.5], [0.5, 1.0]])
    with pytest.raises(ValueError):
        snn.py_snn_lift(x, np.ones((2, 2)), -1)
    with pytest.raises(ValueError):
        sp.snn_lift(x, np.ones((2, 2)), -1, 0.3, 0.7, 0.25, np.empty(1), np.empty((2, 2)))
