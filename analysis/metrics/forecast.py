"""What will land: a forecast of the pilots in flight, from the competing-risk curves of time from start to
production and to cancellation (Aalen-Johansen, pilots in flight censored: cohorts.event_times).

A pilot in flight for `a` months reaches production within the next `h` months with probability
(F_prod(a + h) - F_prod(a)) / S(a), S(a) = 1 - F_prod(a) - F_cancel(a) (and cancellation alike). The curves are
fitted on the pilots that reached at least the stage it is in now (so a pilot in a pilot stage is compared
with those that got that far, not with ideas stopped at intake), or on every pilot where too few of those
were decided. Beyond the longest follow-up in the data the curves are flat: no event is assumed that no
pilot has shown. The 80% interval comes from Monte Carlo: each replicate refits the curves on a bootstrap of
the pilots (the uncertainty of the fit) and draws each pilot's outcome (the luck of the draw).

`rewind` gives the portfolio as it stood at an earlier date, for the back-test: fit there, compare with what
then happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.metrics.cohorts import DAYS_PER_MONTH, event_times
from analysis.metrics.kernels import COUNTED, cif_steps, time_counts
from analysis.metrics.outcomes import classify

HORIZONS = (3, 6, 12)  # months ahead: the next quarter, half year and year
INTERVAL = 0.80  # the forecast's interval: 10th to 90th percentile of the simulated counts
MIN_DECIDED = 20  # fewer decided pilots than this to fit on: no forecast (and no stage-wise fit below it)
REPLICATES = 100  # Monte Carlo replicates (bootstrap refit + outcome draw): the 10th/90th percentiles settle by then
AGE_GROUP_DAYS = 7  # the Monte Carlo draws pilots of one stage and week of age together (their chances alike)
NORMAL_FROM_VARIANCE = 25.0  # a sum of pilots' outcomes with this variance (sd 5) or more is drawn as a normal: its
# skew is at most 1 / sd = 0.2, which moves the 10th and 90th percentiles by a fraction of a pilot
SEED = 20261206  # fixed: the same data gives the same interval on every run
PILOT_COLUMNS = ["pilot_id", "stage_index", "months_running", "fit", *(f"{k}_{h}" for h in HORIZONS for k in ("production", "cancelled"))]
LIKELY = 0.5  # a pilot "likely to land" within a horizon: at least an even chance
TOTAL_COLUMNS = ["horizon", "production", "production_low", "production_high", "cancelled", "cancelled_low",
                 "cancelled_high"]


@dataclass(frozen=True)
class Fit:
    """Competing-risk curves on one set of pilots: the months and counts per month (time_counts' [outcome,
    month]) they were fitted from, and the curves' times (origin 0 first) with both cumulative incidences."""

    grid: np.ndarray
    counts: np.ndarray
    months: np.ndarray
    production: np.ndarray
    cancelled: np.ndarray

    @property
    def decided(self) -> int:
        return int(self.counts[1 : len(COUNTED)].sum())  # production and cancelled

    @property
    def last_event(self) -> float:
        """The months of the latest production or cancellation: beyond it the curves are flat (nothing known)."""
        decided = self.counts[1 : len(COUNTED)].sum(axis=0) > 0
        return float(self.grid[decided].max()) if decided.any() else 0.0

    def conditional(self, age: np.ndarray, horizon: float) -> tuple[np.ndarray, np.ndarray]:
        """Each pilot's chance of production and of cancellation within `horizon` months, given it is still
        in flight at `age` months (0 where nothing more is known: past every event in the data)."""
        return _conditional(self.months, self.production, self.cancelled, age, horizon)


