"""The nearest-member attach of the one-by-one grouper (``[grouping] attach_*``,
``Grouper._nearest_story``, session 8): an article that no story takes on average joins the story
its two nearest members are in, when those are from other outlets, near enough (the floor),
clearly nearer than any other story's members (the margin) and about as near as the story's
members are to each other (the cohesion guard).

Every article here is invented (a painting stolen from a museum in Brennmark, an insurer's
reward, a gallery theft in Kessby and another in Velmar, an auction in Tessin).
"""
from __future__ import annotations

import time

import pytest

from storyline.commands.stories import explain_text
from storyline.store import connect, transaction
from storyline.stories import Grouper, Settings, build_doc, persist
from storyline.stories.features import parse_day
from storyline.stories.persist import assign_stories, restore_grouper

DAY = "2031-06-10"
DETAILS = ["Thieves cut through a skylight of the Halvard Museum in Brennmark overnight.",
           "The stolen painting, The Salt Harvest by Ilka Morrow, hung in the east gallery.",
           "Police chief Odo Sarrant said the alarm failed at about three in the morning.",
           "A night guard was tied up but unhurt, the museum said.",
           "Detectives found a rope and a glass cutter on the roof.",
           "The museum director, Ansel Vey, called the theft a blow to Brennmark.",
           "Roads out of Brennmark were checked through the morning.",
           "Morrow painted The Salt Harvest in 1911; it is the museum's best-known work."]
ANGLES = ["painting stolen", "alarm failed", "police hunt thieves", "director speaks"]
REWARD = ("Crestline Assurance, the insurer of the stolen Morrow painting, offered a reward of 50,000 crowns on "
          "Wednesday. Its spokeswoman, Pia Lund, said the reward would be paid for information that leads to "
          "the painting's return.")
# the theft (8 reports), two of them about the insurer's reward
HEIST = [(f"Brennmark museum theft: {ANGLES[i % 4]}", f"{DETAILS[i % 8]} {DETAILS[(i + 3) % 8]}", f"h{i}.example")
         for i in range(6)]
HEIST += [("Insurer offers reward after Brennmark museum theft",
           "The Salt Harvest was stolen from the Halvard Museum in Brennmark on Monday night. " + REWARD, "r1.example"),
          ("50,000 crown reward for stolen Salt Harvest",
           REWARD + " Police chief Odo Sarrant, whose officers are hunting the thieves who took The Salt Harvest "
           "from the Halvard Museum in Brennmark, welcomed the offer.", "r2.example")]
REWARDS = [6, 7]
# a short follow-up of the reward: near the two reward reports, far from the other six
SHORT = ("Crestline sets reward", "Pia Lund of Crestline Assurance said on Thursday that the 50,000 crown reward "
         "for the stolen painting stands, and that calls have come in.")
# another painting of the same painter sold at auction: near one report only
AUCTION = ("Morrow painting sold", "A painting by Ilka Morrow sold for 2 million crowns at an auction in Tessin on "
           "Thursday.")
# another gallery theft: five reports so alike that the story is tight (cohesion ~0.87) ...
KESSBY = ["Thieves broke into the Kessby Gallery through a skylight on Sunday night and took a painting by Jon Ask.",
          "Police in Kessby said the alarm did not sound when thieves took the Jon Ask painting from the gallery.",
          "A painting by Jon Ask was stolen from the Kessby Gallery after thieves cut through a skylight.",
          "The Kessby Gallery lost its Jon Ask painting to thieves who came through the skylight; police are "
          "searching.",
          "The Jon Ask painting stolen from the Kessby Gallery was insured for one million crowns, the gallery said."]
# ... and a theft of the same kind elsewhere, which resembles every Kessby report a little
VELMAR = ("Rena Dahl painting stolen from Velmar gallery",
          "Thieves cut through a skylight of the Velmar Gallery on Tuesday night and took a painting by Rena Dahl. "
          "It was the second gallery theft through a skylight in a week; the skylight had no alarm, and police are "
          "searching for the thieves who took the painting.")


def _heist():
    return [build_doc(i, h, t, o, DAY) for i, (h, t, o) in enumerate(HEIST)]


def _doc(aid, item, outlet, day="2031-06-11"):
    return build_doc(aid, *item, outlet, day)


def _grouper(**kw) -> Grouper:
    g = Grouper(Settings.load(**kw))
    assert {g.add(d).story_id for d in _heist()} == {1}
    return g


def test_an_off_centre_report_joins_through_its_nearest_members():
    g = _grouper()
    a = g.add(_doc(20, SHORT, "s.example"))
    assert a.story_id == 1 and not a.new
    assert a.score < g.threshold, "on average the story does not take it"
    near = a.explanation["nearest"]
    assert sorted(near["members"]) == REWARDS
    assert near["mean"] >= g.s.attach_floor and near["margin"] >= g.s.attach_margin
    assert near["mean"] >= g.s.attach_cohesion * near["cohesion"] > 0
    assert "nearest articles (" in explain_text({"explanation": a.explanation})

    # average link alone leaves it on its own
    off = _grouper(attach_k=0).add(_doc(20, SHORT, "s.example"))
    assert off.new and off.story_id != 1 and "nearest" not in off.explanation


def test_members_from_its_own_outlet_do_not_vote():
    # the same report from the outlet of one reward report: only the other one counts, and the
    # next nearest member (a report of the theft itself) is far below the floor
    a = _grouper().add(_doc(20, SHORT, "r1.example"))
    assert a.new and "nearest" not in a.explanation


