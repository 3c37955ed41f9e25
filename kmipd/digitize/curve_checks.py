"""Plausibility checks on the traced curves: their ends against the number-at-risk table, their
start, their shape, and curves that keep meeting (part of :mod:`kmipd.digitize.plausibility`).

Each check is a small pure function of one arm's curve (or of all curves) that returns zero or
more :class:`~kmipd.digitize.result.Doubt` records. The thresholds are named constants below,
deliberately loose: a doubt must be rare on a correct reading.
"""

from __future__ import annotations

import numpy as np

from kmipd.digitize.result import Doubt

__all__ = ["check_curve_ends", "check_curve_shape", "check_hidden_start", "check_hops", "check_seen",
           "check_start"]

# --- the start ----------------------------------------------------------------------------------
#: A curve that starts below this survival starts far below 1 (a calibration or tracing error;
#: curves from time 0 start at 1).
START_MIN = 0.9

# --- how much of the trace was seen -----------------------------------------------------------
#: An arm whose own ink shows in fewer than this share of its columns was mostly bridged: over
#: gaps its line style does not explain, under other curves, or across another curve's ink (a
#: dotted curve shows in about half of its columns; correct readings of overlapping arms go
#: below 0.4: on 500 random figures a 0.4 share doubted 29 right readings for 11 wrong ones).
MIN_SEEN = 0.3

# --- curve ends against the number-at-risk table ---------------------------------------------
#: An arm "ends early" when the table still counts at least this many patients at risk ...
END_MIN_AT_RISK = 5
#: ... at a time later than its last curve point by more than this fraction of the x axis span.
#: Patients at risk at a column's time have been followed that long, so the curve reaches the
#: column; tracing may lose its last pixels under a censor mark or the box edge.
END_GAP_FRACTION = 0.03
#: Where the table has nobody at risk, a curve may still fall, or go on, this much later (the
#: last events fall between two columns; the columns' times are rounded; software counts the
#: last column's patients differently).
LATE_FALL_FRACTION = 0.08
#: A curve "drops to 0" when its last survival is below this.
ZERO_SURVIVAL = 0.005
#: A final drop to 0 is implausible when, by the table, at least this many patients were still at
#: risk after the drop (all of them would have to have the event at the same moment).
ZERO_MIN_AT_RISK = 3
#: Without a table column after it: a final drop to 0 from at least this survival, that is also
#: at least :data:`ZERO_DROP_RATIO` times the largest earlier drop of the curve, is implausible
#: (the last patient's event is a drop of the size of the earlier ones, s / n_at_risk). A column
#: after the drop that counts nobody left allows it: the last few were censored before it.
ZERO_DROP_FROM = 0.15
ZERO_DROP_RATIO = 3.0

# --- curve shape ------------------------------------------------------------------------------
#: A traced curve that rises by more than this (survival) between two of its points has left its
#: own line (KM curves never rise; a pixel or two of trace noise stays well under it).
RISE_TOLERANCE = 0.04
#: Number of such rises that make the trace doubtful.
MAX_RISES = 1
#: A single drop of the curve is ``rel * n`` tied events (``rel`` the drop as a fraction of the
#: level before it, ``n`` the number at risk then, interpolated between the table's columns).
#: More than this many events at one moment is a jump between curves, not a step (ties in a
#: correct reading, months rounded or steps merged within a pixel, stay well below it) ...
MAX_TIED_EVENTS = 10
#: ... as is a drop of more than this fraction of those at risk that is at least
#: :data:`MIN_TIED_FOR_FRACTION` events (the last few patients may fall in large relative steps).
MAX_TIED_FRACTION = 0.3
MIN_TIED_FOR_FRACTION = 4
#: Only drops larger than this (survival) are judged: smaller ones, in a steep stretch of a large
#: trial, are many steps merged within a pixel and their "events at one moment" are overcounted.
MIN_JUDGED_DROP = 0.1
#: Without a table: a drop of at least :data:`LONE_DROP_MIN` that is more than
#: :data:`LONE_DROP_RATIO` times every other drop of the curve is a jump between curves (a
#: curve's drops are one event each, or a few: their sizes change slowly with the number at
#: risk; a large, scheduled-assessment drop of a PFS curve stays within a few times the others).
LONE_DROP_MIN = 0.15
LONE_DROP_RATIO = 6.0
#: ... or, as a share of the level before it, more than :data:`LONE_DROP_RATIO` times every
#: drop before it, of which there are at least this many, and more than this many times every
#: drop after it.
MIN_EARLIER_DROPS = 3
LATER_DROP_RATIO = 2.0
#: Drops closer together than this share of the time axis are one drop (a vertical traced over
#: a few pixel columns) ...
DROP_WINDOW = 0.008
#: ... when their sum is this many times the fall just before and just after them.
STAND_OUT = 2.0
#: Two arms "touch" where their survival differs by less than this; an arm that leaves and
#: rejoins another arm more than :data:`MAX_CROSSINGS` times, by more than :data:`CROSS_SEPARATION`
#: each time, hops between curves.
TOUCH = 0.01
CROSS_SEPARATION = 0.03
MAX_CROSSINGS = 12  # close correct curves (HR near 1) meet up to ~10 times over the grid
#: Two arms whose survival differs by less than :data:`DUPLICATE_MEAN` on average and less than
#: :data:`DUPLICATE_Q90` at 90% of the common times are one curve traced twice (a halo of a
#: compressed image, a confidence band), not two arms: two samples of patients differ by more.
DUPLICATE_MEAN = 0.008
DUPLICATE_Q90 = 0.02
#: Points of the common time grid for comparing arms.
GRID = 400
#: An arm that stops before this share of the longest arm's time, above this survival, was not
#: traced to its end (162 random figures: 4 such arms, all misread, ending at 0.3-0.85; an
#: observational stratum may end early near 0: larynx stage IV stops at 0.10).
SHORT_ARM_SHARE = 0.75
SHORT_ARM_LEVEL = 0.2


