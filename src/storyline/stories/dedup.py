"""Exact and near duplicates (wire copies, syndication) before grouping.

Exact copies share the hash of their normalised body (lower-cased words, single spaces).
Near copies are found with MinHash over word 3-shingles and an LSH banding index (the
banding of datasketch's ``MinHashLSH``, kept in plain dicts: inserting and querying cost a
few microseconds instead of datasketch's per-band byte swapping and storage layers), then
confirmed by the estimated Jaccard similarity. Both indexes hold only the last ``window``
articles indexed (oldest evicted first), so memory stays flat on an endless stream.

A duplicate is never merged into its original: the caller records a link
(``articles.duplicate_of``, ``dup_kind``, ``dup_score``) and the copy joins the original's story.
"""
from __future__ import annotations

import base64
import hashlib
import zlib
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from storyline.stories import fast

NUM_PERM = 64
# LSH banding: 12 bands of 5 rows, what datasketch's MinHashLSH chooses for threshold 0.7,
# 64 permutations and weights (0.1, 0.9) (false negatives weighed high: the Jaccard check
# below removes false positives). A pair with Jaccard 0.7 shares a band with p = 0.96.
BANDS, ROWS = 12, 5
NEAR_THRESHOLD = 0.7  # default; the grouper passes settings.toml [dedup] near_threshold
MIN_WORDS_EXACT = 8  # shorter bodies ("Read more here") are not evidence of copying
MIN_WORDS_NEAR = 40  # MinHash on a few dozen shingles is too noisy below this


@dataclass(slots=True, frozen=True)
class Duplicate:
    """``article_id`` is a copy of ``original``: ``kind`` exact|near, ``score`` = Jaccard estimate."""

    original: Any
    kind: str
    score: float


@dataclass(slots=True, frozen=True)
class Signature:
    """What the duplicate index needs of a normalised body: its word count, its hash (empty
    under MIN_WORDS_EXACT words) and its MinHash sketch (None under MIN_WORDS_NEAR words).
    Stored with an article's feature bag (:meth:`to_json`), so a restart rebuilds the index
    without reading the text again."""

    n_words: int
    digest: bytes
    sketch: np.ndarray | None

    def to_json(self) -> dict[str, Any]:
        return {"w": self.n_words, "h": self.digest.hex(),
                "s": None if self.sketch is None else base64.b64encode(self.sketch.astype("<u8").tobytes()).decode("ascii")}

    @staticmethod
    def from_json(d: dict[str, Any]) -> Signature:
        s = d.get("s")
        sketch = None if s is None else np.frombuffer(base64.b64decode(s), dtype="<u8").astype(np.uint64)
        return Signature(int(d["w"]), bytes.fromhex(d["h"]), sketch)


_MASK = np.uint64(0xFFFFFFFF)


_WORD_HASH: dict[str, int] = {}


def word_hashes(words: list[str]) -> np.ndarray:
    """CRC32 of each word (cached), as uint64. CRC32 is the same in every process (Python's
    ``hash`` is not), so the same texts give the same sketches in every run."""
    if fast.crc32_words is not None:
        out = np.empty(len(words), dtype=np.uint64)
        fast.crc32_words(words, out)
        return out
    cache = _WORD_HASH
    if len(cache) > 500_000:
        cache.clear()
    try:
        hs = list(map(cache.__getitem__, words))
    except KeyError:
        for w in words:
            if w not in cache:
                cache[w] = zlib.crc32(w.encode("utf-8"))
        hs = list(map(cache.__getitem__, words))
    return np.array(hs, dtype=np.uint64)


def shingle_hashes(words: list[str]) -> np.ndarray:
    """32-bit hashes of the word 3-shingles: CRC32 per word, combined with numpy."""
    h = word_hashes(words)
    # repeated shingles do not change a minimum: no need to deduplicate them
    return (h[:-2] * np.uint64(0x9E3779B1) + h[1:-1] * np.uint64(0x85EBCA77) + h[2:]) & _MASK


