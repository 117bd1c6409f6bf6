"""The pipeline resumes from the store: stopping between stages gives the same result as one run."""
from __future__ import annotations

from pathlib import Path

from storyline import pipeline, store

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _snapshot(con):
    members = con.execute(
        "SELECT a.source_path, a.source_line, a.position, m.story_id FROM story_members m "
        "JOIN articles a ON a.id = m.article_id ORDER BY a.source_path, a.source_line, a.position").fetchall()
    stages = dict(con.execute("SELECT stage, count(*) FROM articles GROUP BY stage").fetchall())
    compared = con.execute("SELECT count(*) FROM comparisons").fetchone()[0]
    return [tuple(m) for m in members], stages, compared


def test_stage_by_stage_equals_one_run(tmp_path):
    one = store.connect(tmp_path / "one.db")
    pipeline.ingest_paths(one, [str(EXAMPLES)])
    pipeline.process(one)

    steps = store.connect(tmp_path / "steps.db")
    pipeline.ingest_paths(steps, [str(EXAMPLES)])
    pipeline.process(steps, stages=["clean"])
    assert _snapshot(steps)[1] == {"cleaned": 26, "container": 1}  # 20 articles + 6 live-blog entries (its standing intro is furniture)
    steps.close()
    steps = store.connect(tmp_path / "steps.db")  # a new process picks up where the last one stopped
    pipeline.process(steps, stages=["clean", "annotate"])
    pipeline.process(steps)
    summary = pipeline.process(steps)  # nothing left to do
    assert (summary.cleaned, summary.annotated, summary.grouped, summary.compared) == (0, 0, 0, 0)
    assert _snapshot(steps) == _snapshot(one)
    assert _snapshot(one)[1] == {"grouped": 26, "container": 1}
