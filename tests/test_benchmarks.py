"""How the portfolio compares with the published rates (analysis/metrics/benchmarks.py, the figure, the
Overview's section): known answers on hand-built portfolios, and no published figure without its source."""

from __future__ import annotations

import json

import pytest
from builders import analysed, make_portfolio, pilot
from streamlit.testing.v1 import AppTest
from test_pages import APP

from analysis.figures.base import drill
from analysis.figures.benchmarks import benchmarks_figure, published_lines
from analysis.metrics.benchmarks import (
    buy_build_ratio,
    comparison_sentence,
    portfolio_rates,
    published_rates,
)
from analysis.store import datasets as store


def done(i: int, sourcing: str) -> dict:
    return pilot(i, sourcing=sourcing, stage="Production", status="In production", production_date="2024-09-01")


def stopped(i: int, sourcing: str) -> dict:
    return pilot(i, sourcing=sourcing, status="Cancelled", failure_cause="Data quality", end_date="2024-06-01")


def flying(i: int, sourcing: str) -> dict:
    return pilot(i, sourcing=sourcing)


# 10 pilots: 3 in production (2 bought, 1 built), 5 cancelled (1 bought, 4 built), 2 in flight (built)
TEN = [done(1, "Buy"), done(2, "Buy"), done(3, "Build"), stopped(4, "Buy"), *(stopped(i, "Build") for i in range(5, 9)),
       flying(9, "Build"), flying(10, "Build")]


def test_the_portfolio_rate_of_all_and_of_decided_overall_and_by_sourcing() -> None:
    rates = portfolio_rates(analysed(TEN).classified).set_index("segment")
    assert list(rates.index) == ["All pilots", "build", "buy"]  # the commonest sourcing first
    assert rates.loc["All pilots", ["pilots", "reached", "decided"]].tolist() == [10, 3, 8]
    assert rates.loc["All pilots", "rate_all"] == pytest.approx(0.30)
    assert rates.loc["All pilots", "rate_decided"] == pytest.approx(0.375)
    # Wilson 95% for 3 of 10 (R: binom::binom.wilson(3, 10)): 0.1078, 0.6032
    assert rates.loc["All pilots", ["all_low", "all_high"]].tolist() == pytest.approx([0.1078, 0.6032], abs=1e-4)
    assert rates.loc["build", ["pilots", "reached", "decided"]].tolist() == [7, 1, 5]
    assert rates.loc["buy", "rate_decided"] == pytest.approx(2 / 3)
    assert sorted(rates.loc["buy", "pilot_ids"]) == ["P001", "P002"]
    assert comparison_sentence(portfolio_rates(analysed(TEN).classified)) == (
        "30% of this portfolio's 10 pilots reached production; of the 8 decided ones, 38%.")


def test_without_a_cancellation_no_share_of_decided_is_stated() -> None:
    rates = portfolio_rates(analysed([done(1, "Buy"), flying(2, "Build")]).classified)
    assert comparison_sentence(rates) == ("50% of this portfolio's 2 pilots reached production; none is recorded "
                                          "as cancelled, so no share of decided pilots is given.")
    labels = list(benchmarks_figure(rates, published_rates()).data[0].y)
    assert not any("of decided" in label for label in labels)


def test_bought_against_built_is_stated_only_with_enough_decided_pilots() -> None:
    few = buy_build_ratio(analysed(TEN).classified)
    assert (few.bought_decided, few.built_decided, few.ratio) == (3, 5, None)
    assert few.sentence.startswith("Too few decided pilots to compare bought or partnered with built ones (3 and 5")
    # 12 bought (6 reached), 20 built (5 reached): 50% against 25%, twice as often
    rows = [done(i, "Partner" if i % 2 else "Buy") for i in range(1, 7)]
    rows += [stopped(i, "Vendor") for i in range(7, 13)]
    rows += [done(i, "In-house") for i in range(13, 18)] + [stopped(i, "Internal") for i in range(18, 33)]
    ratio = buy_build_ratio(analysed(rows).classified)
    assert (ratio.bought, ratio.built, ratio.ratio) == (0.5, 0.25, 2.0)
    assert ratio.sentence == ("Here, bought or partnered pilots reached production 2.0 times as often as built "
                              "ones, of those decided (50% of 12 against 25% of 20).")