def _at_risk_at(risk: tuple[np.ndarray, np.ndarray], t: float) -> float:
    """Patients at risk at ``t`` by the table: at least the count of the first column after it."""
    times, n = risk
    after = n[times >= t - 1e-9]
    return float(after[0]) if len(after) else 0.0


def check_curve_ends(arm: str, t: np.ndarray, s: np.ndarray, risk: tuple[np.ndarray, np.ndarray] | None,
                     span: float) -> list[Doubt]:
    """A curve that stops while the table still counts patients, that still falls after the table
    has nobody at risk, or that drops to 0 at its end.

    Parameters
    ----------
    arm : str
        The arm's name.
    t, s : ndarray
        The curve's step points (time, survival), ordered by time, non-increasing.
    risk : (ndarray, ndarray) or None
        The arm's table columns (times, numbers at risk), ordered by time.
    span : float
        The x axis span (data units).

    Returns
    -------
    list of Doubt
    """
    out: list[Doubt] = []
    if len(t) == 0:
        return out
    end = float(t[-1])
    if risk is not None:
        times, n = risk
        late = (times > end + END_GAP_FRACTION * span) & (n >= END_MIN_AT_RISK)
        if late.any():
            k = int(np.flatnonzero(late)[-1])
            out.append(Doubt(arm, "ends_early", f"{arm}: the curve ends at {end:.3g} but the table has "
                                                f"{int(n[k])} at risk at {times[k]:.3g}: part of the "
                                                "curve was not traced."))
        gone = times[n <= 0]
        if len(gone) and len(s) >= 2:
            falls = t[1:][np.diff(s) < -ZERO_SURVIVAL]
            late_fall = falls[falls > gone[0] + LATE_FALL_FRACTION * span]
            if len(late_fall):
                out.append(Doubt(arm, "ends_late", f"{arm}: the table has nobody at risk from "
                                                   f"{gone[0]:.3g} but the curve still falls at "
                                                   f"{late_fall[-1]:.3g}: the table row or the curve "
                                                   "belongs to another arm."))
            elif end > gone[0] + LATE_FALL_FRACTION * span and s[-1] >= ZERO_SURVIVAL:
                # everyone left before that column: no one can carry the curve past it
                out.append(Doubt(arm, "ends_late", f"{arm}: the table has nobody at risk from "
                                                   f"{gone[0]:.3g} but the curve goes on to "
                                                   f"{end:.3g}: its end was traced along another "
                                                   "curve, or the table row belongs to another "
                                                   "arm."))
    if len(s) >= 2 and s[-1] < ZERO_SURVIVAL:
        prev = float(s[:-1][s[:-1] > ZERO_SURVIVAL][-1]) if (s[:-1] > ZERO_SURVIVAL).any() else 1.0
        drop_at = float(t[np.flatnonzero(s < ZERO_SURVIVAL)[0]])
        if risk is not None:
            remaining = _at_risk_at(risk, drop_at + 1e-6 * span)
            if remaining >= ZERO_MIN_AT_RISK:
                out.append(Doubt(arm, "drop_to_zero", f"{arm}: the curve drops to 0 at {drop_at:.3g} "
                                                      f"but the table has {int(remaining)} at risk after "
                                                      "that: the end was misread."))
                return out
            if (risk[0] >= drop_at).any():
                return out  # a column after the drop counts (almost) nobody left: it may fall to 0
        drops = -np.diff(s[s >= ZERO_SURVIVAL]) if (s >= ZERO_SURVIVAL).sum() > 1 else np.zeros(0)
        largest = float(drops.max()) if len(drops) else 0.0
        if prev >= ZERO_DROP_FROM and prev > ZERO_DROP_RATIO * largest:
            out.append(Doubt(arm, "drop_to_zero", f"{arm}: the curve falls from {prev:.2f} to 0 in one "
                                                  f"step at {drop_at:.3g}, far more than any of its "
                                                  "earlier steps: the end was misread."))
    return out


