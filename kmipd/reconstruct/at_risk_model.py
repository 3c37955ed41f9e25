"""Numbers at risk for a figure that prints none: estimated from the figure's own evidence.

Guyot et al. (2012), given only N, assume no censoring before the end of follow-up, which
overstates events by 17-26% in their own tests. The figure carries more than that:

- a drop caused by one event when ``n`` patients are at risk has height ``S(t-) / n``, so the
  steps high enough to measure (late ones, mostly) tell how many were still at risk;
- the censor marks read are a lower bound on the patients censored where they lie (they merge
  where they crowd and are missed on steep parts, so each mark counts one patient at least);
- a curve that ends above 0 still has patients at risk at its end.

:func:`fit_uncensored` chooses the fraction still uncensored, ``G(t)``, at a dozen knots so that
all of these agree, with a weak prior (smooth censoring, staggered entry) where the figure shows
nothing; :func:`estimate_at_risk` turns ``N S(t-) G(t)`` into an at-risk table for the ordinary
Guyot iteration. Measured in ``bench/bench_end_to_end.py`` (issue 14).
"""

from __future__ import annotations

import numpy as np

from kmipd.reconstruct.clean import CleanCurve
from kmipd.reconstruct.result import UNSURE_NOTE

_MAX_TIES = 4
_TIE_PENALTY = 0.05
_STEP_SD = 0.003  # error of a step's height in survival (about a pixel)
_MIN_STEP = 0.005  # a resolved step: two pixels or more on a typical plot
_MERGE_FRACTION = 0.004  # drops closer in time than this share of the curve are one step
_WHOLE_EVENTS_TOL = 0.1  # median distance of early drops from whole events
_WHOLE_SHARE = 0.4  # share of drops that are S(t-)/n for a whole n (6% by chance)
_MARK_WEIGHT = 5.0  # cost of each patient missing under the marks (squared, per mark)
_FOLLOW_UP_WEIGHT = 10.0  # a reported median follow-up pins G to 1/2 within about 0.05
_FEW_STEPS = 5  # fewer measured steps and marks than this: the prior decided
# the weak prior of fit_uncensored: spread censoring, staggered entry from 30% to 120% of the end
_SMOOTH = 0.05
_PRIOR_WEIGHT = 0.03
_PRIOR_START, _PRIOR_STOP = 0.3, 1.2
# the values G may take at a knot: fine steps near 1, geometric ones towards 0
_LEVELS = np.unique(np.r_[np.linspace(0.3, 1.0, 36), np.geomspace(0.004, 0.3, 14), 0.0])


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


