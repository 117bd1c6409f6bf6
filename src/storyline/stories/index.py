"""Inverted index over the active stories: feature -> stories that have it among their top terms.

Candidate retrieval looks up only a new article's most distinctive features, and each story is
indexed only under the most distinctive features of its members, so a lookup touches a few
short posting lists whatever the size of the archive. Stories leave the index when they leave
the time window, which keeps the lists short on an endless stream.
"""
from __future__ import annotations

from collections.abc import Iterable

from storyline.stories import fast


class StoryIndex:
    """Postings ``feature -> {story id}`` with removal, for candidate retrieval.

    Args:
        max_posting: a feature whose posting list grows past this many stories is too common
            to discriminate; lookups skip it (the exact score still counts it).
    """

    __slots__ = ("postings", "max_posting")

    def __init__(self, max_posting: int = 400):
        self.postings: dict[str, set[int]] = {}
        self.max_posting = max_posting

    def add(self, story_id: int, features: Iterable[str]) -> None:
        postings = self.postings
        for f in features:
            s = postings.get(f)
            if s is None:
                postings[f] = {story_id}
            else:
                s.add(story_id)

    def remove(self, story_id: int, features: Iterable[str]) -> None:
        postings = self.postings
        for f in features:
            s = postings.get(f)
            if s is not None:
                s.discard(story_id)
                if not s:
                    del postings[f]

    def candidates(self, weighted: Iterable[tuple[str, float]], limit: int) -> list[int]:
        """Stories sharing the given (feature, weight) pairs, best ``limit`` by summed weight."""
        return fast.candidates(self.postings, list(weighted), self.max_posting, limit)

    def __len__(self) -> int:
        return len(self.postings)