#: An arm whose own line first shows this far (share of the plot's width) right of the common
#: start was guessed before it: it was taken to run under the nearest curve above.
MAX_HIDDEN_START = 0.25


def check_hidden_start(arm: str, hidden: float) -> list[Doubt]:
    """An arm whose own line first shows far right of the curves' common start (``hidden``:
    :attr:`~kmipd.digitize.result.ArmTrace.hidden_start`)."""
    if not hidden > MAX_HIDDEN_START:
        return []
    return [Doubt(arm, "hidden_start", f"{arm}: its own line first shows {hidden:.0%} of the plot's "
                                       "width from the start; before that it was taken to run under "
                                       "another curve.")]


def check_seen(arm: str, seen: float) -> list[Doubt]:
    """An arm traced mostly where its own ink does not show (``seen``: the share of its columns
    where it does, :attr:`~kmipd.digitize.result.ArmTrace.confidence`)."""
    if seen >= MIN_SEEN:
        return []
    return [Doubt(arm, "unseen", f"{arm}: its own line shows in only {seen:.0%} of the curve's "
                                 "width; the rest was bridged and may follow another curve.")]


#: An arm falling at least this much (survival) where text hides it was guessed there.
UNDER_TEXT_FALL = 0.1


def check_under_text(arm: str, hidden: list[tuple[float, float, float, float]]) -> list[Doubt]:
    """An arm that falls far where text drawn over the plot hides it (``hidden``: ``(t_first,
    t_end, s_before, s_after)`` in data units): the time of that fall was guessed."""
    falls = [h for h in hidden if h[2] - h[3] >= UNDER_TEXT_FALL]
    if not falls:
        return []
    t0, t1, s0, s1 = max(falls, key=lambda h: h[2] - h[3])
    return [Doubt(arm, "under_text", f"{arm}: text over the plot hides the curve from {t0:.3g} to "
                                     f"{t1:.3g}, where it falls from {s0:.2f} to {s1:.2f}: when it "
                                     "fell there was guessed.")]


#: A black or grey arm whose shade changes this much (0-255) along its trace hopped onto
#: another arm's line (:func:`kmipd.digitize.curves.shade.shade_change`).
SHADE_HOP = 100.0


def check_shade(arm: str, change: float) -> list[Doubt]:
    """A black or grey arm whose line changes shade along its trace (``change``, 0-255)."""
    if not change >= SHADE_HOP:
        return []
    return [Doubt(arm, "shade", f"{arm}: its line changes shade along the curve (by {change:.0f} "
                                "of 255): the trace went on along another arm's line.")]


def check_start(arm: str, s: np.ndarray) -> list[Doubt]:
    """A curve that starts far below survival 1 (:data:`START_MIN`).

    Parameters
    ----------
    arm : str
        The arm's name.
    s : ndarray
        The curve's survival, from its first point.

    Returns
    -------
    list of Doubt
    """
    if len(s) and s[0] < START_MIN:
        return [Doubt(arm, "start", f"{arm}: the curve starts at survival {s[0]:.2f}, not 1: the y axis "
                                    "or the start of the curve was misread.")]
    return []


