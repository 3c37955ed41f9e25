"""Compute each reported statistic from the IPD with lifelines and compare it with the paper.

Every statistic comes from lifelines (KaplanMeierFitter, CoxPHFitter, logrank_test); this module
only decides which number to compare with which, on what scale, and with what tolerance.
"""

from __future__ import annotations

import math
import warnings as python_warnings
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times
from scipy.stats import norm

from kmipd.errors import KmipdError
from kmipd.io import check_ipd, read_ipd
from kmipd.validate.arms import check_follow_up, find_arm, quoted, require_arm
from kmipd.validate.data_cut import at_report_follow_up, median_follow_up
from kmipd.validate.reported import ArmReport, ComparisonReport, PValue, Reported, load_reported
from kmipd.validate.result import VALIDATION_OUTPUTS, ValidationResult  # noqa: F401  (VALIDATION_OUTPUTS: re-exported)
from kmipd.validate.table import (  # noqa: F401  (format_table, format_value: re-exported)
    COLUMNS,
    FAIL,
    NOT_ESTIMABLE,
    PASS,
    format_table,
    format_value,
)

# A relative slack so that a value printed to two decimals that sits exactly on a tolerance
# edge (e.g. 0.74 vs 0.765) is not failed by binary rounding.
_EPS = 1e-9


def validate(ipd: pd.DataFrame | str | Path, reported, *,
             emulate_cut: bool = False) -> ValidationResult:
    """Check IPD against the statistics a paper reports.

    Parameters
    ----------
    ipd : DataFrame or path
        Columns ``arm, time, event`` (a path is read with :func:`kmipd.io.read_ipd`).
    reported : path, dict or Reported
        The reported-statistics TOML file (see :func:`~kmipd.validate.reported.load_reported`).
    emulate_cut : bool
        When the report's ``[study] median_follow_up`` is shorter than the IPD's (an earlier
        data cut, e.g. an interim analysis), compare at an emulated data cut: see
        :mod:`kmipd.validate.data_cut` (uniform accrual, administrative censoring; the cut is
        moved back until the median follow-up matches). The time tolerance stays that of the
        full IPD. Off by default; without it, a report at clearly shorter follow-up is pointed
        out in :attr:`ValidationResult.notes`.

    Returns
    -------
    ValidationResult
        One row per reported number.

    Raises
    ------
    KmipdError
        On unreadable IPD or reported file, a reported arm that is not in the IPD, or (with
        ``emulate_cut``) a report without a median follow-up or at a clearly longer one.

    Examples
    --------
    With the reported numbers as the dict a TOML file parses into (a path to the file, e.g.
    ``validate("ipd.csv", "reported.toml")``, works the same):

    >>> import pandas as pd
    >>> ipd = pd.DataFrame({
    ...     "arm": ["Placebo"] * 12 + ["Drug"] * 12,
    ...     "time": [2.0, 3, 5, 6, 8, 9, 11, 14, 16, 20, 25, 30,
    ...              4, 7, 9, 12, 15, 18, 22, 26, 28, 30, 30, 30],
    ...     "event": [1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0,
    ...               1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 0]})
    >>> reported = {"arms": {"Placebo": {"n": 12, "events": 8, "median": 14},
    ...                      "Drug": {"n": 12, "median": 30}}}
    >>> result = validate(ipd, reported)
    >>> result.passed
    False
    >>> result.failures[["statistic", "arm", "reported", "reconstructed", "tolerance"]]
      statistic   arm  reported  reconstructed  tolerance
    4    median  Drug      30.0           28.0        1.5
    """
    frame = read_ipd(ipd) if isinstance(ipd, (str, Path)) else check_ipd(pd.DataFrame(ipd))
    rep = load_reported(reported)
    arms = _match_arms(rep, frame)
    check_follow_up(frame, arms.values())
    tol = rep.tolerance
    alpha = 1.0 - rep.confidence_level
    # A fixed fraction of the full IPD's time axis, also at an emulated cut: a reconstruction
    # is off by a few pixels of the figure's axis.
    time_tol = tol.median_frac * float(frame["time"].max())
    frame, cut, notes = at_report_follow_up(
        frame, rep.median_follow_up, time_tol, emulate=emulate_cut,
        where=_where(rep),
        time_unit=rep.time_unit)
    rows: list[dict] = []
    warnings: list[str] = []

    if rep.n is not None:
        rows.append(_row("n", "all", rep.n, float(len(frame)), tol.n))
    if rep.median_follow_up is not None:
        rows.append(_row("median_follow_up", "all", rep.median_follow_up,
                         median_follow_up(frame), time_tol))
    for name, arm in rep.arms.items():
        rows.extend(_arm_rows(name, arm, frame[frame["arm"] == arms[name]], rep, time_tol,
                              warnings))
    for comp in rep.comparisons:
        rows.extend(_comparison_rows(comp, rep, frame, arms, alpha, warnings))

    if not rows:
        raise KmipdError(f"{_where(rep)} lists no statistics to check: give [study] n or "
                         'median_follow_up, [arms."NAME"] tables or a [comparison].')
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["pass"] = table["pass"].astype(bool)
    return ValidationResult(table=table, reported=rep, warnings=warnings, notes=notes,
                            data_cut=cut)


