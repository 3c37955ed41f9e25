"""Numbers at risk for a figure that prints none: estimated from the figure's own evidence.

Guyot et al. (2012), given only N, assume no censoring before the end of follow-up, which
overstates events by 17-26% in their own tests. The figure carries more than that:

- a drop caused by one event when ``n`` patients are at risk has height ``S(t-) / n``, so the
  steps high enough to measure (late ones, mostly) tell how many were still at risk;
- the censor marks read are a lower bound on the patients censored where they lie (they merge
  where they crowd and are missed on steep parts, so each mark counts one patient at least);
  where an arm has marks drawn, they also count its censored patients, of whom a
  raster figure shows as marks read, about half;
- a curve that ends above 0 still has patients at risk at its end.

:func:`fit_uncensored` chooses the fraction still uncensored, ``G(t)``, at a dozen knots so that
all of these agree, with a weak prior (smooth censoring, staggered entry) where the figure shows
nothing; :func:`estimate_at_risk` turns ``N S(t-) G(t)`` into an at-risk table for the ordinary
Guyot iteration. :func:`complete_table` does the same past the end of a table that stops well
before the curve does, held to its counts. Measured in ``bench/bench_end_to_end.py`` (issue 14).
"""

from __future__ import annotations

import numpy as np

from kmipd.reconstruct.clean import CleanCurve
from kmipd.reconstruct.result import UNSURE_NOTE
from kmipd.reconstruct.steps import (
    curve_steps,
    early_drops,
    is_pixel_staircase,
    resolved_steps,
    resolves_single_events,
)

_MAX_TIES = 4
_TIE_PENALTY = 0.05
_STEP_SD = 0.003  # error of a step's height in survival (about a pixel)
_MARK_WEIGHT = 5.0  # cost of each patient missing under the marks (squared, per mark)
# marks read from a raster figure show about half of the censored patients (marks read over true
# censorings: median 0.52 over 326 arms of random figures, 0.70 on bench_end_to_end's figures);
# used once an arm has _MARKED marks read
_MARK_SHARE = 0.5
_MARKED = 5
_MARK_SPREAD = 0.3  # the share varies along a curve (crowded and steep parts hide more)
_FOLLOW_UP_WEIGHT = 10.0  # a reported median follow-up pins G to 1/2 within about 0.05
_TABLE_WEIGHT = 10.0  # a published count pins G within its rounding
_TABLE_GAP = 2.5  # a table ending more than this many knot spacings before the curve is completed
_FEW_STEPS = 5  # fewer measured steps and marks than this: the prior decided
# the weak prior of fit_uncensored: spread censoring, staggered entry from 30% to 120% of the end
_SMOOTH = 0.05
_PRIOR_WEIGHT = 0.03
_PRIOR_START, _PRIOR_STOP = 0.3, 1.2
# the values G may take at a knot: fine steps near 1, geometric ones towards 0
_LEVELS = np.unique(np.r_[np.linspace(0.3, 1.0, 36), np.geomspace(0.004, 0.3, 14), 0.0])


def uncensored_fraction(t: np.ndarray, rate: float, start: float, stop: float) -> np.ndarray:
    """The censoring model ``G(t)`` (see module docstring)."""
    admin = np.clip((stop - t) / max(stop - start, 1e-12), 0.0, 1.0) if np.isfinite(stop) else 1.0
    return np.exp(-rate * t) * admin


