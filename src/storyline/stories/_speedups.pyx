# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled versions of the grouper's three innermost loops (``storyline.stories.fast``).

The grouper's vectors are dicts from feature key to float weight. These loops are the same
arithmetic in the same order as their pure-Python twins in ``fast.py`` (so both give
bit-identical floats and the same stories), written against the dict C API: no bytecode per
feature, no temporary sets or lists. ``tests/test_stories_fast.py`` checks they agree.
"""
from cpython.dict cimport PyDict_GetItem, PyDict_Next, PyDict_SetItem
from cpython.object cimport PyObject


def dot(dict a, dict b):
    """Sparse dot product: iterates the smaller dict in its own order, looks up the other."""
    cdef dict small = a, big = b
    if len(a) > len(b):
        small, big = b, a
    cdef double s = 0.0
    cdef Py_ssize_t pos = 0
    cdef PyObject *k
    cdef PyObject *v
    cdef PyObject *other
    while PyDict_Next(small, &pos, &k, &v):
        other = PyDict_GetItem(big, <object>k)
        if other is not NULL:
            s += (<double>(<object>v)) * (<double>(<object>other))
    return s


def absorb(dict c, dict vec):
    """Add ``vec`` into ``c`` in place; returns ``dot(c, vec)`` as it was before."""
    cdef double d = dot(c, vec)
    cdef Py_ssize_t pos = 0
    cdef PyObject *k
    cdef PyObject *v
    cdef PyObject *old
    while PyDict_Next(vec, &pos, &k, &v):
        old = PyDict_GetItem(c, <object>k)
        if old is NULL:
            PyDict_SetItem(c, <object>k, 0.0 + <double>(<object>v))
        else:
            PyDict_SetItem(c, <object>k, (<double>(<object>old)) + (<double>(<object>v)))
    return d


from libc.stdint cimport uint64_t


def minhash(const uint64_t[::1] words, const uint64_t[::1] a, const uint64_t[::1] b, uint64_t[::1] out):
    """MinHash of word 3-shingles into ``out``, as ``dedup.Deduper.sketch`` computes it with
    numpy: shingle = (h0 * 0x9E3779B1 + h1 * 0x85EBCA77 + h2) & 0xFFFFFFFF over consecutive word
    hashes, then for each permutation j the minimum of (shingle * a[j] + b[j]) >> 16, all in
    uint64 arithmetic that wraps modulo 2**64 like numpy's (no temporary arrays)."""
    cdef Py_ssize_t n = words.shape[0] - 2
    cdef Py_ssize_t m = a.shape[0]
    cdef Py_ssize_t i, j
    cdef uint64_t sh, v
    for j in range(m):
        out[j] = <uint64_t>0xFFFFFFFFFFFFFFFF
    for i in range(n):
        sh = (words[i] * <uint64_t>0x9E3779B1 + words[i + 1] * <uint64_t>0x85EBCA77 + words[i + 2]) & <uint64_t>0xFFFFFFFF
        for j in range(m):
            v = (sh * a[j] + b[j]) >> 16
            if v < out[j]:
                out[j] = v


from libc.math cimport log as c_log


def tfidf(dict features, dict df, prior, dict chan_w, double words_w, double idf1, bint learn, double tf_log):
    """The un-normalised TF-IDF weights of ``Grouper.vectorize`` (its loop, same arithmetic):
    channel weight by the key's first character, document frequency from ``df`` or ``prior``
    (and counted when ``learn``), ``cw * (idf1 - log(d + 1))``, times ``1 + tf_log * log(tf)``."""
    cdef dict vec = {}
    cdef Py_ssize_t pos = 0
    cdef PyObject *k
    cdef PyObject *v
    cdef PyObject *p
    cdef double cw, d, w, tf
    while PyDict_Next(features, &pos, &k, &v):
        f = <object>k
        p = PyDict_GetItem(chan_w, f[0])
        cw = words_w if p is NULL else <double>(<object>p)
        if cw == 0.0:
            continue
        p = PyDict_GetItem(df, f)
        d = <double>prior(f) if p is NULL else <double>(<object>p)
        if learn:
            d += 1.0
            PyDict_SetItem(df, f, d)
        w = cw * (idf1 - c_log(d + 1.0))
        tf = <double>(<object>v)
        if tf != 1.0 and tf_log != 0.0:
            w *= 1.0 + tf_log * c_log(tf)
        PyDict_SetItem(vec, f, w)
    return vec


