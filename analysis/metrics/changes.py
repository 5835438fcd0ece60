"""What changed between two uploads of the same portfolio: pilots matched by ID, grouped by what happened to
them, and the funnel and rates then and now with the difference tested.

Both sides are classified pilot frames (analysis.metrics.outcomes.classify), so "reached production",
"cancelled" and "stalled" mean here what they mean on every page. Pilots are matched on their exact ID only.
An ID written differently in the two uploads ('AI-7' and 'AI-0007') is reported (`id_changes`) and never
matched: such pilots are in no group, new and gone included; so is an ID on two rows of one frame. Repeats are
reported (`repeats`): an ID the import rejected as a repeat keeps its first row, as everywhere in the app, and
two IDs of one upload written alike ('P010', 'p-10') are each matched by their exact text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.ingest import validate
from analysis.metrics.funnel import stage_funnel
from analysis.metrics.stats import ALPHA, format_p_value, segment_difference, wilson_interval

# Each group: its label and its definition, shown beside its count.
GROUPS: dict[str, tuple[str, str]] = {
    "new": ("New", "in the later upload only (no pilot with this ID before)."),
    "gone": ("Gone", "in the earlier upload only (no pilot with this ID now)."),
    "advanced": ("Advanced a stage", "matched, and its furthest stage now is later than then."),
    "reached_production": ("Reached production", "matched, not in production then, reached production now "
                                                  "(status production or retired, or the last stage)."),
    "cancelled": ("Cancelled", "matched, not cancelled then, cancelled now (status cancelled)."),
    "newly_stalled": ("Newly stalled", "matched, not stalled then, stalled now (in flight with no progress for "
                                       "more than the stall threshold before each upload's as-of date)."),
    "back_from_stall": ("Back from a stall", "matched, stalled then, now neither stalled nor cancelled (moving "
                                             "again, or reached production)."),
}
MATCHED_GROUPS = [g for g in GROUPS if g not in ("new", "gone")]
ID_CHANGE_DEFINITION = ("the same ID written differently in the two uploads (case, punctuation or leading zeros: "
                        "'AI-7', 'AI-0007', 'ai 7'): not matched, so in no group; correct the IDs to compare them.")
REPEAT_DEFINITION = ("an ID that appears more than once in one upload, or written two ways in it ('AI-7' and "
                     "'AI-0007'): reported, never merged.")
RATES: dict[str, tuple[str, str, str]] = {  # measure: label, numerator, denominator (classified columns)
    "production_all": ("Production rate (of all pilots)", "reached_production", "all"),
    "production_decided": ("Production rate (of decided pilots)", "reached_production", "decided"),
    "failure": ("Failure rate (cancelled of decided)", "cancelled", "decided"),
}
OVERLAP_NOTE = ("The two uploads share most of their pilots, while the test treats them as two independent "
                "samples: read its verdict as a rough guide, not as proof.")
NOT_GIVEN = "not given"  # the cause of a cancelled pilot whose upload gives none
_REPEAT_REASON = re.compile(r"^pilot ID '(.*)' repeats line \d+")  # analysis/ingest/validate.py's wording


@dataclass(frozen=True)
class Upload:
    """One side of a comparison: its classified pilots and stages, and the IDs its import rejected as
    repeats (`repeated_ids` of its rejected rows). `repeats`: the upload's repeats when already known
    (`upload_repeats` of every pilot of the upload: the app keeps them per dataset, 70 ms at 100k pilots)."""

    pilots: pd.DataFrame
    stages: list[str]
    repeated: Sequence[str] = ()
    label: str = ""
    repeats: pd.DataFrame | None = None


@dataclass(frozen=True)
class Changes:
    """What changed from `before` to `after`.

    matched: one row per pilot matched by ID; columns pilot_id, before (position in before's frame),
    after (position in after's frame). groups: each group of GROUPS as positions, into `matched` for the
    matched groups, into before's frame for gone and after's for new. id_changes: columns key, before_ids,
    after_ids (lists). repeats: columns upload ("earlier" / "later"), pilot_ids (list), problem.
    """

    before: Upload
    after: Upload
    matched: pd.DataFrame
    groups: dict[str, np.ndarray]
    id_changes: pd.DataFrame
    repeats: pd.DataFrame

    def count(self, group: str) -> int:
        """How many pilots a group has."""
        return len(self.groups[group])


_KEPT = np.zeros(256, dtype=bool)  # the bytes an ID's key keeps: ASCII letters and digits, and non-ASCII bytes
_KEPT[[*b"0123456789abcdefghijklmnopqrstuvwxyz"]] = True
_KEPT[128:] = True  # a non-ASCII character's bytes are kept whole (utf8_lower has lowered it)
ZERO, NINE = ord("0"), ord("9")


def id_key(ids: pd.Series) -> np.ndarray:
    """Each ID as compared across exports: lower case, letters and digits only, each number without leading
    zeros ('AI-0007', 'ai 7', 'AI_7' -> 'ai7'; non-ASCII letters are kept). Object array."""
    return np.asarray(id_keys(_arrow_text(ids)).to_pylist(), dtype=object)


def _arrow_text(ids: pd.Series) -> pa.Array:
    """The IDs as one Arrow large_string array (no copy for the store's text columns)."""
    text = pa.array(ids.astype("str").array)
    return (text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text).cast(pa.large_string())


def id_keys(text: pa.Array) -> pa.Array:
    """id_key of an Arrow large_string array, as one: worked on its UTF-8 bytes with numpy (two regular
    expressions took 90 ms at 100k IDs, this 30 ms): lowered by Arrow, punctuation dropped, then every zero
    that starts a number and is followed by a digit."""
    text = pc.utf8_lower(text.fill_null(""))
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset:text.offset + len(text) + 1]
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    row = np.repeat(np.arange(len(text)), np.diff(offsets))
    kept = _KEPT[data]
    data, row = data[kept], row[kept]
    drop = _leading_zeros(data, row)
    data, row = data[~drop], row[~drop]
    ends = np.concatenate(([0], np.cumsum(np.bincount(row, minlength=len(text))))).astype(np.int64)
    return pa.LargeStringArray.from_buffers(len(text), pa.py_buffer(ends), pa.py_buffer(data.tobytes()))


def one_template(text: pa.Array) -> bool:
    """Whether the IDs are written to one template, so that no two different ones share an id_key: all of
    one length in bytes, each place a digit in every ID or the same byte in every ID ('AI-000123' of a
    tracker's padded numbering). Then letters and punctuation fall alike in every key and each number keeps
    its width, so leading zeros dropped still tell any two apart; about 10x quicker than the keys at 1M."""
    if text.null_count:
        return False
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset:text.offset + len(text) + 1]
    width = np.diff(offsets)
    if not len(width) or width[0] == 0 or (width != width[0]).any():
        return not len(width)
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(len(width), -1)
    digit = ((data >= ZERO) & (data <= NINE)).all(axis=0)
    return bool((digit | (data == data[0]).all(axis=0)).all())


def _leading_zeros(data: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Where a byte is a zero with only zeros before it in its number and a digit after it in its row: a zero
    of a run of zeros that starts its number (no digit before the run), a digit next (a lone '0' stays)."""
    if not len(data):
        return np.zeros(0, dtype=bool)
    same_row = _shifted(row[1:] == row[:-1], before=True)  # [i]: byte i - 1 is of the same ID
    digit = (data >= ZERO) & (data <= NINE)
    zero = data == ZERO
    run_start = zero & ~(_shifted(zero[:-1], before=True) & same_row)
    digit_before = _shifted(digit[:-1], before=True) & same_row
    leading = (run_start & ~digit_before)[run_start]  # each run of zeros: whether it starts its number
    in_leading = zero & leading[np.maximum(np.cumsum(run_start, dtype=np.int32) - 1, 0)] if len(leading) else zero
    return in_leading & _shifted(digit[1:] & same_row[1:], before=False)


def _shifted(flags: np.ndarray, before: bool) -> np.ndarray:
    """`flags` of bytes 0 .. n - 2 put at 1 .. n - 1 (before: each byte's flag of the byte before it), or of
    bytes 1 .. n - 1 at 0 .. n - 2 (each byte's flag of the byte after it); False at the end left open."""
    out = np.zeros(len(flags) + 1, dtype=bool)
    if before:
        out[1:] = flags
    else:
        out[:-1] = flags
    return out


def repeated_ids(rejected: pd.DataFrame) -> list[str]:
    """The IDs of the rows an import rejected because an earlier row has the same ID, in line order."""
    if rejected is None or rejected.empty or "reason" not in rejected:
        return []
    found = rejected["reason"].astype("str").str.extract(_REPEAT_REASON, expand=False).dropna()
    return list(dict.fromkeys(found))


def compare(before: Upload, after: Upload) -> Changes:
    """Match the two uploads' pilots by exact ID and sort them into GROUPS; IDs written two ways or
    repeated are reported (Changes.id_changes, Changes.repeats) and left out of every group."""
    b_ids, a_ids = before.pilots["pilot_id"].astype("str"), after.pilots["pilot_id"].astype("str")
    b_ok, a_ok = once(b_ids), once(a_ids)
    b_unique = np.flatnonzero(b_ok)
    # matched by Arrow's hash of the text as it is held (pandas' index made a Python string of each ID)
    value_set = _arrow_text(b_ids.iloc[b_unique] if len(b_unique) < len(b_ids) else b_ids)
    where = positions_in(_arrow_text(a_ids), value_set)
    where[~a_ok] = -1
    after_matched = np.flatnonzero(where >= 0)
    before_matched = b_unique[where[after_matched]]
    matched = pd.DataFrame({"pilot_id": a_ids.iloc[after_matched].reset_index(drop=True), "before": before_matched,
                            "after": after_matched})
    b_left, a_left = _left(b_ok, before_matched), _left(a_ok, after_matched)
    id_changes, b_changed, a_changed = _id_changes(b_ids, a_ids, b_left, a_left)
    groups = {"new": _left(_at(len(a_ids), a_left), a_changed), "gone": _left(_at(len(b_ids), b_left), b_changed),
              **_matched_groups(before, after, matched)}
    repeats = pd.concat([_repeats(b_ids, b_ok, before.repeated, "earlier") if before.repeats is None else
                         before.repeats.assign(upload="earlier"),
                         _repeats(a_ids, a_ok, after.repeated, "later") if after.repeats is None else
                         after.repeats.assign(upload="later")], ignore_index=True)
    return Changes(before, after, matched, groups, id_changes, repeats)


JOIN_FROM = 300_000  # from this many IDs a side, DuckDB's join on both cores beats one hash on one


def positions_in(text: pa.Array, value_set: pa.Array) -> np.ndarray:
    """Each text's position in `value_set` (whose values are distinct), -1 where it is not there. Arrow's hash
    (index_in) up to JOIN_FROM IDs (6 ms at 100k); above, DuckDB's join, which works on both cores and keeps
    its table in cache (1M IDs: index_in ~350 ms, the join ~190 ms)."""
    if max(len(text), len(value_set)) < JOIN_FROM:
        return pc.index_in(text, value_set=value_set).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    import duckdb

    with duckdb.connect() as con:
        con.register("later", pa.table({"id": text, "i": np.arange(len(text))}))
        con.register("earlier", pa.table({"id": value_set, "j": np.arange(len(value_set))}))
        found = con.execute("SELECT later.i, earlier.j FROM later JOIN earlier USING (id)").fetchnumpy()
    where = np.full(len(text), -1, dtype=np.int64)
    where[found["i"]] = found["j"]
    return where


def _at(size: int, positions: np.ndarray) -> np.ndarray:
    """A mask of `size` that is True at `positions`."""
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return mask


def _left(candidates: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """The positions where the mask `candidates` is True, but for `taken` (ascending; a mask is cheaper than
    np.setdiff1d's sort at 100k pilots)."""
    mask = candidates.copy()
    mask[taken] = False
    return np.flatnonzero(mask)


def _id_changes(b_ids: pd.Series, a_ids: pd.Series, b_left: np.ndarray,
                a_left: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The unmatched IDs of both sides whose id_key is the same: a frame (key, before_ids, after_ids), and
    the positions of those pilots in before and in after."""
    b_keys, a_keys = id_key(b_ids.iloc[b_left]), id_key(a_ids.iloc[a_left])
    shared = np.intersect1d(b_keys.astype(str), a_keys.astype(str))
    b_in, a_in = np.isin(b_keys.astype(str), shared), np.isin(a_keys.astype(str), shared)
    rows = [{"key": key,
             "before_ids": sorted(b_ids.iloc[b_left[b_in & (b_keys == key)]].tolist()),
             "after_ids": sorted(a_ids.iloc[a_left[a_in & (a_keys == key)]].tolist())} for key in shared]
    return pd.DataFrame(rows, columns=["key", "before_ids", "after_ids"]), b_left[b_in], a_left[a_in]


def once(ids: pd.Series) -> np.ndarray:
    """Whether each ID is on no other row: all True at a glance for IDs in ascending order (a stored upload's
    usually are, and never repeat: the import rejects repeats), else by hashing."""
    if validate.strictly_ascending(ids):
        return np.ones(len(ids), dtype=bool)
    return ~ids.duplicated(keep=False).to_numpy()


def upload_repeats(ids: pd.Series, rejected: Sequence[str] = ()) -> pd.DataFrame:
    """An upload's repeats (as Changes.repeats has them) from all its IDs and the IDs its import rejected."""
    ids = ids.astype("str")
    return _repeats(ids, once(ids), rejected, "")


def _repeats(ids: pd.Series, once: np.ndarray, rejected: Sequence[str], upload: str) -> pd.DataFrame:
    """One upload's repeats: IDs on more than one pilot row (`once`: False for those), IDs its import rejected
    as repeats, and IDs written two ways (same id_key, different text). Columns upload, pilot_ids, problem."""
    rows = []
    if not once.all():
        counts = ids[~once].value_counts()
        rows += [{"pilot_ids": [i], "problem": f"on {n} pilot rows"} for i, n in counts.items()]
    rows += [{"pilot_ids": [i], "problem": "repeated on a row the import rejected (the first row is kept)"}
             for i in rejected]
    distinct = ids if once.all() else ids.drop_duplicates()
    text = _arrow_text(distinct)
    if one_template(text):  # no two distinct IDs can share a key: nothing to look for
        return pd.DataFrame([{"upload": upload, **r} for r in rows], columns=["upload", "pilot_ids", "problem"])
    keys = id_keys(text)
    counted = pc.value_counts(keys)
    shared = counted.field("values").filter(pc.greater(counted.field("counts"), 1))
    if len(shared):
        alike = pc.is_in(keys, value_set=shared).to_numpy(zero_copy_only=False)
        spelt = pd.DataFrame({"id": distinct[alike].to_numpy(dtype=object), "key": keys.filter(alike).to_pylist()})
        rows += [{"pilot_ids": sorted(group["id"]), "problem": "the same ID written differently within this upload"}
                 for _, group in spelt.groupby("key", sort=True)]
    return pd.DataFrame([{"upload": upload, **r} for r in rows], columns=["upload", "pilot_ids", "problem"])


def _flags(upload: Upload, positions: np.ndarray) -> dict[str, np.ndarray]:
    """The outcome flags of an upload's pilots at these positions."""
    p = upload.pilots
    return {c: p[c].to_numpy(dtype=bool)[positions] for c in ("reached_production", "cancelled", "stalled")}


def _stage_rank(upload: Upload, positions: np.ndarray, stages: list[str]) -> np.ndarray:
    """Each pilot's furthest stage as its index in `stages` (the later upload's list); -1 when unknown or
    not a stage of that list."""
    rank = np.array([stages.index(s) if s in stages else -1 for s in upload.stages] + [-1], dtype=np.int64)
    index = upload.pilots["stage_index"].to_numpy(dtype=np.int64)[positions]
    return rank[np.where((index >= 0) & (index < len(upload.stages)), index, len(upload.stages))]


def _matched_groups(before: Upload, after: Upload, matched: pd.DataFrame) -> dict[str, np.ndarray]:
    """The matched groups as positions into `matched`."""
    b_at, a_at = matched["before"].to_numpy(), matched["after"].to_numpy()
    then, now = _flags(before, b_at), _flags(after, a_at)
    rank_then, rank_now = _stage_rank(before, b_at, after.stages), _stage_rank(after, a_at, after.stages)
    masks = {
        "advanced": (rank_then >= 0) & (rank_now > rank_then),
        "reached_production": ~then["reached_production"] & now["reached_production"],
        "cancelled": ~then["cancelled"] & now["cancelled"],
        "newly_stalled": ~then["stalled"] & now["stalled"],
        "back_from_stall": then["stalled"] & ~now["stalled"] & ~now["cancelled"],
    }
    return {g: np.flatnonzero(m) for g, m in masks.items()}


def counts(changes: Changes) -> pd.DataFrame:
    """One row per group: group, label, count, definition; then the ID changes and repeats reported."""
    rows = [{"group": g, "label": label, "count": changes.count(g), "definition": text}
            for g, (label, text) in GROUPS.items()]
    return pd.DataFrame(rows, columns=["group", "label", "count", "definition"])


GROUP_COLUMNS = ["pilot_id", "name", "stage_then", "stage_now", "outcome_then", "outcome_now", "failure_cause",
                 "days_without_progress"]


def group_pilots(changes: Changes, group: str) -> pd.DataFrame:
    """The pilots of one group, one row each. Columns GROUP_COLUMNS (then/now from each upload; the cause
    and days without progress are the later upload's; a side a pilot is not in is empty)."""
    at = changes.groups[group]
    if group == "gone":
        return _side_columns(changes.before.pilots, at, "then").reindex(columns=GROUP_COLUMNS)
    if group == "new":
        return _side_columns(changes.after.pilots, at, "now").reindex(columns=GROUP_COLUMNS)
    rows = changes.matched.iloc[at]
    then = _side_columns(changes.before.pilots, rows["before"].to_numpy(), "then")
    now = _side_columns(changes.after.pilots, rows["after"].to_numpy(), "now")
    return pd.concat([now, then.drop(columns=["pilot_id", "name"], errors="ignore")], axis=1)[GROUP_COLUMNS]


def _side_columns(pilots: pd.DataFrame, at: np.ndarray, when: str) -> pd.DataFrame:
    """pilot_id, name, stage_<when>, outcome_<when> (and, now, failure_cause and days_without_progress) of
    the pilots at these positions."""
    keep = {"pilot_id": "pilot_id", "name": "name", "stage": f"stage_{when}", "outcome": f"outcome_{when}"}
    if when == "now":
        keep.update(failure_cause="failure_cause", days_without_progress="days_without_progress")
    present = [c for c in keep if c in pilots]
    cut = pilots[present].take(at).reset_index(drop=True).rename(columns=keep)
    return cut.astype({c: "object" for c in cut.columns if isinstance(cut[c].dtype, pd.CategoricalDtype)})


def cancelled_causes(changes: Changes) -> pd.DataFrame:
    """The causes of the pilots cancelled since the earlier upload, most frequent first: cause, count
    (a pilot whose upload gives no cause counts as NOT_GIVEN)."""
    at = changes.matched["after"].to_numpy()[changes.groups["cancelled"]]
    pilots = changes.after.pilots
    causes = pilots["failure_cause"].take(at).astype("object") if "failure_cause" in pilots else pd.Series(
        [None] * len(at), dtype="object")
    counted = causes.fillna(NOT_GIVEN).value_counts()
    return pd.DataFrame({"cause": counted.index.astype(str), "count": counted.to_numpy(dtype=np.int64)})


def funnel_then_now(changes: Changes) -> pd.DataFrame:
    """Pilots that reached each stage then and now, on the later upload's stages. Columns stage, then, now,
    then_share, now_share (of the first stage's)."""
    stages = changes.after.stages
    then = stage_funnel(changes.before.pilots, changes.before.stages).set_index("stage")["reached"]
    now = stage_funnel(changes.after.pilots, stages).set_index("stage")["reached"]
    frame = pd.DataFrame({"stage": stages, "then": [int(then.get(s, 0)) for s in stages],
                          "now": [int(now.get(s, 0)) for s in stages]})
    for side in ("then", "now"):
        first = frame[side].iloc[0] if len(frame) else 0
        frame[f"{side}_share"] = frame[side] / first if first else np.nan
    return frame


def _numerator_denominator(pilots: pd.DataFrame, measure: str) -> tuple[int, int]:
    _, numerator, denominator = RATES[measure]
    n = len(pilots) if denominator == "all" else int(pilots["decided"].sum())
    return int(pilots[numerator].sum()), n


RATE_COLUMNS = ["measure", "label", "then_count", "then_n", "then_rate", "then_low", "then_high", "now_count",
                "now_n", "now_rate", "now_low", "now_high", "method", "p_value", "significant"]


def rates_then_now(changes: Changes) -> pd.DataFrame:
    """Each measure of RATES then and now with its 95% Wilson interval, and the test of the difference
    (stats.segment_difference: Fisher's exact test when counts are small, else chi-square). Columns
    RATE_COLUMNS; rates and bounds NaN and p_value None where a side has no pilots to count."""
    rows = []
    for measure, (label, _, _) in RATES.items():
        row = {"measure": measure, "label": label}
        for side, upload in (("then", changes.before), ("now", changes.after)):
            k, n = _numerator_denominator(upload.pilots, measure)
            low, high = wilson_interval(k, n)
            row.update({f"{side}_count": k, f"{side}_n": n, f"{side}_rate": k / n if n else np.nan,
                        f"{side}_low": float(low), f"{side}_high": float(high)})
        test = segment_difference(pd.DataFrame({"segment": ["then", "now"], "failures": [row["then_count"],
                                  row["now_count"]], "decided": [row["then_n"], row["now_n"]]}))
        rows.append({**row, "method": test.method, "p_value": test.p_value, "significant": test.significant})
    return pd.DataFrame(rows, columns=RATE_COLUMNS)


def _share(rate: float, k: int, n: int, low: float, high: float) -> str:
    if not n:
        return "not measurable (no pilots to count)"
    return f"{rate:.0%} ({k:,} of {n:,}; 95% interval {low:.0%}–{high:.0%})"


def rate_sentence(row: pd.Series | dict) -> str:
    """One plain sentence: the rate then and now, and whether the difference could be chance."""
    then = _share(row["then_rate"], row["then_count"], row["then_n"], row["then_low"], row["then_high"])
    now = _share(row["now_rate"], row["now_count"], row["now_n"], row["now_low"], row["now_high"])
    head = f"{row['label']}: {then} then, {now} now"
    if row["p_value"] is None or pd.isna(row["p_value"]):
        return f"{head}; too few pilots to test the difference."
    verdict = "is statistically significant" if row["significant"] else "could be chance"
    return f"{head}; the difference {verdict} ({row['method']}, {format_p_value(row['p_value'])}, at {ALPHA:g})."


def summary_json(changes: Changes) -> dict:
    """The comparison as plain JSON values: matched count, each group with its count, definition and IDs, the
    causes of the cancelled, ID changes, repeats, the funnel and the rates then and now with the test."""
    groups = {g: {"label": label, "count": changes.count(g), "definition": text,
                  "pilot_ids": group_pilots(changes, g)["pilot_id"].astype(str).tolist()}
              for g, (label, text) in GROUPS.items()}
    rates = rates_then_now(changes)
    return {
        "pilots": {"earlier": len(changes.before.pilots), "later": len(changes.after.pilots),
                   "matched": len(changes.matched)},
        "groups": groups,
        "cancelled_causes": cancelled_causes(changes).to_dict("records"),
        "id_changes": [{"earlier": r.before_ids, "later": r.after_ids} for r in changes.id_changes.itertuples()],
        "repeats": changes.repeats.to_dict("records"),
        "funnel": funnel_then_now(changes)[["stage", "then", "now"]].to_dict("records"),
        "rates": [{"measure": r["measure"], "label": r["label"],
                   **{side: {"count": int(r[f"{side}_count"]), "n": int(r[f"{side}_n"]),
                             "rate": _number(r[f"{side}_rate"]), "ci_low": _number(r[f"{side}_low"]),
                             "ci_high": _number(r[f"{side}_high"])} for side in ("then", "now")},
                   "test": {"method": r["method"], "p_value": _number(r["p_value"]),
                            "significant": bool(r["significant"])},
                   "sentence": rate_sentence(r)} for r in rates.to_dict("records")],
        "definitions": {"id_changes": ID_CHANGE_DEFINITION, "repeats": REPEAT_DEFINITION, "test": OVERLAP_NOTE},
    }


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
