"""Compare survival curves: evaluate step functions, RMSE on a time grid, match arms.

Used by the digitizer benchmark and by tests that score a digitized or reconstructed curve
against an exact one. A curve is a table with columns ``time, survival`` (one arm) read as a
right-continuous step function: at a jump time the value after the drop counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

__all__ = ["curve_rmse", "match_arms", "split_arms", "step_survival"]


def step_survival(curve_times, curve_surv, t) -> np.ndarray:
    """Value of a right-continuous step function at times ``t``.

    Parameters
    ----------
    curve_times, curve_surv : array_like
        Step points; need not be sorted (ties keep their given order, the last one wins).
    t : array_like
        Times to evaluate at.

    Returns
    -------
    numpy.ndarray
        ``curve_surv`` at the last step point with time <= t; 1.0 before the first point.
    """
    times = np.asarray(curve_times, dtype=float)
    surv = np.asarray(curve_surv, dtype=float)
    order = np.argsort(times, kind="stable")
    times, surv = times[order], surv[order]
    idx = np.searchsorted(times, np.asarray(t, dtype=float), side="right") - 1
    out = np.where(idx >= 0, surv[np.clip(idx, 0, None)] if surv.size else 1.0, 1.0)
    return np.asarray(out, dtype=float)


def curve_rmse(curve_a: pd.DataFrame, curve_b: pd.DataFrame, t_max: float, n: int = 100,
               t_min: float = 0.0) -> float:
    """Root mean square difference of two survival curves at ``n`` even times in [t_min, t_max].

    Parameters
    ----------
    curve_a, curve_b : pandas.DataFrame
        One arm each, columns ``time`` and ``survival`` (fractions).
    t_max : float
        Last time of the grid (score only where the true curve is drawn).
    n : int
        Number of grid points.
    t_min : float
        First time of the grid.

    Returns
    -------
    float
        RMSE in survival units (0-1).
    """
    grid = np.linspace(t_min, t_max, n)
    a = step_survival(curve_a["time"], curve_a["survival"], grid)
    b = step_survival(curve_b["time"], curve_b["survival"], grid)
    return float(np.sqrt(np.mean((a - b) ** 2)))


def split_arms(curves: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Split an ``arm,time,survival`` table into ``{arm: frame}`` in order of first appearance."""
    return {str(arm): rows.reset_index(drop=True)
            for arm, rows in curves.groupby("arm", sort=False)}


def _norm(name: str) -> str:
    return " ".join(str(name).lower().replace("-", " ").replace("_", " ").split())


def match_arms(found: dict[str, pd.DataFrame], truth: dict[str, pd.DataFrame],
               t_max: dict[str, float] | float | None = None, by_name: bool = True,
               n: int = 100) -> dict[str, str]:
    """Pair found arms with true arms: by name where names agree, the rest by least RMSE.

    Parameters
    ----------
    found, truth : dict of str to pandas.DataFrame
        Curves per arm (columns ``time, survival``).
    t_max : float or dict, optional
        Scoring range per true arm (or one for all); default each true arm's last time.
    by_name : bool
        Match equal names (case, spaces, '-' and '_' ignored) first.
    n : int
        Grid size of the RMSE used as the assignment cost.

    Returns
    -------
    dict
        ``{found arm: true arm}``; arms left over (counts differ) are absent.
    """
    def end(arm: str) -> float:
        if isinstance(t_max, dict):
            return float(t_max.get(arm, truth[arm]["time"].max()))
        return float(t_max) if t_max is not None else float(truth[arm]["time"].max())

    pairs: dict[str, str] = {}
    if by_name:
        true_by_norm = {_norm(k): k for k in truth}
        for f in found:
            k = true_by_norm.get(_norm(f))
            if k is not None and k not in pairs.values():
                pairs[f] = k
    rest_f = [f for f in found if f not in pairs]
    rest_t = [k for k in truth if k not in pairs.values()]
    if rest_f and rest_t:
        cost = np.array([[curve_rmse(found[f], truth[k], end(k), n) for k in rest_t]
                         for f in rest_f])
        rows, cols = linear_sum_assignment(cost)
        pairs.update({rest_f[i]: rest_t[j] for i, j in zip(rows, cols, strict=True)})
    return pairs