def _conditional(months: np.ndarray, prod: np.ndarray, canc: np.ndarray, age: np.ndarray,
                 horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """(F(a+h) - F(a)) / S(a) for both curves, read as steps on `months` (origin 0 first); the curves may be
    one ([month]) or many ([replicate, month]: then the chances are [replicate, pilot])."""
    now = np.maximum(np.searchsorted(months, age, side="right") - 1, 0)
    later = np.maximum(np.searchsorted(months, age + horizon, side="right") - 1, 0)
    p0, c0 = prod[..., now], canc[..., now]
    alive = 1 - p0 - c0
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(alive > 1e-12, (prod[..., later] - p0) / alive, 0.0)
        c = np.where(alive > 1e-12, (canc[..., later] - c0) / alive, 0.0)
    p = np.clip(p, 0, 1)
    return p, np.clip(c, 0, 1 - p)


def fit_of_counts(months: np.ndarray, counts: np.ndarray) -> Fit:
    """The curves of counts per month (time_counts' [outcome, month] of one segment: censored, production,
    cancelled, any other ending), point estimates only (kernels.cif_steps, the arithmetic of the Cohorts
    page's curves), on the months where someone left the risk set."""
    seen = counts.sum(axis=0) > 0
    months, counts = months[seen], counts[:, seen]
    size = counts.sum(axis=0)
    at_risk = (size.sum() - (np.cumsum(size) - size)).astype(float)
    leaving = (size - counts[0]).astype(float)
    curves = [cif_steps(at_risk, counts[i].astype(float), leaving)[1] for i in (1, 2)]
    return Fit(months, counts, np.concatenate(([0.0], months)), *(np.concatenate(([0.0], c)) for c in curves))


def weekly(f: Fit) -> tuple[np.ndarray, np.ndarray]:
    """The fit's counts per month summed into weeks of follow-up (an event on day d counted at the end of its
    week, day 7 * ceil(d / 7)): the Monte Carlo refits on a few hundred weeks instead of a few thousand days
    (the curves move by less than a week's events). The weeks' months and counts [outcome, week]."""
    week = np.ceil(np.round(f.grid * DAYS_PER_MONTH) / AGE_GROUP_DAYS - 1e-9).astype(np.int64)
    weeks, slot = np.unique(week, return_inverse=True)
    counts = np.stack([np.bincount(slot, weights=row, minlength=len(weeks)) for row in f.counts]) \
        if len(f.counts) else np.zeros((0, len(weeks)))  # summed per week (np.add.at: ten times slower)
    return weeks * AGE_GROUP_DAYS / DAYS_PER_MONTH, counts


def _bootstrap_curves(f: Fit, rng: np.random.Generator, replicates: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both curves refitted on `replicates` bootstrap samples of the fit's pilots at once (the Poisson
    bootstrap: each pilot drawn a Poisson(1) number of times; pilots who left the risk set in the same week
    the same way are alike, so each (outcome, week) cell's count is drawn as Poisson(count)), on the fit's
    weeks (weekly). The curves' times (origin 0 first) and arrays [replicate, origin + week]."""
    months, counts = weekly(f)
    drawn = np.zeros((replicates, *counts.shape))
    filled = counts > 0  # a cell nobody is in stays empty: only the others are drawn
    drawn[:, filled] = rng.poisson(counts[filled], size=(replicates, int(filled.sum())))
    size = drawn.sum(axis=1)
    at_risk = size.sum(axis=1, keepdims=True) - (np.cumsum(size, axis=1) - size)
    leaving = size - drawn[:, 0]
    origin = np.zeros((replicates, 1))
    prod, canc = (np.concatenate([origin, cif_steps(at_risk, drawn[:, i], leaving)[1]], axis=1) for i in (1, 2))
    return np.concatenate(([0.0], months)), prod, canc


@dataclass(frozen=True)
class Forecast:
    """The forecast of the pilots in flight at the as-of date. totals: TOTAL_COLUMNS per horizon (expected
    counts, 80% interval); pilots: PILOT_COLUMNS per in-flight pilot with a start date (its chances of
    production and of cancellation within each horizon), most likely to reach production first; rows: their
    positions in the frame forecast (to take other columns without matching IDs); reason: why there is no
    forecast (None when there is one); fitted_on, decided: the pilots of the overall fit; by_stage: stages
    fitted on their own pilots; undated: in flight without a start date (not forecast)."""

    totals: pd.DataFrame
    pilots: pd.DataFrame
    rows: np.ndarray
    reason: str | None
    fitted_on: int
    decided: int
    by_stage: list[int]
    undated: int
    beyond: int = 0  # in flight for longer than any pilot of their fit took to be decided: nothing is forecast

    @property
    def sentence(self) -> str:
        if self.reason:
            return self.reason
        year = self.totals.set_index("horizon").loc[12]
        text = (f"Of the {len(self.pilots):,} pilots in flight, about {year['production']:.0f} are expected to reach "
                f"production within 12 months (80% interval {year['production_low']:.0f}–"
                f"{year['production_high']:.0f}) and about {year['cancelled']:.0f} to be cancelled "
                f"({year['cancelled_low']:.0f}–{year['cancelled_high']:.0f}), if the next year goes as the past did")
        if self.beyond:
            text += (f"; {self.beyond:,} of them have run longer than any pilot took to reach production or be "
                     "cancelled, so the past says nothing of when they will land and none of them is counted")
        if self.undated:
            text += f"; {self.undated:,} more in flight have no start date and are not forecast"
        return text + "."


def _empty(reason: str, fitted: int = 0, decided: int = 0, undated: int = 0) -> Forecast:
    return Forecast(pd.DataFrame(columns=TOTAL_COLUMNS), pd.DataFrame(columns=PILOT_COLUMNS), np.empty(0, np.int64), reason, fitted,
                    decided, [], undated)


def in_flight_ages(classified: pd.DataFrame, as_of: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the in-flight pilots with a start date on or before the as-of date, and their months
    running (whole days, floored, / DAYS_PER_MONTH, as event_times counts follow-up)."""
    flying = classified["in_flight"].to_numpy(dtype=bool)
    start = classified["start_date"].to_numpy(dtype="datetime64[us]") if "start_date" in classified else \
        np.full(len(classified), np.datetime64("NaT", "us"))
    days = (np.datetime64(as_of, "us") - start).astype("timedelta64[D]").astype(np.float64)
    dated = ~np.isnat(start) & (days >= 0)
    rows = np.flatnonzero(flying & dated)
    return rows, days[rows] / DAYS_PER_MONTH


def forecast(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None, seed: int = SEED,
             replicates: int = REPLICATES) -> Forecast:
    """The forecast of the in-flight pilots at `as_of` (see the module doc)."""
    flying = int(classified["in_flight"].sum())
    if as_of is None or "start_date" not in classified:
        return _empty("A forecast needs dates: each pilot's start date, and the dates it reached production or "
                      "was cancelled. This selection has none to fit on.", undated=flying)
    rows, ages = in_flight_ages(classified, as_of)
    reached = reached_counts(classified, stages, as_of)
    overall = fit_of_counts(*reached[0])
    fitted = int(overall.counts.sum())
    if overall.decided < MIN_DECIDED:
        return _empty(f"Too few decided pilots to forecast: {overall.decided:,} with dates reached production or "
                      f"were cancelled; at least {MIN_DECIDED} are needed to say how the others will go.", fitted,
                      overall.decided, flying - len(rows))
    if not len(rows):
        return _empty("No pilot with a start date is in flight, so there is nothing to forecast.", fitted,
                      overall.decided, flying)
    stage_of = classified["stage_index"].to_numpy(dtype=np.int64, na_value=-1)[rows]
    fits, by_stage = _stage_fits(reached, stage_of, overall)
    rng = np.random.default_rng(seed)
    last = {s: f.last_event for s, f in fits.items()}
    beyond = ages >= np.array([last[s] for s in stage_of.tolist()], dtype=float)  # the curves are flat there
    if beyond.all():
        return _empty(f"Every one of the {len(rows):,} pilots in flight has run longer than any pilot of its stage "
                      f"took to reach production or be cancelled (at most {max(last.values()):.0f} months), so the past "
                      "says nothing of when they will land: there is no forecast. Check that the tracker closes "
                      "pilots that ended (a status and an end date).", fitted, overall.decided, flying - len(rows))
    chances = _pilot_chances(fits, stage_of, ages)
    totals = _simulate(fits, stage_of, ages, chances, rng, replicates)
    order = np.argsort(-chances["production_12"], kind="stable")  # most likely to reach production first
    ids = classified["pilot_id"].take(rows[order]).reset_index(drop=True)  # no text made and parsed again
    pilots = pd.DataFrame({"pilot_id": ids, "stage_index": stage_of[order],
                           "months_running": ages[order], "fit": np.where(np.isin(stage_of[order], by_stage), "stage", "all"),
                           **{k: v[order] for k, v in chances.items()}})[PILOT_COLUMNS]
    return Forecast(totals, pilots, rows[order], None, fitted, overall.decided, by_stage, flying - len(rows),
                    int(beyond.sum()))


def reached_counts(classified: pd.DataFrame, stages: list[str], as_of: dt.date) -> list[tuple[np.ndarray, np.ndarray]]:
    """For every pilot (item 0) and then the pilots that reached at least each stage (item s + 1), the months and
    counts per month (time_counts' [outcome, month]) their curves are fitted from: one pass over the pilots
    (event_times, then counted by current stage and summed from the last stage down)."""
    # only what event_times reads, the ids as positions (to find each kept row's stage)
    read = [c for c in ("start_date", "end_date", f"{stages[-1]}_date", "last_progress", "reached_production",
                        "cancelled") if c in classified]
    light = pd.DataFrame({c: classified[c].to_numpy() for c in read}).assign(pilot_id=np.arange(len(classified)))
    times = event_times(light, stages, as_of)
    index = classified["stage_index"].to_numpy(dtype=np.int64, na_value=-1)
    codes = np.clip(index[times["pilot_id"].to_numpy(dtype=np.int64)], -1, len(stages) - 1) + 1  # 0: no stage
    months, counts = time_counts(times["months"].to_numpy(dtype=float), times["event"].to_numpy(), codes,
                                 len(stages) + 1)
    at_least = counts[::-1].cumsum(axis=0)[::-1]  # [k]: the pilots of code k or later
    return [(months, at_least[k]) for k in range(len(stages) + 1)]


def _stage_fits(reached: list[tuple[np.ndarray, np.ndarray]], stage_of: np.ndarray,
                overall: Fit) -> tuple[dict[int, Fit], list[int]]:
    """The fit for each stage the in-flight pilots are in: on the pilots that reached at least that stage
    (reached_counts), where at least MIN_DECIDED of them were decided; else the overall fit (key -1: unknown
    stage)."""
    fits, by_stage = {-1: overall}, []
    for s in sorted(set(stage_of.tolist()) - {-1}):
        own = fit_of_counts(*reached[s + 1]) if s > 0 else overall
        if s > 0 and own.decided >= MIN_DECIDED:
            fits[s] = own
            by_stage.append(s)
        else:
            fits[s] = overall
    return fits, by_stage


def _pilot_chances(fits: dict[int, Fit], stage_of: np.ndarray, ages: np.ndarray) -> dict[str, np.ndarray]:
    """Each pilot's chances (PILOT_COLUMNS' production_h, cancelled_h) from the fit of its stage, worked out once
    per distinct age of a stage (ages are whole days: a few thousand however many pilots)."""
    chances = {f"{k}_{h}": np.zeros(len(ages)) for h in HORIZONS for k in ("production", "cancelled")}
    for s, f in fits.items():
        mask = stage_of == s
        if mask.any():
            distinct, back = np.unique(ages[mask], return_inverse=True)
            for h in HORIZONS:
                p, c = f.conditional(distinct, h)
                chances[f"production_{h}"][mask], chances[f"cancelled_{h}"][mask] = p[back], c[back]
    return chances


def _simulate(fits: dict[int, Fit], stage_of: np.ndarray, ages: np.ndarray, chances: dict[str, np.ndarray],
              rng: np.random.Generator, replicates: int) -> pd.DataFrame:
    """Expected counts per horizon (the sums of the pilots' `chances`), and the 80% interval from `replicates`
    Monte Carlo runs, each a bootstrap refit of every fit (_bootstrap_curves) and the outcomes drawn for every
    pilot. Pilots of the same stage and week of age share their chances, so they are drawn together (binomials
    per group: a few thousand groups however many pilots, or the normal law of their sum: outcome_draws), every
    replicate at once."""
    week = np.floor(ages * DAYS_PER_MONTH / AGE_GROUP_DAYS).astype(np.int64)
    key = (stage_of + 1) * (int(week.max(initial=0)) + 1) + week  # stage -1 (unknown) included
    _, first, sizes = np.unique(key, return_index=True, return_counts=True)
    stage_g, age_g = stage_of[first], ages[first]
    landed = np.zeros((replicates, len(HORIZONS), 2))
    for f in {id(f): f for f in fits.values()}.values():  # a fit shared by stages: refitted once
        mine = np.isin(stage_g, [s for s, g in fits.items() if g is f])
        months, prod, canc = _bootstrap_curves(f, rng, replicates)
        for j, h in enumerate(HORIZONS):
            p, c = _conditional(months, prod, canc, age_g[mine], h)
            live = (p > 0).any(axis=0) | (c > 0).any(axis=0)  # a group with no chance in any run draws nothing
            landed[:, j] += outcome_draws(sizes[mine][live], p[:, live], c[:, live], rng)
    tail = (1 - INTERVAL) / 2
    low, high = np.quantile(landed, [tail, 1 - tail], axis=0)
    return pd.DataFrame({"horizon": list(HORIZONS),
                         "production": [float(chances[f"production_{h}"].sum()) for h in HORIZONS],
                         "production_low": low[:, 0], "production_high": high[:, 0],
                         "cancelled": [float(chances[f"cancelled_{h}"].sum()) for h in HORIZONS],
                         "cancelled_low": low[:, 1], "cancelled_high": high[:, 1]})


def outcome_draws(n: np.ndarray, p: np.ndarray, c: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """How many of the groups' pilots (n per group) reach production and how many are cancelled, in each
    replicate ([replicate, 2]), each group's pilots drawn with its chances of that replicate (p, c:
    [replicate, group]). Exactly (a binomial per group, then the cancelled among the rest) while the sum is
    small; once its variance is NORMAL_FROM_VARIANCE in every replicate, as the sum's normal law: the
    multinomials' means and covariances summed over the groups, drawn once per replicate instead of a million
    binomials (a few thousand groups: 30 ms), rounded to whole pilots and kept within the pilots there are."""
    mean = np.stack([p @ n, c @ n])
    var = np.stack([(p * (1 - p)) @ n, (c * (1 - c)) @ n])
    if var.min() < NORMAL_FROM_VARIANCE:
        drawn = np.broadcast_to(n, p.shape)
        produced = rng.binomial(drawn, p)
        rest = np.where(p < 1, np.clip(c / np.where(p < 1, 1 - p, 1), 0, 1), 0.0)
        return np.stack([produced.sum(axis=1), rng.binomial(drawn - produced, rest).sum(axis=1)], axis=1)
    cov = -((p * c) @ n)  # one pilot cannot land both ways
    z = rng.standard_normal((2, len(p)))
    produced = mean[0] + np.sqrt(var[0]) * z[0]
    slope = cov / var[0]  # the cancelled given the produced: a normal's conditional law
    cancelled = mean[1] + slope * (produced - mean[0]) + np.sqrt(np.maximum(var[1] - slope * cov, 0)) * z[1]
    produced = np.clip(np.round(produced), 0, n.sum())
    return np.stack([produced, np.clip(np.round(cancelled), 0, n.sum() - produced)], axis=1)


# ------------------------------------------------------------------ the back-test


def rewind(pilots: pd.DataFrame, stages: list[str], when: dt.date) -> pd.DataFrame:
    """Canonical pilots (validate.Derived.pilots' columns) as they stood at `when`: pilots not yet started
    left out, every later date blanked, the stage the last one entered by then, and the status then
    (production where production was reached by then, cancelled where the end came by then, else active).
    A pilot without any stage date keeps no stage (its stage then is not known)."""
    day = np.datetime64(when, "us")
    start = _dates(pilots, "start_date")
    first = np.fmin.reduce([start, *(_dates(pilots, f"{s}_date") for s in stages)]) if stages else start
    out = pilots[~np.isnat(first) & (first <= day)].copy()
    for column in ["start_date", "end_date", "last_update", *(f"{s}_date" for s in stages)]:
        if column in out:
            dates = _dates(out, column)
            out[column] = pd.Series(np.where(dates <= day, dates, np.datetime64("NaT", "us")), index=out.index)
    entered = np.full(len(out), -1)
    for i, s in enumerate(stages):
        if f"{s}_date" in out:
            entered = np.where(~np.isnat(_dates(out, f"{s}_date")), i, entered)
    status = out["status"].astype("string").to_numpy(dtype=object, na_value=None)
    landed = ~np.isnat(_dates(out, f"{stages[-1]}_date")) if stages else np.zeros(len(out), bool)
    ended = ~np.isnat(_dates(out, "end_date")) & (status == "cancelled")
    out["status"] = np.where(landed, "production", np.where(ended, "cancelled", "active"))
    out["stage_index"] = pd.array(entered, dtype="Int64")
    out["stage"] = [stages[i] if i >= 0 else None for i in entered]
    return out.reset_index(drop=True)


def _dates(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.datetime64("NaT", "us"))
    return frame[column].to_numpy(dtype="datetime64[us]")


def backtest(pilots: pd.DataFrame, stages: list[str], when: dt.date, as_of: dt.date, seed: int = SEED,
             replicates: int = REPLICATES) -> pd.DataFrame:
    """The forecast made at `when` (on the portfolio rewound to it) against what happened by `as_of`, for each
    horizon that `as_of` covers. Columns: horizon, kind (production, cancelled), forecast, low, high, actual,
    covered (the actual count inside the 80% interval)."""
    then = classify(rewind(pilots, stages, when), stages, when)
    found = forecast(then, stages, when, seed, replicates)
    if found.reason:
        return pd.DataFrame(columns=["horizon", "kind", "forecast", "low", "high", "actual", "covered"])
    flying = set(found.pilots["pilot_id"])
    now = pilots[pilots["pilot_id"].isin(flying)]
    landed = _dates(now, f"{stages[-1]}_date")
    ended = np.where(now["status"].astype("string").to_numpy(dtype=object, na_value=None) == "cancelled",
                     _dates(now, "end_date"), np.datetime64("NaT", "us"))
    rows = []
    for t in found.totals.itertuples(index=False):
        until = np.datetime64(when, "us") + np.timedelta64(int(round(t.horizon * DAYS_PER_MONTH)), "D")
        if until > np.datetime64(as_of, "us"):
            continue
        for kind, dates in (("production", landed), ("cancelled", ended)):
            actual = int(np.count_nonzero(~np.isnat(dates) & (dates <= until)))
            low, high = getattr(t, f"{kind}_low"), getattr(t, f"{kind}_high")
            rows.append([t.horizon, kind, getattr(t, kind), low, high, actual, low <= actual <= high])
    return pd.DataFrame(rows, columns=["horizon", "kind", "forecast", "low", "high", "actual", "covered"])



def likely_ids(found: Forecast) -> dict[tuple[str, int], list[str]]:
    """The pilots behind each bar of the forecast: those with at least an even chance (LIKELY) of that
    outcome within that horizon."""
    return {(kind, h): found.pilots.loc[found.pilots[f"{kind}_{h}"] >= LIKELY, "pilot_id"].tolist()
            for kind in ("production", "cancelled") for h in HORIZONS} if not found.reason else {}


def forecast_json(found: Forecast) -> dict:
    """The forecast as the command line prints it."""
    def plain(value):
        return float(value) if isinstance(value, (np.floating, float)) else int(value) if isinstance(value, np.integer) else value

    return {"sentence": found.sentence, "reason": found.reason, "in_flight": len(found.pilots),
            "undated_in_flight": found.undated, "beyond_follow_up": found.beyond, "fitted_on": found.fitted_on, "decided": found.decided,
            "stages_fitted_on_their_own_pilots": found.by_stage, "interval": INTERVAL,
            "totals": [{k: plain(v) for k, v in row.items()} for row in found.totals.to_dict("records")],
            "pilots": [{k: plain(v) for k, v in row.items()} for row in found.pilots.to_dict("records")]}
