"""Table rows to arms by the curve their counts can follow, when labels and colours do not tell.

Uses the rules of a risk table (:func:`kmipd.digitize.table.rules.min_events`): the share still at
risk never exceeds the share surviving, and each drop holds at least the events the curve shows.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from kmipd.digitize.match.pairing import runner_up
from kmipd.digitize.table.rules import min_events

__all__ = ["MARGIN", "fit_costs", "match_by_curves"]

#: The best assignment of rows to curves is taken when its cost (:func:`fit_costs`) is at least
#: this much below every other's.
MARGIN = 0.08


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
    return assign, "order"
