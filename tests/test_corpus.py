"""Issue 13: every export of the corpus (tests/corpus/exports.py: 48 tracker exports of six tools and four
federal inventories, written as those tools write them) reaches its known funnel, outcomes and causes on the
first upload, with no mapping file."""

from __future__ import annotations

import pytest

from analysis.cli.summary import analyse_file, summary
from tests.corpus.exports import corpus

CASES = corpus()


def test_the_corpus_is_as_large_as_promised() -> None:
    assert len(CASES) >= 40 and len({c.name.rsplit("-", 1)[0] for c in CASES}) >= 7


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_an_export_reads_right_without_a_mapping(case) -> None:
    result = summary(analyse_file(case.data, case.filename))
    assert result["rows"]["rejected"] == 0, result["problems"][:3]
    assert [f["reached"] for f in result["funnel"]] == case.funnel, result["mapping"]
    got = {k: result["outcomes"][k] for k in case.outcomes}
    assert got == case.outcomes, result["mapping"]
    assert {c["cause"]: c["count"] for c in result["failure_causes"]} == case.causes, result["unmapped_values"]