def check_curve_shape(arm: str, t: np.ndarray, s: np.ndarray,
                      risk: tuple[np.ndarray, np.ndarray] | None = None) -> list[Doubt]:
    """A trace that rises, or drops by more than the table's numbers at risk allow in one step.

    Parameters
    ----------
    arm : str
        The arm's name.
    t, s : ndarray
        The traced points (time, survival) ordered by time, as traced (not made monotone).
    risk : (ndarray, ndarray), optional
        The arm's table columns (times, numbers at risk).

    Returns
    -------
    list of Doubt
    """
    out: list[Doubt] = []
    if len(s) < 2:
        return out
    level = np.minimum.accumulate(s)
    rises = int(np.sum((s[1:] - level[:-1] > RISE_TOLERANCE) & (s[:-1] - level[:-1] <= RISE_TOLERANCE)))
    if rises > MAX_RISES:
        out.append(Doubt(arm, "rises", f"{arm}: the traced curve rises {rises} times by more than "
                                       f"{RISE_TOLERANCE:g}: the trace left its line (another curve?)."))
    drop = level[:-1] - level[1:]
    if risk is None and len(drop) >= 3:
        i = int(np.argmax(drop))
        others = np.delete(drop, i)
        if drop[i] >= LONE_DROP_MIN and drop[i] > LONE_DROP_RATIO * max(others.max(), 1e-9) \
                and level[i + 1] > ZERO_SURVIVAL:
            out.append(Doubt(arm, "jump", f"{arm}: a drop of {drop[i]:.2f} at {t[i + 1]:.3g} is "
                                          f"{drop[i] / max(others.max(), 1e-9):.0f} times any other "
                                          "drop of the curve: the trace jumped between curves."))
        elif (ratio := _lone_relative_drop(level, drop)) is not None:
            i, times = ratio
            out.append(Doubt(arm, "jump", f"{arm}: a drop of {drop[i]:.2f} at {t[i + 1]:.3g} is "
                                          f"{times:.0f} times, as a share of those left, any drop "
                                          "before it: the trace jumped between curves."))
    if risk is not None:
        # a vertical drawn over two or three pixel columns is traced as several smaller drops
        start, drop = _merged_drops(t, level)
        for i in np.flatnonzero(drop > MIN_JUDGED_DROP):
            if start[i] < i and not _stands_out(t, level, start[i], i):
                continue  # several steps of a steep stretch, not one vertical
            rel = drop[i] / max(level[start[i]], 1e-9)
            events = rel * float(np.interp(t[i + 1], *risk))
            if events > MAX_TIED_EVENTS or (rel > MAX_TIED_FRACTION and events >= MIN_TIED_FOR_FRACTION):
                out.append(Doubt(arm, "jump", f"{arm}: a drop of {drop[i]:.2f} at {t[i + 1]:.3g} would be "
                                              f"{events:.0f} events at one moment ({100 * rel:.0f}% of those "
                                              "at risk): the trace jumped between curves."))
                break
    return out


def _lone_relative_drop(level: np.ndarray, drop: np.ndarray) -> tuple[int, float] | None:
    """The drop (its index and how many times the largest before it) that, as a share of the
    level before it, is over :data:`LONE_DROP_RATIO` times every earlier drop, and over
    :data:`LATER_DROP_RATIO` times every later one; None if none.

    One event is a share 1/n of those at risk, and n only falls: earlier drops are no larger a
    share than later ones of the same number of events. The tail's large steps (few left) come
    after, so they do not hide a jump in the body of the curve the way they do in the plain
    comparison with every other drop. A PFS curve's first scan after a few early deaths drops
    far more than they did, but its next scans drop about as much again.
    """
    rel = drop / np.maximum(level[:-1], 1e-9)
    steps = np.flatnonzero(drop > 0)
    for k, i in enumerate(steps):
        if k < MIN_EARLIER_DROPS or drop[i] < LONE_DROP_MIN or level[i + 1] <= ZERO_SURVIVAL:
            continue
        before = float(rel[steps[:k]].max())
        after = float(drop[i + 1:].max()) if i + 1 < len(drop) else 0.0
        if rel[i] > LONE_DROP_RATIO * before and drop[i] > LATER_DROP_RATIO * after:
            return int(i), float(rel[i] / before)
    return None


