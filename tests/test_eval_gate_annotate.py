"""CI gate for the annotation benchmarks on real labelled data.

Quotes on PolNeAR dev and date normalisation on TimeBank must stay above
floors set a little below the figures recorded in docs/benchmarks.md. The
data files are pinned by sha256: if the data changes, this test says so
instead of letting a score move unnoticed (update the pin and the floors
together, after re-running the benches). Skips when ../shared is absent.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from storyline.bench import dates as dates_bench
from storyline.bench import quotes as quotes_bench
from storyline.bench import shared_data

POLNEAR_DEV = shared_data() / "quotes" / "polnear_dev.jsonl"
TIMEBANK = shared_data() / "dates" / "timebank"
POLNEAR_DEV_SHA256 = "ff0386d5801125b539de0d86f803f859fd7a32b28f9c94c016eaf6e3540ce499"
# sha256 over the .tml files in name order (name, NUL, bytes for each)
TIMEBANK_SHA256 = "e14babc9d6ba4a7767255c462c1367d411c394c17b40e43c1de78383815a35b5"

# Floors: a little below the measured figures (docs/benchmarks.md).
QUOTES_F1_03 = 0.77
QUOTES_F1_08 = 0.54
QUOTES_SPEAKER = 0.85
DATES_ACCURACY = 0.84
DATES_DATEPARSER_MARGIN = 0.30  # ours must beat dateparser alone by this much


def _timebank_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.glob("*.tml")):
        h.update(p.name.encode())
        h.update(b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()


@pytest.mark.slow
def test_quotes_polnear_dev_floor():
    if not POLNEAR_DEV.exists():
        pytest.skip(f"PolNeAR dev not found at {POLNEAR_DEV} (../shared is beside the repo in CI only)")
    digest = hashlib.sha256(POLNEAR_DEV.read_bytes()).hexdigest()
    assert digest == POLNEAR_DEV_SHA256, "PolNeAR dev changed: re-run `storyline bench quotes`, update floors and pin"
    rows = quotes_bench.load(POLNEAR_DEV)
    ours = quotes_bench.score(rows, quotes_bench.predict(rows))
    naive = quotes_bench.score(rows, quotes_bench.baseline(rows))
    assert ours["0.3"]["f1"] >= QUOTES_F1_03, ours
    assert ours["0.8"]["f1"] >= QUOTES_F1_08, ours
    assert ours["speaker_accuracy"] >= QUOTES_SPEAKER, ours
    assert ours["0.3"]["f1"] > naive["0.3"]["f1"] + 0.2


@pytest.mark.slow
def test_dates_timebank_floor():
    if not TIMEBANK.is_dir():
        pytest.skip(f"TimeBank not found at {TIMEBANK} (../shared is beside the repo in CI only)")
    assert _timebank_digest(TIMEBANK) == TIMEBANK_SHA256, \
        "TimeBank changed: re-run `storyline bench dates`, update floors and pin"
    figures = dates_bench.score(dates_bench.load(TIMEBANK))["figures"]
    assert figures["all"]["n"] == 1016
    assert figures["all"]["accuracy"] >= DATES_ACCURACY, figures
    assert figures["report"]["accuracy"] >= DATES_ACCURACY - 0.02, figures
    assert figures["all"]["accuracy"] >= figures["all"]["dateparser_accuracy"] + DATES_DATEPARSER_MARGIN, figures