class Deduper:
    """Finds copies of earlier articles among those seen in the last ``window`` entries.

    Args:
        threshold: minimum estimated Jaccard similarity of word 3-shingles for a near copy.
        window: how many recent articles stay indexed (oldest evicted first).

    Note:
        The index lives in memory; after a restart it is rebuilt from the signatures of the
        last ``window`` articles the run indexed, stored with their feature bags, or from their
        texts (hashing is stable across processes), added in the run's order
        (``persist._restore_dedup``), so it finds the same copies. Near-copy ties (equal
        estimates) go to the earliest original (smallest numeric id).

    Examples:
        >>> d = Deduper()
        >>> body = " ".join(f"w{i}" for i in range(60))
        >>> d.add(1, body); d.check(body)
        Duplicate(original=1, kind='exact', score=1.0)
    """

    def __init__(self, threshold: float = NEAR_THRESHOLD, window: int = 50_000, num_perm: int = NUM_PERM):
        self.threshold = threshold
        self.window = window
        rng = np.random.RandomState(1)  # fixed: sketches must match across runs
        # multiply-shift hashing: random odd 64-bit multipliers, arithmetic wraps mod 2^64
        hi = rng.randint(0, 1 << 31, size=(2, num_perm)).astype(np.uint64)
        lo = rng.randint(0, 1 << 31, size=(2, num_perm)).astype(np.uint64)
        self._a = (hi[0] << np.uint64(33)) | (lo[0] << np.uint64(1)) | np.uint64(1)
        self._b = (hi[1] << np.uint64(32)) | lo[1]
        self.bands = min(BANDS, num_perm // ROWS)
        self.tables: list[dict[bytes, list[Any]]] = [{} for _ in range(self.bands)]
        self.exact: dict[bytes, Any] = {}
        self.sketches: dict[Any, np.ndarray] = {}
        self.order: deque[tuple[Any, bytes]] = deque()

    @staticmethod
    def body_hash(body: str) -> bytes:
        return hashlib.blake2b(body.encode("utf-8"), digest_size=12).digest()

    def sketch(self, body: str) -> np.ndarray | None:
        """The MinHash signature of the body's word 3-shingles (None under MIN_WORDS_NEAR words)."""
        words = body.split()
        if len(words) < MIN_WORDS_NEAR:
            return None
        if fast.minhash is not None:  # the same numbers, computed without temporaries
            out = np.empty(len(self._a), dtype=np.uint64)
            fast.minhash(word_hashes(words), self._a, self._b, out)
            return out
        return self.sketch_numpy(words)

    def sketch_numpy(self, words: list[str]) -> np.ndarray:
        """:meth:`sketch` in numpy (the fallback, and the reference for the compiled one)."""
        hv = shingle_hashes(words)[:, None]
        return ((hv * self._a + self._b) >> np.uint64(16)).min(axis=0)  # top 48 bits of a*x+b mod 2^64

    def _band_keys(self, sketch: np.ndarray) -> list[bytes]:
        raw = sketch.tobytes()
        step = ROWS * sketch.itemsize
        return [raw[i * step:(i + 1) * step] for i in range(self.bands)]

    def signature(self, body: str, sketch: np.ndarray | None = None) -> Signature:
        """The body's :class:`Signature` (``sketch``: its :meth:`sketch`, when already computed)."""
        n_words = body.count(" ") + 1 if body else 0
        if n_words < MIN_WORDS_EXACT:
            return Signature(n_words, b"", None)
        return Signature(n_words, self.body_hash(body), self.sketch(body) if sketch is None else sketch)

    def check(self, body: str, sketch: np.ndarray | None = None) -> Duplicate | None:
        """The earlier article ``body`` copies, or None. Exact copies win over near ones."""
        return self.check_signature(self.signature(body, sketch))

    def check_signature(self, sig: Signature) -> Duplicate | None:
        """:meth:`check` of a body by its :class:`Signature`."""
        if sig.n_words < MIN_WORDS_EXACT:
            return None
        original = self.exact.get(sig.digest)
        if original is not None:
            return Duplicate(original, "exact", 1.0)
        sketch = sig.sketch
        if sketch is None:
            return None
        best: Any = None
        best_j = 0.0
        found: set[Any] = set()
        for table, band in zip(self.tables, self._band_keys(sketch)):
            hit = table.get(band)
            if hit:
                found.update(hit)
        for key in found:
            j = float(np.count_nonzero(sketch == self.sketches[key])) / len(sketch)
            # the unrounded estimates are compared: ties (k/64 each) go to the earliest original
            if j >= self.threshold and (best is None or (j, -_order_key(key)) > (best_j, -_order_key(best))):
                best, best_j = key, j
        return None if best is None else Duplicate(best, "near", round(best_j, 4))

    def add(self, article_id: Any, body: str, sketch: np.ndarray | None = None) -> None:
        """Index an original (copies are not indexed: their original already is)."""
        self.add_signature(article_id, self.signature(body, sketch))

    def add_signature(self, article_id: Any, sig: Signature) -> None:
        """:meth:`add` of a body by its :class:`Signature`."""
        if sig.n_words < MIN_WORDS_EXACT:
            return
        h = sig.digest
        self.exact.setdefault(h, article_id)
        sketch = sig.sketch
        if sketch is not None and article_id not in self.sketches:
            self.sketches[article_id] = sketch
            for table, band in zip(self.tables, self._band_keys(sketch)):
                table.setdefault(band, []).append(article_id)
        self.order.append((article_id, h))
        while len(self.order) > self.window:
            old, old_h = self.order.popleft()
            if self.exact.get(old_h) == old:
                del self.exact[old_h]
            old_sketch = self.sketches.pop(old, None)
            if old_sketch is not None:
                for table, band in zip(self.tables, self._band_keys(old_sketch)):
                    ids = table.get(band)
                    if ids is not None:
                        ids.remove(old)  # the oldest is near the front: cheap
                        if not ids:
                            del table[band]


@lru_cache(maxsize=1)
def _signer() -> Deduper:
    return Deduper()


def signature(body: str) -> Signature:
    """The :class:`Signature` of a normalised body (the same in every Deduper: hashing and
    permutations are fixed)."""
    return _signer().signature(body)


def _order_key(key: Any) -> int:
    """Ties go to the earliest original (smallest numeric id); non-numeric ids tie at 0."""
    return key if isinstance(key, int) else 0
