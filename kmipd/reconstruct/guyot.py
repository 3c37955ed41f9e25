"""The iterative reconstruction of Guyot, Ades, Ouwens & Welton (BMC Med Res Methodol 2012;12:9).

Per interval between two published numbers at risk, censoring is spread evenly in time and the
number censored is adjusted until the reconstructed number at risk at the start of the next
interval equals the published one; events come from the survival drops, relative to the last
reconstructed drop so that rounding does not accumulate. The last interval takes the censoring
rate of the earlier ones; a reported total number of events, when given, fixes the censoring of
the last interval (or of the only one when there is no table).

Departures from the published R code, each because it measurably lowers the error or removes a
failure (see ``bench/bench_reconstruct.py``):

- a curve point is inserted at every at-risk time, so every interval holds points (the R code
  needs the user to have clicked there, and fails otherwise);
- the adjustment loops are capped and keep their best iterate (the R loops can oscillate forever);
- censored patients get the evenly spread times themselves (or the figure's censor marks when
  given) instead of the midpoint between two digitized points, so censoring is not bunched;
- numbers at risk and events are clipped so that no count goes negative;
- each interval's censorings are then moved to where the step heights put them
  (:mod:`kmipd.reconstruct.refine`), which cuts the curve and hazard-ratio errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kmipd.reconstruct.refine import refit_at_risk

_MAX_ITER = 100


@dataclass
class GuyotResult:
    """Events and censorings rebuilt for one arm."""

    event_times: np.ndarray
    censor_times: np.ndarray
    n_hat: np.ndarray  # reconstructed number at risk at each curve point
    km_hat: np.ndarray  # reconstructed KM at each curve point
    notes: list[str] = field(default_factory=list)

    @property
    def n_events(self) -> int:
        return int(self.event_times.size)

    @property
    def n_patients(self) -> int:
        return int(self.event_times.size + self.censor_times.size)


def insert_points(time: np.ndarray, survival: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Add step-curve points at times ``at`` (within the curve's range) where none exist."""
    at = np.asarray(at, dtype=float)
    new = at[(at <= time[-1]) & ~np.isin(at, time)]
    if new.size == 0:
        return time, survival
    s_new = survival[np.searchsorted(time, new, side="right") - 1]
    t = np.r_[time, new]
    s = np.r_[survival, s_new]
    order = np.lexsort((-s, t))
    return t[order], s[order]


#: A curve that stops this share of its time axis or less before a tick that still counts
#: patients at risk is carried on flat to it; further back, drops were lost with the end.
CARRY_SHARE = 0.05