def resolved_steps(curve: CleanCurve, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The drops that measure a number at risk (see :func:`curve_steps`).

    All of them on exact coordinates and on points clicked at the drops' corners (their noise
    is averaged out by the cleaning). A traced line is a staircase of pixel rows, whose drops of
    a pixel or less come as often from the line's slant and anti-aliasing as from events: there
    only the drops of two pixels or more count, points a pixel apart in time taken as one drop.
    """
    if not is_pixel_staircase(curve, n):
        return curve_steps(curve)
    span = float(curve.time[-1] - curve.time[0]) or 1.0
    times, before, after = curve_steps(curve, merge_tol=_MERGE_FRACTION * span)
    keep = before - after >= _MIN_STEP
    return times[keep], before[keep], after[keep]


def is_pixel_staircase(curve: CleanCurve, n: int) -> bool:
    """A traced line (monotone as read, so with no noise to clean) whose drops are not whole events."""
    return curve.noise_sd <= 1e-4 and not resolves_single_events(curve, n)


def resolves_single_events(curve: CleanCurve, n: int) -> bool:
    """Whether the curve's drops are whole numbers of events.

    A drop of ``d`` events among ``n`` at risk is ``d / n`` of ``S(t-)``: on exact coordinates
    (and clean vector drawings) ``S(t-) / drop`` is a whole number for single events, and the
    first drops (before much censoring) are whole multiples of ``1 / N``. A pixel staircase
    gives fractions all over.
    """
    _, before, after = curve_steps(curve)
    if before.size < 3:
        return False
    height = before - after
    at_risk = before / height  # n / d
    whole = np.abs(at_risk - np.round(at_risk)) < 0.03
    if whole.mean() >= _WHOLE_SHARE:
        return True
    early = np.cumsum(height) <= 0.15
    if early.sum() < 3:
        return False
    d = height[early] / before[early] * n
    return bool(np.median(np.abs(d - np.round(d))) < _WHOLE_EVENTS_TOL and np.all(d > 0.5))


def fit_uncensored(curve: CleanCurve, n: int, censor_times: np.ndarray | None = None,
                   n_knots: int = 12, median_follow_up: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The fraction still uncensored, ``G(t)``, at ``n_knots + 1`` evenly spaced times up to the end.

    ``G`` is linear between knots and never rises; its value at each knot is one of
    :data:`_LEVELS`. Every choice is scored by all of the evidence together, and the best chain
    of knot values is found exactly by dynamic programming (each term depends on two
    neighbouring knots only):

    - each resolved step (:func:`resolved_steps`) of height ``h`` after ``S(t-)`` holds ``d``
      events among ``N S(t-) G(t)`` at risk: a robust misfit of ``log(S(t-) / h)`` to
      ``log(n / d)`` with the best ``d``, a tie costing a little (:func:`_tie_prior`);
    - the censor marks read between two knots are a lower bound on the patients censored there
      (marks merge where they crowd, and are missed, far more often than invented);
    - somebody is still at risk at the end of a curve that ends above 0;
    - a reported median follow-up (reverse Kaplan-Meier: the time by which half of the patients
      would have been censored had none had an event) is where ``G`` crosses 1/2;
    - a weak prior: censoring spread smoothly, and staggered entry (``G`` falling evenly from
      30% of the follow-up to beyond its end). It decides only where the figure shows nothing.

    Drops of whole events (:func:`resolves_single_events`) are trusted closely and the prior
    nearly not at all; on a pixel staircase (:func:`is_pixel_staircase`) a resolved step may
    hold any number of merged events at no cost, as nothing tells them apart.

    Returns
    -------
    knots, uncensored : ndarray
    """
    t_end = float(curve.time[-1])
    knots = np.linspace(0.0, t_end, n_knots + 1)
    if t_end <= 0:
        return knots, np.ones(knots.size)
    exact = resolves_single_events(curve, n)
    staircase = is_pixel_staircase(curve, n)
    times, before, after = resolved_steps(curve, n)
    height = before - after
    log_obs = np.log(before / np.maximum(height, 1e-9))
    # whole events measured to a pixel (or exactly): trust the steps, not the prior
    step_sd, floor, prior_scale = (_STEP_SD / 10, 0.002, 0.05) if exact else (_STEP_SD, 0.02, 1.0)
    weight = 1.0 / ((step_sd / np.maximum(height, 1e-9)) ** 2 + floor)
    _, all_before, all_after = curve_steps(curve)
    max_ties, tie_penalty = _tie_prior(all_before - all_after, all_before, n, curve.noise_sd > 1e-4)
    if staircase:  # a resolved step of a staircase is as often several events merged as one
        max_ties, tie_penalty = max(max_ties, 2 * _MAX_TIES), 0.0
    marks = np.zeros(n_knots)
    if censor_times is not None and np.size(censor_times):
        marks = np.histogram(np.clip(censor_times, 0.0, t_end), bins=knots)[0]
    s_knots = _survival_before(curve, knots)
    g_prior = uncensored_fraction(knots, 0.0, _PRIOR_START * t_end, _PRIOR_STOP * t_end)
    g0, g1 = _LEVELS[:, None], _LEVELS[None, :]
    total = np.where(np.isclose(_LEVELS, 1.0), 0.0, np.inf)  # G(0) = 1
    back = []
    for b in range(n_knots):
        cost = np.where(g1 <= g0 + 1e-12, 0.0, np.inf)
        inside = (times >= knots[b]) & ((times < knots[b + 1]) | (b == n_knots - 1))
        if inside.any():
            frac = (times[inside] - knots[b]) / (knots[b + 1] - knots[b])
            g = g0[..., None] * (1 - frac) + g1[..., None] * frac
            misfit = log_obs[inside] - np.log(np.maximum(n * before[inside] * g, 0.5))
            cost = cost + np.sum(weight[inside] * _best_ties(misfit, max_ties, tie_penalty), axis=-1)
        if median_follow_up is not None and knots[b] <= median_follow_up < knots[b + 1]:
            frac = (median_follow_up - knots[b]) / (knots[b + 1] - knots[b])
            cost = cost + _FOLLOW_UP_WEIGHT * ((g0 * (1 - frac) + g1 * frac - 0.5) / 0.05) ** 2
        censored = n * 0.5 * (s_knots[b] + s_knots[b + 1]) * (g0 - g1)
        if marks[b] > 0:
            cost = cost + _MARK_WEIGHT * np.clip(marks[b] - censored, 0, None) ** 2 / (marks[b] + 1)
        cost = cost + prior_scale * _SMOOTH * (censored / n * n_knots) ** 2
        cost = cost + prior_scale * _PRIOR_WEIGHT * ((g1 - g_prior[b + 1]) / 0.1) ** 2
        with_cost = total[:, None] + cost
        back.append(np.argmin(with_cost, axis=0))
        total = with_cost.min(axis=0)
    if curve.survival[-1] > 0:  # somebody must still be at risk at the end
        total = total + 1e3 * np.clip(0.5 - n * curve.survival[-1] * _LEVELS, 0, None)
    if median_follow_up is not None and median_follow_up >= t_end:  # half still followed at the end
        total = total + _FOLLOW_UP_WEIGHT * (np.clip(0.5 - _LEVELS, 0, None) / 0.05) ** 2
    path = [int(np.argmin(total))]
    for choice in reversed(back):
        path.append(int(choice[path[-1]]))
    return knots, _LEVELS[np.array(path[::-1])]


