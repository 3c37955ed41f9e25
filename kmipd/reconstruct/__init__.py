"""Curves (+ numbers at risk, or only N) -> individual patient data.

Two arms read off a figure (the corners of every drop) and the numbers at risk printed under it:

>>> import pandas as pd
>>> from kmipd.reconstruct import reconstruct
>>> curves = pd.DataFrame({
...     "arm": ["A"] * 6 + ["B"] * 6,
...     "time": [0.0, 2, 2, 5, 5, 8, 0, 3, 3, 6, 6, 8],
...     "survival": [1.0, 1, 0.9, 0.9, 0.75, 0.75, 1, 1, 0.95, 0.95, 0.85, 0.85]})
>>> at_risk = pd.DataFrame({"arm": ["A"] * 3 + ["B"] * 3, "time": [0.0, 4, 8] * 2,
...                         "n_at_risk": [20, 17, 12, 20, 18, 14]})
>>> rec = reconstruct(curves, at_risk=at_risk)  # Guyot et al. 2012, with the table
>>> rec.ipd.head(3)
  arm  time  event
0   A   2.0      1
1   A   2.0      1
2   A   3.0      0
>>> rec.summary
  arm   n  events  censored at_risk_from
0   A  20       5        15        table
1   B  20       3        17        table
>>> rec.notes
()
>>> rec = reconstruct(curves, n={"A": 20, "B": 20})  # only N: at-risk estimated from the curve
>>> print(rec)
A: 20 patients, 4 events
B: 20 patients, 2 events

The stages are separate functions: :func:`~kmipd.reconstruct.clean.clean_curve` (cleaning),
:func:`~kmipd.reconstruct.at_risk_model.estimate_at_risk` (a table when there is none), and
:func:`~kmipd.reconstruct.guyot.guyot` (the iteration).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

from kmipd.errors import KmipdError
from kmipd.input_rules import check_count
from kmipd.io import check_at_risk, check_censor_marks, check_curves
from kmipd.reconstruct.at_risk_model import complete_table, estimate_at_risk
from kmipd.reconstruct.clean import CleanCurve, clean_curve
from kmipd.reconstruct.guyot import GuyotResult, guyot
from kmipd.reconstruct.result import FROM_CENSOR_MARKS, FROM_N, FROM_TABLE, Reconstruction

_MIN_NOISE_SD = 0.002

__all__ = ["reconstruct", "reconstruct_arm", "clean_curve", "estimate_at_risk", "guyot", "CleanCurve", "GuyotResult",
           "Reconstruction"]


def reconstruct_arm(
    time,
    survival,
    *,
    risk_time=None,
    n_risk=None,
    n: int | None = None,
    total_events: int | None = None,
    censor_times=None,
    arm: str = "",
    median_follow_up: float | None = None,
) -> tuple[GuyotResult, CleanCurve]:
    """Rebuild one arm. Give ``risk_time``/``n_risk`` (a published table) or ``n`` (its N).

    Without a table, ``total_events``, ``censor_times`` and ``median_follow_up`` (reverse
    Kaplan-Meier, the curve's time units) steer the censoring estimated from the curve.

    Returns
    -------
    result : GuyotResult
    curve : CleanCurve
        The cleaned curve that was used.
    """
    label = f"arm {str(arm)!r}" if arm else "the arm"
    n = None if n is None else check_count(n, f"N of {label}", minimum=1)
    total_events = None if total_events is None else check_count(total_events, f"total events of {label}")
    curve = clean_curve(time, survival, arm=arm)
    marks = None if censor_times is None else np.asarray(censor_times, dtype=float)
    notes: list[str] = []
    if risk_time is not None and len(risk_time):
        rt = np.asarray(risk_time, dtype=float)
        nr = np.asarray(n_risk, dtype=int)
        if rt[0] > 0:
            if n is None:
                raise KmipdError(
                    f"the at-risk table of {label} starts at time {rt[0]:g}, not 0; add the count at "
                    "time 0 (the arm's N) or give its N (--n ARM=N on the command line, n= in Python)."
                )
            rt, nr = np.r_[0.0, rt], np.r_[n, nr]
        elif n is not None and nr[0] != n:
            raise KmipdError(f"{label}: N={n} disagrees with the {nr[0]} at risk at time 0 in the table.")
        check_count(nr[0], f"the number at risk at time 0 of {label}", minimum=1)
        rt, nr = complete_table(curve, rt, nr, censor_times=marks, median_follow_up=median_follow_up, notes=notes)
    elif n is not None:
        if total_events is not None and marks is None:
            return _match_total_events(curve, int(n), int(total_events), median_follow_up), curve
        rt, nr = estimate_at_risk(curve, int(n), total_events=total_events, censor_times=marks,
                                  median_follow_up=median_follow_up, notes=notes)
    else:
        raise KmipdError(
            f"{label} has neither numbers at risk nor N; give an at-risk table (--at-risk on the command "
            "line, at_risk= in Python) or its N (--n ARM=N on the command line, n= in Python)."
        )
    if total_events is not None and not 0 <= total_events <= nr[0]:
        raise KmipdError(f"{label}: total events {total_events} is not between 0 and N={nr[0]}.")
    result = guyot(curve.time, curve.survival, rt, nr, total_events=total_events, censor_times=marks,
                   noise_sd=max(curve.noise_sd * 2.5, _MIN_NOISE_SD))
    result.notes[:0] = [*curve.notes, *notes]
    return result, curve


def _match_total_events(curve: CleanCurve, n: int, total_events: int,
                        median_follow_up: float | None = None) -> GuyotResult:
    """N-only with a reported total: scale the fitted censoring until the events match.

    Guyot's rule can only change the last interval's censoring; when the estimated censoring
    before it is already too high or too low, the total cannot be reached. Bisection on the
    power of the censoring curve ``G(t)**a`` finds the table that gives the reported total.
    """
    if not 0 <= total_events <= n:
        raise KmipdError(f"total events {total_events} is not between 0 and N={n}.")
    noise = max(curve.noise_sd * 2.5, _MIN_NOISE_SD)

    def attempt(scale: float) -> GuyotResult:
        rt, nr = estimate_at_risk(curve, n, total_events=total_events, censoring_scale=scale,
                                  median_follow_up=median_follow_up)
        return guyot(curve.time, curve.survival, rt, nr, total_events=total_events, noise_sd=noise)

    lo, hi = 0.0, 4.0
    best = attempt(1.0)
    for _ in range(12):
        if best.n_events == total_events:
            break
        scale = 0.5 * (lo + hi)
        trial = attempt(scale)
        if abs(trial.n_events - total_events) < abs(best.n_events - total_events):
            best = trial
        # more censoring (larger scale) means fewer events
        if trial.n_events > total_events:
            lo = scale
        else:
            hi = scale
    best.notes[:0] = curve.notes
    return best


def reconstruct(
    curves: pd.DataFrame,
    at_risk: pd.DataFrame | None = None,
    n: Mapping[str, int] | None = None,
    events: Mapping[str, int] | None = None,
    censor_marks: pd.DataFrame | None = None,
    median_follow_up: float | None = None,
) -> Reconstruction:
    """Rebuild individual patient data for every arm of ``curves``.

    Parameters
    ----------
    curves : DataFrame
        ``arm, time, survival`` (survival 0-1, or 0-100 detected per file).
    at_risk : DataFrame, optional
        ``arm, time, n_at_risk``; arms must match the curves' arms.
    n, events : mapping, optional
        Per-arm total N and total events; N is needed for arms without an at-risk table.
    censor_marks : DataFrame, optional
        ``arm, time[, survival]`` of censor marks read from the figure (no rows: no marks).
    median_follow_up : float, optional
        The paper's median follow-up (reverse Kaplan-Meier) in the curves' time units; steers
        the censoring of arms without an at-risk table.

    Raises
    ------
    KmipdError
        Bad input, named in a one-line message: a malformed table, a curve that is neither a
        fraction nor a percent curve or that rises, arms that do not match, or an N or event
        count that is not a whole number in range (at most
        :data:`kmipd.input_rules.MAX_PATIENTS` per arm).

    Returns
    -------
    Reconstruction
        ``.ipd`` (``arm, time, event`` sorted by arm in the curves' order, time, and event
        first), ``.notes`` (one line per note: cleaning done, adjustments, mismatches) and
        ``.summary`` (per arm N, events, censored, and where its numbers at risk came from).
    """
    notes: list[str] = []
    curves = check_curves(curves, notes=notes)
    median_follow_up = _check_follow_up(median_follow_up)
    arms = list(dict.fromkeys(curves["arm"]))
    n = _counts(n, arms, "N", "--n ARM=N on the command line, n= in Python", minimum=1)
    events = _counts(events, arms, "total events", "--events ARM=E on the command line, events= in Python")
    if at_risk is not None:
        at_risk = check_at_risk(at_risk)
        _check_arms(at_risk["arm"].unique(), arms, "at-risk table")
    if censor_marks is not None:
        censor_marks = check_censor_marks(censor_marks)
        _check_arms(censor_marks["arm"].unique(), arms, "censor marks")
    pieces, sources = [], {}
    for arm in arms:
        c = curves[curves["arm"] == arm]
        rows = at_risk[at_risk["arm"] == arm] if at_risk is not None else None
        marks = None
        if censor_marks is not None and len(censor_marks):
            marks = censor_marks.loc[censor_marks["arm"] == arm, "time"].to_numpy(float)
        result, _ = reconstruct_arm(
            c["time"].to_numpy(), c["survival"].to_numpy(),
            risk_time=None if rows is None or rows.empty else rows["time"].to_numpy(),
            n_risk=None if rows is None or rows.empty else rows["n_at_risk"].to_numpy(),
            n=n.get(arm), total_events=events.get(arm), censor_times=marks, arm=arm,
            median_follow_up=median_follow_up,
        )
        notes.extend(f"{arm}: {note}" for note in result.notes)
        sources[arm] = _at_risk_source(rows, marks)
        pieces.append(pd.DataFrame({
            "arm": arm,
            "time": np.r_[result.event_times, result.censor_times],
            "event": np.r_[np.ones(result.event_times.size, int), np.zeros(result.censor_times.size, int)],
        }))
    ipd = pd.concat(pieces, ignore_index=True)
    ipd["_order"] = ipd["arm"].map({a: i for i, a in enumerate(arms)})
    ipd = ipd.sort_values(["_order", "time", "event"], ascending=[True, True, False], kind="stable")
    return Reconstruction(ipd.drop(columns="_order").reset_index(drop=True), tuple(notes), sources)


def _check_follow_up(value) -> float | None:
    """A median follow-up as a positive finite number of time units."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise KmipdError(f"median follow-up must be a positive number of the curves' time units, not {value!r}; "
                         "give it as --median-follow-up T on the command line, median_follow_up= in Python.")
    return float(value)


def _at_risk_source(rows: pd.DataFrame | None, marks: np.ndarray | None) -> str:
    """How :func:`reconstruct_arm` obtains an arm's numbers at risk from what it is given."""
    if rows is not None and not rows.empty:
        return FROM_TABLE
    return FROM_CENSOR_MARKS if marks is not None and marks.size else FROM_N


def _counts(given: Mapping[str, int] | None, arms: list[str], what: str, how: str,
            minimum: int = 0) -> dict[str, int]:
    """Per-arm counts checked: a mapping of curve arms to whole numbers in range."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise KmipdError(f"{what} must be given per arm as ARM=VALUE ({how}), not as {type(given).__name__}.")
    _check_arms(given, arms, f"{what} ({how})")
    return {str(arm): check_count(value, f"{what} of arm {str(arm)!r}", minimum=minimum)
            for arm, value in given.items()}


def _check_arms(given, arms: list[str], what: str) -> None:
    unknown = [str(a) for a in given if str(a) not in arms]
    if unknown:
        raise KmipdError(
            f"{what} names arm(s) {', '.join(map(repr, unknown))} not in the curves; "
            f"the curves have {', '.join(map(repr, arms))}."
        )