def _merged_drops(t: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point's drop, summed with the drops just before it within :data:`DROP_WINDOW` of
    the time axis: ``(index of the level the drop starts from, drop)`` for each step ``i`` (from
    point ``i`` to ``i + 1``)."""
    window = DROP_WINDOW * max(float(t[-1] - t[0]), 1e-12)
    start = np.searchsorted(t, t[1:] - window, side="left")
    start = np.minimum(start, np.arange(len(t) - 1))
    return start, level[start] - level[1:]


def _stands_out(t: np.ndarray, level: np.ndarray, first: int, i: int) -> bool:
    """Does the fall from point ``first`` to ``i + 1`` stand out from the curve's fall over as
    long a stretch just before and just after it (a vertical, not a steep stretch)?"""
    span = max(float(t[i + 1] - t[first]), DROP_WINDOW * float(t[-1] - t[0]))
    fall = level[first] - level[i + 1]
    before = level[np.searchsorted(t, t[first] - span, side="left")] - level[first]
    after = level[i + 1] - level[min(np.searchsorted(t, t[i + 1] + span, side="right"), len(t)) - 1]
    return fall > STAND_OUT * max(before, after, 0.0)


def check_hops(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[Doubt]:
    """An arm that leaves and rejoins another one many times (the trace hops between curves), or
    that lies on another one everywhere (one curve traced twice).

    Parameters
    ----------
    curves : dict of str -> (ndarray, ndarray)
        Each arm's step points (time, survival), ordered by time.

    Returns
    -------
    list of Doubt
    """
    out: list[Doubt] = []
    names = list(curves)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ta, sa = curves[a]
            tb, sb = curves[b]
            lo, hi = max(ta[0], tb[0]), min(ta[-1], tb[-1])
            if hi <= lo or len(ta) < 2 or len(tb) < 2:
                continue
            grid = np.linspace(lo, hi, GRID)
            d = _step_at(ta, sa, grid) - _step_at(tb, sb, grid)
            if np.mean(np.abs(d)) < DUPLICATE_MEAN and np.quantile(np.abs(d), 0.9) < DUPLICATE_Q90:
                out.append(Doubt(b, "duplicate", f"{b}: the curve lies on {a} almost everywhere: one "
                                                 "curve was traced twice; give --arms."))
                continue
            n = _rejoins(d)
            if n > MAX_CROSSINGS:
                out.append(Doubt(a, "hops", f"{a}: the curve meets {b} {n} times after leaving it: "
                                            "the trace hops between the two curves."))
    return out


def check_short_arms(curves: dict[str, tuple[np.ndarray, np.ndarray]],
                     doubted: set[str] = frozenset()) -> list[Doubt]:
    """Arms whose trace stops well before the others' while well above 0. The arms of one trial
    share its follow-up: the rest of that curve was lost under another curve, or the longer
    trace ran on past its own end (a label at the curve's end traced as the curve).

    Parameters
    ----------
    curves : dict of str -> (ndarray, ndarray)
        Each arm's step points (time, survival), ordered by time.
    doubted : set of str
        Arms already doubted for ending early (by the table): not doubted twice.

    Returns
    -------
    list of Doubt
    """
    ends = {a: float(t[-1]) for a, (t, s) in curves.items() if len(t)}
    if len(ends) < 2:
        return []
    far = max(ends.values())
    return [Doubt(a, "ends_early", f"{a}: the curve stops at {ends[a]:.3g}, at survival "
                                   f"{curves[a][1][-1]:.2f}, where another goes on to {far:.3g}: the "
                                   "rest of it was not traced, or the longer trace ran on past its "
                                   "curve's end (into a label).")
            for a in ends if a not in doubted and ends[a] < SHORT_ARM_SHARE * far
            and curves[a][1][-1] > SHORT_ARM_LEVEL]


def _step_at(t: np.ndarray, s: np.ndarray, grid: np.ndarray) -> np.ndarray:
    i = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, len(s) - 1)
    return s[i]


def _rejoins(d: np.ndarray) -> int:
    """How often a difference of two curves returns to 0 (within :data:`TOUCH`) or changes sign,
    after having been at least :data:`CROSS_SEPARATION` away."""
    count, away, sign = 0, False, 0
    for v in d:
        if abs(v) >= CROSS_SEPARATION:
            if away and np.sign(v) != sign:
                count += 1
            away, sign = True, int(np.sign(v))
        elif abs(v) < TOUCH and away:
            count += 1
            away = False
    return count
