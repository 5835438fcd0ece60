"""The summary command keeps its answer by content: a second run on the same file prints the same JSON
without computing (importing neither pandas nor Arrow), and any change of bytes, options, day or code computes afresh."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from analysis.cli import summary_cache
from tests.builders import make_portfolio, pilot
from tests.conftest import ROOT, SAMPLE

# Runs the command in this process and says whether it computed the summary: a clean export is summarised with
# Arrow and numpy (analysis/cli/summary_fast.py), any other file with pandas; a kept summary needs neither.
PROBE = """
import contextlib, io, json, sys
from analysis.__main__ import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "out": out.getvalue(), "pandas": "pandas" in sys.modules,
                  "computed": "pandas" in sys.modules or "pyarrow" in sys.modules}))
"""


def probe(data_dir, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE, "summary", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PILOTS_DATA_DIR": str(data_dir)})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_second_run_prints_the_kept_summary_without_computing(tmp_path):
    first = probe(tmp_path, str(SAMPLE))
    again = probe(tmp_path, str(SAMPLE))
    assert first["computed"] and not again["computed"] and not again["pandas"]
    assert again["out"] == first["out"]
    assert [f["reached"] for f in json.loads(again["out"])["funnel"]] == [600, 567, 497, 280, 156]
    assert len(list((tmp_path / summary_cache.FOLDER).glob("*.json"))) == 1
    assert probe(tmp_path, str(SAMPLE), "--fresh")["computed"]  # --fresh computes again


def test_a_fresh_run_keeps_its_answer_for_the_next_run(tmp_path):
    # --fresh hashes the file in a thread of its own while it computes (analysis/__main__.py): the same key
    fresh = probe(tmp_path, str(SAMPLE), "--fresh")
    again = probe(tmp_path, str(SAMPLE))
    assert fresh["computed"] and not again["computed"] and again["out"] == fresh["out"]


def test_other_bytes_or_options_are_computed_afresh(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(make_portfolio([pilot(1, Last_Update="2024-03-01"), pilot(2, Last_Update="2024-05-20")]))
    stalled = json.loads(probe(tmp_path, str(path), "--as-of", "2024-06-01", "--stall-days", "30")["out"])
    assert stalled["outcomes"]["stalled"] == 1
    other = probe(tmp_path, str(path), "--as-of", "2024-06-01", "--stall-days", "100")
    assert other["computed"] and json.loads(other["out"])["outcomes"]["stalled"] == 0
    path.write_bytes(make_portfolio([pilot(1, Last_Update="2024-05-25"), pilot(2, Last_Update="2024-05-20")]))
    changed = probe(tmp_path, str(path), "--as-of", "2024-06-01", "--stall-days", "30")
    assert changed["computed"] and json.loads(changed["out"])["outcomes"]["stalled"] == 0


def test_a_changed_mapping_file_is_computed_afresh(tmp_path):
    data, mapping = tmp_path / "p.csv", tmp_path / "m.json"
    data.write_bytes(b"Ref,Where\nA,Hatching\nB,Hatching\nC,Live\n")
    mapping.write_text(json.dumps({"columns": {"pilot_id": "Ref", "stage": "Where"},
                                   "values": {"stage": {"Hatching": "poc"}}}))
    assert [f["reached"] for f in json.loads(probe(tmp_path, str(data), "--mapping", str(mapping))["out"])
            ["funnel"]] == [3, 3, 3, 1, 1]
    mapping.write_text(json.dumps({"columns": {"pilot_id": "Ref", "stage": "Where"},
                                   "values": {"stage": {"Hatching": "intake"}}}))
    again = probe(tmp_path, str(data), "--mapping", str(mapping))
    assert again["computed"] and [f["reached"] for f in json.loads(again["out"])["funnel"]] == [3, 1, 1, 1, 1]


def test_the_key_covers_bytes_options_day_and_code(monkeypatch):
    day = dt.date(2026, 11, 26)
    base = summary_cache.key(b"a,b\n1,2\n", {"as_of": None, "stall_days": 90}, day)
    assert base == summary_cache.key(b"a,b\n1,2\n", {"stall_days": 90, "as_of": None}, day)
    assert base != summary_cache.key(b"a,b\n1,3\n", {"as_of": None, "stall_days": 90}, day)
    assert base != summary_cache.key(b"a,b\n1,2\n", {"as_of": None, "stall_days": 91}, day)
    assert base != summary_cache.key(b"a,b\n1,2\n", {"as_of": None, "stall_days": 90}, day + dt.timedelta(1))
    monkeypatch.setattr(summary_cache, "code_fingerprint", lambda: "another version of the code")
    assert base != summary_cache.key(b"a,b\n1,2\n", {"as_of": None, "stall_days": 90}, day)


def test_the_fingerprint_follows_the_analysis_sources(tmp_path, monkeypatch):
    (tmp_path / "analysis").mkdir()
    source = tmp_path / "analysis" / "funnel.py"
    source.write_text("STEPS = 5\n")
    monkeypatch.setattr(summary_cache, "_ROOT", tmp_path)
    before = summary_cache.code_fingerprint()
    source.write_text("STEPS = 6\n")
    assert summary_cache.code_fingerprint() != before


def test_a_damaged_entry_is_computed_again(tmp_path):
    first = probe(tmp_path, str(SAMPLE))
    (entry,) = (tmp_path / summary_cache.FOLDER).glob("*.json")
    entry.write_text('{"funnel": [')
    again = probe(tmp_path, str(SAMPLE))
    assert again["computed"] and again["out"] == first["out"]
    assert entry.read_text() == first["out"]


def test_a_data_directory_that_cannot_be_written_still_gives_the_summary(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data directory should be")
    result = probe(blocker, str(SAMPLE))
    assert result["code"] == 0 and json.loads(result["out"])["pilots"] == 600


def test_old_entries_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(summary_cache, "MAX_ENTRIES", 3)
    for i in range(5):
        assert summary_cache.put(f"{i:064x}", json.dumps({"i": i}), tmp_path)
        os.utime(tmp_path / summary_cache.FOLDER / f"{i:064x}.json", (i, i))
    kept = sorted(p.stem for p in (tmp_path / summary_cache.FOLDER).glob("*.json"))
    assert kept == [f"{i:064x}" for i in (2, 3, 4)]
    assert summary_cache.get(f"{4:064x}", tmp_path) == json.dumps({"i": 4})