def _best_ties(misfit: np.ndarray, max_ties: int, tie_penalty: float) -> np.ndarray:
    """Per drop, the misfit with its best number of tied events (``d`` at risk look like ``n/d``)."""
    lower = np.clip(np.floor(np.exp(-misfit)), 1, max_ties)  # only the two counts around it can be best
    upper = np.minimum(lower + 1, max_ties)
    return np.minimum(_huber(misfit + np.log(lower)) + tie_penalty * np.log(lower),
                      _huber(misfit + np.log(upper)) + tie_penalty * np.log(upper))


def _tie_prior(height: np.ndarray, before: np.ndarray, n: int, noisy: bool) -> tuple[int, float]:
    """How many tied events one drop may hold, and the cost of each extra one.

    Early on nearly nobody is censored, so ``drop / S(t-) * N`` counts the events of each of the
    first drops. Data recorded in coarse units (weeks, months) have many ties there, and a
    large drop late on is then more likely tied events than a small risk set. On a digitized
    curve some of those "ties" are neighbouring events merged into one drop, so ties stay a
    little costly there (tuned in ``bench/bench_reconstruct.py``).
    """
    if height.size == 0:
        return _MAX_TIES, _TIE_PENALTY
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
    median_follow_up: float | None = None,
    notes: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """An at-risk table (times, counts) for a curve whose figure gives only the arm's N.

    Parameters
    ----------
    curve : CleanCurve
    n : int
        Number of patients in the arm.
    total_events : int, optional
        Reported number of events (matched by the caller through ``censoring_scale``).
    censor_times : ndarray, optional
        Censor marks read from the figure.
    n_times : int
        How many evenly spaced times the table has (0 included).
    censoring_scale : float
        Power applied to the fitted ``G(t)``: below 1 less censoring, above 1 more (used to
        match a reported total of events).
    median_follow_up : float, optional
        Reported median follow-up (reverse Kaplan-Meier), in the curve's time units.
    notes : list of str, optional
        Receives one line on the evidence the censoring rests on, and a warning when that is
        too little to trust the events.

    Returns
    -------
    times, counts : ndarray
    """
    del total_events  # matched by scaling the censoring (reconstruct._match_total_events)
    knots, uncensored = fit_uncensored(curve, n, censor_times, n_knots=n_times, median_follow_up=median_follow_up)
    grid = knots[:-1]
    counts = np.round(n * _survival_before(curve, grid) * uncensored[:-1] ** censoring_scale).astype(int)
    if censor_times is not None and np.size(censor_times):
        # each mark is one patient censored at least: never more at risk than the marks leave
        ceiling = _walk_with_marks(curve, n, np.sort(np.asarray(censor_times, float)), grid)
        counts = np.minimum(counts, np.round(ceiling).astype(int))
    counts[0] = n
    counts = np.minimum.accumulate(np.maximum(counts, 0))
    if notes is not None:
        notes.append(evidence_note(curve, n, censor_times, uncensored[-1], median_follow_up))
    return grid, counts


def evidence_note(curve: CleanCurve, n: int, censor_times: np.ndarray | None, uncensored_end: float,
                  median_follow_up: float | None = None) -> str:
    """How the censoring of an arm without a table was inferred, and how far to trust it."""
    steps = resolved_steps(curve, n)[0].size
    marks = 0 if censor_times is None else int(np.size(censor_times))
    kind = "pixel staircase" if is_pixel_staircase(curve, n) else "whole events" if \
        resolves_single_events(curve, n) else "noisy points"
    note = (f"numbers at risk estimated from N={n} ({kind}): {steps} step(s) measured them, "
            f"{marks} censor mark(s) read as a lower bound"
            + (f", the reported median follow-up {median_follow_up:g}" if median_follow_up is not None else "")
            + f"; {1 - uncensored_end:.0%} censored by the curve's end")
    if steps < _FEW_STEPS and marks < _FEW_STEPS and median_follow_up is None:
        note += (f"{UNSURE_NOTE}the figure shows little of its censoring, so a prior (staggered entry) "
                 "decided it and the events may be off by 20% or more; give the reported events "
                 "(--events ARM=E), the median follow-up (--median-follow-up T) or the at-risk table")
    return note


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