def scaled(dict vec, double inv):
    """``{f: w * inv for f, w in vec.items()}`` (the unit vector of ``Grouper.vectorize``)."""
    cdef dict out = {}
    cdef Py_ssize_t pos = 0
    cdef PyObject *k
    cdef PyObject *v
    while PyDict_Next(vec, &pos, &k, &v):
        PyDict_SetItem(out, <object>k, (<double>(<object>v)) * inv)
    return out


from libc.stdint cimport uint32_t
from cpython.unicode cimport PyUnicode_AsUTF8AndSize

cdef uint32_t _CRC_TABLE[256]
cdef void _crc_init():
    cdef uint32_t c
    cdef int n, k
    for n in range(256):
        c = <uint32_t>n
        for k in range(8):
            c = (<uint32_t>0xEDB88320 ^ (c >> 1)) if (c & 1) else (c >> 1)
        _CRC_TABLE[n] = c
_crc_init()


def crc32_words(list words, uint64_t[::1] out):
    """``zlib.crc32(w.encode("utf-8"))`` of each word into ``out`` (the standard CRC-32, table
    driven: reading each word's UTF-8 bytes costs less than looking it up in a cache)."""
    cdef Py_ssize_t i, j, size
    cdef const char *buf
    cdef uint32_t c
    for i in range(len(words)):
        buf = PyUnicode_AsUTF8AndSize(words[i], &size)
        c = <uint32_t>0xFFFFFFFF
        for j in range(size):
            c = _CRC_TABLE[(c ^ <unsigned char>buf[j]) & 0xFF] ^ (c >> 8)
        out[i] = c ^ <uint32_t>0xFFFFFFFF


from libc.stdlib cimport free, malloc
from libc.string cimport memset

cdef extern from "Python.h":
    # CPython's set iteration with each entry's stored hash (Include/cpython/setobject.h): the
    # same order as iterating the set, without reading the element objects themselves
    int _PySet_NextEntry(object s, Py_ssize_t *pos, PyObject **key, Py_hash_t *hash) except -1


def candidates(dict postings, list weighted, Py_ssize_t max_posting, Py_ssize_t limit):
    """``fast.py_top_ids(fast.py_accumulate(postings, weighted, max_posting), limit)`` in one pass, without the
    dict of boxed sums: the sums live in a C hash table keyed by the story id's value, kept in
    first-seen order, so the additions, the sums and the ties are exactly those of
    ``fast.py_top_ids(fast.py_accumulate(...))`` (``fast.py_candidates``). Story ids must be ints from 0 to
    2**61 - 2, whose hash is their value: the table is keyed by the hash each set entry already
    stores, so the id objects (scattered in memory) are only read for the ids returned."""
    cdef Py_ssize_t total = 0, cap = 16, i, j, h, n = 0, worst, pos
    cdef PyObject *p
    cdef double w
    if limit <= 0:
        return []  # no candidates wanted: py_top_ids's nlargest(limit <= 0) is empty too
    for f, wobj in weighted:
        p = PyDict_GetItem(postings, f)
        if p is not NULL and len(<object>p) <= max_posting:
            total += len(<object>p)
    if total == 0:
        return []
    while cap < 2 * total:
        cap *= 2
    cdef Py_ssize_t *table = <Py_ssize_t *>malloc(cap * sizeof(Py_ssize_t))  # slot -> entry + 1 (0: empty)
    cdef Py_ssize_t *ids = <Py_ssize_t *>malloc(total * sizeof(Py_ssize_t))
    cdef double *sums = <double *>malloc(total * sizeof(double))
    cdef PyObject **objs = <PyObject **>malloc(total * sizeof(PyObject *))
    cdef Py_ssize_t key, mask = cap - 1, spos
    cdef PyObject *sid
    cdef Py_hash_t sh
    try:
        memset(table, 0, cap * sizeof(Py_ssize_t))
        for f, wobj in weighted:
            p = PyDict_GetItem(postings, f)
            if p is NULL:
                continue
            s = <object>p
            if not s or len(s) > max_posting:
                continue
            w = wobj
            spos = 0
            while _PySet_NextEntry(s, &spos, &sid, &sh):
                key = sh
                h = (<size_t>key * <size_t>0x9E3779B97F4A7C15) >> 7
                h &= mask
                while True:
                    j = table[h]
                    if j == 0:
                        table[h] = n + 1
                        ids[n] = key
                        sums[n] = 0.0 + w
                        objs[n] = sid
                        n += 1
                        break
                    if ids[j - 1] == key:
                        sums[j - 1] = sums[j - 1] + w
                        break
                    h = (h + 1) & mask
        out = []
        if n <= limit:
            order = list(range(n))
        else:
            # top_ids' selection over the entries in first-seen order
            order = []
            for i in range(n):
                if len(order) < limit:
                    order.append(i)
                else:
                    worst = 0
                    for pos in range(1, limit):
                        if sums[order[pos]] < sums[order[worst]] or (
                                sums[order[pos]] == sums[order[worst]] and order[pos] > order[worst]):
                            worst = pos
                    if sums[i] > sums[order[worst]]:
                        order[worst] = i
        order.sort(key=lambda e: ids[e])
        return [<object>objs[e] for e in order]
    finally:
        free(table)
        free(ids)
        free(sums)
        free(objs)


