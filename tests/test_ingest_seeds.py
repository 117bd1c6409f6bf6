"""The two seed articles (read from ../shared at run time, never copied) ingest as two dated articles."""
from __future__ import annotations

from pathlib import Path

import pytest

from storyline import store
from storyline.ingest import ingest_paths

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside this checkout")
def test_seeds_ingest_as_two_dated_articles(tmp_path):
    con = store.connect(tmp_path / "seeds.db")
    summary = ingest_paths(con, [str(SEEDS)])
    assert (summary.ingested, summary.rejects) == (2, 0)
    rows = con.execute("SELECT published, title, text FROM articles ORDER BY id").fetchall()
    assert [r["published"] for r in rows] == ["2025-04-08", "2025-04-08"]
    for seed, row in zip(sorted(SEEDS.glob("*.txt")), rows):
        first = seed.read_text(encoding="utf-8").splitlines()[0].strip()
        assert first == f"date 2025-04-08 {row['title']}"  # the headline, without the date prefix
        assert row["title"] and not row["text"].startswith("date ")
    again = ingest_paths(con, [str(SEEDS)])
    assert again.ingested == 0 and con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
