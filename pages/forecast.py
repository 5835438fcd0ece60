"""Forecast: what will land. Expected production and cancellation of the pilots in flight within 3, 6 and 12
months (80% intervals), and each in-flight pilot's chance, sortable."""

import streamlit as st

from analysis.cli.export import safe_csv
from analysis.figures.forecast import (
    CHANCE_COLUMNS,
    CHANCE_ORDERS,
    TABLE_HEADERS,
    chances_table,
    forecast_figure,
)
from analysis.metrics.forecast import LIKELY, MIN_DECIDED, forecast, likely_ids
from analysis.schema import stage_label
from pages.common import TABLE_ROWS, current_view, page_head, pilots_behind, pilots_for

view = current_view()
stages = view.info.stages
columns = ["pilot_id", "name", "start_date", "end_date", f"{stages[-1]}_date", "last_progress", "reached_production",
           "cancelled", "in_flight", "stage_index"]
pilots = pilots_for(view, columns)
page_head(view, "Forecast", len(pilots), "the forecast")
found = forecast(pilots, stages, view.as_of)
st.markdown(f"#### {found.sentence}")
if found.reason:
    st.stop()
choices = {f"Likely to {'reach production' if kind == 'production' else 'be cancelled'} within {h} months "
           f"({len(ids):,})": ids for (kind, h), ids in likely_ids(found).items() if ids}
pilots_behind(forecast_figure(found), "forecast", view, choices)
st.caption(f"A bar lists the pilots with at least an even chance ({LIKELY:.0%}) of that outcome within that time.")

st.subheader("Each pilot in flight")
by = st.selectbox("Order by, largest first", list(CHANCE_ORDERS), format_func=CHANCE_ORDERS.get, key="forecast_order",
                  help="The table shows the first pilots in this order; the download has every pilot in flight.")
table = chances_table(found, pilots, stages, by)
shown = table.head(TABLE_ROWS)  # tens of thousands of rows sent to the browser on every run: the download has them
st.dataframe(shown, hide_index=True, width="stretch", height=420, column_config={
    **TABLE_HEADERS, "months_running": st.column_config.NumberColumn(TABLE_HEADERS["months_running"], format="%.1f"),
    **{c: st.column_config.NumberColumn(TABLE_HEADERS[c], format="%.0f%%") for c in CHANCE_COLUMNS}})
if len(table) > TABLE_ROWS:
    st.caption(f"The first {TABLE_ROWS:,} of {len(table):,} pilots in flight by {CHANCE_ORDERS[by]} are shown; "
               "the download has all of them.")
st.download_button(f"Download the {len(table):,} pilots in flight (CSV)",
                   lambda: safe_csv(table.rename(columns=TABLE_HEADERS).round(1)), file_name="forecast_pilots.csv",
                   mime="text/csv", key="dl_forecast_in_flight", on_click="ignore")
fitted = ", ".join(stage_label(stages[s]) for s in found.by_stage) or "none"
with st.expander("How this is computed"):
    st.markdown(
        f"The curves of time from start to production and to cancellation are fitted on {found.fitted_on:,} "
        f"pilots with dates ({found.decided:,} decided), pilots still in flight counted until the as-of date and "
        "no further (censored), a cancellation ending the chance of production (competing risks, Aalen–Johansen). "
        "A pilot running for *a* months reaches production within the next *h* with the rise of the production "
        "curve from *a* to *a + h*, divided by the share still in flight at *a*; cancellation alike. A pilot is "
        f"compared with the pilots that reached at least its stage when {MIN_DECIDED} or more of those were "
        f"decided (stages fitted so: {fitted}); otherwise with every pilot. Beyond the longest follow-up in the data "
        "no event is assumed. The 80% interval is the 10th to 90th percentile of 100 Monte Carlo runs, each "
        "refitting the curves on a bootstrap of the pilots (their follow-up counted in weeks) and drawing every "
        "pilot's outcome (once a run's count varies by 5 pilots or more, as the normal law of the sum of those "
        "draws). Checked by "
        "back-testing on generated portfolios: fitted a year before the end of the data, the interval held what "
        "then happened in 81% of 180 checks (tests/test_forecast.py).")
