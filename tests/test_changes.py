"""What changed between two uploads (analysis/metrics/changes.py, the changes command, the report section):
hand-built pairs of portfolios whose changes are known by construction."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from builders import analysed, make_portfolio, pilot

from analysis.__main__ import main
from analysis.cli.changes import changes_of_files
from analysis.metrics import changes as ch

THEN, NOW = dt.date(2024, 6, 30), dt.date(2024, 12, 31)


def renamed(row: dict, new_id: str) -> dict:
    return {**row, "Pilot ID": new_id}


# Earlier upload, as of 2024-06-30 (stalled: no progress for more than 90 days)
EARLIER = [
    pilot(1),                                             # PoC since 2024-03-01: stalled then (121 days)
    pilot(2, poc_date="2024-06-01"),                      # PoC, moving
    pilot(3, stage="Pilot", pilot_date="2024-05-01"),     # Pilot
    pilot(4, poc_date="2024-06-01"),                      # PoC, moving
    pilot(5, stage="Intake", status="Cancelled", failure_cause="Cost", poc_date=""),  # cancelled already
    pilot(6, poc_date="2024-06-01"),                      # gone by the later upload
    renamed(pilot(7, poc_date="2024-06-01"), "AI-7"),     # written AI-0007 later
    pilot(9, stage="Production", status="Live", production_date="2024-04-01"),
]
# Later upload, as of 2024-12-31
LATER = [
    pilot(1, stage="Pilot", pilot_date="2024-11-01"),     # advanced, back from its stall
    pilot(2, poc_date="2024-06-01"),                      # no progress since: newly stalled (213 days)
    pilot(3, stage="Production", status="Live", pilot_date="2024-05-01", production_date="2024-10-01"),
    pilot(4, status="Cancelled", failure_cause="Bad data", end_date="2024-09-01", poc_date="2024-06-01"),
    pilot(5, stage="Intake", status="Cancelled", failure_cause="Cost", poc_date=""),
    pilot(17, poc_date="2024-11-01"),                     # new
    pilot(18, poc_date="2024-11-01"),                     # new
    renamed(pilot(7, poc_date="2024-11-01"), "AI-0007"),
    pilot(9, stage="Production", status="Live", production_date="2024-04-01"),
    pilot(9, stage="Production", status="Live", production_date="2024-04-01", name="again"),  # repeated row
    renamed(pilot(10, poc_date="2024-11-01"), "P010"),    # P010 and p-10: one ID written two ways
    renamed(pilot(11, poc_date="2024-11-01"), "p-10"),
]


@pytest.fixture(scope="module")
def found() -> ch.Changes:
    return changes_of_files(analysed(EARLIER, as_of=THEN), analysed(LATER, as_of=NOW), "q2.csv", "q4.csv")


def ids(found: ch.Changes, group: str) -> list[str]:
    return sorted(ch.group_pilots(found, group)["pilot_id"])


@pytest.mark.parametrize("group, expected", [
    ("new", ["P010", "P017", "P018", "p-10"]),
    ("gone", ["P006"]),
    ("advanced", ["P001", "P003"]),
    ("reached_production", ["P003"]),
    ("cancelled", ["P004"]),
    ("newly_stalled", ["P002"]),
    ("back_from_stall", ["P001"]),
])
def test_every_group_has_the_pilots_built_into_it(found, group, expected):
    assert ids(found, group) == expected
    assert found.count(group) == len(expected)


def test_matched_pilots_are_those_with_the_same_id(found):
    assert sorted(found.matched["pilot_id"]) == ["P001", "P002", "P003", "P004", "P005", "P009"]


def test_an_id_written_differently_is_reported_and_in_no_group(found):
    assert found.id_changes[["before_ids", "after_ids"]].to_dict("records") == [
        {"before_ids": ["AI-7"], "after_ids": ["AI-0007"]}]
    every = {i for g in ch.GROUPS for i in ids(found, g)}
    assert not {"AI-7", "AI-0007"} & every


def test_repeats_are_reported(found):
    rows = {(r.upload, tuple(r.pilot_ids)): r.problem for r in found.repeats.itertuples()}
    assert rows == {("later", ("P009",)): "repeated on a row the import rejected (the first row is kept)",
                    ("later", ("P010", "p-10")): "the same ID written differently within this upload"}


def test_an_id_on_two_rows_of_a_frame_is_never_matched():
    before = analysed([pilot(1), pilot(2)], as_of=THEN).classified
    after = analysed([pilot(1, stage="Pilot", pilot_date="2024-11-01"), pilot(2)], as_of=NOW).classified
    doubled = after.assign(pilot_id=["P001", "P001"])  # a frame not from an import (which rejects repeats)
    found = ch.compare(ch.Upload(before, ["intake", "scoping", "poc", "pilot", "production"]),
                       ch.Upload(doubled, ["intake", "scoping", "poc", "pilot", "production"]))
    assert found.matched.empty and ids(found, "advanced") == [] and ids(found, "new") == []
    assert ids(found, "gone") == ["P001", "P002"]
    assert found.repeats[["upload", "problem"]].values.tolist() == [["later", "on 2 pilot rows"]]


def test_id_key_ignores_case_punctuation_and_leading_zeros():
    import pandas as pd

    assert list(ch.id_key(pd.Series(["AI-7", "AI-0007", "ai 7", "AI_07", "AI-70", "0", "B-100"]))) == [
        "ai7", "ai7", "ai7", "ai7", "ai70", "0", "b100"]


def test_causes_of_the_newly_cancelled(found):
    assert ch.cancelled_causes(found).to_dict("records") == [{"cause": "data_quality", "count": 1}]


def test_funnel_then_and_now(found):
    funnel = ch.funnel_then_now(found)
    assert funnel[["stage", "then", "now"]].values.tolist() == [
        ["intake", 8, 11], ["scoping", 7, 10], ["poc", 7, 10], ["pilot", 2, 3], ["production", 1, 2]]


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval written out (Wilson 1927), to check the module's vectorised one."""
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def test_rates_then_and_now_with_intervals_and_the_test(found):
    rates = ch.rates_then_now(found).set_index("measure")
    # then: 8 pilots, P009 in production, P005 cancelled; now: 11 pilots, P003 and P009, P004 and P005
    expected = {"production_all": (1, 8, 2, 11), "production_decided": (1, 2, 2, 4), "failure": (1, 2, 2, 4)}
    for measure, (k0, n0, k1, n1) in expected.items():
        row = rates.loc[measure]
        assert (row.then_count, row.then_n, row.now_count, row.now_n) == (k0, n0, k1, n1)
        assert (row.then_low, row.then_high) == pytest.approx(wilson(k0, n0))
        assert (row.now_low, row.now_high) == pytest.approx(wilson(k1, n1))
        # scipy: fisher_exact([[1, 7], [2, 9]]).pvalue == 1.0, fisher_exact([[1, 1], [2, 2]]).pvalue == 1.0
        assert row.method == "Fisher's exact test" and row.p_value == pytest.approx(1.0)
        assert not row.significant
    sentence = ch.rate_sentence(rates.loc["production_all"].to_dict() | {"label": "Production rate"})
    assert sentence == ("Production rate: 12% (1 of 8; 95% interval 2%–47%) then, 18% (2 of 11; 95% interval "
                        "5%–48%) now; the difference could be chance (Fisher's exact test, p = 1, at 0.05).")