cdef inline bint _is_letter(Py_UCS4 c):
    r"""``[^\W\d_]`` of ``features.WORD_RE``: a word character that is not a decimal digit
    (the Unicode tables only outside ASCII)."""
    cdef unsigned int u = <unsigned int>c
    if u < 128:
        return ((u | 0x20) - 0x61) < 26  # a-z, A-Z (unsigned: below "a" wraps round)
    return c.isalnum() and not c.isdecimal()


cdef inline bint _is_decimal(Py_UCS4 c):
    r"""``\d`` of ``features.WORD_RE``: a Unicode decimal digit."""
    cdef unsigned int u = <unsigned int>c
    if u < 128:
        return (u - 0x30) < 10  # 0-9
    return c.isdecimal()


cdef inline bint _is_part(Py_UCS4 c, bint letters):
    return _is_letter(c) if letters else _is_decimal(c)


cdef inline bint _is_sep(Py_UCS4 c, bint letters):
    """' ’ - join letters; . , : join digits."""
    if letters:
        return c == 0x27 or c == 0x2019 or c == 0x2D
    return c == 0x2E or c == 0x2C or c == 0x3A


cdef Py_ssize_t _token_end(str s, Py_ssize_t i, Py_ssize_t n, bint letters):
    r"""End of the ``features.WORD_RE`` match that starts at ``i``: letters joined by ' ’ or -
    (``[^\W\d_]+(?:['’\-][^\W\d_]+)*``), or decimal digits joined by . , or : (``\d+(?:[.,:]\d+)*``)."""
    cdef Py_ssize_t j = i + 1
    while True:
        while j < n and _is_part(s[j], letters):
            j += 1
        if j + 1 < n and _is_sep(s[j], letters) and _is_part(s[j + 1], letters):
            j += 2
        else:
            return j


cdef inline void _add(dict feats, object key, double weight):
    """``feats[key] = feats.get(key, 0) + weight``."""
    cdef PyObject *old = PyDict_GetItem(feats, key)
    if old is NULL:
        PyDict_SetItem(feats, key, 0.0 + weight)
    else:
        PyDict_SetItem(feats, key, (<double>(<object>old)) + weight)


