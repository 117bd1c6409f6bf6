"""The backlog pass (``[grouping] backlog``): a run that starts with nothing active is clustered
as a whole first (shared nearest neighbours, average link), then placed story by story.

Articles are the bench's invented synthetic stream (``bench.stream.synth_stream``) and invented
floods; nothing here is third-party text.
"""
from __future__ import annotations

import json
import time

import pytest

from storyline.bench.stories import group_direct
from storyline.bench.stream import synth_stream
from storyline.store import connect, transaction
from storyline.stories import Grouper, Settings, build_doc
from storyline.stories.metrics import bcubed
from storyline.stories.persist import Backlog, assign_stories


def _fill(con, rows):
    ids = {}
    with transaction(con):
        for r in rows:
            cur = con.execute(
                "INSERT INTO articles (external_id, outlet, published, title, text, format, content_hash, stage, "
                "ingested_at) VALUES (?, ?, ?, ?, ?, 'text', ?, 'annotated', ?)",
                (r["id"], r["source"], r["published"], r["title"], r["text"], f"h{time.perf_counter_ns()}", time.time()))
            ids[cur.lastrowid] = r
    return ids


def _members(con):
    return {r[0]: (r[1], json.loads(r[2])) for r in con.execute(
        "SELECT article_id, story_id, explanation FROM story_members")}


@pytest.fixture(scope="module")
def rows():
    return list(synth_stream(400, days=2, seed=11))


def test_fresh_store_is_clustered_as_a_whole_then_later_runs_join_its_stories(tmp_path, rows):
    con = connect(tmp_path / "b.db")
    first, later = rows[:300], rows[300:]
    ids = _fill(con, first)
    seen = []
    res = assign_stories(con, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 300) and seen[-1] == (300, 300)
    assert res["backlog"] == 300 and res["grouped"] == 300
    mem = _members(con)
    assert all(e.get("backlog") for _, e in mem.values() if "duplicate_of" not in e)
    from storyline.commands.stories import explain_text
    assert "backlog pass" in explain_text({"explanation": next(iter(mem.values()))[1]})
    gold = [ids[a]["event"] for a in sorted(ids)]
    p, r, f1 = bcubed(gold, [mem[a][0] for a in sorted(ids)])
    assert p >= 0.97 and f1 >= 0.95, (p, r, f1)
    # ids follow the order the articles were placed in: 1..N without gaps
    sids = sorted({s for s, _ in mem.values()})
    assert sids == list(range(1, len(sids) + 1))
    # the next run finds active stories: it is clustered too, and its clusters join them
    ids2 = _fill(con, later)
    res2 = assign_stories(con)
    assert res2["backlog"] == 100 and res2["grouped"] == 100 and res2["joined"] > 0
    mem2 = _members(con)
    assert {a: mem2[a][0] for a in mem} == {a: s for a, (s, _) in mem.items()}, "earlier members never move"
    expl2 = [mem2[a][1] for a in ids2 if "duplicate_of" not in mem2[a][1]]
    assert all(e.get("backlog") for e in expl2)
    joined = [e for e in expl2 if not e.get("new_story")]
    assert joined and all(e["cluster_score"] >= 0.30 for e in joined if "cluster_score" in e)
    old_ids = {s for s, _ in mem.values()}
    assert any(mem2[a][0] in old_ids for a in ids2), "a later cluster joined a story of the first run"
    assert "its cluster in this run joined the story" in explain_text(
        {"explanation": next(e for e in joined if e.get("cluster_score") is not None)})
    allids = sorted(ids) + sorted(ids2)
    gold = [{**ids, **ids2}[a]["event"] for a in allids]
    p, r, f1 = bcubed(gold, [mem2[a][0] for a in allids])
    assert p >= 0.97 and f1 >= 0.95, (p, r, f1)
    con.close()


def test_later_runs_one_by_one_when_runs_are_off(tmp_path, rows):
    con = connect(tmp_path / "b.db")
    ids = _fill(con, rows[:300])
    st = Settings.load(backlog_runs=False)
    assert assign_stories(con, settings=st)["backlog"] == 300
    mem = _members(con)
    ids2 = _fill(con, rows[300:])
    res2 = assign_stories(con, settings=st)
    assert "backlog" not in res2 and res2["grouped"] == 100 and res2["joined"] > 0
    mem2 = _members(con)
    assert {a: mem2[a][0] for a in mem} == {a: s for a, (s, _) in mem.items()}, "earlier members never move"
    assert not any(mem2[a][1].get("backlog") for a in ids2)
    con.close()


