"""Article text is untrusted: no command prints its control characters (escape sequences could
clear the screen, move the cursor or retitle the terminal). All text here is invented."""
from __future__ import annotations

import json

from storyline.cli import main

EVIL = "\x1b]0;owned\x07\x1b[2J"


def test_no_command_prints_control_characters_from_articles(tmp_path, capsys):
    rows = [{"id": f"a{i}", "title": f"Korvath dam {EVIL}gives way {i}",
             "text": (f"Rescue teams in Korvath pulled 40 residents from rooftops after the Ister dam gave way.\r{EVIL}"
                      f" Mayor Elira Dunmore said 12 people were missing, report {i}.\n\nThe water board blamed cracks."),
             "source": f"outlet{i}{EVIL}.example", "published": "2031-05-06"} for i in range(2)]
    f = tmp_path / "evil.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    db = str(tmp_path / "e.db")
    assert main(["run", str(f), "--db", db]) == 0
    capsys.readouterr()
    for cmd in (["status"], ["search", "Korvath"], ["show-article", "1"], ["stories"], ["story", "1"]):
        assert main([*cmd, "--db", db]) in (0, 1), cmd
        out = capsys.readouterr().out
        assert "Korvath" in out or cmd == ["status"], cmd
        assert "\x1b" not in out and "\x07" not in out and "\r" not in out, (cmd, out[:300])
