"""Emulate an earlier data cut of IPD, to check it against a report made at shorter follow-up.

A trial is often reported several times: an interim analysis, the primary paper, an update. IPD
rebuilt from the latest figure holds more follow-up than an earlier report saw, so its medians,
landmarks and event counts need not match that report even when the reconstruction is perfect.
:func:`emulate_data_cut` turns the IPD back into the data an earlier cut would have held, under
two assumptions stated in every output:

* **uniform accrual and administrative censoring**: each patient has a *potential follow-up*
  (the time from randomisation to the IPD's data cut); an earlier cut ``delta`` months before
  sees ``potential - delta`` months of it, and a patient whose ``potential - delta <= 0`` had not
  been randomised yet;
* censored patients were censored by the data cut (their censoring time *is* their potential
  follow-up); losses to follow-up are not told apart, so they are treated the same way.

The potential follow-up of a patient with an event is not observed. It is imputed from the
reverse Kaplan-Meier estimate ``G`` of the censoring distribution (lifelines), conditional on
exceeding the event time: the patient gets the ``q``-quantile of ``G(u) / G(t)``, ``u > t``, the
levels ``q`` running through a golden-ratio sequence over the events sorted by time, so that
they spread evenly over (0, 1) and the result is deterministic (and independent of row order).
Imputations beyond the last observed time are put at that time.

``delta`` is then found by root finding so that the median follow-up of the cut data (reverse
Kaplan-Meier, as ``kmipd.validate`` computes it) equals the report's. In small trials that median
jumps back and forth as ``delta`` moves (the reverse KM sits on plateaus near 50%), so the root
is found on the reverse KM with its steps joined corner to corner, which moves continuously: the
smallest root, bracketed by a scan over a fixed grid (the median follow-up is not monotone in
``delta``: when many patients drop out it can rise again) and refined with
:func:`scipy.optimize.brentq`. Within three grid steps (1.5% of the longest potential follow-up)
of that root, the ``delta`` whose step median is closest to the report's is kept; the value
reached is reported (:attr:`DataCut.follow_up_after`).

The emulation reproduces what depends on the data cut (numbers randomised and at risk, events
seen, follow-up, the width of confidence intervals, medians not yet reached); it cannot recover
the chance differences between two cuts' Kaplan-Meier estimates, and adds some noise of its own
(which events fall before the emulated cut is imputed), so landmark survival at an emulated cut
is not closer to the earlier report than the full IPD's is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from scipy.optimize import brentq

from kmipd.errors import KmipdError

_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0  # 0.618...: the golden-ratio low-discrepancy sequence
_SCAN = 200  # grid steps over [0, longest potential follow-up] to bracket the first root
_WINDOW = 3  # grid steps either side of that root searched for the closest step median
_REFINE = 100  # points of that search


@dataclass(frozen=True)
class DataCut:
    """IPD at an emulated earlier data cut, and how it was made.

    Attributes
    ----------
    ipd : DataFrame
        ``arm, time, event`` of the patients randomised by the emulated cut.
    delta : float
        How far the data cut was moved back, in the IPD's time unit.
    target_follow_up : float
        The median follow-up asked for (the report's).
    follow_up_before, follow_up_after : float
        Reverse Kaplan-Meier median follow-up of the IPD and of the cut data.
    n_before, n_after : int
        Patients in the IPD and at the cut.
    events_before, events_after : int
        Events in the IPD and at the cut.
    not_randomised : dict of str -> int
        Per arm, the patients left out because their shifted potential follow-up was <= 0.
    """

    ipd: pd.DataFrame
    delta: float
    target_follow_up: float
    follow_up_before: float
    follow_up_after: float
    n_before: int
    n_after: int
    events_before: int
    events_after: int
    not_randomised: dict[str, int] = field(default_factory=dict)

    def describe(self, time_unit: str = "") -> str:
        """One line saying what was done, for tables and reports."""
        unit = f" {time_unit}" if time_unit else ""
        dropped = ", ".join(f"{n} {arm}" for arm, n in self.not_randomised.items() if n)
        return (f"at an emulated data cut: the IPD's data cut moved back by delta = "
                f"{self.delta:.2f}{unit} (uniform accrual, administrative censoring), median "
                f"follow-up {self.follow_up_before:.1f} -> {self.follow_up_after:.1f}{unit} "
                f"(report: {self.target_follow_up:g}); {self.n_after}/{self.n_before} patients "
                f"randomised by then{f' ({dropped} not yet)' if dropped else ''}, "
                f"{self.events_after}/{self.events_before} events seen.")


def median_follow_up(ipd: pd.DataFrame) -> float:
    """Reverse Kaplan-Meier median follow-up (censoring is the "event"); inf if not reached.

    Parameters
    ----------
    ipd : DataFrame
        ``time, event`` columns (other columns ignored).

    Returns
    -------
    float
    """
    if ipd.empty:
        return 0.0
    return float(_reverse_km(ipd).median_survival_time_)


def _reverse_km(ipd: pd.DataFrame) -> KaplanMeierFitter:
    """Kaplan-Meier of the follow-up: censoring is the "event", so events censor it."""
    return KaplanMeierFitter().fit(ipd["time"].to_numpy(float), 1 - ipd["event"].to_numpy(int))


def _smooth_median(ipd: pd.DataFrame) -> float:
    """The reverse KM's median with its steps joined corner to corner (linear between the last
    time above 50% and the first at or below it); inf when never at or below 50%."""
    if ipd.empty:
        return 0.0
    reverse = _reverse_km(ipd)
    times = reverse.survival_function_.index.to_numpy(float)
    surv = reverse.survival_function_.iloc[:, 0].to_numpy(float)
    below = np.flatnonzero(surv <= 0.5)
    if not below.size:
        return math.inf
    i = below[0]
    if i == 0:
        return float(times[0])
    t0, s0, t1, s1 = times[i - 1], surv[i - 1], times[i], surv[i]
    return float(t0 + (s0 - 0.5) / (s0 - s1) * (t1 - t0))


def potential_follow_up(ipd: pd.DataFrame) -> np.ndarray:
    """Each patient's potential follow-up (time from randomisation to the IPD's data cut).

    Censored patients: their censoring time. Patients with an event: imputed from the reverse
    Kaplan-Meier estimate conditional on exceeding the event time (see the module docstring).

    Parameters
    ----------
    ipd : DataFrame
        ``time, event`` columns.

    Returns
    -------
    numpy.ndarray
        One value per row of ``ipd``, in its order; always >= the row's time.
    """
    time = ipd["time"].to_numpy(float)
    event = ipd["event"].to_numpy(int)
    potential = time.copy()
    if not event.any():
        return potential
    reverse = _reverse_km(ipd)
    grid = reverse.survival_function_.index.to_numpy(float)
    g = reverse.survival_function_.iloc[:, 0].to_numpy(float)
    last = float(time.max())
    arm = ipd["arm"].astype(str).to_numpy() if "arm" in ipd else np.zeros(time.size, dtype=str)
    for group in dict.fromkeys(arm):  # each arm's events get their own evenly spread levels
        rows = np.flatnonzero((event == 1) & (arm == group))
        for j, i in enumerate(rows[np.argsort(time[rows], kind="stable")]):
            potential[i] = _impute(grid, g, time[i], (0.5 + j * _GOLDEN) % 1.0, last)
    return np.maximum(potential, time)


def _impute(grid: np.ndarray, g: np.ndarray, t: float, q: float, last: float) -> float:
    """The q-quantile of the potential follow-up given it exceeds ``t``: the first time
    where the reverse KM ``g`` falls to ``(1 - q) g(t)`` (``last`` when it never does)."""
    at = np.searchsorted(grid, t, side="right") - 1
    level = (1.0 - q) * (g[at] if at >= 0 else 1.0)
    later = np.flatnonzero((grid > t) & (g <= level))
    return float(grid[later[0]]) if later.size else last


def cut_at(ipd: pd.DataFrame, potential: np.ndarray, delta: float) -> pd.DataFrame:
    """The data a cut ``delta`` earlier would have held, given each patient's potential follow-up.

    Parameters
    ----------
    ipd : DataFrame
        ``arm, time, event``.
    potential : numpy.ndarray
        Potential follow-up per row (:func:`potential_follow_up`).
    delta : float
        How far back the cut is moved (>= 0).

    Returns
    -------
    DataFrame
        ``arm, time, event`` of the patients with ``potential - delta > 0``, followed to
        ``min(time, potential - delta)``; an event counts only if it fell within that.
    """
    shifted = potential - delta
    keep = shifted > 0
    time = ipd["time"].to_numpy(float)[keep]
    window = shifted[keep]
    event = (ipd["event"].to_numpy(int)[keep] == 1) & (time <= window)
    out = ipd.loc[keep, ["arm"]].copy()
    out["time"] = np.minimum(time, window)
    out["event"] = event.astype(int)
    return out.reset_index(drop=True)


def emulate_data_cut(ipd: pd.DataFrame, target_follow_up: float) -> DataCut:
    """Move the IPD's data cut back until its median follow-up is ``target_follow_up``.

    Parameters
    ----------
    ipd : DataFrame
        ``arm, time, event``.
    target_follow_up : float
        The median follow-up of the earlier report, in the IPD's time unit; must be shorter
        than the IPD's own (reverse Kaplan-Meier) median follow-up.

    Returns
    -------
    DataCut
        The cut IPD, ``delta`` and the follow-up reached.

    Raises
    ------
    KmipdError
        When the target is not a positive number, is not shorter than the IPD's median
        follow-up, or that follow-up cannot be estimated (its reverse KM never reaches 50%).

    Examples
    --------
    Forty patients followed 1 to 40 months, half of them censored: a report at a median
    follow-up of 15 months came from a data cut about 22 months earlier.

    >>> import numpy as np
    >>> import pandas as pd
    >>> ipd = pd.DataFrame({"arm": ["A", "B"] * 20, "time": np.arange(1.0, 41.0),
    ...                     "event": [1, 0, 0, 1] * 10})
    >>> median_follow_up(ipd)
    30.0
    >>> cut = emulate_data_cut(ipd, 15.0)
    >>> round(cut.delta, 2), round(cut.follow_up_after, 2), cut.n_after, cut.events_after
    (21.6, 16.4, 28, 5)
    """
    if not (isinstance(target_follow_up, (int, float)) and math.isfinite(target_follow_up)
            and target_follow_up > 0):
        raise KmipdError(f"the median follow-up to emulate must be a number > 0, got "
                         f"{target_follow_up!r}.")
    before = median_follow_up(ipd)
    if not math.isfinite(before):
        raise KmipdError("cannot emulate an earlier data cut: the IPD's median follow-up is not "
                         "estimable (its reverse Kaplan-Meier never falls to 50%, too few "
                         "censored patients).")
    if target_follow_up >= before:
        raise KmipdError(f"cannot emulate a data cut at median follow-up {target_follow_up:g}: "
                         f"that is not shorter than the IPD's own ({before:.3g}); emulation only "
                         "goes back to an earlier cut, so validate without it.")
    potential = potential_follow_up(ipd)

    def smooth_gap(delta: float) -> float:
        value = _smooth_median(cut_at(ipd, potential, delta))
        return (value if math.isfinite(value) else before) - target_follow_up

    def gap(delta: float) -> float:
        value = median_follow_up(cut_at(ipd, potential, delta))
        return abs((value if math.isfinite(value) else before) - target_follow_up)

    # The median follow-up falls with delta, though not monotonically (once many patients drop
    # out it can rise again): scan for the first crossing, then find it with brentq, on the
    # reverse KM joined corner to corner (continuous in delta; the step median jumps).
    steps = np.linspace(0.0, float(potential.max()), _SCAN + 1)
    lower = upper = 0.0
    for upper in steps[1:]:
        if smooth_gap(upper) <= 0:
            break
        lower = upper
    # (the joined-up median can start at or below the target when the step one is just above)
    root = brentq(smooth_gap, lower, upper, xtol=1e-6, maxiter=200) if smooth_gap(lower) > 0 else lower
    # Then, within _WINDOW grid steps of that root, the delta whose (step) median is closest to
    # the target (the nearest to the root on a tie).
    reach = _WINDOW * float(potential.max()) / _SCAN
    tried = np.unique(np.clip(root + np.linspace(-reach, reach, _REFINE + 1), 0.0, None))
    delta = float(min(tried, key=lambda d: (round(gap(d), 6), abs(d - root))))
    cut = cut_at(ipd, potential, delta)
    arms = list(dict.fromkeys(ipd["arm"]))
    counts = cut["arm"].value_counts()
    empty = [str(a) for a in arms if counts.get(a, 0) == 0]
    if empty:
        raise KmipdError(f"the emulated data cut (delta = {delta:.3g}) leaves no patient in arm "
                         f"{empty[0]!r}: a median follow-up of {target_follow_up:g} is too short "
                         "for this IPD.")
    return DataCut(
        ipd=cut, delta=float(delta), target_follow_up=float(target_follow_up),
        follow_up_before=before, follow_up_after=median_follow_up(cut),
        n_before=len(ipd), n_after=len(cut), events_before=int(ipd["event"].sum()),
        events_after=int(cut["event"].sum()),
        not_randomised={str(a): int((ipd["arm"] == a).sum() - counts.get(a, 0)) for a in arms},
    )


def at_report_follow_up(ipd: pd.DataFrame, report_follow_up: float | None, tolerance: float, *,
                        emulate: bool, where: str = "the reported file",
                        time_unit: str = "") -> tuple[pd.DataFrame, DataCut | None, list[str]]:
    """The IPD to validate against a report, and notes on how its follow-up compares.

    With ``emulate``, a report whose median follow-up is shorter than the IPD's by more than
    ``tolerance`` is met at an emulated data cut (:func:`emulate_data_cut`); one within
    ``tolerance`` of the IPD's is compared as is. Without, the notes only point out a report at clearly shorter (or longer)
    follow-up. A report at longer follow-up is never emulated: a later cut cannot be made up.

    Parameters
    ----------
    ipd : DataFrame
        ``arm, time, event``.
    report_follow_up : float or None
        The report's ``[study] median_follow_up``.
    tolerance : float
        How far two median follow-ups may differ and still count as the same cut (the
        validation's time tolerance).
    emulate : bool
        Emulate an earlier data cut when the report is at shorter follow-up.
    where : str
        The report, named in error messages.
    time_unit : str
        For the notes.

    Returns
    -------
    tuple
        ``(ipd to validate, DataCut or None, notes)``.

    Raises
    ------
    KmipdError
        With ``emulate``: the report gives no median follow-up, or one clearly longer than the
        IPD's.
    """
    unit = f" {time_unit}" if time_unit else ""
    if report_follow_up is None:
        if emulate:
            raise KmipdError(f"emulating the report's data cut needs its median follow-up: add "
                             f"[study] median_follow_up to {where}.")
        return ipd, None, []
    own = median_follow_up(ipd)
    longer = report_follow_up - own
    if emulate and longer > tolerance:
        raise KmipdError(f"{where} is at a longer median follow-up ({report_follow_up:g}{unit}) "
                         f"than the IPD ({own:.3g}{unit}): a later data cut cannot be emulated; "
                         "validate without emulation (lines beyond the IPD's follow-up are "
                         "marked not estimable).")
    if longer > tolerance:
        return ipd, None, [f"the report's median follow-up ({report_follow_up:g}{unit}) is longer "
                           f"than the IPD's ({own:.3g}{unit}): it is a later data cut, compared "
                           "as is (not emulated); lines beyond the IPD's follow-up are N/E."]
    if emulate and -longer > tolerance:
        cut = emulate_data_cut(ipd, report_follow_up)
        return cut.ipd, cut, [cut.describe(time_unit)]
    if emulate:
        return ipd, None, [f"the IPD is already at the report's median follow-up ({own:.3g} vs "
                           f"{report_follow_up:g}{unit}, within the time tolerance): no data cut "
                           "emulated."]
    if -longer > tolerance:
        return ipd, None, [f"the report's median follow-up ({report_follow_up:g}{unit}) is shorter "
                           f"than the IPD's ({own:.3g}{unit}): it is probably an earlier data "
                           "cut; validate with emulate_cut=True (kmipd validate "
                           "--at-report-follow-up) to compare at an emulated cut."]
    return ipd, None, []
