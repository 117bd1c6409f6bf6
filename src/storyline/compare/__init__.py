"""The comparison stage: what each outlet reports about one story.

``compare_story(members)`` aligns the sentences, quotes and figures of a
story's articles and returns a report (consensus facts, discrepancies, quote
groups, unique details, omissions, timeline, coverage) in which every item
points at verbatim spans of the articles; ``render_text(report)`` prints it
for a terminal; ``persist`` keeps reports in the store. Design and schema:
docs/comparison.md.
"""
from storyline.compare.render import render_text
from storyline.compare.report import SCHEMA_VERSION, compare_story

__all__ = ["SCHEMA_VERSION", "compare_story", "render_text"]
