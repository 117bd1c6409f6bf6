"""The grouper's innermost loops, compiled when possible.

``dot``, ``absorb``, ``candidates`` (and ``minhash``, used by ``dedup``, ``text_features``,
used by ``features``, ``cosines`` and ``snn_lift``, used by ``snn``, and ``backlog_factors``,
used by ``persist``) come from the compiled ``_speedups`` module (built from
``_speedups.pyx`` at install, like the annotate stage's parser helper) and fall back to the
pure-Python versions below, which do the same arithmetic in the same order: the two give the
same floats, hence the same stories. ``COMPILED`` says which one runs;
``STORYLINE_PURE_PYTHON=1`` forces the Python versions (to compare).
"""
from __future__ import annotations

import heapq
import os


def py_dot(a: dict, b: dict) -> float:
    """Sparse dot product: iterates the smaller dict in its own order, looks up the other."""
    if len(a) > len(b):
        a, b = b, a
    s = 0.0
    get = b.get
    for k, v in a.items():
        o = get(k)
        if o is not None:
            s += v * o
    return s


def py_absorb(c: dict, vec: dict) -> float:
    """Add ``vec`` into ``c`` in place; returns ``dot(c, vec)`` as it was before."""
    d = py_dot(c, vec)
    get = c.get
    for k, v in vec.items():
        old = get(k)
        c[k] = 0.0 + v if old is None else old + v
    return d


def py_accumulate(postings: dict, weighted: list, max_posting: int) -> dict:
    """{story id: summed weight} over the (feature, weight) pairs whose posting set is non-empty
    and at most ``max_posting`` long, sets iterated in their own order."""
    acc: dict = {}
    get = acc.get
    for f, w in weighted:
        s = postings.get(f)
        if not s or len(s) > max_posting:
            continue
        for sid in s:
            old = get(sid)
            acc[sid] = 0.0 + w if old is None else old + w
    return acc


def py_top_ids(acc: dict, limit: int) -> list:
    """The ``limit`` ids with the largest sums, sorted by id (all of them when there are at most
    ``limit``); ties between equal sums go to the id added first (``nlargest`` is documented to
    equal the stable ``sorted(..., reverse=True)[:limit]``)."""
    if len(acc) <= limit:
        return sorted(acc)
    return sorted(heapq.nlargest(limit, acc, key=acc.__getitem__))


def py_candidates(postings: dict, weighted: list, max_posting: int, limit: int) -> list:
    """The ``limit`` best story ids for a query: ``top_ids(accumulate(...), limit)``."""
    return py_top_ids(py_accumulate(postings, weighted, max_posting), limit)


COMPILED = False
dot, absorb, accumulate, top_ids, candidates = py_dot, py_absorb, py_accumulate, py_top_ids, py_candidates
minhash = None  # compiled MinHash of word 3-shingles (dedup.Deduper.sketch uses numpy without it)
crc32_words = None  # compiled CRC-32 of words (dedup.word_hashes uses zlib and a cache without it)
tfidf = None  # compiled TF-IDF loop of Grouper.vectorize (its Python loop, Grouper._tfidf, without it)
scaled = None  # compiled {f: w * inv} of Grouper.vectorize (a dict comprehension without it)
cosines = None  # compiled n x n dot products of snn.cosine_matrix (scipy's sparse product without it)
text_features = None  # compiled tokeniser loop of features._text_features (features._py_text_features without it)
backlog_factors = None  # compiled persist.backlog_factors (persist.py_backlog_factors, numpy, without it)
snn_lift = None  # compiled snn.snn_lift (snn.py_snn_lift, numpy, without it)
if os.environ.get("STORYLINE_PURE_PYTHON") != "1":
    try:
        from storyline.stories._speedups import (  # type: ignore[no-redef]
            absorb, backlog_factors, candidates, cosines, crc32_words, dot, minhash, scaled, snn_lift, text_features,
            tfidf)

        COMPILED = True
    except ImportError:  # not built (no C compiler at install): the Python versions above
        pass
