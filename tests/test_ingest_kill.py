"""Killing an ingest mid-way leaves a consistent store; the rerun loses and duplicates nothing."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

N = 30_000


def test_kill_mid_ingest_then_rerun(tmp_path):
    src = tmp_path / "stream.jsonl"
    with open(src, "w") as fh:
        for i in range(N):
            fh.write(json.dumps({
                "id": f"k{i}", "title": f"Tidal report {i} for the Orrin estuary",
                "text": f"Gauge {i} on the Orrin estuary read {i % 97} centimetres above the spring mark, "
                        f"the river authority said in its bulletin number {i}.",
                "published": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", "source": "orrin-tides.example",
            }) + "\n")
    db = tmp_path / "kill.db"
    cmd = [sys.executable, "-m", "storyline", "ingest", str(src), "--db", str(db), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stored = 0
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            ro = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
            stored = ro.execute("SELECT count(*) FROM articles").fetchone()[0]
            ro.close()
        except sqlite3.Error:
            continue
        if stored > 0:
            break
    assert proc.poll() is None, "ingest finished before it could be killed; raise N"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    partial = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 0 < partial < N
    assert con.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 0  # the file was not finished
    con.close()

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)["ingest"]
    assert summary["ingested"] + summary["duplicates"] == N
    assert summary["duplicates"] == partial  # what the killed run committed is recognised, not stored again

    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == N
    assert con.execute("SELECT count(DISTINCT external_id) FROM articles").fetchone()[0] == N
    assert con.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'estuary'").fetchone()[0] == N
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
