"""Later runs get the backlog pass too (``[grouping] backlog_runs``, session 7): a run into a
store that already has active stories is clustered as a whole, and each cluster joins the active
story its articles score highest on average, or starts a story.

Invented events (a harbour crane collapse in Portmere, a snap election in Valdoria); nothing
here is third-party text. ``backlog_min`` is lowered to 4 so that a five-article run gets the
pass (the shipped minimum is 20)."""
from __future__ import annotations

import pytest

from storyline.stories import Grouper, Settings, build_doc
from storyline.stories.persist import Backlog
from storyline.stories.snn import attach_small

CRANE = [
    ("Crane collapses at Portmere harbour, two dockers hurt",
     "A container crane collapsed at Portmere harbour on Monday, injuring two dockers. The harbour operator "
     "Keswin Logistics said the crane's boom buckled in high wind while it lifted a container."),
    ("Portmere harbour crane falls in storm",
     "High wind brought down a container crane at Portmere harbour on Monday. Two dockers were taken to "
     "hospital, Keswin Logistics said, and the berth was closed."),
    ("Two hurt as Keswin crane buckles at Portmere",
     "Two dockers were hurt when a Keswin Logistics crane buckled at Portmere harbour. The boom folded as the "
     "crane lifted a container in the storm on Monday."),
]
INQUIRY = ("Inquiry into Portmere crane collapse opens",
           "An inquiry into Monday's crane collapse at Portmere harbour opened on Wednesday. Inspector Hanna Olrik "
           "said Keswin Logistics had been warned about the boom's welds.")
# the inquiry's second report: it names the inspector and the welds, barely the collapse
WELDS = "Inspector Hanna Olrik told the {where}inquiry on Wednesday that cracked welds had been flagged last " \
        "spring and that the warnings were not passed on to the dock workers' union."
ELECTION = [
    ("Valdoria votes in snap election",
     "Voters in Valdoria went to the polls on Wednesday in a snap election called by Prime Minister Anto Ribar "
     "after his coalition collapsed."),
    ("Ribar's party leads early Valdoria count",
     "Prime Minister Anto Ribar's party led the early count in Valdoria's snap election on Wednesday night, "
     "with turnout at 61 percent."),
    ("Valdoria turnout high as Ribar seeks majority",
     "Turnout was high in Valdoria's snap election as Prime Minister Anto Ribar sought a majority after the "
     "collapse of his coalition."),
]


def _docs(items, day, base):
    return [build_doc(base + i, h, t, f"o{base + i}.example", day) for i, (h, t) in enumerate(items)]


def _second_run(runs: bool, where: str):
    g = Grouper(Settings.load(backlog_min=4, backlog_runs=runs))
    first = [g.add(d) for d in _docs(CRANE, "2031-05-05", 1)]
    assert len({a.story_id for a in first}) == 1
    crane = first[0].story_id
    run = _docs([INQUIRY, ("Inspector Olrik: welds were flagged last spring", WELDS.format(where=where))]
                + ELECTION, "2031-05-07", 10)
    welds = g.stories[crane].score(g.vectorize(run[1], learn=False), 0, 0.0, True)
    backlog = Backlog(g, [d.article_id for d in run], run) if Backlog.applies(g, len(run)) else None
    out = [backlog.add(d.article_id, d) if backlog else g.add(d) for d in run]
    return crane, welds, out


def test_a_later_runs_cluster_joins_the_live_story_its_articles_score_highest_on_average():
    crane, welds, out = _second_run(True, "Portmere ")
    assert welds < 0.30, "alone, the welds report is below the join threshold"
    assert out[0].story_id == out[1].story_id == crane, "the inquiry's two reports joined the crane story"
    assert out[1].explanation["cluster_score"] >= 0.30 and out[1].explanation["backlog"]
    election = {a.story_id for a in out[2:]}
    assert len(election) == 1 and crane not in election and all(a.new is (i == 2) for i, a in enumerate(out[2:], 2))


def test_one_by_one_the_low_scoring_follow_up_starts_a_story_of_its_own():
    crane, welds, out = _second_run(False, "Portmere ")
    assert welds < 0.30
    assert out[0].story_id == crane and out[1].story_id != crane and out[1].new
    assert not any("cluster_score" in a.explanation for a in out)


def test_a_clusters_member_that_a_live_story_takes_alone_stays_with_it():
    # without "Portmere" the welds report shares nothing with the crane story: the cluster's mean
    # is below the threshold, so the cluster starts a story; the inquiry report, which the crane
    # story takes on its own (score ~0.6), is placed one by one and stays with the crane story
    crane, welds, out = _second_run(True, "")
    assert welds < 0.05
    assert out[0].story_id == crane and "cluster_score" not in out[0].explanation
    assert out[1].story_id != crane and out[1].new


def test_attach_leaves_a_fixed_cluster_where_it_is():
    # three clusters: {0, 1, 2} tight, {3} whose two nearest articles are 0 and 1, {4} far away
    sim = [[1.0, 0.8, 0.7, 0.4, 0.0],
           [0.8, 1.0, 0.7, 0.4, 0.0],
           [0.7, 0.7, 1.0, 0.1, 0.0],
           [0.4, 0.4, 0.1, 1.0, 0.0],
           [0.0, 0.0, 0.0, 0.0, 1.0]]
    labels = [0, 0, 0, 1, 2]
    assert attach_small(sim, labels, 4)[0] == [0, 0, 0, 0, 2]
    assert attach_small(sim, labels, 4, fixed={3}) == (labels, set())


@pytest.mark.parametrize("runs", [True, False])
def test_a_first_run_is_the_same_with_runs_on_or_off(runs):
    g = Grouper(Settings.load(backlog_min=4, backlog_runs=runs))
    docs = _docs(CRANE + ELECTION, "2031-05-05", 1)
    assert Backlog.applies(g, len(docs))
    backlog = Backlog(g, [d.article_id for d in docs], docs)
    ids = [backlog.add(d.article_id, d).story_id for d in docs]
    assert ids == [1, 1, 1, 2, 2, 2]
