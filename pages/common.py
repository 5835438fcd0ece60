"""The one import point of the pages: what they share, re-exported from pages/shared/ by what owns it.

- base: the view every page describes (`View`), URL constants, markdown-safe text (`plain`);
- access: cached dataset metadata and options; frames: the pilots of a view, cached (`pilots_for`);
- widgets: the sidebar's widgets bound to the URL; snapshot_view: a snapshot link's frozen view;
- sidebar: the sidebar of every page and `current_view`; render: definitions, tables, clickable charts.

This is the only Streamlit code that talks to the store; pages call `current_view()` and analysis.
"""

import gc

import streamlit as st  # noqa: F401  (tests patch Streamlit through it)

from pages.shared.access import (  # noqa: F401
    breakdown_options,
    dataset_dates,
    dataset_info,
    dataset_list,
    dimension_label,
    filter_options,
    sample_dataset_id,
    undated_pilots,
    whole_dtypes,
)
from pages.shared.base import (  # noqa: F401
    COMPARE_KEY,
    DEFAULT_BREAKDOWN,
    FILTER_KEYS,
    LIVE_KEYS,
    NOT_AVAILABLE,
    PUBLIC_URL_ENV,
    SAMPLE,
    SNAPSHOT_PARAM,
    STALL_MAX,
    STALL_MIN,
    STALL_PATTERN,
    View,
    plain,
)
from pages.shared.columns import (  # noqa: F401
    FRAME_CACHE_ENTRIES,
    RELEASE_ABOVE,
    VIEW_CACHE_ENTRIES,
    VIEW_CACHE_TTL,
    WARM_ABOVE,
    Coded,
    StoredColumns,
    as_coded,
    release_memory,
    stored_columns,
)
from pages.shared.frames import (  # noqa: F401
    EVERY_COLUMN_UP_TO,
    classified_pilots,
    column_names,
    compared_pilots,
    every_pilot,
    frozen_compare,
    outcome_columns,
    pilots_for,
    pilots_with_ids,
    remember_compare,
    repeats_of,
    text_codes,
    view_positions,
    view_rows,
)
from pages.shared.render import (  # noqa: F401
    DISPLAY,
    PILOT_COLUMNS,
    TABLE_ROWS,
    clickable_chart,
    definitions,
    empty_state,
    number_columns,
    page_head,
    pilot_table,
    pilot_table_frame,
    pilots_behind,
    plural,
    scope_note,
    selected_ids,
    selected_keys,
    view_table,
)
from pages.shared.sidebar import (  # noqa: F401
    current_view,
    sidebar,
    view_report,
)
from pages.shared.snapshot_view import (  # noqa: F401
    menu_position,
    opened_snapshot,
    page_title,
    revoke_snapshot,
    revoke_with_key,
    snapshot_link,
    snapshot_list,
    snapshot_open,
)
from pages.shared.widgets import (  # noqa: F401
    STALL_DAYS,
    _breakdown,
    _default_breakdown,
    select_dataset,
)

# Everything imported so far (Streamlit, pandas, plotly, DuckDB, the analyses) lives as long as the server:
# moved out of the garbage collector's sight, a full collection during a run no longer walks it (at 100k
# pilots a filter change paid ~60 ms for those walks).
gc.freeze()