def test_a_real_drop_in_the_failure_rate_is_significant():
    # then: 18 of 20 decided pilots cancelled; now 4 of 20 (the others of those 18 relaunched as production)
    then = [pilot(i, status="Cancelled" if i <= 18 else "Live", stage="PoC" if i <= 18 else "Production")
            for i in range(1, 21)]
    now = [pilot(i, status="Cancelled" if i <= 4 else "Live", stage="PoC" if i <= 4 else "Production")
           for i in range(1, 21)]
    found = ch.compare(*(ch.Upload(analysed(rows, as_of=NOW).classified, ["intake", "scoping", "poc", "pilot",
                                                                           "production"]) for rows in (then, now)))
    row = ch.rates_then_now(found).set_index("measure").loc["failure"]
    assert (row.then_count, row.then_n, row.now_count, row.now_n) == (18, 20, 4, 20)
    # scipy: chi2_contingency([[18, 2], [4, 16]], correction=False) -> chi2 19.798, p = 8.6e-06
    assert row.method == "chi-square test" and row.p_value == pytest.approx(8.6e-06, rel=0.01)
    assert row.significant
    assert "is statistically significant (chi-square test, p < 0.001" in ch.rate_sentence(row.to_dict())
    assert ids(found, "reached_production") == [f"P{i:03d}" for i in range(5, 19)]  # cancelled then, live now
    assert found.count("cancelled") == 0  # P001-P004 were cancelled already


