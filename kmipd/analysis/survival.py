"""The standard report of a survival trial, computed from IPD with lifelines.

Per arm: N, events, median with CI, survival at landmark times with CI and the restricted mean
survival time (RMST) up to ``tau`` with CI. Each arm against a reference arm: Cox hazard ratio
with CI, a Schoenfeld-residual test of proportional hazards, the log-rank test and the RMST
difference; plus the overall log-rank test across all arms.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError
from lifelines.statistics import logrank_test, multivariate_logrank_test, proportional_hazard_test
from lifelines.utils import median_survival_times, restricted_mean_survival_time
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kmipd.analysis._common import fmt_p, wald, write_json, z_crit
from kmipd.analysis.parametric import PARAMETRIC_OUTPUTS, ParametricFits
from kmipd.analysis.plots import plot_km
from kmipd.errors import KmipdError
from kmipd.io import check_ipd, read_ipd, write_table
from kmipd.outputs import make_folder, remove_outputs, write_figure
from kmipd.validate.arms import check_follow_up, require_arm


def rmst_with_se(kmf: KaplanMeierFitter, tau: float) -> tuple[float, float]:
    """RMST of a fitted Kaplan-Meier curve up to ``tau`` and the standard error of that estimate.

    The RMST itself is lifelines' ``restricted_mean_survival_time``. Its standard error is the
    Greenwood-type estimator (Klein & Moeschberger 2003, sec. 4.5; R ``survRM2``)
    ``Var = sum_j A_j^2 d_j / (n_j (n_j - d_j))`` with ``A_j`` the area under the curve from event
    time ``t_j`` to ``tau``. lifelines' ``return_variance=True`` is *not* this: it is the variance of
    the restricted survival time ``min(T, tau)`` across patients (about ``n`` times larger), so it
    cannot serve as the sampling variance of the estimate.

    Returns
    -------
    tuple of float
        ``(rmst, se)``.
    """
    rmst = float(restricted_mean_survival_time(kmf, t=tau))
    surv = kmf.survival_function_.iloc[:, 0]
    times = surv.index.to_numpy(dtype=float)
    before = times < tau
    # S is constant from one time of the timeline to the next, so the area is a sum of rectangles
    edges = np.append(times[before], tau)
    areas = surv.to_numpy()[before] * np.diff(edges)
    area_to_tau = np.cumsum(areas[::-1])[::-1]
    table = kmf.event_table.loc[times[before]]
    d = table["observed"].to_numpy(dtype=float)
    n = table["at_risk"].to_numpy(dtype=float)
    # n == d (the last patient at risk has the event) leaves S = 0 afterwards: no area, no term
    use = (d > 0) & (n > d)
    var = float(np.sum(area_to_tau[use] ** 2 * d[use] / (n[use] * (n[use] - d[use]))))
    return rmst, math.sqrt(var)


def default_landmarks(tau: float) -> list[float]:
    """Round times inside ``(0, tau]`` (about four of them) used when no landmarks are given."""
    ticks = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 3, 5, 6, 10]).tick_values(0.0, tau)
    return [float(t) for t in ticks if 0 < t <= tau]


def _km(rows: pd.DataFrame, label: str, alpha: float) -> KaplanMeierFitter:
    return KaplanMeierFitter(alpha=alpha).fit(rows["time"], rows["event"], label=label)


def fit_cox(data: pd.DataFrame, alpha: float) -> tuple[CoxPHFitter | None, str]:
    """Fit a Cox model, returning ``(model, note)``; a model that cannot be fitted gives ``None``.

    The note is a short sentence for the user (never a lifelines exception text): why the model
    could not be fitted, or lifelines' convergence warning cut to its first sentence.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cph = CoxPHFitter(alpha=alpha).fit(data, "time", "event")
        except ConvergenceError:
            return None, "Cox model could not be fitted (it did not converge)"
        except Exception:  # noqa: BLE001 - lifelines raises several types; report, don't crash
            return None, "Cox model could not be fitted to these data"
    bad = [w for w in caught if "Convergence" in type(w.message).__name__]
    if not bad:
        return cph, ""
    # lifelines appends advice, links and example code; its first sentence is the diagnosis
    text = str(bad[0].message).strip().splitlines()[0].split(". ")[0].rstrip(".")
    text = text.replace("Column treat", "The arm indicator")  # our design column, not the user's
    return cph, f"Cox model convergence warning: {text}; the hazard ratio may be unreliable"