def test_nearest_members_split_between_two_stories_start_a_story():
    def short_after(split: bool):
        g = Grouper(Settings.load())
        heist = _heist()
        for d in heist[:3] + [heist[6]]:
            assert g.add(d).story_id == 1
        kessby = [build_doc(30 + i, "Jon Ask painting stolen in Kessby", t, f"k{i}.example", DAY)
                  for i, t in enumerate(KESSBY[:2])]
        assert [g.add(d).story_id for d in kessby] == [2, 2]
        # the second reward report placed in the Kessby story (split) or in the theft story
        assert g.add(heist[7], into=2 if split else 1).story_id == (2 if split else 1)
        short = _doc(20, SHORT, "s.example")
        return g.scores(short), g.add(short)

    _, together = short_after(split=False)
    assert together.story_id == 1 and sorted(together.explanation["nearest"]["members"]) == REWARDS
    scores, a = short_after(split=True)
    assert a.new and a.story_id == 3 and "nearest" not in a.explanation
    # both stories were searched (above the prefilter), neither takes it on average
    assert sorted(sid for _, sid in scores) == [1, 2]
    assert all(Settings.load().attach_prefilter <= sc < 0.3 for sc, _ in scores), scores


def test_nearest_members_below_the_floor_start_a_story():
    a = _grouper().add(_doc(21, AUCTION, "t.example"))
    assert a.new and a.explanation["closest"] == {"story": 1, "score": a.explanation["closest"]["score"],
                                                  "threshold": 0.3}
    assert a.explanation["closest"]["score"] >= Settings.load().attach_prefilter, "the story was searched"
    # the floor alone keeps it out; lowered, it joins the theft
    assert _grouper(attach_cohesion=0.0).add(_doc(21, AUCTION, "t.example")).new
    low = _grouper(attach_cohesion=0.0, attach_floor=0.2).add(_doc(21, AUCTION, "t.example"))
    assert low.story_id == 1 and low.explanation["nearest"]["mean"] < 0.3


def test_a_tight_story_of_the_same_kind_does_not_take_another_event():
    def velmar(**kw):
        g = Grouper(Settings.load(**kw))
        ids = {g.add(build_doc(30 + i, "Jon Ask painting stolen in Kessby", t, f"k{i}.example", DAY)).story_id
               for i, t in enumerate(KESSBY)}
        assert ids == {1}
        return g.add(_doc(40, VELMAR, "v.example", "2031-06-13"))

    a = velmar()
    assert a.new and a.explanation["closest"]["score"] < 0.3
    # without the cohesion guard its two nearest Kessby reports (mean ~0.32, above the floor)
    # would take it, though the Kessby reports resemble each other at ~0.87
    b = velmar(attach_cohesion=0.0)
    assert b.story_id == 1 and b.explanation["nearest"]["cohesion"] > 0.8
    assert 0.3 <= b.explanation["nearest"]["mean"] < 0.7 * b.explanation["nearest"]["cohesion"]


def test_the_learned_score_has_no_nearest_attach():
    g = Grouper(Settings.load(score="learned"))
    for d in _heist():
        g.add(d)
    assert all(st.recent is None for st in g.stories.values())


# ----------------------------------------------------------------------------- over the store


def _add(con, title, text, outlet, published):
    cur = con.execute(
        "INSERT INTO articles (external_id, outlet, published, title, text, format, content_hash, stage, ingested_at) "
        "VALUES (NULL, ?, ?, ?, ?, 'text', ?, 'annotated', ?)",
        (outlet, published, title, text, f"h{time.perf_counter_ns()}", time.time()))
    return cur.lastrowid


def _story_of(con, aid):
    return con.execute("SELECT story_id FROM story_members WHERE article_id = ?", (aid,)).fetchone()[0]


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "s.db"
    con = connect(path)
    with transaction(con):
        ids = [_add(con, h, t, o, DAY) for h, t, o in HEIST]
    assign_stories(con)
    assert len({_story_of(con, i) for i in ids}) == 1
    con.close()
    return path, ids


def test_a_restart_rebuilds_the_nearest_members(store):
    path, ids = store
    con = connect(path)  # a new process: the grouper is rebuilt from the store
    g = restore_grouper(con, parse_day("2031-06-11"))
    sid = _story_of(con, ids[0])
    assert [aid for aid, _, _ in g.stories[sid].recent] == ids
    with transaction(con):
        short = _add(con, *SHORT, "s.example", "2031-06-11")
    assign_stories(con)
    assert _story_of(con, short) == sid
    member = next(m for m in persist.get_story(con, sid)["members"] if m["article_id"] == short)
    assert sorted(member["explanation"]["nearest"]["members"]) == [ids[i] for i in REWARDS]
    assert "its nearest articles" in explain_text(member)
    con.close()


def test_a_split_moves_the_members_out_of_the_old_storys_nearest(store):
    path, ids = store
    con = connect(path)
    sid = _story_of(con, ids[0])
    rewards = [ids[i] for i in REWARDS]
    new = persist.split_story(con, sid, rewards)["id"]
    g = restore_grouper(con, parse_day("2031-06-11"))
    assert [aid for aid, _, _ in g.stories[sid].recent] == [i for i in ids if i not in rewards]
    assert [aid for aid, _, _ in g.stories[new].recent] == rewards
    con.close()
