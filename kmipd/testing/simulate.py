"""Simulated digitizer output from known IPD, for tests and benchmarks of the reconstruction.

A person or :mod:`kmipd.digitize` reads a KM curve as points on its steps: the corners of every
drop and points along the flat runs, each off by a fraction of a pixel. This module produces that
from a true IPD so that the reconstruction can be scored against the IPD it came from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmipd.analysis.plots import at_risk_counts, km_curve

__all__ = ["at_risk_counts", "digitizer_points", "exact_digitization", "km_curve", "nice_ticks",
           "simulate_digitization"]


def nice_ticks(t_max: float, n_target: int = 8) -> np.ndarray:
    """Evenly spaced 'round' tick times from 0 up to ``t_max`` (1, 2, 2.5, 5 x 10^k steps)."""
    raw = t_max / n_target
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    return np.arange(0, t_max + 1e-9, step)


def digitizer_points(
    t: np.ndarray,
    s: np.ndarray,
    t_max: float,
    *,
    rng: np.random.Generator,
    width_px: int = 600,
    height_px: int = 400,
    noise_px: float = 0.5,
    spacing_px: float = 3.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Points a digitizer would give for the step curve (t, s) drawn ``width_px`` wide.

    Every drop gives its two corners; flat runs give a point every ``spacing_px`` pixels; all
    coordinates get Gaussian noise of ``noise_px`` pixels (time and survival scaled by the plot's
    size in pixels). Times are clipped to be >= 0.
    """
    px_t = t_max / width_px
    px_s = 1.0 / height_px
    xs, ys = [], []
    ends = np.r_[t[1:], t_max]
    for k in range(t.size):
        # top corner of the drop into level k, then the flat run of level k
        if k > 0:
            xs.append(t[k])
            ys.append(s[k - 1])
        run = np.arange(t[k], ends[k], spacing_px * px_t)
        xs.extend(run if run.size else [t[k]])
        ys.extend(np.full(max(run.size, 1), s[k]))
    x = np.asarray(xs) + rng.normal(0, noise_px * px_t, len(xs))
    y = np.asarray(ys) + rng.normal(0, noise_px * px_s, len(ys))
    return np.clip(x, 0, None), np.clip(y, 0, 1)


def simulate_digitization(ipd: pd.DataFrame, *, seed: int = 0, noise_px: float = 0.5,
                          n_ticks: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Digitizer-like curves and the true at-risk table at round ticks for every arm of ``ipd``.

    Returns
    -------
    curves : DataFrame
        ``arm, time, survival``.
    at_risk : DataFrame
        ``arm, time, n_at_risk`` at ticks up to each arm's last time.
    """
    rng = np.random.default_rng(seed)
    t_max = float(ipd["time"].max())
    ticks = nice_ticks(t_max, n_ticks)
    curves, tables = [], []
    for arm, rows in ipd.groupby("arm", sort=False):
        t, s = km_curve(rows["time"], rows["event"])
        arm_max = float(rows["time"].max())
        x, y = digitizer_points(t, s, arm_max, rng=rng, noise_px=noise_px, width_px=int(600 * arm_max / t_max) or 1)
        curves.append(pd.DataFrame({"arm": arm, "time": x, "survival": y}))
        arm_ticks = ticks[ticks <= arm_max]
        tables.append(pd.DataFrame({"arm": arm, "time": arm_ticks, "n_at_risk": at_risk_counts(rows["time"], arm_ticks)}))
    return pd.concat(curves, ignore_index=True), pd.concat(tables, ignore_index=True)


def exact_digitization(ipd: pd.DataFrame, *, n_ticks: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The true KM steps ("true coordinates") and true at-risk table at round ticks."""
    ticks = nice_ticks(float(ipd["time"].max()), n_ticks)
    curves, tables = [], []
    for arm, rows in ipd.groupby("arm", sort=False):
        t, s = km_curve(rows["time"], rows["event"])
        curves.append(pd.DataFrame({"arm": arm, "time": t, "survival": s}))
        arm_ticks = ticks[ticks <= rows["time"].max()]
        tables.append(pd.DataFrame({"arm": arm, "time": arm_ticks, "n_at_risk": at_risk_counts(rows["time"], arm_ticks)}))
    return pd.concat(curves, ignore_index=True), pd.concat(tables, ignore_index=True)