def _where(rep: Reported) -> str:
    """How messages name the reported statistics: their file, when they came from one."""
    return f"reported file {rep.path}" if rep.path else "the reported statistics"


def _arm_rows(name: str, arm: ArmReport, data: pd.DataFrame, rep: Reported, time_tol: float,
              warnings: list[str]) -> list[dict]:
    """One reported arm's lines. A landmark more than the time tolerance after the arm's last
    time, or a median (CI bound) not reached by an IPD whose follow-up ends more than that
    before the reported value, is not estimable (N/E) rather than failed."""
    tol = rep.tolerance
    kmf = KaplanMeierFitter(alpha=1.0 - rep.confidence_level).fit(data["time"], data["event"],
                                                                  label=name)
    last = float(data["time"].max()) if len(data) else 0.0
    alive_at_end = float(kmf.survival_function_.iloc[-1, 0]) > 0 if len(data) else True
    rows = []

    def time_row(statistic: str, reported: float, value: float) -> dict:
        if math.isinf(value) and math.isfinite(reported) and last + time_tol < reported:
            return _not_estimable(statistic, name, reported, time_tol)
        return _row(statistic, name, reported, value, time_tol)

    if arm.n is not None:
        rows.append(_row("n", name, arm.n, float(len(data)), tol.n))
    if arm.events is not None:
        rows.append(_row("events", name, arm.events, float(data["event"].sum()),
                         max(1.0, tol.events_frac * arm.events)))
    if arm.median is not None:
        rows.append(time_row("median", arm.median, float(kmf.median_survival_time_)))
    if arm.median_ci is not None:
        ci = median_survival_times(kmf.confidence_interval_).iloc[0]
        for side, rep_value, value in zip(("lower", "upper"), arm.median_ci, ci.to_numpy(),
                                          strict=True):
            rows.append(time_row(f"median_ci_{side}", rep_value, float(value)))
    beyond = {t for t in set(arm.landmarks) | set(arm.landmark_ci)
              if t > last + time_tol and alive_at_end}
    for t in sorted(set(arm.landmarks) | set(arm.landmark_ci)):
        if t in beyond:
            warnings.append(f"arm {name!r}: landmark {t:g} is beyond the IPD's follow-up (last "
                            f"time {last:g}); not estimable.")
        elif t > last:
            warnings.append(f"arm {name!r}: landmark {t:g} is after the last time in the IPD "
                            f"({last:g}); the IPD's survival there is carried forward.")
    for t, value in arm.landmarks.items():
        stat = f"survival_at_{t:g}"
        rows.append(_not_estimable(stat, name, value, tol.landmark) if t in beyond else
                    _row(stat, name, value, float(kmf.survival_function_at_times([t]).iloc[0]),
                         tol.landmark))
    for t, bounds in arm.landmark_ci.items():
        band = _ci_at(kmf, t)
        for side, rep_value, value in zip(("lower", "upper"), bounds, band, strict=True):
            stat = f"survival_at_{t:g}_ci_{side}"
            rows.append(_not_estimable(stat, name, rep_value, tol.landmark_ci) if t in beyond
                        else _row(stat, name, rep_value, value, tol.landmark_ci))
    return rows