def test_every_published_figure_has_its_source_year_and_definition() -> None:
    published = published_rates()
    assert {p.id for p in published} >= {"mit-nanda-2025", "idc-lenovo-2025", "sp-global-2025", "gartner-2024"}
    for p in published:
        assert p.link.startswith("https://") and 2020 <= p.year <= 2026 and p.measures and p.caveat
    lines = published_lines(published)
    assert len(lines) == len(published)
    for p, line in zip(published, lines):
        assert line.startswith(f"**{p.publisher}, {p.year}**") and line.endswith(f"]({p.link})") and p.caveat in line


def test_a_figure_without_its_source_is_refused(tmp_path) -> None:
    entry = json.loads(published_rates.__globals__["PUBLISHED"].read_text(encoding="utf-8"))["figures"][0]
    for broken in ({**entry, "source": None, "reported_by": None}, {**entry, "year": None}):
        path = tmp_path / "rates.json"
        path.write_text(json.dumps({"figures": [broken]}), encoding="utf-8")
        with pytest.raises(ValueError, match="mit-nanda-2025"):
            published_rates(path)


def test_the_figure_shows_the_portfolio_beside_the_comparable_published_figures_and_drills_down() -> None:
    rates = portfolio_rates(analysed(TEN).classified)
    fig = benchmarks_figure(rates, published_rates())
    own, quoted = fig.data
    assert list(own.y)[:2] == ["This portfolio, of all (10)", "This portfolio, of decided (8)"]
    assert list(own.x)[:2] == pytest.approx([0.30, 0.375])
    assert "IDC, commissioned by Lenovo 2025" in list(quoted.y) and 0.12 in list(quoted.x)
    assert sorted(drill(fig)["All pilots"]) == ["P001", "P002", "P003"]


def test_the_overview_shows_the_comparison_with_every_source() -> None:
    with store.connect() as con:
        ds = store.ingest(con, make_portfolio(TEN), "ten.csv")
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["ds"] = ds
    at.run()
    assert not at.exception, at.exception
    assert "How we compare with the published rates" in [h.value for h in at.subheader]
    assert any(m.value.startswith("30% of this portfolio's 10 pilots reached production") for m in at.markdown)
    listed = next(m.value for m in at.markdown if m.value.startswith("- **MIT Project NANDA"))
    assert all(f"]({p.link})" in listed for p in published_rates())
    at.selectbox(key="benchmarks_pick").set_value("Reached production: buy").run()
    shown = next(d.value for d in at.dataframe if "Pilot ID" in d.value.columns)
    assert sorted(shown["Pilot ID"]) == ["P001", "P002"]


def test_the_command_line_prints_the_comparison_with_every_citation(tmp_path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    path = tmp_path / "ten.csv"
    path.write_bytes(make_portfolio(TEN))
    out = subprocess.run([sys.executable, "-m", "analysis", "rates", str(path)], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    found = json.loads(out)
    overall = found["portfolio"][0]
    assert (overall["segment"], overall["pilots"], overall["reached"], overall["decided"]) == ("All pilots", 10, 3, 8)
    assert overall["rate_decided"] == 0.375 and found["bought_over_built"]["ratio"] is None
    assert [p["id"] for p in found["published"]] == [p.id for p in published_rates()]
    assert all(p["source"] or p["reported_by"]["url"].startswith("https://") for p in found["published"])


def test_the_report_has_the_comparison_with_every_source() -> None:
    from analysis.cli.report import benchmarks_section, context_of_file

    html = benchmarks_section(context_of_file(analysed(TEN), "ten.csv"))
    assert "How we compare with the published rates" in html and "30% of this portfolio&#x27;s 10 pilots" in html
    assert all(f", {p.link}</li>" in html for p in published_rates()) and "href" not in html  # offline: no link
