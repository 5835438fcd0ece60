"""The time-in-stage boxes in plotly.js itself (headless Chromium, the plotly.js bundled with the plotly
package): a big box sends every value with its outliers first and keys only for them
(analysis.figures.stalls.box_outliers), and plotly draws the same box (quartiles, fences, ends) as from the
values in spell order, and draws as points only values that carry their key."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly
import pytest

from analysis.figures.stalls import POINTS_PER_BOX, stage_time_figure
from analysis.stalls import EXITS, Spells, stage_time_summary

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
STAGES = ["intake", "scoping", "poc", "pilot", "production"]
STATS = ["q1", "med", "q3", "lf", "uf", "min", "max"]


def spells(seed: int) -> Spells:
    """Long-tailed whole days (many ties, some far outliers) in boxes above POINTS_PER_BOX, and a small one."""
    rng = np.random.default_rng(seed)
    sizes = [POINTS_PER_BOX + 1 + int(rng.integers(0, 4000)) for _ in range(3)] + [50]
    index = np.concatenate([np.full(n, i, dtype=np.int8) for i, n in enumerate(sizes)])
    days = np.rint(rng.lognormal(3.5, float(rng.uniform(0.3, 1.2)), len(index))).astype(np.int32)
    exit_ = rng.choice([EXITS.index("moved on"), EXITS.index("still there")], len(index), p=[0.8, 0.2])
    ids = pd.array([f"P{i}" for i in range(len(index))], dtype="str")
    return Spells(ids, np.arange(len(index), dtype=np.int32), index, days, exit_.astype(np.int8), STAGES)


def calc(page, fig) -> list[dict]:
    """plotly.js's calcdata of each box trace: the stats, and the drawn points (value, index in x)."""
    return page.evaluate("""(spec) => {
        const div = document.createElement('div'); document.body.appendChild(div);
        Plotly.newPlot(div, spec.data, spec.layout);
        return div.calcdata.filter(cd => cd[0].trace.type === 'box').map(cd => ({
            q1: cd[0].q1, med: cd[0].med, q3: cd[0].q3, lf: cd[0].lf, uf: cd[0].uf, min: cd[0].min,
            max: cd[0].max, drawn: cd[0].pts2.map(p => [p.v, p.i]), keys: (cd[0].trace.customdata || []).length}));
    }""", json.loads(fig.to_json()))  # as Streamlit sends it: typed arrays in base64


@pytest.mark.parametrize("seed", range(3))
def test_big_boxes_draw_the_same_box_and_key_every_drawn_point(page, seed):
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=str(PLOTLY_JS))
    s = spells(seed)
    fig = stage_time_figure(s, stage_time_summary(s, STAGES), STAGES)
    in_order = stage_time_figure(s, stage_time_summary(s, STAGES), STAGES)
    for box in in_order.data:  # the same boxes with every value in spell order, as before
        if box.type == "box" and box.boxpoints == "outliers":
            rows = np.sort(np.asarray(box.x))  # any order: plotly sorts; a different order than `fig`'s
            box.x = rows[::-1].copy()
    got, want = calc(page, fig), calc(page, in_order)
    assert len(got) == len(want) >= 4
    drawn = 0
    for g, w in zip(got, want):
        assert [g[k] for k in STATS] == [w[k] for k in STATS]
        assert sorted(v for v, _ in g["drawn"]) == sorted(v for v, _ in w["drawn"])
        assert all(i < g["keys"] for _, i in g["drawn"])  # every drawn point has its row as key
        drawn += len(g["drawn"])
    assert drawn > 50  # the long tails give outliers to draw