def _comparison_rows(comp: ComparisonReport, rep: Reported, frame: pd.DataFrame,
                     arms: dict[str, str], alpha: float, warnings: list[str]) -> list[dict]:
    ipd_arms = list(dict.fromkeys(frame["arm"]))
    reference = _resolve(comp.reference or rep.reference_arm, rep, arms, ipd_arms)
    if reference is None:
        if len(ipd_arms) != 2:
            raise KmipdError(f"{_where(rep)}: give [study] reference_arm (or reference in "
                             "[comparison]) to say which arm the hazard ratio is relative to.")
        # the first arm listed in the reported file, else the first arm of the IPD
        reference = arms.get(next(iter(rep.arms), ""), ipd_arms[0])
    other = _resolve(comp.arm, rep, arms, ipd_arms)
    if other is None:
        rest = [a for a in ipd_arms if a != reference]
        if len(rest) != 1:
            raise KmipdError(f"{_where(rep)}: the IPD has {len(ipd_arms)} arms; give arm = \"...\" "
                             "in [comparison] to say which arm is compared with the reference.")
        other = rest[0]
    check_follow_up(frame, [other, reference])
    label = f"{other} vs {reference}"
    a = frame[frame["arm"] == other]
    b = frame[frame["arm"] == reference]
    tol = rep.tolerance
    rows = []
    lr = cox_p = math.nan
    if (comp.hr is not None or comp.hr_ci is not None or comp.cox_p is not None
            or (comp.p is not None and comp.p_test == "cox")):
        hr, hr_ci, cox_p = _cox(a, b, other, alpha, label, warnings)
        if comp.hr is not None:
            rows.append(_row("hr", label, comp.hr, hr, tol.log_hr, scale="log"))
        if comp.hr_ci is not None:
            for side, rep_value, value in zip(("lower", "upper"), comp.hr_ci, hr_ci, strict=True):
                rows.append(_row(f"hr_ci_{side}", label, rep_value, float(value), tol.log_hr_ci,
                                 scale="log"))
        if comp.cox_p is not None:
            rows.append(_p_row("cox_p", label, comp.cox_p, cox_p, tol.p_z))
    if comp.logrank_p is not None or (comp.p is not None and comp.p_test == "logrank"):
        lr = float(logrank_test(a["time"], b["time"], a["event"], b["event"]).p_value)
        if comp.logrank_p is not None:
            rows.append(_p_row("logrank_p", label, comp.logrank_p, lr, tol.p_z))
    if comp.p is not None:
        value = lr if comp.p_test == "logrank" else cox_p
        rows.append(_p_row(f"p ({comp.p_test})", label, comp.p, value, tol.p_z))
    return rows


def _cox(a: pd.DataFrame, b: pd.DataFrame, treated: str, alpha: float, label: str,
         warnings: list[str]) -> tuple[float, tuple[float, float], float]:
    """HR of ``a`` vs ``b`` with its CI and Wald p from lifelines' Cox model.

    NaN (and a line in ``warnings``) when it is not estimable: an arm without events (lifelines
    would "converge" to an HR of 0 or 1e7 with a CI of 0 to inf) or a model that cannot be fitted.
    """
    nan = math.nan, (math.nan, math.nan), math.nan
    empty = [str(rows["arm"].iloc[0]) for rows in (a, b) if len(rows) and rows["event"].sum() == 0]
    if empty:
        warnings.append(f"{label}: arm {empty[0]!r} has no events in the IPD, so the hazard ratio "
                        "and its Cox p-value are not estimable.")
        return nan
    both = pd.concat([a, b])
    design = pd.DataFrame({"time": both["time"].to_numpy(), "event": both["event"].to_numpy(),
                           "treatment": (both["arm"] == treated).astype(float).to_numpy()})
    with python_warnings.catch_warnings(record=True) as caught:
        python_warnings.simplefilter("always")
        try:
            cph = CoxPHFitter(alpha=alpha).fit(design, "time", "event")
        except Exception:  # noqa: BLE001 - lifelines' ConvergenceError, LinAlgError and friends
            warnings.append(f"{label}: the Cox model could not be fitted to the IPD (it did not "
                            "converge), so the hazard ratio is not estimable.")
            return nan
    if any("Convergence" in type(w.message).__name__ for w in caught):
        warnings.append(f"{label}: lifelines warned that the Cox model may not have converged "
                        "(e.g. complete separation); the rebuilt hazard ratio may be unreliable.")
    hr = float(cph.hazard_ratios_["treatment"])
    with np.errstate(over="ignore"):  # a separated model's upper bound is inf: kept as inf
        hr_ci = tuple(np.exp(cph.confidence_intervals_.loc["treatment"].to_numpy(dtype=float)))
    return hr, hr_ci, float(cph.summary.loc["treatment", "p"])


