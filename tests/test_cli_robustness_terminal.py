"""File names and article text are untrusted: ingest and process messages, and CSV export on
standard output, carry no control characters; CSV written to a file keeps the text exactly.
All names and text are invented."""
from __future__ import annotations

import csv
import io
import json

from storyline.cli import main

ESC = "\x1b[31m"
CLEAR = "\x1b[2J"


def _no_controls(s: str) -> bool:
    return not any(ord(c) < 0x20 and c not in "\n\t" or 0x7F <= ord(c) < 0xA0 for c in s)


def test_ingest_messages_name_a_file_without_its_escape_sequences(tmp_path, capsys):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / f"bad{ESC}RED.txt").write_text("")
    (folder / f"wire{CLEAR}.jsonl").write_text(json.dumps({"id": "x1", "title": "Ferry", "url": 5,
                                                           "text": "The Kessel ferry sailed."}) + "\n")
    assert main(["ingest", str(folder), "--db", str(tmp_path / "s.db")]) == 1
    err = capsys.readouterr().err
    assert "RED.txt: empty file" in err and "field 'url' is not a string" in err
    assert _no_controls(err.replace("\n", "")), repr(err)


def test_process_error_lines_carry_no_control_characters(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "kessel.example"
    folder.mkdir()
    (folder / f"ferry{ESC}.txt").write_text("date 2031-03-02 Kessel ferry runs aground\n\n"
                                            "The Kessel ferry ran aground near the harbour on Sunday.\n")
    db = str(tmp_path / "s.db")
    assert main(["ingest", str(folder), "--db", db]) == 0
    capsys.readouterr()

    def boom(article):
        raise ValueError(f"rule failed on {article.title[:5]}{CLEAR}")

    monkeypatch.setattr("storyline.clean.clean_article", boom)
    assert main(["process", "--stages", "clean", "--db", db]) == 1
    err = capsys.readouterr().err
    assert "cleaning failed: ValueError: rule failed on Kesse" in err
    assert _no_controls(err.replace("\n", "")), repr(err)


def _store_with_escapes(tmp_path, capsys) -> str:
    f = tmp_path / "wire.jsonl"
    f.write_text(json.dumps({"id": "a1", "title": f"Flood hits {ESC}Redtown\x1b[0m as river bursts banks",
                             "text": f"The river burst its banks.\r{CLEAR}\n\nEvacuations began at dawn.",
                             "published": "2031-05-04", "url": "https://evil\x07.example/a1"}) + "\n")
    db = str(tmp_path / "s.db")
    assert main(["ingest", str(f), "--db", db, "--source", f"evil{CLEAR}.example"]) == 0
    capsys.readouterr()
    return db


def test_csv_on_standard_output_has_no_control_characters(tmp_path, capsys):
    db = _store_with_escapes(tmp_path, capsys)
    assert main(["export", "--format", "csv", "--text", "--db", db]) == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1
    for value in rows[0].values():
        assert _no_controls(value), repr(value)
    assert rows[0]["title"] == "Flood hits  [31mRedtown [0m as river bursts banks"
    assert rows[0]["outlet"] == "evil [2J.example"
    assert "\n\nEvacuations began at dawn." in rows[0]["text"]  # paragraph breaks are kept


def test_csv_to_a_file_and_jsonl_keep_the_stored_text_exactly(tmp_path, capsys):
    db = _store_with_escapes(tmp_path, capsys)
    out_file = tmp_path / "out.csv"
    assert main(["export", "--format", "csv", "-o", str(out_file), "--db", db]) == 0
    with open(out_file, encoding="utf-8", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["title"] == f"Flood hits {ESC}Redtown\x1b[0m as river bursts banks"
    capsys.readouterr()
    assert main(["export", "--format", "jsonl", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out  # escaped as \u001b, and exact once decoded
    assert json.loads(out)["title"] == f"Flood hits {ESC}Redtown\x1b[0m as river bursts banks"
