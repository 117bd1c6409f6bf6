"""Near-duplicates and incremental story grouping.

- :mod:`.features`: a :class:`StoryDoc` (what distinguishes an event) from an article and its
  annotations, or from text alone;
- :mod:`.dedup`: exact and near copies (normalised hash, MinHash LSH);
- :mod:`.index`: the inverted index over the active stories (candidate retrieval);
- :mod:`.group`: the pure incremental :class:`Grouper` (``add(doc) -> Assignment``);
- :mod:`.persist`: ``assign_stories(con)`` runs the grouper over the store, and the user's
  merge / split / move decisions;
- :mod:`.metrics`: B-cubed, ARI and V-measure for labelled sets.

Design notes and choices: docs/stories.md.
"""
from storyline.stories.features import StoryDoc, build_doc, doc_from_article, doc_from_record
from storyline.stories.group import Assignment, Grouper, Settings

__all__ = ["Assignment", "Grouper", "Settings", "StoryDoc", "build_doc", "doc_from_article", "doc_from_record"]