def test_store_and_bench_give_the_same_stories(tmp_path, rows):
    con = connect(tmp_path / "b.db")
    ids = _fill(con, rows[:200])
    assign_stories(con)
    mem = _members(con)
    direct = group_direct([ids[a] for a in sorted(ids)], annotate=False)
    assert "backlog" in direct["path"]
    assert [mem[a][0] for a in sorted(ids)] == direct["pred"]
    con.close()


def test_small_runs_and_the_switch_stay_incremental(tmp_path, rows):
    con = connect(tmp_path / "s.db")
    _fill(con, rows[:15])  # below backlog_min (20): J over 4 neighbours means little in 15 articles
    assert "backlog" not in assign_stories(con)
    con.close()
    con = connect(tmp_path / "off.db")
    _fill(con, rows[:200])
    assert "backlog" not in assign_stories(con, settings=Settings.load(backlog=False))
    con.close()


FLOOD = ("Floods swamp Korvath after dam on the Ister gives way",
         "Rescue teams in Korvath pulled 40 residents from rooftops after the Ister dam gave way. "
         "Mayor Elira Dunmore said 12 people were missing.")
FLOOD2 = ("Korvath counts the missing as Ister floodwater recedes",
          "Mayor Elira Dunmore said 12 people were still missing in Korvath after the Ister dam failure.")


def test_add_into_places_the_article_whatever_the_threshold():
    g = Grouper()
    a = g.add(build_doc(1, *FLOOD, "a.example", "2031-05-06"))
    b = g.add(build_doc(2, *FLOOD2, "b.example", "2031-05-06"), into=0)
    assert b.new and b.story_id != a.story_id and b.explanation["backlog"]
    assert b.explanation["closest"]["story"] == a.story_id and b.explanation["closest"]["score"] >= 0.3
    c = g.add(build_doc(3, "Dockers at Brennport walk out over pay", "Dock workers began a strike.",
                        "c.example", "2031-05-06"), into=a.story_id)
    assert not c.new and c.story_id == a.story_id and c.score < 0.3 and c.explanation["backlog"]


# two floods of one town, 44 years apart: the same place and kind, different details
VAR = ["Rescue boats took residents from their roofs before dawn.",
       "Volunteers piled sandbags along the embankment all night.",
       "Shopkeepers waded through the market square to save their stock.",
       "Schools and the hospital stayed closed as the water rose."]
EVENT = {1987: "Mayor Elira Dunmore blamed a cracked sluice gate and asked the army for pumps.",
         2031: "Mayor Tomas Varga blamed a week of storms and opened the sports hall as a shelter."}
HEAD = {1987: ["Korvath flood: Dunmore asks army for pumps", "Cracked sluice gate floods Korvath"],
        2031: ["Korvath flood: Varga opens shelter", "Week of storms floods Korvath"]}


def _flood(i, year):
    return build_doc(i, HEAD[year][i % 2], f"Korvath, {year}. {VAR[i % 4]} {EVENT[year]}", f"o{i}.example", None)


def test_backlog_years_keep_two_floods_of_one_town_apart():
    from storyline.stories.persist import backlog_labels

    docs = [_flood(i, 1987) for i in range(4)] + [_flood(i, 2031) for i in range(4, 8)]
    same = backlog_labels(docs, Settings.load(backlog_years=0.0))
    apart = backlog_labels(docs, Settings.load(backlog_years=0.3))
    assert len(set(same)) == 1, "without the year signal the two floods read as one (cosine ~0.32 across)"
    assert len(set(apart[:4])) == 1 and len(set(apart[4:])) == 1 and apart[0] != apart[4]


def test_a_run_joins_the_live_stories_of_a_later_date(tmp_path, rows):
    # the store holds stories of 2031-01-20; a run of 2031-01-01..02 plus 2031-01-20 articles must
    # not cluster the late ones apart from those stories: they are live, and the run's clusters
    # join them (before session 7 such a run went one by one)
    con = connect(tmp_path / "n.db")
    # another invented world's day: different events and texts (no copies of the run's articles)
    day20 = [dict(r, id=f"L{r['id']}", event=f"L{r['event']}")
             for r in synth_stream(70, days=1, seed=12, start="2031-01-20")]
    stored = _fill(con, day20[:50])
    assign_stories(con)
    mem0 = _members(con)
    by_event = {}
    for a, r in stored.items():
        by_event.setdefault(r["event"], set()).add(mem0[a][0])
    ids = _fill(con, rows[:100] + day20[50:])
    res = assign_stories(con)
    assert res["backlog"] == 120
    mem = _members(con)
    late = [(mem[a][0], r["event"]) for a, r in ids.items() if r["id"].startswith("L") and r["event"] in by_event]
    assert len(late) >= 10 and all(sid in by_event[ev] for sid, ev in late), late
    early = {mem[a][0] for a, r in ids.items() if not r["id"].startswith("L")}
    assert not early & set().union(*by_event.values()), "a 2031-01-01 article joined a 2031-01-20 story"
    con.close()


