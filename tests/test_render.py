"""pages/shared/render.py's pilot tables: the values and headers a pilot table shows."""

from __future__ import annotations

import pandas as pd

from pages.common import pilot_table_frame


def test_pilot_table_labels_values_and_leaves_missing_cells_blank():
    frame = pd.DataFrame({"pilot_id": ["P1", "P2", "P3"], "stage": ["poc", None, "my_stage"],
                          "outcome": ["on_hold", "production", None], "sourcing": ["build", None, "buy"],
                          "failure_cause": ["data_quality", None, "other (too slow)"],
                          "sponsor": ["Ada", None, "Bo"]})
    shown = pilot_table_frame(frame, ["pilot_id", "stage", "outcome", "sourcing", "failure_cause", "sponsor"])
    # By hand from analysis/schema.py's labels: a custom stage id's words capitalised, an "other (...)"
    # cause as it is; a missing value is an empty cell, never None or "nan".
    assert shown.to_dict("list") == {
        "Pilot ID": ["P1", "P2", "P3"], "Stage": ["Proof of concept", "", "My stage"],
        "Outcome": ["On hold", "In production", ""], "Sourcing": ["Build", "", "Buy"],
        "Failure cause": ["Data quality or availability", "", "other (too slow)"], "Sponsor": ["Ada", "", "Bo"]}
    headers = pilot_table_frame(frame, ["sponsor", "stage", "not_a_column"], {"sponsor": "Owner (sponsor)"}).columns
    assert list(headers) == ["Owner (sponsor)", "Stage"]  # the caller's headers beside labelled ones; absent left out
