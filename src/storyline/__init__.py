"""Storyline: news articles from many outlets -> stories -> what each outlet reports."""
__version__ = "0.1.0"