class SurvivalAnalysis:
    """Per-arm and between-arm survival statistics of an IPD table.

    Parameters
    ----------
    alpha : float, default 0.05
        Confidence intervals are ``1 - alpha``.

    Attributes
    ----------
    per_arm_ : pandas.DataFrame
        One row per arm: ``n, events, censored, max_followup, median, median_lower, median_upper,
        tau, rmst, rmst_se, rmst_lower, rmst_upper``. A median that is not reached is ``inf``.
    landmarks_ : pandas.DataFrame
        ``arm, time, n_at_risk, survival, lower, upper, note`` (log-log Greenwood intervals).
    comparisons_ : pandas.DataFrame
        One row per non-reference arm: Cox ``hr, hr_lower, hr_upper, log_hr, se_log_hr, hr_p``,
        ``ph_statistic, ph_p`` (scaled-Schoenfeld test, KM time transform), ``logrank_statistic,
        logrank_p``, ``rmst_diff, rmst_diff_se, rmst_diff_lower, rmst_diff_upper, rmst_diff_p``
        (arm minus reference) and ``note``.
    overall_logrank_ : dict
        ``statistic, df, p`` of the log-rank test across all arms (empty with one arm).
    parametric_ : ParametricFits or None
        Exponential, Weibull, log-normal, log-logistic and generalised gamma fits per arm.
    reference_, tau_, arms_, kmfs_
        The reference arm, the RMST horizon, the arms (sorted) and their KaplanMeierFitters.
    summary : pandas.DataFrame
        The per-arm table (``per_arm_``). :meth:`format` (also ``str()``) is every table as the
        text ``kmipd analyze`` prints, :meth:`to_dict` the content of ``analysis.json``.
    """

    def __init__(self, alpha: float = 0.05) -> None:
        if not 0 < alpha < 1:
            raise KmipdError(f"alpha must be between 0 and 1, got {alpha}.")
        self.alpha = alpha

    def fit(
        self,
        ipd: pd.DataFrame,
        reference: str | None = None,
        tau: float | None = None,
        landmarks: list[float] | None = None,
        horizon: float | None = None,
        parametric: bool = True,
    ) -> SurvivalAnalysis:
        """Compute every statistic.

        Parameters
        ----------
        ipd : pandas.DataFrame
            IPD with columns ``arm, time, event``.
        reference : str, optional
            Arm the others are compared with; default: the first arm in alphabetical order.
        tau : float, optional
            RMST horizon; default: the shortest of the arms' maximum follow-up times, the
            largest value at which every arm's Kaplan-Meier curve is defined.
        landmarks : list of float, optional
            Times for the survival-at-landmark table; default: about four round times up to tau.
        horizon : float, optional
            Extrapolation horizon of the parametric fits; default twice the longest follow-up.
        parametric : bool, default True
            Fit the parametric models (the slowest part; turn off when not needed).

        Returns
        -------
        SurvivalAnalysis
            ``self``, with the attributes filled in.

        Raises
        ------
        KmipdError
            An unknown reference arm, a bad tau or landmark, or an arm whose times are all 0. An
            arm without events is not an error: its HR and parametric fits are NaN / "failed"
            with a note saying why.
        """
        ipd = check_ipd(ipd)
        check_follow_up(ipd)
        self.arms_ = sorted(ipd["arm"].unique())
        self.reference_ = self._choose_reference(reference)
        max_fu = ipd.groupby("arm")["time"].max()
        self.tau_ = self._choose_tau(tau, max_fu)
        self.landmark_times_ = self._choose_landmarks(landmarks)
        groups = {arm: rows for arm, rows in ipd.groupby("arm")}
        self.kmfs_ = {arm: _km(groups[arm], arm, self.alpha) for arm in self.arms_}
        self.per_arm_ = pd.DataFrame([self._arm_row(arm, groups[arm]) for arm in self.arms_])
        self.landmarks_ = pd.DataFrame(
            [self._landmark_row(arm, groups[arm], t) for arm in self.arms_ for t in self.landmark_times_],
            columns=["arm", "time", "n_at_risk", "survival", "lower", "upper", "note"],
        )
        others = [a for a in self.arms_ if a != self.reference_]
        self.comparisons_ = pd.DataFrame(
            [self._compare(arm, groups[arm], groups[self.reference_]) for arm in others],
            columns=_COMPARISON_COLUMNS,
        )
        self.overall_logrank_ = {}
        if len(self.arms_) > 1:
            lr = multivariate_logrank_test(ipd["time"], ipd["arm"], ipd["event"])
            self.overall_logrank_ = {"statistic": float(lr.test_statistic), "df": int(lr.degrees_of_freedom), "p": float(lr.p_value)}
        self.parametric_ = ParametricFits(alpha=self.alpha).fit(ipd, horizon=horizon) if parametric else None
        # sorted so the plot and tables list arms in the same (alphabetical) order
        self.ipd_ = ipd.sort_values(["arm", "time"], kind="stable").reset_index(drop=True)
        return self

    # -- choices ---------------------------------------------------------------------------------
    def _choose_reference(self, reference: str | None) -> str:
        if reference is None:
            return self.arms_[0]
        return require_arm(reference, self.arms_, "reference arm", "the IPD",
                           "give one of them (--reference on the command line, reference= in Python)")

    def _choose_tau(self, tau: float | None, max_fu: pd.Series) -> float:
        shortest = float(max_fu.min())
        if tau is None:
            return shortest
        if not np.isfinite(tau) or tau <= 0:
            raise KmipdError(f"tau must be a positive time, got {tau}.")
        if tau > shortest:
            arm = max_fu.idxmin()
            raise KmipdError(
                f"tau {tau:g} is beyond the follow-up of arm {arm!r} (last time {shortest:g}); "
                f"the RMST is only estimable up to {shortest:g}; choose tau <= {shortest:g} "
                "(--tau on the command line, tau= in Python)."
            )
        return float(tau)

    def _choose_landmarks(self, landmarks: list[float] | None) -> list[float]:
        if landmarks is None:
            return default_landmarks(self.tau_)
        out = sorted({float(t) for t in landmarks})
        if any(not np.isfinite(t) or t < 0 for t in out):
            raise KmipdError(f"landmark times must be >= 0, got {', '.join(f'{t:g}' for t in out)}.")
        return out

    # -- per arm ---------------------------------------------------------------------------------
    def _arm_row(self, arm: str, rows: pd.DataFrame) -> dict:
        kmf = self.kmfs_[arm]
        ci = median_survival_times(kmf.confidence_interval_)
        rmst, se = rmst_with_se(kmf, self.tau_)
        z = z_crit(self.alpha)
        return {
            "arm": arm, "n": len(rows), "events": int(rows["event"].sum()),
            "censored": int((rows["event"] == 0).sum()), "max_followup": float(rows["time"].max()),
            "median": float(kmf.median_survival_time_),
            "median_lower": float(ci.iloc[0, 0]), "median_upper": float(ci.iloc[0, 1]),
            "tau": self.tau_, "rmst": rmst, "rmst_se": se,
            "rmst_lower": rmst - z * se, "rmst_upper": rmst + z * se,
        }

    def _landmark_row(self, arm: str, rows: pd.DataFrame, t: float) -> dict:
        kmf = self.kmfs_[arm]
        row = {"arm": arm, "time": t, "n_at_risk": int((rows["time"] >= t).sum())}
        if t > rows["time"].max():
            return {**row, "survival": math.nan, "lower": math.nan, "upper": math.nan, "note": "beyond follow-up"}
        ci = kmf.confidence_interval_survival_function_
        # the curve is right-continuous: its value at t is the last step at or before t
        at = ci.loc[:t].iloc[-1]
        surv = float(kmf.survival_function_at_times(t).iloc[0])
        return {**row, "survival": surv, "lower": float(at.iloc[0]), "upper": float(at.iloc[1]), "note": ""}

    # -- between arms ----------------------------------------------------------------------------
    def _compare(self, arm: str, rows: pd.DataFrame, ref: pd.DataFrame) -> dict:
        out: dict = {"arm": arm, "reference": self.reference_}
        notes = []
        both = pd.concat([rows, ref])
        data = pd.DataFrame({"time": both["time"], "event": both["event"], "treat": (both["arm"] == arm).astype(int)})
        cph, note = self._cox(arm, rows, ref, data)
        if note:
            notes.append(note)
        if cph is not None:
            s = cph.summary.loc["treat"]
            with np.errstate(over="ignore"):  # a separated model has an infinite upper limit; keep inf
                lo, hi = np.exp(cph.confidence_intervals_.loc["treat"].to_numpy(dtype=float))
            out.update(log_hr=float(s["coef"]), se_log_hr=float(s["se(coef)"]), hr=float(s["exp(coef)"]),
                       hr_lower=float(lo), hr_upper=float(hi), hr_p=float(s["p"]))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    # "km" (R cox.zph's default), not lifelines' default "rank": "rank" is a cumulative
                    # count of events in row order, so with tied times its p-value depends on how the
                    # rows happen to be sorted
                    ph = proportional_hazard_test(cph, data, time_transform="km")
                row = ph.summary.iloc[0]
                out.update(ph_statistic=float(row["test_statistic"]), ph_p=float(row["p"]))
            except Exception:  # noqa: BLE001 - a failed check is reported, not fatal
                notes.append("proportional-hazards test not computable for these data")
        lr = logrank_test(rows["time"], ref["time"], rows["event"], ref["event"])
        out.update(logrank_statistic=float(lr.test_statistic), logrank_p=float(lr.p_value))
        a, b = self.per_arm_.set_index("arm").loc[arm], self.per_arm_.set_index("arm").loc[self.reference_]
        diff, se = float(a["rmst"] - b["rmst"]), math.hypot(a["rmst_se"], b["rmst_se"])
        lo, hi, p = wald(diff, se, self.alpha)
        out.update(rmst_diff=diff, rmst_diff_se=se, rmst_diff_lower=lo, rmst_diff_upper=hi, rmst_diff_p=p)
        out["note"] = "; ".join(notes)
        return out

    def _cox(self, arm: str, rows: pd.DataFrame, ref: pd.DataFrame,
             data: pd.DataFrame) -> tuple[CoxPHFitter | None, str]:
        """:func:`fit_cox`, unless an arm has no events: then the HR is not estimable (lifelines
        would "converge" to an HR of 0 or 1e7 with a CI of 0 to inf), and the note says so."""
        empty = [name for name, part in ((arm, rows), (self.reference_, ref)) if part["event"].sum() == 0]
        if empty:
            return None, f"arm {empty[0]!r} has no events: the hazard ratio is not estimable"
        return fit_cox(data, self.alpha)

    # -- output ----------------------------------------------------------------------------------
    @property
    def summary(self) -> pd.DataFrame:
        """The per-arm table (:attr:`per_arm_`); :meth:`format` shows every table as text."""
        return self.per_arm_

    def format(self) -> str:
        """The results as printable text tables (what ``kmipd analyze`` prints)."""
        from kmipd.analysis.text import survival_text

        return survival_text(self)

    def __str__(self) -> str:
        return self.format()

    def to_dict(self) -> dict:
        """All results as plain data (the content of ``analysis.json``)."""
        out = {
            "alpha": self.alpha, "reference": self.reference_, "tau": self.tau_,
            "per_arm": self.per_arm_, "landmarks": self.landmarks_, "comparisons": self.comparisons_,
            "overall_logrank": self.overall_logrank_,
        }
        if self.parametric_ is not None:
            out["parametric"] = self.parametric_.to_dict()
        return out

    def plot_km(self, ax=None, **kwargs) -> Figure:
        """Kaplan-Meier curves with a number-at-risk table (:func:`kmipd.analysis.plots.plot_km`).

        Keyword arguments go to ``plot_km``; by default the overall log-rank p is annotated.
        """
        if self.overall_logrank_:
            p = fmt_p(self.overall_logrank_["p"])
            kwargs.setdefault("annotation", f"log-rank p {p if p.startswith('<') else '= ' + p}")
        return plot_km(self.ipd_, ax=ax, **kwargs)

    def to_folder(self, outdir: str | Path) -> dict[str, Path]:
        """Write the CSV tables, ``analysis.json`` and the PNG figures into ``outdir``.

        Each file is replaced in one step; without parametric fits, the ``parametric*`` files
        of an earlier analysis are removed (every file owned: :data:`ANALYSIS_OUTPUTS`).

        Returns
        -------
        dict of str to Path
            The files written, by name.
        """
        outdir = make_folder(outdir)
        if self.parametric_ is None:
            remove_outputs(outdir, PARAMETRIC_OUTPUTS)
        files = {
            "per_arm": write_table(self.per_arm_, outdir / "per_arm.csv"),
            "landmarks": write_table(self.landmarks_, outdir / "landmarks.csv"),
            "comparisons": write_table(self.comparisons_, outdir / "comparisons.csv"),
        }
        if self.parametric_ is not None:
            files.update(self.parametric_.to_folder(outdir))
        files["json"] = write_json(self.to_dict(), outdir / "analysis.json")
        files["km_png"] = write_figure(self.plot_km(), outdir / "km.png", dpi=150,
                                       bbox_inches="tight", facecolor="white")
        return files


