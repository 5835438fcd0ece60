"""pages/common.release_memory, called at the start of every run, frees what the previous run's figures held:
a plotly figure is a reference cycle (figure <-> layout), so its drill-down ids (tens of MB at 1M pilots)
waited for the cyclic garbage collector, and the views peak moved with how many objects earlier pages made.
It collects the young generations only (a full collection walks every cached object: 20-40 ms a run)."""

from __future__ import annotations

import gc
import weakref

import plotly.graph_objects as go

from pages import common


class Ids(list):
    """Stands for a drill-down's pilot ids (a list subclass can be weakly referenced)."""


def test_a_figure_dropped_in_the_last_run_is_freed_with_what_it_holds() -> None:
    gc.collect()
    gc.disable()  # no automatic collection in between: the one that frees it is release_memory's
    try:
        ids = Ids(f"P{i}" for i in range(1000))
        fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]))
        fig._drill = {"a": ids}
        alive = weakref.ref(ids)
        del fig, ids
        assert alive() is not None  # held by the figure's cycle: reference counting does not free it
        common.release_memory()
        assert alive() is None
    finally:
        gc.enable()