def _carried_to_the_table(time: np.ndarray, survival: np.ndarray, risk_time: np.ndarray,
                          n_risk: np.ndarray, notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The curve carried on flat to the table's last tick that still counts patients at risk.

    Someone at risk at a tick is followed to it: the curve reaches it, whatever the trace
    shows (its end hidden under another curve's last drop, or a reading stopped a little early),
    when it stops within :data:`CARRY_SHARE` of the time axis before the tick. Without
    the tick, the patients who leave before it stay at risk to the curve's end, and its last
    drop takes too many events (seed 2026 figure 225: 2 events of 8 at risk for 1 of 4).
    """
    late = (risk_time > time[-1]) & (n_risk > 0)
    if not late.any():
        return time, survival
    t_last = float(risk_time[late].max())
    if t_last - time[-1] > CARRY_SHARE * (t_last - time[0]):
        return time, survival  # a curve cut well short: its lost drops are unknown
    notes.append(f"the curve ends at {time[-1]:g} but the table counts {int(n_risk[late][-1])} at "
                 f"risk at {t_last:g}: the curve was carried on flat to {t_last:g}")
    return np.r_[time, t_last], np.r_[survival, survival[-1]]


def _within_curve(risk_time: np.ndarray, n_risk: np.ndarray, t_end: float, notes: list[str]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The table's ticks up to the curve's end.

    A table runs on to the axis' end, past the last patient: its ticks after the end are
    dropped; non-zero ones with a note, as they disagree with the curve.
    """
    after = risk_time > t_end
    if (n_risk[after] > 0).any():
        notes.append(f"ignored {int((n_risk[after] > 0).sum())} at-risk count(s) after the end of the curve")
    return risk_time[~after], n_risk[~after]


def _spread(lo: float, hi: float, count: int, marks: np.ndarray | None) -> np.ndarray:
    """``count`` censoring times in [lo, hi): the censor marks there first, then evenly spread."""
    if count <= 0:
        return np.zeros(0)
    chosen = np.zeros(0)
    if marks is not None and marks.size:
        inside = marks[(marks >= lo) & (marks < hi)]
        if inside.size >= count:
            pick = np.unique(np.round(np.linspace(0, inside.size - 1, count)).astype(int))
            chosen = inside[pick]
            # np.unique may merge picks when count is close to inside.size; fill in order.
            if chosen.size < count:
                rest = np.setdiff1d(np.arange(inside.size), pick)[: count - chosen.size]
                chosen = np.sort(np.r_[chosen, inside[rest]])
            return chosen
        chosen = inside
    rest = count - chosen.size
    even = lo + np.arange(1, rest + 1) * (hi - lo) / (rest + 1)
    return np.sort(np.r_[chosen, even])


class _Arm:
    """Working arrays of the iteration (0-based translation of the published R code)."""

    def __init__(self, t: np.ndarray, s: np.ndarray, n0: int, marks: np.ndarray | None):
        self.t, self.s, self.marks = t, s, marks
        m = t.size
        self.d = np.zeros(m, dtype=int)
        self.cen = np.zeros(m, dtype=int)
        self.n_hat = np.full(m + 1, n0, dtype=int)
        self.km = np.ones(m)
        self.cen_times: dict[int, np.ndarray] = {}

    def place_censoring(self, i: int, lo: int, edge: int, count: int) -> None:
        """Spread ``count`` censorings over curve points lo..edge-1 (bins [t[k], t[k+1]))."""
        self.cen[lo:edge] = 0
        times = _spread(self.t[lo], self.t[edge], count, self.marks) if edge > lo else np.zeros(0)
        if times.size:
            bins = np.clip(np.searchsorted(self.t[lo : edge + 1], times, side="right") - 1, 0, edge - lo - 1)
            np.add.at(self.cen, lo + bins, 1)
        self.cen_times[i] = times

    def run(self, lo: int, hi: int, n_start: int, last: int, first: bool) -> int:
        """Events and numbers at risk over points lo..hi; returns the index of the last drop."""
        self.n_hat[lo] = n_start
        for k in range(lo, hi + 1):
            n = self.n_hat[k]
            if first and k == lo:
                self.d[k], self.km[k] = 0, 1.0
            else:
                ref = self.km[last]
                d = int(round(n * (1.0 - self.s[k] / ref))) if ref > 0 and n > 0 else 0
                d = min(max(d, 0), n)
                self.d[k] = d
                self.km[k] = ref * (1.0 - d / n) if n > 0 else ref
            nxt = n - self.d[k] - self.cen[k]
            if nxt < 0:
                self.cen[k] = n - self.d[k]
                nxt = 0
            self.n_hat[k + 1] = nxt
            if self.d[k] != 0:
                last = k
        return last


def guyot(
    time: np.ndarray,
    survival: np.ndarray,
    risk_time: np.ndarray,
    n_risk: np.ndarray,
    total_events: int | None = None,
    censor_times: np.ndarray | None = None,
    *,
    refine: bool = True,
    noise_sd: float = 0.003,
) -> GuyotResult:
    """Rebuild one arm's events and censorings from its curve and numbers at risk.

    Parameters
    ----------
    time, survival : ndarray
        Cleaned curve (see :func:`kmipd.reconstruct.clean.clean_curve`): ascending times from 0,
        non-increasing survival from 1.
    risk_time, n_risk : ndarray
        Published numbers at risk; ``risk_time[0]`` must be 0 (``n_risk[0]`` is the arm's N).
        With only N, pass ``[0], [N]``.
    total_events : int, optional
        Reported total number of events; fixes the censoring in the last interval.
    censor_times : ndarray, optional
        Times of censor marks read from the figure; used as censoring times where they fall.
    refine : bool
        Move each interval's censorings to where the step heights put them
        (:mod:`kmipd.reconstruct.refine`), and keep the curve's last drop from taking a crowd
        (:func:`_few_at_the_final_drop`); False gives the published algorithm.
    noise_sd : float
        Digitization noise in survival units, for the refinement's weights.

    Returns
    -------
    GuyotResult
    """
    risk_time = np.asarray(risk_time, dtype=float)
    n_risk = np.asarray(n_risk, dtype=int).copy()
    notes: list[str] = []
    time, survival = np.asarray(time, float), np.asarray(survival, float)
    time, survival = _carried_to_the_table(time, survival, risk_time, n_risk, notes)
    # a table that empties after the curve's end: everyone has left by the end of the curve
    emptied = bool(((risk_time > time[-1]) & (n_risk == 0)).any())
    risk_time, n_risk = _within_curve(risk_time, n_risk, float(time[-1]), notes)
    t, s = insert_points(time, survival, risk_time)
    marks = None if censor_times is None else np.sort(np.asarray(censor_times, float))
    n_int = risk_time.size
    lower = np.searchsorted(t, risk_time, side="left")
    upper = np.r_[lower[1:] - 1, t.size - 1]
    arm = _Arm(t, s, int(n_risk[0]), marks)
    last_i = np.zeros(n_int, dtype=int)

    for i in range(n_int - 1):
        lo, hi, nxt = lower[i], upper[i], lower[i + 1]
        ratio = s[nxt] / s[lo] if s[lo] > 0 else 0.0
        n_censor = int(round(n_risk[i] * ratio - n_risk[i + 1]))
        best: tuple[int, int] | None = None  # (|mismatch|, n_censor)
        for _ in range(_MAX_ITER):
            n_censor = max(n_censor, 0)
            arm.place_censoring(i, lo, nxt, n_censor)
            last = arm.run(lo, hi, int(n_risk[i]), last_i[i], first=(i == 0))
            mismatch = int(arm.n_hat[nxt] - n_risk[i + 1])
            if best is None or abs(mismatch) < best[0]:
                best = (abs(mismatch), n_censor)
            if not (mismatch > 0 or (mismatch < 0 and n_censor > 0)):
                break
            n_censor += mismatch
        else:
            notes.append(f"interval {i + 1}: censoring adjustment did not settle; kept the closest")
            arm.place_censoring(i, lo, nxt, best[1])
            last = arm.run(lo, hi, int(n_risk[i]), last_i[i], first=(i == 0))
        if arm.n_hat[nxt] < n_risk[i + 1]:
            # The curve drops more than the table allows: fewer can be at risk than printed.
            n_risk[i + 1] = arm.n_hat[nxt]
        last_i[i + 1] = last

    # The last interval: the censoring rate of the earlier intervals, in censorings per unit time.
    i = n_int - 1
    lo, hi = lower[i], upper[i]
    if n_int > 1 and t[upper[i - 1]] > t[lower[0]]:
        censored_before = int(arm.cen[: lower[i]].sum())
        rate = censored_before / (t[upper[i - 1]] - t[lower[0]])
        n_censor = min(int(round(rate * (t[hi] - t[lo]))), int(n_risk[i]))
        # each drop of the last stretch needs a patient still there: a small table's last count
        # (2 at risk, then two drops to 0) must not be censored away before its events
        steps = s[lo + 1:hi + 1] < s[lo:hi] * (1.0 - 0.5 / max(int(n_risk[i]), 1))
        n_censor = max(0, min(n_censor, int(n_risk[i]) - int(steps.sum())))
    else:
        n_censor = 0
    arm.place_censoring(i, lo, hi, n_censor)
    arm.run(lo, hi, int(n_risk[i]), last_i[i], first=(n_int == 1))
    if emptied and n_int > 1 and total_events is None:
        n_censor = _empty_by_the_end(arm, i, lo, hi, int(n_risk[i]), last_i[i], n_censor)
    if total_events is None and refine:
        _few_at_the_final_drop(arm, i, lo, hi, int(n_risk[i]), last_i[i], n_censor, n_int == 1)

    if total_events is not None:
        _fit_total_events(arm, i, lo, hi, int(n_risk[i]), last_i[i], n_int, int(total_events), n_censor, notes)

    event_times = np.repeat(t, arm.d)
    pieces = []
    for j in range(n_int):
        refined = None
        if refine and marks is None and not (j == n_int - 1 and total_events is not None):
            edge = lower[j + 1] if j < n_int - 1 else t.size - 1
            n_end = int(n_risk[j + 1]) if j < n_int - 1 else None
            refined = _refined_censoring(arm, lower[j], upper[j], edge, int(arm.n_hat[lower[j]]), n_end, noise_sd)
        if refined is None:
            lo, hi = lower[j], (lower[j + 1] if j < n_int - 1 else t.size)
            refined = _match_counts(arm.cen_times.get(j, np.zeros(0)), arm.cen[lo:hi], t[lo:])
        pieces.append(refined)
    censor_all = np.concatenate(pieces) if pieces else np.zeros(0)
    remaining = int(n_risk[0]) - event_times.size - censor_all.size
    if remaining < 0:
        notes.append("more events and censorings than patients; dropped the excess censorings")
        censor_all = np.sort(censor_all)[: max(censor_all.size + remaining, 0)]
        remaining = 0
    censor_all = np.r_[censor_all, np.full(remaining, t[-1])]
    return GuyotResult(event_times, np.sort(censor_all), arm.n_hat[:-1].copy(), arm.km.copy(), notes)


def _refined_censoring(arm: _Arm, lo: int, hi: int, edge: int, n_start: int, n_end: int | None,
                       noise_sd: float) -> np.ndarray | None:
    """Censoring times of one interval after :func:`~kmipd.reconstruct.refine.refit_at_risk`."""
    drops = np.array([k for k in range(max(lo, 1), hi + 1) if arm.d[k] > 0], dtype=int)
    if drops.size == 0:
        return None
    t, s, d = arm.t, arm.s, arm.d
    prev = s[drops - 1]
    rel = np.where(prev > 0, 1.0 - s[drops] / np.maximum(prev, 1e-12), 0.0)
    n_at = refit_at_risk(n_start, n_end, d[drops], rel, prev, arm.n_hat[drops], noise_sd)
    # censored in each gap: before the first drop, between drops, after the last drop
    after = n_at - d[drops]
    counts = np.r_[n_start - n_at[0], after[:-1] - n_at[1:]]
    starts = np.r_[t[lo], t[drops[:-1]]]
    ends = t[drops]
    if n_end is not None:
        tail = after[-1] - n_end
    else:  # last interval: keep Guyot's censoring after the last drop
        tail = min(int(arm.cen[drops[-1] : edge].sum()), int(after[-1]))
    counts = np.r_[counts, tail]
    starts = np.r_[starts, t[drops[-1]]]
    ends = np.r_[ends, t[edge]]
    if (counts < 0).any():
        return None
    return np.concatenate([_spread(a, b, int(c), None) for a, b, c in zip(starts, ends, counts)])


#: The last interval's censoring is spread when at least this many censor marks lie in it ...
_MIN_SPREAD_MARKS = 3
#: ... and half of them in its first this share (not bunched at the curve's end).
_LATE_MARKS = 0.8


def _empty_by_the_end(arm: _Arm, i: int, lo: int, hi: int, n_start: int, last: int,
                      n_censor: int) -> int:
    """Spread the last interval's censoring so that nobody is left at the curve's end.

    The table counts no one at risk after the curve's end: those at risk at its last count
    leave by the end of the curve, by an event or by censoring across the interval (follow-up
    ends at staggered dates), not all at its last point. Fewer at risk late on means the same
    drops hold fewer events. The censoring count is raised until events and censorings account
    for everyone (a fixed point: fewer events leave more to censor). Only the figure's censor
    marks tell staggered censoring from follow-up that ended together at the curve's end
    (everyone still there censored at week 52): without marks across the interval, Guyot's
    censoring stands.
    """
    span = arm.t[hi] - arm.t[lo]
    marks = np.zeros(0) if arm.marks is None else arm.marks[(arm.marks >= arm.t[lo]) & (arm.marks <= arm.t[hi])]
    if marks.size < _MIN_SPREAD_MARKS or np.median(marks) > arm.t[lo] + _LATE_MARKS * span:
        return n_censor  # no marks, or marks at the end: the follow-up may have ended together
    for _ in range(_MAX_ITER):
        events = int(arm.d[lo + 1 : hi + 1].sum())
        # the last point keeps one patient (its event, or the last censoring) at the end
        wanted = max(n_censor, n_start - events - 1)
        if wanted == n_censor:
            break
        n_censor = wanted
        arm.place_censoring(i, lo, hi, n_censor)
        arm.run(lo, hi, n_start, last, first=False)
    return n_censor


#: A curve's last drop is a crowd kept at risk too long when it holds more than this many
#: events and ...
_CROWD_MIN = 4
#: ... more than this many times the largest other drop of its interval.
_CROWD_RATIO = 3
#: A curve's events come one at a time when its drops hold fewer than this many on average; its
#: drop to 0 then holds no more than the largest other drop of the interval (a drop to 0 says
#: nothing of how many were left: its height is all of what remains).
_UNTIED_MEAN = 1.2
#: A last drop to below this share of the survival before it is a drop to 0 read a little short
#: (a label at the curve's end hides its foot).
_NEAR_ZERO = 0.1


def _few_at_the_final_drop(arm: _Arm, i: int, lo: int, hi: int, n_start: int, last: int,
                           n_censor: int, first: bool) -> None:
    """The curve's last drop takes a few patients, not a crowd: raise the last interval's
    censoring until that drop holds no more events than the largest other drop of the interval
    (at least one), when it holds far more.

    Guyot's rule keeps at risk whoever the censoring rate of the earlier intervals leaves there,
    and the last drop then takes its share of them all: a drop to 0 took 38 events at one time
    where one patient had an event and the rest had been censored along the way. Events of a
    continuous time are rarely tied, and the last drop of a curve is where the fewest are at
    risk: a last drop holding more events than any other says too many were kept at risk.
    """
    drops = lo + 1 + np.flatnonzero(arm.d[lo + 1:hi + 1] > 0)
    if drops.size == 0:
        return
    k = int(drops[-1])
    keep = max(1, int(arm.d[drops[:-1]].max()) if drops.size > 1 else 1)
    earlier = arm.d[1:k][arm.d[1:k] > 0]
    to_zero = arm.s[k] <= _NEAR_ZERO * arm.s[max(k - 1, 0)]  # 0, or a pixel or two above it
    if to_zero and earlier.size and earlier.mean() < _UNTIED_MEAN:
        crowd = keep  # a drop to 0 of a curve whose events come one at a time: no tie is implied
    else:
        crowd = max(_CROWD_MIN, _CROWD_RATIO * keep)
    if arm.d[k] <= crowd:
        return  # ties of a coarse time scale (4 events in week 52, 1-2 in the weeks before)

    def last_drop_with(count: int) -> int:
        arm.place_censoring(i, lo, hi, count)
        arm.run(lo, hi, n_start, last, first=first)
        return int(arm.d[k])

    low, high = n_censor, n_censor
    while arm.d[k] > keep and high < n_start:  # double the censoring until the drop is small
        low, high = high, min(n_start, max(2 * high, high + 1))
        last_drop_with(high)
    if arm.d[k] > keep:  # even with everyone censored along the way: leave Guyot's reading
        last_drop_with(n_censor)
        return
    while high - low > 1:  # the least censoring that makes the last drop small
        mid = (low + high) // 2
        low, high = (low, mid) if last_drop_with(mid) <= keep else (mid, high)
    last_drop_with(high)


def _fit_total_events(arm: _Arm, i, lo, hi, n_start, last, n_int, total, n_censor, notes) -> None:
    """Adjust the last interval's censoring until the total number of events matches."""
    first = n_int == 1
    if n_int > 1:
        before = int(arm.d[:lo].sum())
        if before >= total:
            arm.d[lo : hi + 1] = 0
            arm.cen[lo:hi] = 0
            arm.cen_times[i] = np.zeros(0)
            arm.n_hat[lo + 1 : hi + 2] = n_start
            if before > total:
                notes.append(f"the curve before the last at-risk time already shows {before} events, more than the {total} reported")
            return
    best: tuple[int, int] | None = None
    for _ in range(_MAX_ITER):
        total_now = int(arm.d[: hi + 1].sum())
        diff = total_now - total
        if best is None or abs(diff) < best[0]:
            best = (abs(diff), n_censor)
        if not (diff > 0 or (diff < 0 and n_censor > 0)):
            break
        n_censor = max(n_censor + diff, 0)
        arm.place_censoring(i, lo, hi, n_censor)
        arm.run(lo, hi, n_start, last, first)
    else:
        arm.place_censoring(i, lo, hi, best[1])
        arm.run(lo, hi, n_start, last, first)
    got = int(arm.d[: hi + 1].sum())
    if got != total:
        notes.append(f"rebuilt {got} events; the reported total of {total} cannot be matched by censoring alone")


def _match_counts(times: np.ndarray, cen: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Censoring times consistent with the per-point counts ``cen`` (which clipping may lower).

    ``cen[j]`` counts censorings in [t[j], t[j+1]); ``t`` starts at the same point as ``cen``.
    """
    if times.size == cen.sum():
        return times
    out = []
    bins = np.clip(np.searchsorted(t, times, side="right") - 1, 0, t.size - 1)
    for k in np.flatnonzero(cen):
        mine = times[bins == k][: cen[k]]
        if mine.size < cen[k]:
            hi = t[k + 1] if k + 1 < t.size else t[k]
            mine = np.r_[mine, _spread(t[k], hi, int(cen[k] - mine.size), None)]
        out.append(mine)
    return np.concatenate(out) if out else np.zeros(0)