def text_features(str title, str text, double tw, bint with_entities, Py_ssize_t lead_chars,
                  dict token_cache, token_fn, number_key, str sentence_end):
    """The loop of ``features._text_features`` (its Python twin there, same dict operations in
    the same order, so the same features, names and key order): the tokens of ``WORD_RE`` found
    by hand instead of by the regex engine, each looked up in ``token_cache`` (``features._TOKENS``;
    ``token_fn`` fills it), numbers keyed by ``number_key``. Returns (features dict, names,
    lower-cased body)."""
    cdef list body_tokens = []
    cdef dict feats = {}
    cdef dict names = {}
    cdef Py_ssize_t lead_end = len(title) + 1 + lead_chars
    cdef Py_ssize_t offset = 0, in_lead_end, i, j, n, b, start, v
    cdef int chunk_no
    cdef str chunk
    cdef double weight
    cdef bint is_title, letters, has_day, cap, titlecase, entity
    cdef Py_UCS4 c
    cdef PyObject *p
    cdef object prev_month, day_key, info, w, ekey, key, tok
    cdef Py_ssize_t day = 0
    for chunk_no in range(2):
        if chunk_no == 0:
            is_title, weight, chunk = True, tw, title
        else:
            is_title, weight, chunk = False, 1.0, text
        in_lead_end = lead_end - offset
        offset += len(chunk) + 1
        prev_month = None
        has_day = False
        day_key = None
        n = len(chunk)
        i = 0
        while i < n:
            c = chunk[i]
            if _is_letter(c):
                letters = True
            elif _is_decimal(c):
                letters = False
            else:
                i += 1
                continue
            start = i
            i = _token_end(chunk, start, n, letters)
            tok = chunk[start:i]
            if not is_title:
                body_tokens.append(tok)
            if not letters:
                has_day = False
                if (i - start == 4 and chunk[start] == u"1" and chunk[start + 1] == u"9"
                        or i - start == 4 and chunk[start] == u"2" and chunk[start + 1] == u"0") and (
                        _is_decimal(chunk[start + 2]) and _is_decimal(chunk[start + 3])):
                    _add(feats, "~" + tok, weight)
                    if lead_chars and start < in_lead_end:
                        feats["^~" + tok] = 1.0
                else:
                    v = int(tok) if i - start <= 9 and tok.isdigit() else 0  # features._day_number
                    if not 1 <= v <= 31:
                        v = 0
                    if prev_month is not None and v:
                        _add(feats, "~%02d-%02d" % (prev_month, v), weight)
                    else:
                        key = number_key(tok)
                        if key:
                            _add(feats, key, weight)
                        if v:
                            has_day, day, day_key = True, v, key
                prev_month = None
                continue
            p = PyDict_GetItem(token_cache, tok)
            info = token_fn(tok) if p is NULL else <object>p
            w, prev_month, cap, titlecase, ekey = info
            if prev_month is not None and has_day:
                _add(feats, "~%02d-%02d" % (prev_month, day), weight)
                if day_key:  # the day number was not a figure after all
                    _add(feats, day_key, -weight)
                    if <double>feats[day_key] <= 0:
                        del feats[day_key]
                prev_month = None
            has_day = False
            if w is None:
                continue
            _add(feats, w, weight)
            if is_title:
                feats["!" + w] = 1.0
            if cap and prev_month is None and (weight == 1.0 or not titlecase) and (
                    with_entities or (lead_chars and start < in_lead_end)):
                # mid-sentence capitals are names; headline case and sentence starts are not
                b = start - 1
                while b >= 0 and chunk[b] == u" ":
                    b -= 1
                if b >= 0 and chunk[b] not in sentence_end:
                    if with_entities:
                        _add(feats, ekey, weight)
                        names.setdefault(ekey, tok)
                    if lead_chars and start < in_lead_end:
                        feats["^" + ekey] = 1.0
                        names.setdefault("^" + ekey, tok)
    return feats, names, " ".join(body_tokens).lower()


