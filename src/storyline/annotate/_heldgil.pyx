# cython: language_level=3, boundscheck=False, wraparound=False
# distutils: language = c++
"""spaCy's greedy transition parse (``Parser.greedy_parse``) run with the GIL held.

spaCy 3.8's compiled transition systems check for Python errors after every call inside
their ``is_valid`` functions, and each check takes and drops the GIL. ``greedy_parse``
releases the GIL around its loop (``with nogil``), so every one of those checks is a real
lock round trip: about 100,000 per 600-word article for the entity recognizer alone, a
quarter of the annotate stage's CPU (perf). Holding the GIL makes each check a cheap
re-entry. The loop itself is spaCy's own ``Parser._parseC``: same model, same decisions,
same output; only who holds the lock differs (we run one parse per process anyway).
"""
from libcpp.vector cimport vector
from thinc.backends.cblas cimport CBlas
from spacy.ml.parser_model cimport SizesC, WeightsC, get_c_sizes, get_c_weights
from spacy.pipeline._parser_internals._state cimport StateC
from spacy.pipeline._parser_internals.stateclass cimport StateClass
from spacy.pipeline.transition_parser cimport Parser

from thinc.api import set_dropout_rate


def greedy_parse(Parser parser, docs):
    """What ``parser.greedy_parse(docs, drop=0.0)`` returns (the final parse states)."""
    cdef vector[StateC*] states
    cdef StateClass state
    cdef CBlas cblas = parser.model.ops.cblas()
    cdef WeightsC weights
    cdef SizesC sizes
    parser._ensure_labels_are_added(docs)
    set_dropout_rate(parser.model, 0.0)
    batch = parser.moves.init_batch(docs)
    model = parser.model.predict(docs)
    weights = get_c_weights(model)
    for state in batch:
        if not state.is_final():
            states.push_back(state.c)
    sizes = get_c_sizes(model, states.size())
    if states.size():
        parser._parseC(cblas, &states[0], weights, sizes)
    model.clear_memory()
    del model
    return batch
