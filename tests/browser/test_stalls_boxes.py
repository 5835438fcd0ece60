"""The time-in-stage boxes in plotly.js itself (headless Chromium, the plotly.js bundled with the plotly
package): a big box is sent as its statistics and its outliers (analysis.figures.stalls.box_stats), and
plotly draws the same box (quartiles, fences, ends) and the same outlier points as from every value; each
drawn point hands back its row as customdata, the key of its pilot."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly
import plotly.graph_objects as go
import pytest

from analysis.figures.stalls import POINTS_PER_BOX, SPELL_KINDS, stage_time_figure
from analysis.metrics.cohorts import DAYS_PER_MONTH
from analysis.metrics.stalls import EXITS, Spells, stage_time_summary
from analysis.schema import stage_label

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


def box_rows(box: go.Box, s: Spells) -> np.ndarray:
    """The spells a box stands for, by definition: its stage (y0), and left the stage or still there (name)."""
    stage = [stage_label(st) for st in STAGES].index(box.y0)
    return np.flatnonzero((s.stage_index == stage) & (s.observed == (box.name == SPELL_KINDS[0][1])))


def from_every_value(fig: go.Figure, s: Spells) -> go.Figure:
    """The same figure with every box drawn by plotly from all of its values, as before box_stats."""
    full = go.Figure(fig)
    for box in (t for t in full.data if t.type == "box"):
        if box.q1 is not None:
            rows = box_rows(box, s)
            box.update(q1=None, median=None, q3=None, lowerfence=None, upperfence=None,
                       x=s.days[rows][::-1] / DAYS_PER_MONTH, customdata=rows[::-1])  # any order: plotly sorts
    return full


CALC = """(spec) => {
    const div = document.createElement('div'); document.body.appendChild(div);
    Plotly.newPlot(div, spec.data, spec.layout);
    const key = (trace, i) => Array.isArray(i) ? trace.customdata[i[0]][i[1]] : trace.customdata[i];
    return div.calcdata.filter(cd => cd[0].trace.type === 'box').map(cd => ({
        q1: cd[0].q1, med: cd[0].med, q3: cd[0].q3, lf: cd[0].lf, uf: cd[0].uf, min: cd[0].min, max: cd[0].max,
        drawn: cd[0].pts2.map(p => [p.v, Number(key(cd[0].trace, p.i))])}));
}"""


def calc(page, fig) -> list[dict]:
    """plotly.js's calcdata of each box trace: the stats, and the drawn points (value, customdata)."""
    return page.evaluate(CALC, json.loads(fig.to_json()))  # as Streamlit sends it: typed arrays in base64


@pytest.mark.parametrize("seed", range(3))
def test_big_boxes_draw_the_same_box_and_outliers_as_every_value(page, seed):
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=str(PLOTLY_JS))
    s = spells(seed)
    fig = stage_time_figure(s, stage_time_summary(s, STAGES), STAGES)
    assert sum(t.q1 is not None for t in fig.data if t.type == "box") >= 2
    got, want = calc(page, fig), calc(page, from_every_value(fig, s))
    assert len(got) == len(want) >= 4
    drawn = 0
    for g, w in zip(got, want):
        assert np.allclose([g[k] for k in STATS], [w[k] for k in STATS], rtol=1e-12, atol=0)
        assert sorted(g["drawn"]) == sorted(w["drawn"])  # the same points, each with its own row as key
        drawn += len(g["drawn"])
    assert drawn > 50  # the long tails give outliers to draw
    big = [len(t.x[0]) for t in fig.data if t.type == "box" and t.q1 is not None]
    assert sum(big) < 0.2 * len(s)  # only the outliers are sent


def test_a_clicked_outlier_hands_back_its_row(page):
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=str(PLOTLY_JS))
    s = spells(0)
    fig = stage_time_figure(s, stage_time_summary(s, STAGES), STAGES)
    curve = next(i for i, t in enumerate(fig.data) if t.type == "box" and t.q1 is not None)
    box = page.evaluate("""async ([spec, curve]) => {
        const div = document.createElement('div'); div.id = 'chart'; document.body.appendChild(div);
        await Plotly.newPlot(div, spec.data, {...spec.layout, width: 900, height: 600});
        div.on('plotly_click', e => { window.clicked = e.points.map(p => [p.customdata, p.x]); });
        const point = div.querySelectorAll('.trace.boxes')[curve].querySelector('.point');
        const r = point.getBoundingClientRect();
        return [r.x + r.width / 2, r.y + r.height / 2];
    }""", [json.loads(fig.to_json()), curve])
    page.mouse.move(*box)
    page.mouse.click(*box)
    page.wait_for_function("window.clicked !== undefined", timeout=10_000)
    (clicked,) = [p for p in page.evaluate("window.clicked") if p[0] is not None]
    row, value = clicked
    at = list(fig.data[curve].customdata[0]).index(row)  # a point of this box, keyed by its own row
    assert float(fig.data[curve].x[0][at]) == value
    assert s.days[row] / DAYS_PER_MONTH == value and s.pilot_ids[row] == f"P{row}"