ANALYSIS_OUTPUTS = ("per_arm.csv", "landmarks.csv", "comparisons.csv", "analysis.json", "km.png",
                    *PARAMETRIC_OUTPUTS)
"""Every file :meth:`SurvivalAnalysis.to_folder` writes (or removes as stale)."""


_COMPARISON_COLUMNS = [
    "arm", "reference", "hr", "hr_lower", "hr_upper", "log_hr", "se_log_hr", "hr_p", "ph_statistic", "ph_p",
    "logrank_statistic", "logrank_p", "rmst_diff", "rmst_diff_se", "rmst_diff_lower", "rmst_diff_upper",
    "rmst_diff_p", "note",
]


def analyze(
    ipd: pd.DataFrame | str | Path,
    reference: str | None = None,
    tau: float | None = None,
    landmarks: list[float] | None = None,
    horizon: float | None = None,
    parametric: bool = True,
    alpha: float = 0.05,
) -> SurvivalAnalysis:
    """Fit a :class:`SurvivalAnalysis` to an IPD table or CSV path; see its ``fit`` for the options."""
    if isinstance(ipd, (str, Path)):
        ipd = read_ipd(ipd)
    return SurvivalAnalysis(alpha=alpha).fit(
        ipd, reference=reference, tau=tau, landmarks=landmarks, horizon=horizon, parametric=parametric
    )
