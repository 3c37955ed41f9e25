"""Table rows to arms by the curve their counts can follow, when labels and colours do not tell.

Uses the rules of a risk table (:func:`kmipd.digitize.table.rules.min_events`): the share still at
risk never exceeds the share surviving, and each drop holds at least the events the curve shows.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linear_sum_assignment

from kmipd.digitize.match.pairing import runner_up
from kmipd.digitize.table.rules import min_events

__all__ = ["MARGIN", "by_censoring", "fit_costs", "match_by_curves"]

#: The best assignment of rows to curves is taken when its cost (:func:`fit_costs`) is at least
#: this much below every other's.
MARGIN = 0.08
#: Rows are paired by alike censoring (:func:`by_censoring`) when the most alike pairing's
#: spread (mean variance of the log shares not yet censored) is at least this much, and this
#: many times, below the next pairing's; the margin is waived when that pairing is also the one
#: whose counts follow their curves best (:func:`fit_costs`). Columns with fewer at risk say
#: too little.
CENSORING_MARGIN = 0.005
CENSORING_RATIO = 0.5
MIN_AT_RISK = 10


def fit_costs(counts: list[list[int | None]], surv: list[list[np.ndarray]]) -> np.ndarray:
    """How badly each row's counts follow each arm's curve (0: they can).

    ``counts[r]`` are row ``r``'s counts and ``surv[r][j]`` arm ``j``'s survival just before each
    of that row's times. The share still at risk never exceeds the share surviving (censoring
    only lowers it) and each drop holds at least the events the curve shows; the cost adds up
    what breaks these rules, as shares of the patients at risk.
    """
    n_arms = len(surv[0]) if surv else 0
    cost = np.zeros((len(counts), n_arms))
    for r, n in enumerate(counts):
        ok = [k for k, v in enumerate(n) if v is not None]
        if len(ok) < 2 or not n[ok[0]]:
            continue
        v = [n[k] for k in ok]
        for j in range(n_arms):
            s = np.asarray(surv[r][j], float)[ok]
            excess = np.array(v) / v[0] - s / s[0] - 0.03
            short = [max(0, min_events(s[k], s[k + 1], v[k + 1]) - (v[k] - v[k + 1])) / max(v[k], 1)
                     for k in range(len(v) - 1)]
            cost[r, j] = np.nansum(np.clip(excess, 0, None)) + sum(short)
    return cost


def match_by_curves(counts: list[list[int | None]], surv: list[list[np.ndarray]],
                    assign: list[int | None]) -> tuple[list[int | None], str]:
    """Table rows to arms by which curve each row's counts can follow (:func:`fit_costs`).

    The best fitting assignment is taken (``"curves"``) when it fits clearly better than every
    other (by :data:`MARGIN`); otherwise ``assign`` (by order) is kept (``"order"``).
    """
    cost = fit_costs(counts, surv)
    n_arms = cost.shape[1]
    rows, cols = linear_sum_assignment(cost)
    best = float(cost[rows, cols].sum())
    if len(counts) <= n_arms:  # the best fit must beat every other assignment clearly
        sure = runner_up(cost, rows, cols) - best >= MARGIN
    else:
        sure = best < sum(cost[r, a] for r, a in enumerate(assign)
                          if a is not None and a < n_arms) - MARGIN
    if sure:
        out: list[int | None] = [None] * len(counts)
        for r, c in zip(rows, cols):
            out[r] = int(c)
        return out, "curves"
    alike = by_censoring(counts, surv, fits=cost)
    return (alike, "censoring") if alike is not None else (assign, "order")


def by_censoring(counts: list[list[int | None]], surv: list[list[np.ndarray]],
                 fits: np.ndarray | None = None) -> list[int | None] | None:
    """Rows to arms so that the arms' censoring looks alike, or None when no pairing is clearly
    the most alike.

    Where every pairing obeys the rules of a risk table, what is left of each row's counts once
    its curve's survival is divided out is the share not yet censored. The arms of one trial
    share its follow-up (accrual and data cut), so that share runs alike in every arm; paired
    with the wrong curves, it parts. A guess, not a reading: the rows stay flagged. ``fits``
    (:func:`fit_costs`), when given, lets a pairing that also fits the counts best win by a
    smaller margin: two signals agree.
    """
    n_rows, n_arms = len(counts), len(surv[0]) if surv else 0
    if n_rows != n_arms or not 2 <= n_arms <= 4:
        return None
    logs = [[_log_uncensored(counts[r], surv[r][j]) for j in range(n_arms)] for r in range(n_rows)]
    if any(v is None for row in logs for v in row):
        return None
    # rows share the table's columns from the first (one may lack the last cells); the first
    # column is 0 in every row by construction
    cols = min(len(v) for row in logs for v in row)
    spreads = {}
    for perm in itertools.permutations(range(n_arms)):
        stack = np.vstack([logs[r][perm[r]][1:cols] for r in range(n_rows)])
        keep = np.isfinite(stack).all(axis=0)
        if keep.sum() < 1:
            return None
        spreads[perm] = float(np.mean(np.var(stack[:, keep], axis=0)))
    ranked = sorted(spreads, key=spreads.get)
    best, second = spreads[ranked[0]], spreads[ranked[1]]
    if best > CENSORING_RATIO * second:
        return None
    agreed = fits is not None and _fits_best(fits, ranked[0], spreads)
    if second - best < CENSORING_MARGIN and not agreed:
        return None
    return list(ranked[0])


def _fits_best(fits: np.ndarray, perm: tuple[int, ...], pairings) -> bool:
    """Whether the pairing ``perm`` (row r to arm ``perm[r]``) breaks the table's rules least
    of all ``pairings``."""
    def cost(p):
        return float(sum(fits[r, a] for r, a in enumerate(p)))
    return cost(perm) <= min(cost(p) for p in pairings) + 1e-9


def _log_uncensored(counts: list[int | None], surv: np.ndarray) -> np.ndarray | None:
    """Log of the share not yet censored at each column: (n(t) / n(0)) / (S(t) / S(0)); NaN
    where a count is missing or too few remain to say."""
    n = np.array([np.nan if v is None else v for v in counts], float)
    s = np.asarray(surv, float)
    if not (np.isfinite(n[0]) and n[0] > 0 and np.isfinite(s[0]) and s[0] > 0):
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (n / n[0]) / (s / s[0])
    ok = (n >= MIN_AT_RISK) & (s > 0)
    return np.where(ok, np.log(np.clip(share, 1e-3, None)), np.nan)
