"""Numbers at risk for a figure that prints none: estimated from the curve's own step heights.

Guyot et al. (2012), given only N, assume no censoring before the end of follow-up, which
overstates events by 17-26% in their own tests. The curve carries more than that: a drop caused
by one event at a time when ``n`` patients are at risk has height ``S(t-) / n``, so late steps
(large, precisely measured) tell how many were still at risk. kmipd fits a censoring model to
them, builds the implied at-risk table, and hands it to the ordinary Guyot iteration.

Censoring model: the probability of still being uncensored at time t is
``G(t) = exp(-rate * t) * clip((stop - t) / (stop - start), 0, 1)`` — early drop-out at a constant
rate plus administrative censoring spread uniformly between ``start`` and ``stop`` (staggered
entry). Its three parameters are fitted by a grid search of a robust least-squares criterion on
log numbers at risk. When censor marks were read from the figure they are used instead: each mark
is one patient censored there.
"""

from __future__ import annotations

import numpy as np

from kmipd.reconstruct.clean import CleanCurve

_SIGMA = 0.002  # typical digitization error in survival (about half a pixel)
_MAX_TIES = 4
_TIE_PENALTY = 0.05


def curve_steps(curve: CleanCurve, merge_tol: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drops of a cleaned curve, merging points closer in time than ``merge_tol``.

    Returns
    -------
    times, before, after : ndarray
        Time of each drop, survival just before and just after it.
    """
    t, s = curve.time, curve.survival
    noisy = curve.noise_sd > 1e-4
    if merge_tol is None:
        span = t[-1] - t[0] if t[-1] > t[0] else 1.0
        # digitized drops come apart by a pixel or two (and noise adds specks); exact ones never do
        merge_tol = (0.006 if noisy else 0.0005) * span
    drop = np.flatnonzero(s[1:] < s[:-1]) + 1
    if drop.size == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    times, before, after = [], [], []
    for k in drop:
        if times and t[k] - times[-1] <= merge_tol:
            after[-1] = s[k]
            continue
        times.append(t[k])
        before.append(s[k - 1])
        after.append(s[k])
    times, before, after = np.array(times), np.array(before), np.array(after)
    if noisy:  # drops within the noise are not drops
        real = before - after >= 3 * curve.noise_sd
        times, before, after = times[real], before[real], after[real]
    return np.array(times), np.array(before), np.array(after)


def uncensored_fraction(t: np.ndarray, rate: float, start: float, stop: float) -> np.ndarray:
    """The censoring model ``G(t)`` (see module docstring)."""
    admin = np.clip((stop - t) / max(stop - start, 1e-12), 0.0, 1.0) if np.isfinite(stop) else 1.0
    return np.exp(-rate * t) * admin


def fit_censoring(curve: CleanCurve, n: int, total_events: int | None = None) -> tuple[float, float, float]:
    """Fit ``(rate, start, stop)`` of the censoring model to the curve's step heights."""
    t_end = float(curve.time[-1])
    times, before, after = curve_steps(curve)
    if times.size == 0 or t_end <= 0:
        return 0.0, t_end, np.inf
    height = before - after
    n_obs = before / np.maximum(height, 1e-9)  # at risk if each drop were one event
    log_obs = np.log(n_obs)
    weight = 1.0 / ((_SIGMA / np.maximum(height, 1e-9)) ** 2 + 0.02)
    max_ties, tie_penalty = _tie_prior(height, before, n, curve.noise_sd > 1e-4)

    rates = np.r_[0.0, -np.log([0.95, 0.9, 0.8, 0.65, 0.5, 0.35, 0.2]) / t_end]
    starts = t_end * np.linspace(0.0, 0.95, 12)
    stops = np.r_[t_end * np.array([1.0, 1.05, 1.15, 1.3, 1.6, 2.2]), np.inf]
    rate, start, stop = (g.ravel() for g in np.meshgrid(rates, starts, stops, indexing="ij"))
    ok = stop > start
    rate, start, stop = rate[ok], start[ok], stop[ok]
    # all candidate models at once: (model, drop)
    g = _uncensored_grid(times[None, :], rate[:, None], start[:, None], stop[:, None])
    n_pred = np.maximum(n * before[None, :] * g, 0.5)
    # a drop of d tied events looks like a drop at n/d at risk
    base = log_obs[None, :] - np.log(n_pred)
    # only the two tie counts around exp(-base) can be best
    lower = np.clip(np.floor(np.exp(-base)), 1, max_ties)
    per_drop = np.minimum(
        _huber(base + np.log(lower)) + tie_penalty * (lower - 1),
        _huber(base + np.log(np.minimum(lower + 1, max_ties))) + tie_penalty * (np.minimum(lower + 1, max_ties) - 1),
    )
    cost = np.sum(weight * per_drop, axis=1)
    g_end = _uncensored_grid(np.full(1, t_end)[None, :], rate[:, None], start[:, None], stop[:, None])[:, 0]
    n_end = n * curve.survival[-1] * g_end
    if curve.survival[-1] > 0:
        cost = cost + 1e3 * np.clip(0.5 - n_end, 0, None)  # somebody must still be at risk at the end
    if total_events is not None:
        events = np.sum(np.maximum(np.round(height / before * n_pred), 1), axis=1)
        cost = cost + 1e6 * ((events - total_events) / max(total_events, 1)) ** 2  # all but a constraint
    k = int(np.argmin(cost))
    return float(rate[k]), float(start[k]), float(stop[k])


def _uncensored_grid(t, rate, start, stop):
    """:func:`uncensored_fraction` broadcast over arrays of parameters (``stop`` may be inf)."""
    finite = np.isfinite(stop)
    span = np.where(finite, stop - start, 1.0)
    admin = np.where(finite, np.clip((np.where(finite, stop, 0.0) - t) / np.maximum(span, 1e-12), 0.0, 1.0), 1.0)
    return np.exp(-rate * t) * admin


def _tie_prior(height: np.ndarray, before: np.ndarray, n: int, noisy: bool) -> tuple[int, float]:
    """How many tied events one drop may hold, and the cost of each extra one.

    Early on nearly nobody is censored, so ``drop / S(t-) * N`` counts the events of each of the
    first drops. Data recorded in coarse units (weeks, months) have many ties there, and a
    large drop late on is then more likely tied events than a small risk set. On a digitized
    curve some of those "ties" are neighbouring events merged into one drop, so ties stay a
    little costly there (tuned in ``bench/bench_reconstruct.py``).
    """
    early = np.cumsum(height) <= 0.15
    early[: min(3, early.size)] = True
    d_early = np.maximum(np.round(height[early] / before[early] * n), 1)
    if d_early.mean() < 1.2:
        return _MAX_TIES, _TIE_PENALTY
    if noisy:
        return int(max(_MAX_TIES, 2 * d_early.max())), 0.02
    return int(max(_MAX_TIES, 3 * d_early.max())), 0.0


def _huber(x: np.ndarray, delta: float = 0.3) -> np.ndarray:
    a = np.abs(x)
    return np.where(a <= delta, 0.5 * a**2, delta * (a - 0.5 * delta))


def estimate_at_risk(
    curve: CleanCurve,
    n: int,
    *,
    total_events: int | None = None,
    censor_times: np.ndarray | None = None,
    n_times: int = 12,
    censoring_scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """An at-risk table (times, counts) for a curve whose figure gives only the arm's N.

    Parameters
    ----------
    curve : CleanCurve
    n : int
        Number of patients in the arm.
    total_events : int, optional
        Reported number of events; steers the censoring fit.
    censor_times : ndarray, optional
        Censor marks read from the figure (one patient censored at each).
    n_times : int
        How many evenly spaced times the table has (0 included).
    censoring_scale : float
        Power applied to the fitted ``G(t)``: below 1 less censoring, above 1 more (used to
        match a reported total of events).

    Returns
    -------
    times, counts : ndarray
    """
    t_end = float(curve.time[-1])
    grid = np.linspace(0.0, t_end, n_times, endpoint=False)
    s_before = _survival_before(curve, grid)
    if censor_times is not None and np.size(censor_times):
        marks = np.sort(np.asarray(censor_times, dtype=float))
        # at risk at t = N * S(t-) adjusted for the censored ones before t: walk the KM product
        counts = _walk_with_marks(curve, n, marks, grid)
    else:
        rate, start, stop = fit_censoring(curve, n, total_events)
        g = uncensored_fraction(grid, rate, start, stop) ** censoring_scale
        counts = np.round(n * s_before * g).astype(int)
    counts[0] = n
    counts = np.minimum.accumulate(np.maximum(counts, 0))
    return grid, counts


def _survival_before(curve: CleanCurve, times: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(curve.time, times, side="left") - 1
    return np.where(idx >= 0, curve.survival[np.clip(idx, 0, None)], 1.0)


def _walk_with_marks(curve: CleanCurve, n: int, marks: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Numbers at risk at ``grid`` when events follow the curve and censorings are the marks."""
    t, s = curve.time, curve.survival
    at_risk = float(n)
    ref = 1.0
    out = np.empty(grid.size)
    gi = 0
    mi = 0
    for k in range(t.size):
        while gi < grid.size and grid[gi] <= t[k]:
            while mi < marks.size and marks[mi] < grid[gi]:
                at_risk -= 1
                mi += 1
            out[gi] = at_risk
            gi += 1
        while mi < marks.size and marks[mi] < t[k]:
            at_risk -= 1
            mi += 1
        if ref > 0 and at_risk > 0:
            d = round(at_risk * (1 - s[k] / ref))
            if d > 0:
                at_risk -= d
                ref = ref * (1 - d / (at_risk + d))
    out[gi:] = at_risk
    return out
