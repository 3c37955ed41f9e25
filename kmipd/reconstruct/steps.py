"""The drops of a cleaned curve, and which of them measure a number at risk.

A drop of ``d`` events among ``n`` at risk is ``d / n`` of ``S(t-)``. On exact coordinates (and
clean vector drawings) the drops are whole numbers of events; on points clicked at the corners
every drop counts once the cleaning has averaged their noise; on a traced pixel staircase only
the drops of two pixels or more do. :mod:`kmipd.reconstruct.at_risk_model` reads the numbers at
risk from them.
"""

from __future__ import annotations

import numpy as np

from kmipd.reconstruct.clean import CleanCurve

_MIN_STEP = 0.005  # a resolved step: two pixels or more on a typical plot
_MERGE_FRACTION = 0.004  # drops closer in time than this share of the curve are one step
_WHOLE_EVENTS_TOL = 0.1  # median distance of early drops from whole events
_WHOLE_SHARE = 0.4  # share of drops that are S(t-)/n for a whole n (6% by chance)
_EARLY_FALL = 0.15  # the first drops, before much censoring: the curve's first 15% of fall


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


def early_drops(height: np.ndarray, at_least: int = 0) -> np.ndarray:
    """Mask of the first drops (heights in time order), while the curve has fallen at most
    :data:`_EARLY_FALL`, and at least the first ``at_least`` of them: before much censoring,
    where a drop of ``d`` events is ``d / N`` high."""
    early = np.cumsum(height) <= _EARLY_FALL
    early[: min(at_least, early.size)] = True
    return early


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
    early = early_drops(height)
    if early.sum() < 3:
        return False
    d = height[early] * n  # d events among N S(t-) at risk, before any censoring
    return bool(np.median(np.abs(d - np.round(d))) < _WHOLE_EVENTS_TOL and np.all(d > 0.5))