def test_two_uploads_with_no_id_in_common():
    found = ch.compare(ch.Upload(analysed(2, as_of=NOW).classified, ["intake", "scoping", "poc", "pilot", "production"]),
                       ch.Upload(analysed([pilot(5), pilot(6)], as_of=NOW).classified,
                                 ["intake", "scoping", "poc", "pilot", "production"]))
    assert found.matched.empty and found.count("new") == 2 and found.count("gone") == 2
    assert all(found.count(g) == 0 for g in ch.MATCHED_GROUPS)


def test_the_changes_command_prints_json(tmp_path, capsys):
    old, new = tmp_path / "q2.csv", tmp_path / "q4.csv"
    old.write_bytes(make_portfolio(EARLIER))
    new.write_bytes(make_portfolio(LATER))
    assert main(["changes", str(old), str(new), "--earlier-as-of", "2024-06-30", "--as-of", "2024-12-31"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["earlier"] == {"file": "q2.csv", "as_of": "2024-06-30"}
    assert out["pilots"] == {"earlier": 8, "later": 11, "matched": 6}
    assert {g: v["count"] for g, v in out["groups"].items()} == {
        "new": 4, "gone": 1, "advanced": 2, "reached_production": 1, "cancelled": 1, "newly_stalled": 1,
        "back_from_stall": 1}
    assert out["groups"]["newly_stalled"]["pilot_ids"] == ["P002"]
    assert out["id_changes"] == [{"earlier": ["AI-7"], "later": ["AI-0007"]}]
    assert [r["pilot_ids"] for r in out["repeats"]] == [["P009"], ["P010", "p-10"]]
    rate = out["rates"][0]
    assert rate["then"]["count"] == 1 and rate["now"]["n"] == 11 and rate["test"]["p_value"] == pytest.approx(1.0)
    assert out["funnel"][-1] == {"stage": "production", "then": 1, "now": 2}


def test_the_changes_command_on_a_missing_file(tmp_path, capsys):
    new = tmp_path / "q4.csv"
    new.write_bytes(make_portfolio(LATER))
    assert main(["changes", str(tmp_path / "nope.csv"), str(new)]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_the_report_has_a_what_changed_section_with_an_earlier_file(tmp_path):
    old, new, out = tmp_path / "q2.csv", tmp_path / "q4.csv", tmp_path / "r.html"
    old.write_bytes(make_portfolio(EARLIER))
    new.write_bytes(make_portfolio(LATER))
    assert main(["report", str(new), "-o", str(out), "--earlier", str(old)]) == 0
    text = out.read_text(encoding="utf-8")
    assert '<section id="changes"><h2>What changed</h2>' in text
    assert "8 pilots then, 11 now, 6 matched by ID" in text
    assert "<td>Newly stalled</td><td class=\"num\">" in text and "AI-0007" in text
    assert main(["report", str(new), "-o", str(out)]) == 0
    assert 'id="changes"' not in out.read_text(encoding="utf-8")


def regex_key(ids: list[str]) -> list[str]:
    """id_key as two regular expressions, the plain statement of the rule (analysis/metrics/changes.id_keys
    works on the bytes instead)."""
    import re

    keys = [re.sub(r"[^0-9a-z\u0080-\U0010ffff]+", "", i.lower()) for i in ids]
    return [re.sub(r"(^|[^0-9])0+(?=[0-9])", r"\1", k) for k in keys]


def test_id_key_equals_its_regular_expressions_on_random_ids():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(16)
    alphabet = list("aAzZ0001789-_ ./é")
    ids = ["".join(rng.choice(alphabet, rng.integers(0, 10))) for _ in range(5000)] + ["00", "0", "", "a00b0c007"]
    assert list(ch.id_key(pd.Series(ids))) == regex_key(ids)


def test_repeats_given_per_upload_equal_those_compare_finds(found):
    later = analysed(LATER, as_of=NOW)
    given = ch.upload_repeats(later.classified["pilot_id"], ch.repeated_ids(later.derived.rejected))
    again = ch.compare(found.before, ch.Upload(found.after.pilots, found.after.stages, repeats=given))
    assert again.repeats.to_dict("records") == found.repeats.to_dict("records")


def test_stages_are_compared_by_name_on_the_later_uploads_list():
    # the earlier upload had its own list (idea, poc, pilot, production): P001 at poc is at poc now (no
    # advance, though its index moved from 1 to 2), P002 went from poc to pilot (advanced)
    before = analysed([pilot(1), pilot(2)], as_of=THEN).classified.assign(stage_index=[1, 1])
    after = analysed([pilot(1), pilot(2, stage="Pilot", pilot_date="2024-11-01")], as_of=NOW).classified
    found = ch.compare(ch.Upload(before, ["idea", "poc", "pilot", "production"]),
                       ch.Upload(after, ["intake", "scoping", "poc", "pilot", "production"]))
    assert ids(found, "advanced") == ["P002"]
    unknown = ch.compare(ch.Upload(before, ["idea", "trial", "pilot", "production"]),  # 'trial' is no later stage
                         ch.Upload(after, ["intake", "scoping", "poc", "pilot", "production"]))
    assert ids(unknown, "advanced") == []


def test_one_template_holds_only_where_no_two_ids_can_share_a_key():
    import numpy as np
    import pyarrow as pa

    def holds(ids):
        return ch.one_template(pa.array(ids, type=pa.large_string()))

    assert holds(["AI-000123", "AI-000124", "AI-100000"]) and holds([])
    assert not holds(["AI-0001", "ai-0001"])  # a letter's case differs at one place
    assert not holds(["AI-0001", "AI_0001"])  # punctuation differs
    assert not holds(["AI-01", "AI-1"])  # widths differ
    assert not holds(["AI-0001", None])
    # any set that holds has as many distinct keys as IDs (random sets of fixed-width IDs, some holding)
    rng = np.random.default_rng(14)
    held = 0
    for _ in range(400):
        width = int(rng.integers(1, 6))
        places = [list("0123456789") if rng.random() < 0.6 else list(rng.choice(list("aA-_ 0é"), 1))
                  for _ in range(width)]
        ids = sorted({"".join(rng.choice(p) if rng.random() > 0.02 else rng.choice(list("aA-0"))
                              for p in places) for _ in range(int(rng.integers(2, 30)))})
        if holds(ids):
            held += 1
            assert len(set(regex_key(ids))) == len(ids), ids
    assert held > 100


def test_repeats_skip_the_keys_of_ids_of_one_template(monkeypatch):
    import pandas as pd

    spelt = ch.upload_repeats(pd.Series(["AI-0001", "ai-0001", "AI-0002"]))
    assert spelt.to_dict("records") == [{"upload": "", "pilot_ids": ["AI-0001", "ai-0001"],
                                         "problem": "the same ID written differently within this upload"}]
    monkeypatch.setattr(ch, "id_keys", lambda text: (_ for _ in ()).throw(AssertionError("keys made")))
    assert ch.upload_repeats(pd.Series([f"AI-{i:06d}" for i in range(1000)])).empty


@pytest.mark.parametrize("join_from", [10 ** 9, 0])
def test_positions_in_by_hash_and_by_join(monkeypatch, join_from):
    import numpy as np
    import pyarrow as pa

    monkeypatch.setattr(ch, "JOIN_FROM", join_from)  # Arrow's hash, then DuckDB's join
    later = pa.array(["b", "x", "a", "é", None, "a"], type=pa.large_string())
    earlier = pa.array(["a", "b", "c", "é"], type=pa.large_string())
    assert ch.positions_in(later, earlier).tolist() == [1, -1, 0, 3, -1, 0]
    assert ch.positions_in(later[:0], earlier).tolist() == []
    rng = np.random.default_rng(3)
    ids = pa.array([f"AI-{i}" for i in rng.permutation(5000)], type=pa.large_string())
    found = ch.positions_in(ids, ids[1000:])
    assert (found[found >= 0] + 1000 == np.flatnonzero(found >= 0)).all() and (found >= 0).sum() == 4000
