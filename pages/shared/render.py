"""Small renderers every page shares: definitions, pilot tables, clickable charts, the scope sentence."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from analysis.cli.export import safe_csv
from analysis.figures.base import Drill, drill, mark_key
from analysis.metrics.outcomes import (
    DEFINITIONS,
)
from analysis.metrics.scope import scope_sentence
from analysis.schema import FIELD_LABELS, STATUS_LABELS, cause_label, stage_label
from pages.shared.access import undated_pilots
from pages.shared.base import View, plain
from pages.shared.frames import pilots_with_ids, view_rows


def definitions(view: View, keys: list[str] | None = None) -> None:
    """The outcome definitions used on the page, in an expander beside the numbers."""
    with st.expander("Definitions"):
        for key, text in DEFINITIONS.items():
            if keys is None or key in keys:
                st.markdown(f"**{key.capitalize()}**: " + text.format(
                    days=view.stall_days, as_of=view.as_of.isoformat() if view.as_of else "(no dates)"))


# Rows a table sends to the browser: every row is labelled, serialised and sent on every run (10,000 rows
# cost a page 30-60 ms at 100k pilots, and nobody reads them on screen); the caption says how many there
# are, the search on the Pilots page narrows them, and the CSV download carries them all.
TABLE_ROWS = 1_000
PILOT_COLUMNS = ["pilot_id", "name", "business_unit", "use_case", "sourcing", "sponsor", "stage", "outcome",
                 "failure_cause", "start_date", "last_progress", "days_without_progress", "spend"]
DISPLAY = {"stage": stage_label, "outcome": lambda o: STATUS_LABELS.get(o, o),
           "status": lambda o: STATUS_LABELS.get(o, o), "failure_cause": cause_label, "sourcing": str.capitalize}
DISPLAY.update({f"{c}_{when}": DISPLAY[c] for c in ("stage", "outcome") for when in ("then", "now")})  # Changes


def number_columns(frame: pd.DataFrame, config: dict | None = None) -> dict:
    """A table's column_config with every whole-number column shown with thousands separators (96,129
    where a table would show 96129), keeping the labels and formats given in `config`."""
    config = dict(config or {})
    for column in frame.select_dtypes("integer").columns:
        given = config.get(column)
        if given is None or isinstance(given, str):
            config[column] = st.column_config.NumberColumn(given, format="localized")
    return config


def pilot_table_frame(frame: pd.DataFrame, columns: list[str] | None = None,
                      labels: dict[str, str] | None = None) -> pd.DataFrame:
    """The pilots as the table shows them: `columns` (default PILOT_COLUMNS) in order with friendly
    headers (`labels` for those FIELD_LABELS lacks) and values: stage, outcome and cause labels, days."""
    cols = [c for c in (columns or PILOT_COLUMNS) if c in frame.columns]
    labels = labels or {}
    shown = pd.DataFrame({i: _shown(frame[col], col) for i, col in enumerate(cols)}, index=frame.index)
    shown.columns = [labels.get(c) or FIELD_LABELS.get(c, c.replace("_", " ").capitalize()) for c in cols]
    return shown


def _shown(values: pd.Series, col: str) -> pd.Series:
    """A column as pilot tables show it: labelled (DISPLAY: each distinct value once), dates as days, text
    blank where missing (never a literal None), days without progress as whole numbers."""
    if col in DISPLAY:
        codes, uniques = pd.factorize(values)
        named = np.array([DISPLAY[col](v) if isinstance(v, str) else v for v in uniques] + [""], dtype=object)
        return pd.Series(named[codes], index=values.index, dtype=object)  # code -1 (missing): the blank at the end
    if pd.api.types.is_datetime64_any_dtype(values):
        values = values.dt.date
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        return values.astype(object).where(values.notna(), "")
    return values.astype("Int64") if col == "days_without_progress" else values


def pilot_table(frame: pd.DataFrame, key: str, label: str = "pilots", columns: list[str] | None = None,
                labels: dict[str, str] | None = None, everything: Callable[[], pd.DataFrame] | None = None,
                total: int | None = None) -> None:
    """The pilots behind a number: a sortable table (the first TABLE_ROWS of them) with friendly headers
    and a safe CSV download of all of them, made when the button is clicked, not on every run. With
    `everything` (and `total`, how many it gives), `frame` may hold just the first TABLE_ROWS: all of them
    are made only for the download."""
    _table(frame.head(TABLE_ROWS), len(frame) if total is None else total, everything or (lambda: frame), key,
           label, columns, labels)


def view_table(view: View, positions: np.ndarray, key: str, label: str = "pilots", columns: list[str] | None = None,
               labels: dict[str, str] | None = None) -> None:
    """pilot_table of the view's pilots at these positions (ascending): only the rows shown are cut from
    the view on each run, every row only when the download is asked for (at 1M pilots a table of every
    pilot was a 300 MB copy on each run)."""
    _table(view_rows(view, positions[:TABLE_ROWS]), len(positions), lambda: view_rows(view, positions), key, label,
           columns, labels)


def _table(shown: pd.DataFrame, total: int, every: Callable[[], pd.DataFrame], key: str, label: str,
           columns: list[str] | None, labels: dict[str, str] | None) -> None:
    st.dataframe(pilot_table_frame(shown, columns, labels), hide_index=True, width="stretch")
    if total > TABLE_ROWS:
        st.caption(f"The first {TABLE_ROWS:,} of {total:,} {label} are shown; the download has all of them.")
    st.download_button(f"Download these {total:,} {label} (CSV)",
                       lambda: safe_csv(pilot_table_frame(every(), columns, labels)),
                       file_name=f"{key}.csv", mime="text/csv", key=f"dl_{key}", on_click="ignore")


def selected_keys(event: object) -> list[Hashable]:
    """The keys (figures.base.mark_key of the customdata) of the points clicked (or box-selected) on a
    plotly chart, in order, without repeats; [] when nothing is selected."""
    selection = event.get("selection") if hasattr(event, "get") else None
    keys = [mark_key(point.get("customdata")) for point in (selection or {}).get("points", [])]
    return list(dict.fromkeys(k for k in keys if k is not None))


def selected_ids(event: object, ids: Drill) -> list[str]:
    """The ids of the pilots behind the marks clicked on a plotly chart (`ids`: the figure's drill-down,
    figures.base.drill), in order, without repeats; [] when nothing is selected. A key the figure no
    longer has (its mark went with a filter change) lists nobody."""
    found: list[str] = []
    for key in selected_keys(event):
        try:
            found.extend(ids[key])
        except (KeyError, TypeError):  # TypeError: a key plotly could hand back that cannot be hashed
            continue
    return list(dict.fromkeys(found))


def clickable_chart(fig, key: str) -> list[str]:
    """A plotly chart whose marks can be clicked; returns the ids of the pilots behind the clicked marks
    (each mark carries a key, the figure the ids behind each key: figures.base)."""
    return selected_ids(st.plotly_chart(fig, key=key, on_select="rerun", selection_mode=("points",)), drill(fig))


def pilots_behind(fig, key: str, pilots: pd.DataFrame | View, choices: Mapping[str, Sequence[str]],
                  prompt: str = "Show the pilots behind…") -> None:
    """A chart that lists the pilots behind a mark when it is clicked, and a select box of the same
    marks that does the same without a click (keyboard users, AppTest). A click wins over the box.
    `pilots`: the frame the ids are looked up in, or the view (pilots_with_ids)."""
    clicked = clickable_chart(fig, key)
    if not choices:
        return
    pick = st.selectbox(prompt, list(choices), index=None, key=f"{key}_pick",
                        placeholder="Click the chart, or choose here")
    ids, what = (clicked, "what you clicked (double-click the chart to clear)") if clicked else \
        (choices.get(pick, []), pick)
    if ids:
        st.caption(f"{plural(len(ids), 'pilot')} behind {what}")
        rows = pilots_with_ids(pilots, ids) if isinstance(pilots, View) else pilots[pilots["pilot_id"].isin(list(ids))]
        pilot_table(rows, key=f"{key}_pilots")


def plural(n: int, noun: str) -> str:
    """'1 pilot', '12 pilots'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def scope_note(view: View, shown: int) -> None:
    """How many of the dataset's pilots the page's numbers cover, and why the others are left out."""
    total = int(view.info.report["rows"]["accepted"])
    dated = view.filters.start_from is not None or view.filters.start_to is not None
    st.caption(scope_sentence(total, shown, view.filters.values, FIELD_LABELS, view.filters.start_from,
                              view.filters.start_to, undated_pilots(view.dataset_id) if dated else 0))



def page_head(view: View, title: str, shown: int, what: str) -> None:
    """A view page's head: its title, the dataset and as-of date, how many pilots its numbers cover; and,
    when the filters leave none, a message saying so (`what`: what the page would show) and the page stops."""
    st.title(title)
    st.caption(f"{plain(view.info.name)} · " + (f"as of {view.as_of}" if view.as_of else "no dates in this dataset"))
    scope_note(view, shown)
    if not shown:
        empty_state(f"No pilots match the filters in the sidebar. Clear a filter to see {what}.")
        st.stop()


def empty_state(message: str) -> None:
    """Say plainly why there is nothing to show."""
    st.info(message)