def fit_uncensored(curve: CleanCurve, n: int, censor_times: np.ndarray | None = None,
                   n_knots: int = 12, median_follow_up: float | None = None,
                   known: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The fraction still uncensored, ``G(t)``, at ``n_knots + 1`` evenly spaced times up to the end.

    ``G`` is linear between knots and never rises; its value at each knot is one of
    :data:`_LEVELS`. Every choice is scored by all of the evidence together, and the best chain
    of knot values is found exactly by dynamic programming (each term depends on two
    neighbouring knots only):

    - each resolved step (:func:`resolved_steps`) of height ``h`` after ``S(t-)`` holds ``d``
      events among ``N S(t-) G(t)`` at risk: a robust misfit of ``log(S(t-) / h)`` to
      ``log(n / d)`` with the best ``d``, a tie costing a little (:func:`_tie_prior`);
    - the censor marks read between two knots are a lower bound on the patients censored there
      (marks merge where they crowd, and are missed, far more often than invented); where an
      arm has marks drawn (:data:`_MARKED` or more read), they also count its censored
      patients, each seen with probability :data:`_MARK_SHARE` (:func:`_marks_cost`);
    - somebody is still at risk at the end of a curve that ends above 0;
    - a reported median follow-up (reverse Kaplan-Meier: the time by which half of the patients
      would have been censored had none had an event) is where ``G`` crosses 1/2;
    - the counts of a partial table, ``known = (times, counts)``, pin ``G`` to
      ``count / (N S(t-))`` within their rounding;
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
    _, all_before, all_after = curve_steps(curve)
    step_sd, floor, prior_scale = (_STEP_SD / 10, 0.002, 0.05) if exact else (_STEP_SD, 0.02, 1.0)
    if exact:
        step_sd = min(step_sd, height_precision(all_before - all_after, n))
    weight = 1.0 / ((step_sd / np.maximum(height, 1e-9)) ** 2 + floor)
    max_ties, tie_penalty = _tie_prior(all_before - all_after, all_before, n, curve.noise_sd > 1e-4)
    if staircase:  # a resolved step of a staircase is as often several events merged as one
        max_ties, tie_penalty = max(max_ties, 2 * _MAX_TIES), 0.0
    marks = np.zeros(n_knots)
    if censor_times is not None and np.size(censor_times):
        marks = np.histogram(np.clip(censor_times, 0.0, t_end), bins=knots)[0]
    s_knots = _survival_before(curve, knots)
    g_prior = uncensored_fraction(knots, 0.0, _PRIOR_START * t_end, _PRIOR_STOP * t_end)
    g_known, sd_known = _table_targets(curve, n, known)
    if g_known[0].size:
        g_prior = _carried_rate_prior(curve, knots, g_known[0][-1], g_known[1][-1])
    g0, g1 = _LEVELS[:, None], _LEVELS[None, :]
    marked = marks.sum() >= _MARKED  # the figure draws its marks: they count the censored, missing some
    terms = []  # per interval, the cost of every (G at its start, G at its end)
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
        for t_k, g_k, sd_k in zip(*g_known, sd_known):
            if knots[b] < t_k <= knots[b + 1]:
                frac = (t_k - knots[b]) / (knots[b + 1] - knots[b])
                cost = cost + _TABLE_WEIGHT * ((g0 * (1 - frac) + g1 * frac - g_k) / sd_k) ** 2
        censored = n * 0.5 * (s_knots[b] + s_knots[b + 1]) * (g0 - g1)
        if marks[b] > 0:
            cost = cost + _MARK_WEIGHT * np.clip(marks[b] - censored, 0, None) ** 2 / (marks[b] + 1)
        cost = cost + prior_scale * _SMOOTH * (censored / n * n_knots) ** 2
        cost = cost + prior_scale * _PRIOR_WEIGHT * ((g1 - g_prior[b + 1]) / 0.1) ** 2
        if marked:
            cost = cost + _marks_cost(marks[b], censored, _MARK_SHARE)
        terms.append(cost)
    end_cost = np.zeros(_LEVELS.size)
    if curve.survival[-1] > 0:  # somebody must still be at risk at the end
        end_cost = end_cost + 1e3 * np.clip(0.5 - n * curve.survival[-1] * _LEVELS, 0, None)
    if median_follow_up is not None and median_follow_up >= t_end:  # half still followed at the end
        end_cost = end_cost + _FOLLOW_UP_WEIGHT * (np.clip(0.5 - _LEVELS, 0, None) / 0.05) ** 2
    return knots, _LEVELS[_cheapest_chain(terms, end_cost)]


def height_precision(height: np.ndarray, n: int) -> float:
    """How precisely the drops (``height``, all of a curve of whole events, in time order) are
    given, in survival units.

    Before much censoring a drop of ``d`` events is ``d / N`` of ``S(t-)``; how far the first
    drops are from that is the precision of the coordinates (a pixel on a figure, a rounding
    of the digits in a table or a vector drawing).
    """
    early = early_drops(height, at_least=3)
    d = height[early] * n  # d events among N S(t-) at risk, before any censoring
    off = np.abs(d - np.maximum(np.round(d), 1)) / n
    return float(max(np.median(off), 1e-9)) if off.size else _STEP_SD


def _cheapest_chain(terms: list[np.ndarray], end_cost: np.ndarray) -> np.ndarray:
    """The knot values (indices into :data:`_LEVELS`) that minimise the summed interval costs,
    ``G(0) = 1``, by dynamic programming (each term depends on two neighbouring knots only)."""
    total = np.where(np.isclose(_LEVELS, 1.0), 0.0, np.inf)
    back = []
    for cost in terms:
        with_cost = total[:, None] + cost
        back.append(np.argmin(with_cost, axis=0))
        total = with_cost.min(axis=0)
    total = total + end_cost
    path = [int(np.argmin(total))]
    for choice in reversed(back):
        path.append(int(choice[path[-1]]))
    return np.array(path[::-1])


def _marks_cost(marks: float, censored: np.ndarray, share: float) -> np.ndarray:
    """Misfit of the marks read in an interval to its censored patients, each seen with
    probability ``share`` (a binomial count, normal approximation, with room for the share
    varying along the curve)."""
    censored = np.maximum(censored, 0.0)  # G rising (ruled out at infinite cost) must not make NaN
    seen = share * censored
    var = share * (1 - share) * censored + 1.0 + (_MARK_SPREAD * seen) ** 2
    return 0.5 * (marks - seen) ** 2 / var + 0.5 * np.log(var)


def _table_targets(curve: CleanCurve, n: int, known: tuple[np.ndarray, np.ndarray] | None
                   ) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """``(times, G)`` that a partial table's counts imply, and their error from rounding."""
    if known is None:
        return (np.zeros(0), np.zeros(0)), np.zeros(0)
    times, counts = (np.asarray(a, float) for a in known)
    alive = n * _survival_before(curve, times)
    keep = (times > 0) & (times <= curve.time[-1]) & (alive >= 1)
    times, counts, alive = times[keep], counts[keep], alive[keep]
    # a count is rounded to a patient, and the curve read to about a pixel
    sd = np.hypot(0.5 / alive, 0.01)
    return (times, np.clip(counts / alive, 0.0, 1.0)), sd


def _carried_rate_prior(curve: CleanCurve, knots: np.ndarray, t_last: float, g_last: float) -> np.ndarray:
    """``G`` past a partial table's last count with its censorings per unit time carried on.

    That is Guyot's rule for the last interval, as a prior: a steady count of censorings among
    fewer and fewer at risk makes ``G`` fall as ``1 / S`` rises.
    """
    fine = np.linspace(0.0, knots[-1], 400)
    alive = np.maximum(_survival_before(curve, fine), 1e-3)
    before = fine <= t_last
    censored_per_time = (1.0 - g_last) * float(np.mean(alive[before])) / max(t_last, 1e-12)
    dt = fine[1] - fine[0]
    g = np.where(before, 1.0 - (1.0 - g_last) * fine / max(t_last, 1e-12),
                 g_last - censored_per_time * np.cumsum(np.where(before, 0.0, dt / alive)))
    return np.clip(np.interp(knots, fine, g), 0.0, 1.0)


def complete_table(curve: CleanCurve, risk_time: np.ndarray, n_risk: np.ndarray, *,
                   censor_times: np.ndarray | None = None, median_follow_up: float | None = None,
                   n_times: int = 12, notes: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A table that stops well before the curve's end, completed past its last count.

    A table printed only halfway through the follow-up, or only N and one later count, leaves
    Guyot's iteration to carry the earlier intervals' censoring rate over a long last stretch.
    There :func:`fit_uncensored`, held to the table's counts and with that rate as its prior,
    estimates counts from the step heights and censor marks. Between published counts nothing
    is added: there the iteration already matches both ends exactly, and the refinement places
    the censoring by the steps (adding the model's estimates there measured worse).

    Parameters
    ----------
    curve : CleanCurve
    risk_time, n_risk : ndarray
        The published table, starting at time 0 with the arm's N.
    censor_times, median_follow_up, n_times
        As for :func:`estimate_at_risk`.
    notes : list of str, optional
        Receives a line naming the times added, when any are.

    Returns
    -------
    times, counts : ndarray
        The published rows and the estimated ones, in time order.
    """
    risk_time, n_risk = np.asarray(risk_time, float), np.asarray(n_risk, int)
    t_end = float(curve.time[-1])
    inside = risk_time <= t_end
    spacing = t_end / n_times
    last = float(risk_time[inside][-1])
    # a table with a tick past the curve's end covers the whole follow-up, however sparse; one
    # whose last tick is within 1.5 of its own intervals of the end just stopped at a round tick
    ticks = np.diff(risk_time[inside])
    stretch = max(_TABLE_GAP * spacing, 1.5 * float(np.median(ticks)) if ticks.size >= 2 else 0.0)
    if t_end <= 0 or (risk_time > t_end).any() or t_end + spacing - last <= stretch:
        return risk_time, n_risk
    knots, uncensored = fit_uncensored(curve, int(n_risk[0]), censor_times, n_knots=n_times,
                                       median_follow_up=median_follow_up, known=(risk_time[inside], n_risk[inside]))
    new = knots[:-1] >= last + 0.5 * spacing
    if not new.any():
        return risk_time, n_risk
    grid = knots[:-1][new]
    last_count = int(n_risk[inside][-1])
    counts = np.round(n_risk[0] * _survival_before(curve, grid) * uncensored[:-1][new]).astype(int)
    counts = np.minimum.accumulate(np.clip(counts, 0, last_count))
    if notes is not None:
        notes.append(f"the at-risk table stops at {last:g}, well before the curve's end ({t_end:g}); estimated "
                     f"{grid.size} count(s) after it (at {', '.join(f'{x:.3g}' for x in grid)}) from the "
                     "curve's steps and marks, held to the published counts")
    times = np.r_[risk_time, grid]
    order = np.argsort(times, kind="stable")
    return times[order], np.r_[n_risk, counts][order]


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
    early = early_drops(height, at_least=3)
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
    elif kind != "whole events" and median_follow_up is None:
        # measured by bench/bench_random.py: the marks read count 0.3-0.95 of the censored
        note += ("; from a traced figure the events come out within 5% for about a third of arms "
                 "(median error 9%): the reported events (--events ARM=E), the median follow-up "
                 "(--median-follow-up T) or the at-risk table pin them")
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
