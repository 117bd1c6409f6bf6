"""The attach step of the backlog pass (``[grouping] backlog_attach_*``, ``stories.snn.attach_small``):
after average link, a small cluster joins the cluster its nearest outside neighbours are in,
unless it is much tighter inside than it is near that cluster.

Every article here is invented (a ferry sinking at an invented port, a tanker, a dock strike).
"""
from __future__ import annotations

from storyline.commands.stories import explain_text
from storyline.stories import Grouper, Settings, build_doc
from storyline.stories.persist import Backlog, backlog_clusters
from storyline.stories.snn import attach_small

DAY = "2031-03-04"
DETAILS = ["Divers searched the hull of the Marisol through the night.",
           "The harbour master said the ferry listed badly as it left the quay.",
           "Relatives waited at the terminal for news of the missing.",
           "The coast guard counted 212 passengers and crew on board.",
           "Survivors described water pouring onto the car deck.",
           "Prime minister Ilse Noor declared a day of mourning.",
           "Investigators questioned the captain, Pavo Lind, about the ballast.",
           "Fishing boats joined the rescue in rough seas.",
           "The operator, Sundline, suspended all sailings from Velden.",
           "Hospitals in Velden treated dozens for hypothermia."]
ANGLES = ["dozens missing", "rescue goes on", "captain questioned", "mourning declared"]


def _ferry(i):
    body = " ".join(DETAILS[(i + d) % 10] for d in (0, 3, 7))
    return build_doc(i, f"Velden ferry Marisol sinks: {ANGLES[i % 4]}",
                     f"The ferry Marisol sank off Velden on Tuesday. {body}", f"o{i}.example", DAY)


# a report of the sinking from the money desk: it shares a few words with a few reports
SHARES = build_doc(100, "Sundline shares fall",
                   "Shares in Sundline fell 9 per cent on the Brennmark exchange on Wednesday after the operator "
                   "halted its sailings. Analysts at Kroll Hesse said insurers would carry most of the cost of "
                   "the Marisol.", "s.example", "2031-03-05")
TANKER = [build_doc(200 + i, "Tanker Orla runs aground near Kessby", t, f"t{i}.example", DAY) for i, t in enumerate([
    "The tanker Orla ran aground near Kessby. The coast guard said no oil had leaked and the crew of 19 was safe.",
    "The tanker Orla ran aground near Kessby. Tugs will try to free the tanker at high tide; the crew of 19 "
    "was safe."])]
# another Velden event the same day: near the ferry reports (port words), much nearer each other
STRIKE = [build_doc(300 + i, h, t, f"k{i}.example", DAY) for i, (h, t) in enumerate([
    ("Velden dockers strike over pay", "Dockers at Velden walked out over pay on Tuesday, and the harbour master "
     "said cargo ships were waiting at the quay. The union leader, Mara Holt, asked for 6 per cent."),
    ("Pay strike halts Velden docks", "A pay strike by Velden dockers left cargo ships waiting at the quay on "
     "Tuesday. Union leader Mara Holt wants 6 per cent; the port authority offers 3.")])]
DOCS = [_ferry(i) for i in range(10)] + [SHARES] + TANKER + STRIKE
FERRY, SHARE, TANK, STRK = list(range(10)), 10, [11, 12], [13, 14]


def test_an_off_centre_report_joins_its_story_and_other_events_stay_apart():
    labels, moved = backlog_clusters(DOCS, Settings.load())
    assert len({labels[i] for i in FERRY}) == 1
    assert labels[SHARE] == labels[0] and moved == {SHARE}
    assert labels[TANK[0]] == labels[TANK[1]] != labels[0]
    assert labels[STRK[0]] == labels[STRK[1]] != labels[0]

    # average link alone leaves the money-desk report on its own (it is near few ferry reports)
    off, none = backlog_clusters(DOCS, Settings.load(backlog_attach_size=0))
    assert off[SHARE] not in {off[i] for i in FERRY} and none == set()


def test_a_tight_pair_that_is_only_loosely_near_a_story_stays_its_own():
    # the strike pair's nearest outside articles are ferry reports (cosine ~0.35, above the
    # floor); only the ratio to its own closeness (0.81) keeps it out
    loose, moved = backlog_clusters(DOCS, Settings.load(backlog_attach_ratio=0.0))
    assert loose[STRK[0]] == loose[0] and set(STRK) <= moved
    kept, _ = backlog_clusters(DOCS, Settings.load())
    assert kept[STRK[0]] != kept[0]


def test_attach_small_needs_every_member_to_agree():
    # articles 0-2 one cluster, 3 and 4 a pair whose members look to different clusters
    sim = [[1.0, 0.6, 0.6, 0.3, 0.0, 0.0],
           [0.6, 1.0, 0.6, 0.3, 0.0, 0.0],
           [0.6, 0.6, 1.0, 0.0, 0.0, 0.0],
           [0.3, 0.3, 0.0, 1.0, 0.3, 0.0],
           [0.0, 0.0, 0.0, 0.3, 1.0, 0.4],
           [0.0, 0.0, 0.0, 0.0, 0.4, 1.0]]
    labels, moved = attach_small(sim, [0, 0, 0, 1, 1, 2], max_size=2, k=2, floor=0.2, ratio=0.0)
    # the pair {3, 4} does not move (3 looks to cluster 0, 4 to 5); 5, alone, joins the pair
    # through 4 only if both its nearest outside articles are there: 4 (0.4) and 0 (0.0) are not
    assert labels == [0, 0, 0, 1, 1, 2] and moved == set()
    labels, moved = attach_small(sim, [0, 0, 0, 1, 2, 3], max_size=2, k=2, floor=0.15, ratio=0.0)
    assert labels[3] == 0 and 3 in moved  # 3's two nearest, 0 and 1, are both in cluster 0


def test_the_explanation_says_the_article_was_attached():
    g = Grouper(Settings.load())
    keys = [d.article_id for d in DOCS]
    backlog = Backlog(g, keys, DOCS)
    out = {k: backlog.add(k, d) for k, d in zip(keys, DOCS)}
    assert out[100].story_id == out[0].story_id
    assert out[100].explanation["attached"] is True and out[100].explanation["backlog"] is True
    assert not any(a.explanation.get("attached") for k, a in out.items() if k != 100)
    assert "small cluster" in explain_text({"explanation": out[100].explanation})