def _row(statistic: str, arm: str, reported: float, value: float, tolerance: float,
         scale: str = "absolute") -> dict:
    """Compare on ``scale``; a not-reached (inf/NaN) value matches only a not-reached one."""
    rep_open = not math.isfinite(reported)
    rec_open = not math.isfinite(value)
    if rep_open or rec_open:
        diff = 0.0 if rep_open and rec_open else math.nan
        ok = rep_open and rec_open and not math.isnan(value)
    else:
        diff = _log_ratio(value, reported) if scale == "log" else value - reported
        ok = abs(diff) <= tolerance * (1 + _EPS) + _EPS
    return {"statistic": statistic, "arm": arm, "reported": float(reported),
            "reconstructed": float(value), "difference": diff, "tolerance": float(tolerance),
            "pass": bool(ok), "scale": scale, "status": PASS if ok else FAIL}


def _log_ratio(value: float, reported: float) -> float:
    """``log(value / reported)``; -inf for a rebuilt value of 0 (a CI bound that underflowed)."""
    return math.log(value) - math.log(reported) if value > 0 else -math.inf


def _not_estimable(statistic: str, arm: str, reported: float, tolerance: float) -> dict:
    """A line the IPD cannot speak to (beyond its follow-up): neither passed nor failed."""
    return {"statistic": statistic, "arm": arm, "reported": float(reported),
            "reconstructed": math.nan, "difference": math.nan, "tolerance": float(tolerance),
            "pass": False, "scale": "absolute", "status": NOT_ESTIMABLE}


def _p_row(statistic: str, arm: str, reported: PValue, value: float, tolerance: float) -> dict:
    """p-values on the two-sided normal-deviate scale; ``"<0.001"`` also passes below the bound."""
    diff = _z(value) - _z(reported.value)
    ok = abs(diff) <= tolerance + _EPS or (reported.upper_bound and value <= reported.value)
    if reported.upper_bound and value <= reported.value:
        diff = 0.0
    return {"statistic": statistic, "arm": arm, "reported": reported.value, "reconstructed": value,
            "difference": diff, "tolerance": float(tolerance), "pass": bool(ok),
            "scale": "z<" if reported.upper_bound else "z", "status": PASS if ok else FAIL}


def _z(p: float) -> float:
    if math.isnan(p):
        return math.nan
    return float(norm.isf(min(max(p, 1e-300), 1.0) / 2.0))


def _ci_at(kmf: KaplanMeierFitter, t: float) -> tuple[float, float]:
    """lifelines' pointwise CI of S at ``t`` (the step value in force at ``t``)."""
    ci = kmf.confidence_interval_survival_function_
    before = ci[ci.index <= t]
    if before.empty:
        return 1.0, 1.0
    lo, hi = before.iloc[-1].to_numpy(dtype=float)
    return float(lo), float(hi)


def _resolve(name: str | None, rep: Reported, arms: dict[str, str],
             ipd_arms: list[str]) -> str | None:
    """The IPD arm a comparison names: a reported arm (by its name) or directly an IPD arm."""
    if name is None:
        return None
    reported = find_arm(name, arms)
    if reported is not None:
        return arms[reported]
    return require_arm(name, ipd_arms, "reported comparison arm", "the reported arms or the IPD",
                       "name a reported arm or an IPD arm in [comparison]")


def match_arm_names(names, available, what: str = "IPD") -> dict[str, str]:
    """Map each of ``names`` to an arm of ``available``: exact, else ignoring case and spacing.

    Names are compared by :func:`~kmipd.validate.arms.normalise_arm_name` (runs of spaces,
    ``_`` and ``-`` collapsed, stripped, casefolded).

    Raises
    ------
    KmipdError
        Naming the arms available (with ``repr``, so stray spaces show), when a name matches none.
    """
    available = [str(a) for a in available]
    return {name: require_arm(name, available, "reported arm", f"the {what}",
                              'rename the arm in the reported file or map it with ipd_arm = "..."')
            for name in names}


def _match_arms(rep: Reported, frame: pd.DataFrame) -> dict[str, str]:
    """Reported arm name -> IPD arm name; two reported arms may not be the same IPD arm."""
    mapping = match_arm_names([arm.label for arm in rep.arms.values()], dict.fromkeys(frame["arm"]))
    out = {name: mapping[arm.label] for name, arm in rep.arms.items()}
    for ipd_arm in dict.fromkeys(out.values()):
        same = [name for name, target in out.items() if target == ipd_arm]
        if len(same) > 1:
            raise KmipdError(f"reported arms {quoted(same)} are all the IPD arm {ipd_arm!r} (names are "
                             "matched ignoring case and spacing); give each its own ipd_arm = \"...\".")
    return out