def test_bench_stories_reports_the_backlog_pass_and_one_by_one(tmp_path, rows, capsys):
    from storyline.cli import main

    f = tmp_path / "synth.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows[:200]), encoding="utf-8")
    out = {}
    for flag in ([], ["--one-by-one"]):
        assert main(["bench", "stories", str(f), "--direct", "--no-annotate", "--no-baseline", "--json", *flag]) == 0
        out[bool(flag)] = json.loads(capsys.readouterr().out)
    assert out[False]["path"].endswith("+ backlog pass") and "backlog" not in out[True]["path"]
    assert out[False]["articles"] == out[True]["articles"] == 200
    assert min(out[False]["f1"], out[True]["f1"]) >= 0.95
    # in 2 runs of 100 (each over backlog_min), both clustered
    assert main(["bench", "stories", str(f), "--direct", "--no-annotate", "--no-baseline", "--json", "--runs", "2"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert two["path"].endswith("2 runs (2 parts clustered)") and two["articles"] == 200 and two["f1"] >= 0.95


def test_process_summary_counts_the_backlog(tmp_path, rows):
    from storyline import pipeline

    con = connect(tmp_path / "p.db")
    _fill(con, rows[:120])
    summary = pipeline.ProcessSummary()
    pipeline.group_pending(con, summary=summary)
    assert summary.grouped == 120 and summary.as_dict()["backlog"] == 120
    _fill(con, rows[120:140])
    later = pipeline.ProcessSummary()
    pipeline.group_pending(con, summary=later)
    assert later.grouped == 20 and later.backlog == 0
    con.close()


def test_a_run_bigger_than_backlog_max_is_clustered_part_by_part(tmp_path, rows):
    con = connect(tmp_path / "big.db")
    ids = _fill(con, rows)
    seen = []
    res = assign_stories(con, settings=Settings.load(backlog_max=250), progress=lambda d, t: seen.append((d, t)))
    assert res["backlog"] == 400 and res["grouped"] == 400
    # parts of 250 and 150 (what is left, at least half a part): progress is reported before
    # each part's clustering
    assert (0, 400) in seen and (250, 400) in seen
    mem = _members(con)
    order = sorted(ids, key=lambda a: (ids[a]["published"], a))  # the grouper's order: by date
    assert all(mem[a][1].get("backlog") for a in order if "duplicate_of" not in mem[a][1])
    gold = [ids[a]["event"] for a in sorted(ids)]
    p, r, f1 = bcubed(gold, [mem[a][0] for a in sorted(ids)])
    assert p >= 0.97 and f1 >= 0.95, (p, r, f1)
    # the second part's clusters join the first part's stories, not only new ones
    second = [a for a in order[250:] if "cluster_score" in mem[a][1]]
    assert second and {mem[a][0] for a in second} <= {mem[a][0] for a in order[:250]}
    con.close()


def test_without_later_runs_a_big_run_clusters_its_first_articles_then_goes_on_one_by_one(tmp_path, rows):
    con = connect(tmp_path / "big.db")
    ids = _fill(con, rows)
    res = assign_stories(con, settings=Settings.load(backlog_max=250, backlog_runs=False))
    assert res["backlog"] == 250 and res["grouped"] == 400
    mem = _members(con)
    order = sorted(ids, key=lambda a: (ids[a]["published"], a))  # the grouper's order: by date
    placed = [bool(mem[a][1].get("backlog")) for a in order if "duplicate_of" not in mem[a][1]]
    n_first = sum(1 for a in order[:250] if "duplicate_of" not in mem[a][1])
    assert placed == [True] * n_first + [False] * (len(placed) - n_first)
    gold = [ids[a]["event"] for a in sorted(ids)]
    p, r, f1 = bcubed(gold, [mem[a][0] for a in sorted(ids)])
    assert p >= 0.97 and f1 >= 0.95, (p, r, f1)
    # later articles also join stories the pass made, not only new ones
    late = {mem[a][0] for a in order[250:]}
    assert late & {mem[a][0] for a in order[:250]}


def test_a_joining_cluster_does_not_carry_members_its_story_does_not_take():
    # the cluster's mean joins story 1; but one member is another active story's (0.40 >= the
    # threshold) and one barely resembles story 1 (0.15 < backlog_attach_floor): both are
    # placed one by one instead of riding on the cluster's mean
    from types import SimpleNamespace

    from storyline.stories.persist import Backlog

    g = SimpleNamespace(threshold=0.30, s=SimpleNamespace(backlog_attach_floor=0.20))
    labels = [0, 0, 0, 0, 0, 0, 1]
    scored = [[(0.60, 1)], [(0.55, 1)], [(0.50, 1)], [(0.40, 2), (0.25, 1)], [(0.15, 1)], [(0.12, 1)],
              [(0.35, 2)]]
    # article 5 is a follow-up: its story barely knows it, but it is close to article 0 (a
    # report the story takes), as an inquiry's second report is to its first; 4 is close to
    # no one the story takes
    cos = {frozenset((5, 0)): 0.51, frozenset((4, 3)): 0.6}

    def near(i, j):
        return cos.get(frozenset((i, j)), 0.05)

    story, means, alone = Backlog._targets(g, labels, scored, near)
    assert story == {0: 1, 1: 2} and means == {0: 0.3617, 1: 0.35}
    assert alone == {3, 4}
    # without the cosines no member counts as near
    assert Backlog._targets(g, labels, scored)[2] == {3, 4, 5}


def test_runs_of_fifty_from_a_busy_day_group_nearly_as_well_as_one_by_one():
    # a live feed polled often: 800 invented articles of one day (about 80 events) in 16 runs
    # of 50. Forced through the clustering (backlog_density 0), each run is clustered against
    # the stories of the runs before it: small runs of many events make small, noisy clusters,
    # and before session 9 a cluster's mean carried members of other events into its story
    # (B-cubed F1 0.933 here, one by one 1.000)
    rows = list(synth_stream(800, days=1, seed=11))
    gold = [r["event"] for r in rows]
    forced = group_direct(rows, annotate=False, runs=16, settings=Settings.load(backlog_density=0.0))
    assert "parts clustered" in forced["path"]
    p, r, f1 = bcubed(gold, forced["pred"])
    assert f1 >= 0.97 and p >= 0.97, (p, r, f1)
    # as shipped, such runs are seen to be mostly single reports of different events and go
    # one by one, which groups them best
    shipped = group_direct(rows, annotate=False, runs=16)
    assert "backlog pass" not in shipped["path"]
    p, r, f1 = bcubed(gold, shipped["pred"])
    assert f1 >= 0.99, (p, r, f1)


def test_paired_share_counts_articles_with_a_second_report_in_the_run():
    from storyline.stories.persist import paired_share

    sim = [[1.0, 0.5, 0.1, 0.0],
           [0.5, 1.0, 0.2, 0.0],
           [0.1, 0.2, 1.0, 0.29],
           [0.0, 0.0, 0.29, 1.0]]
    assert paired_share(sim, 0.3) == 0.5  # 0 and 1 are a pair; 2 and 3 only nearly
    assert paired_share(sim, 0.25) == 1.0
    assert paired_share([[1.0]], 0.3) == 0.0


def test_a_sparse_run_is_placed_one_by_one_and_a_dense_one_clustered():
    # 60 invented articles of one day from ~55 events: mostly single reports
    g = Grouper(Settings.load())
    sparse = list(synth_stream(3000, days=1, seed=4))[:60]
    docs = [build_doc(i, r["title"], r["text"], r["source"], r["published"]) for i, r in enumerate(sparse)]
    b = Backlog(g, list(range(len(docs))), docs)
    assert b.paired < g.s.backlog_density and not b.clustered and not b.label
    # the same number of articles from a handful of events: clustered
    dense = list(synth_stream(60, days=1, seed=4))
    events = {r["event"] for r in dense}
    docs = [build_doc(100 + i, r["title"], r["text"], r["source"], r["published"]) for i, r in enumerate(dense)]
    b = Backlog(Grouper(Settings.load()), [d.article_id for d in docs], docs)
    assert len(events) < 15 and b.clustered and len(b.label) == 60
