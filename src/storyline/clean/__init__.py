"""Cleaning stage: each article's own story text, and each live-blog entry on its own.

``clean_article(article) -> Cleaned`` removes photo captions and credits,
bylines, time stamps, "Read more" links, prompts and site furniture (the
patterns are data: ``rules.toml``), records every removed piece with its
reason, and splits a live blog into entries. See ``core`` for the passes.
"""
from storyline.clean.core import clean_article, clean_text
from storyline.clean.rules import RULES_PATH, load_rules

__all__ = ["clean_article", "clean_text", "load_rules", "RULES_PATH"]