def cosines(list vectors, double[:, ::1] out):
    """Adds the dot products of the sparse vectors (dicts) into ``out`` (n x n, zeros): the
    floats of ``snn.py_cosine_matrix``: the upper triangle of scipy's product ``x @ x.T``,
    which for each row i takes i's features in their dict order and, for each, adds ``w_i *
    w_j`` to every article j with that feature (scipy's ``csr_matmat``), mirrored below the
    diagonal. The same additions in the same order for j >= i (half of scipy's work), without
    the CSR built in Python, scipy's counting pass or its sparse result made dense again."""
    cdef Py_ssize_t n = len(vectors), total = 0, i, p, q, c, n_cols, r
    for v in vectors:
        total += len(<dict>v)
    cdef Py_ssize_t *row_ptr = <Py_ssize_t *>malloc((n + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t *cols = <Py_ssize_t *>malloc((total + 1) * sizeof(Py_ssize_t))
    cdef double *vals = <double *>malloc((total + 1) * sizeof(double))
    cdef Py_ssize_t *col_ptr = NULL
    cdef Py_ssize_t *fill = NULL
    cdef Py_ssize_t *col_rows = <Py_ssize_t *>malloc((total + 1) * sizeof(Py_ssize_t))
    cdef double *col_vals = <double *>malloc((total + 1) * sizeof(double))
    cdef dict ids = {}
    cdef Py_ssize_t pos
    cdef PyObject *k
    cdef PyObject *w
    cdef PyObject *idp
    cdef double a
    cdef double *row
    try:
        if not (row_ptr and cols and vals and col_rows and col_vals):
            raise MemoryError()
        p = 0
        row_ptr[0] = 0
        for i in range(n):  # the rows: feature ids in each dict's order
            v = vectors[i]
            pos = 0
            while PyDict_Next(<dict>v, &pos, &k, &w):
                idp = PyDict_GetItem(ids, <object>k)
                if idp is NULL:
                    c = len(ids)
                    ids[<object>k] = c
                else:
                    c = <object>idp
                cols[p] = c
                vals[p] = <double>(<object>w)
                p += 1
            row_ptr[i + 1] = p
        n_cols = len(ids)
        col_ptr = <Py_ssize_t *>malloc((n_cols + 1) * sizeof(Py_ssize_t))
        fill = <Py_ssize_t *>malloc((n_cols + 1) * sizeof(Py_ssize_t))
        if not (col_ptr and fill):
            raise MemoryError()
        memset(col_ptr, 0, (n_cols + 1) * sizeof(Py_ssize_t))
        for p in range(total):  # the columns: the articles with each feature, in row order
            col_ptr[cols[p] + 1] += 1
        for c in range(n_cols):
            col_ptr[c + 1] += col_ptr[c]
            fill[c] = col_ptr[c]
        for i in range(n):
            for p in range(row_ptr[i], row_ptr[i + 1]):
                c = cols[p]
                col_rows[fill[c]] = i
                col_vals[fill[c]] = vals[p]
                fill[c] += 1
        for c in range(n_cols):
            fill[c] = col_ptr[c]  # from here on: the first entry of column c at or after row i
        for i in range(n):
            row = &out[i, 0]
            for p in range(row_ptr[i], row_ptr[i + 1]):
                c = cols[p]
                a = vals[p]
                q = fill[c]
                while col_rows[q] < i:  # row i has feature c, so this stops at i at the latest
                    q += 1
                fill[c] = q
                for q in range(q, col_ptr[c + 1]):
                    r = col_rows[q]
                    row[r] = row[r] + a * col_vals[q]
        for i in range(n):  # the lower triangle mirrors the upper one
            for r in range(i + 1, n):
                out[r, i] = out[i, r]
    finally:
        free(row_ptr)
        free(cols)
        free(vals)
        free(col_ptr)
        free(fill)
        free(col_rows)
        free(col_vals)


from libc.stdint cimport int64_t, uint8_t


def backlog_factors(const int64_t[::1] days, const uint8_t[::1] dated, const double[::1] table, int64_t last,
                    const Py_ssize_t[::1] yptr, const Py_ssize_t[::1] ycols, bint years, double keep,
                    double[:, ::1] out):
    """Writes the n x n factors of ``persist.py_backlog_factors`` into ``out``: ``table[min(|day_i
    - day_j|, last)]``, 1.0 when either article is undated; then, with ``years``, times ``keep``
    (1 - the year penalty) where both articles write years (article i's distinct year ids are
    ``ycols[yptr[i]:yptr[i + 1]]``, sorted) and share none. The same floats in one pass, without
    the n x n gap, conflict and product temporaries."""
    cdef Py_ssize_t n = days.shape[0], i, j, p, q, pe, qe
    cdef int64_t gap
    cdef double f
    cdef bint shared
    for i in range(n):
        for j in range(n):
            if dated[i] and dated[j]:
                gap = days[i] - days[j]
                if gap < 0:
                    gap = -gap
                if gap > last:
                    gap = last
                f = table[gap]
            else:
                f = 1.0
            if years:
                p, pe = yptr[i], yptr[i + 1]
                q, qe = yptr[j], yptr[j + 1]
                if p < pe and q < qe:
                    shared = False
                    while p < pe and q < qe:  # two sorted lists: any id in both?
                        if ycols[p] == ycols[q]:
                            shared = True
                            break
                        if ycols[p] < ycols[q]:
                            p += 1
                        else:
                            q += 1
                    if not shared:
                        f = f * keep
            out[i, j] = f


def snn_lift(const double[:, ::1] sim, const double[:, ::1] factor, Py_ssize_t k, double a, double one_minus_a,
             double floor, double[::1] dist, double[:, ::1] scaled):
    """``snn.py_snn_lift``: the condensed distances of ``snn_similarity(sim, k, a, floor) *
    factor`` into ``dist`` and ``sim * factor`` into ``scaled``, the same floats (n >= 2): each
    row's ``k`` nearest (largest cosine, ties to the lower index, itself left out; those below
    ``floor`` dropped) plus itself form its neighbour set; J = |S_i & S_j| / |S_i | S_j|;
    ``max(s, a * s + J * (1 - a)) * f``, the operations numpy makes, in its order, then for
    i < j the distance 1 - that, clipped to [0, 2]. The overlaps come from an inverted list of
    the sets (a pair shares a neighbour only through it), so a row costs one pass. ``k`` 0: no
    neighbours (each set is the row itself, J = 0), as in numpy; ``k`` < 0 is refused (ValueError,
    as numpy refuses it)."""
    if k < 0:
        raise ValueError(f"snn_lift: k must be at least 0, not {k}")
    cdef Py_ssize_t n = sim.shape[0], i, j, t, u, p, v, kk = max(0, min(k, n - 1)), m
    cdef Py_ssize_t *sets = <Py_ssize_t *>malloc(n * (kk + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t *cnt = <Py_ssize_t *>malloc(n * sizeof(Py_ssize_t))
    cdef Py_ssize_t *rptr = <Py_ssize_t *>malloc((n + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t *rows = <Py_ssize_t *>malloc((n * (kk + 1) + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t *fill = <Py_ssize_t *>malloc((n + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t *ov = <Py_ssize_t *>malloc(n * sizeof(Py_ssize_t))
    cdef Py_ssize_t *seen = <Py_ssize_t *>malloc((n + 1) * sizeof(Py_ssize_t))
    cdef double *bv = <double *>malloc((kk + 1) * sizeof(double))
    cdef Py_ssize_t *bj = <Py_ssize_t *>malloc((kk + 1) * sizeof(Py_ssize_t))
    cdef double s, o, jac, x
    cdef Py_ssize_t nb, n_seen, c, d = 0
    try:
        if not (sets and cnt and rptr and rows and fill and ov and seen and bv and bj):
            raise MemoryError()
        for i in range(n):
            # the kk largest of the row without the diagonal, largest first, ties to the lower
            # index (a later equal value never displaces an earlier one)
            nb = 0
            for j in range(n if kk > 0 else 0):  # kk 0: no neighbours (bv[kk - 1] would be outside)
                if j == i:
                    continue
                x = sim[i, j]
                if x != x:  # NaN: numpy's partition puts it last
                    continue
                if nb == kk and not (x > bv[kk - 1]):
                    continue
                t = nb if nb < kk else kk - 1
                while t > 0 and x > bv[t - 1]:
                    bv[t] = bv[t - 1]
                    bj[t] = bj[t - 1]
                    t -= 1
                bv[t] = x
                bj[t] = j
                if nb < kk:
                    nb += 1
            sets[i * (kk + 1)] = i
            m = 1
            for t in range(nb):
                if sim[i, bj[t]] >= floor:
                    sets[i * (kk + 1) + m] = bj[t]
                    m += 1
            cnt[i] = m
        # inverted lists: the rows whose set holds v
        memset(rptr, 0, (n + 1) * sizeof(Py_ssize_t))
        for i in range(n):
            for t in range(cnt[i]):
                rptr[sets[i * (kk + 1) + t] + 1] += 1
        for v in range(n):
            rptr[v + 1] += rptr[v]
            fill[v] = rptr[v]
        for i in range(n):
            for t in range(cnt[i]):
                v = sets[i * (kk + 1) + t]
                rows[fill[v]] = i
                fill[v] += 1
        memset(ov, 0, n * sizeof(Py_ssize_t))
        for i in range(n):
            n_seen = 0
            for t in range(cnt[i]):
                v = sets[i * (kk + 1) + t]
                for p in range(rptr[v], rptr[v + 1]):
                    u = rows[p]
                    if ov[u] == 0:
                        seen[n_seen] = u
                        n_seen += 1
                    ov[u] += 1
            for j in range(n):
                s = sim[i, j]
                scaled[i, j] = s * factor[i, j]
                if j <= i:
                    continue
                c = ov[j]
                jac = (<double>c) / (<double>(cnt[i] + cnt[j] - c))
                o = a * s + jac * one_minus_a
                if not (s >= o or s != s):
                    s = o
                o = 1.0 - s * factor[i, j]
                if o < 0.0:
                    o = 0.0
                elif o > 2.0:
                    o = 2.0
                dist[d] = o
                d += 1
            for t in range(n_seen):
                ov[seen[t]] = 0
    finally:
        free(sets)
        free(cnt)
        free(rptr)
        free(rows)
        free(fill)
        free(ov)
        free(seen)
        free(bv)
        free(bj)
