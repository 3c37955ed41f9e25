"""Parametric survival models per arm for health-technology assessment (NICE DSU TSD 14 set).

Exponential, Weibull, log-normal, log-logistic and generalised gamma (lifelines fitters) are fitted
to each arm, compared by AIC and BIC, and extrapolated to a horizon beyond the trial's follow-up.
A model that fails to fit is a row with ``status = "failed"`` and the reason, never an exception.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import (
    ExponentialFitter,
    GeneralizedGammaFitter,
    KaplanMeierFitter,
    LogLogisticFitter,
    LogNormalFitter,
    WeibullFitter,
)
from lifelines.exceptions import ConvergenceError
from lifelines.utils import restricted_mean_survival_time
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from kmipd.analysis._common import fmt
from kmipd.errors import KmipdError
from kmipd.io import check_ipd, write_table
from kmipd.outputs import make_folder, write_figure
from kmipd.validate.arms import check_follow_up

MODELS = {
    "exponential": ExponentialFitter,
    "weibull": WeibullFitter,
    "lognormal": LogNormalFitter,
    "loglogistic": LogLogisticFitter,
    "generalized_gamma": GeneralizedGammaFitter,
}

FIT_COLUMNS = [
    "arm", "model", "n", "events", "n_params", "log_likelihood", "aic", "bic", "delta_aic",
    "horizon", "survival_at_horizon", "rmst_horizon", "status", "note",
]


# A parametric fit needs at least this many patients (lifelines fails on one, with a TypeError)
MIN_PATIENTS = 2


def _first_line(obj) -> str:
    text = str(obj).strip()
    return text.splitlines()[0].strip() if text else type(obj).__name__


def fit_one(model: str, time: np.ndarray, event: np.ndarray, alpha: float = 0.05) -> tuple[object | None, str, str]:
    """Fit one lifelines parametric model, returning ``(fitter or None, status, note)``.

    ``status`` is ``"ok"``, ``"warning"`` (fitted, but lifelines warned: non-convergence or a
    singular Hessian; the note says which) or ``"failed"`` (no fit; the note gives the reason).
    """
    if event.sum() == 0:
        return None, "failed", "no events in the arm: the model is not estimable"
    if len(time) < MIN_PATIENTS:
        return None, "failed", f"too few patients ({len(time)}) for a parametric fit"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fitter = MODELS[model](alpha=alpha).fit(time, event)
        except ConvergenceError:
            return None, "failed", "fit failed: did not converge (lifelines ConvergenceError)"
        except Exception:  # noqa: BLE001 - lifelines raises several types; a failed fit is a result
            return None, "failed", "fit failed: lifelines could not fit this model to the arm's data"
    worry = [w for w in caught if type(w.message).__name__ in ("ConvergenceWarning", "ApproximationWarning")]
    if worry:
        return fitter, "warning", _first_line(worry[0].message)
    return fitter, "ok", ""


class ParametricFits:
    """Standard parametric survival models fitted to every arm of an IPD table.

    Parameters
    ----------
    models : sequence of str, optional
        Names from :data:`MODELS`; default all five.
    alpha : float, default 0.05
        Passed to the lifelines fitters (their confidence intervals).

    Attributes
    ----------
    fits_ : pandas.DataFrame
        One row per arm and model: ``n, events, n_params, log_likelihood, aic, bic`` (BIC with
        ``ln n``, n = patients in the arm), ``delta_aic`` (to the arm's best model),
        ``survival_at_horizon``, ``rmst_horizon`` (mean survival time restricted to the horizon),
        ``status`` (ok / warning / failed) and ``note``.
    fitters_ : dict
        ``(arm, model) -> lifelines fitter`` for the fits that did not fail.
    horizon_ : float
        Extrapolation horizon.
    summary : pandas.DataFrame
        The fit table (``fits_``); :meth:`format` (also ``str()``) is it as text,
        :meth:`to_dict` the plain data for JSON.
    """

    def __init__(self, models: tuple[str, ...] | list[str] | None = None, alpha: float = 0.05) -> None:
        models = list(models) if models is not None else list(MODELS)
        unknown = [m for m in models if m not in MODELS]
        if unknown:
            raise KmipdError(f"unknown parametric model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}.")
        self.models = models
        self.alpha = alpha

    def fit(self, ipd: pd.DataFrame, horizon: float | None = None) -> ParametricFits:
        """Fit every model to every arm.

        Parameters
        ----------
        ipd : pandas.DataFrame
            IPD with columns ``arm, time, event``.
        horizon : float, optional
            Time to extrapolate to; default twice the longest follow-up.

        Returns
        -------
        ParametricFits
            ``self``.
        """
        ipd = check_ipd(ipd).sort_values(["arm", "time"], kind="stable")
        check_follow_up(ipd)
        longest = float(ipd["time"].max())
        if horizon is not None and (not np.isfinite(horizon) or horizon <= 0):
            raise KmipdError(f"horizon must be a positive time, got {horizon}.")
        self.horizon_ = float(horizon) if horizon is not None else 2.0 * longest
        self.fitters_: dict[tuple[str, str], object] = {}
        self.kmfs_: dict[str, KaplanMeierFitter] = {}
        rows = []
        for arm, part in ipd.groupby("arm"):
            time, event = part["time"].to_numpy(float), part["event"].to_numpy(int)
            self.kmfs_[arm] = KaplanMeierFitter().fit(time, event, label=arm)
            extra = ""
            if (time <= 0).any():
                # parametric likelihoods need t > 0; an event "at 0" becomes half the first positive time
                positive = time[time > 0]
                time = np.where(time > 0, time, positive.min() / 2 if positive.size else 1e-6)
                extra = "times of 0 set to half the smallest positive time"
            for model in self.models:
                fitter, status, note = fit_one(model, time, event, self.alpha)
                row = {"arm": arm, "model": model, "n": len(time), "events": int(event.sum()),
                       "status": status, "note": "; ".join(x for x in (note, extra) if x)}
                if fitter is None:
                    rows.append({**row, "n_params": len(MODELS[model]._fitted_parameter_names)})
                    continue
                self.fitters_[(arm, model)] = fitter
                k = len(fitter.params_)
                ll = float(fitter.log_likelihood_)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # quad's accuracy chatter on long horizons
                    rmst = float(restricted_mean_survival_time(fitter, t=self.horizon_))
                rows.append({
                    **row, "n_params": k, "log_likelihood": ll, "aic": float(fitter.AIC_),
                    "bic": -2.0 * ll + k * math.log(len(time)), "horizon": self.horizon_,
                    "survival_at_horizon": float(fitter.survival_function_at_times(self.horizon_).iloc[0]),
                    "rmst_horizon": rmst,
                })
        fits = pd.DataFrame(rows).reindex(columns=FIT_COLUMNS)
        fits["horizon"] = self.horizon_
        fits["delta_aic"] = fits["aic"] - fits.groupby("arm")["aic"].transform("min")
        self.fits_ = fits
        return self

    @property
    def best_(self) -> pd.DataFrame:
        """The lowest-AIC model of each arm (rows of ``fits_``)."""
        ok = self.fits_.dropna(subset=["aic"])
        return ok.loc[ok.groupby("arm")["aic"].idxmin()].reset_index(drop=True)

    def predict(self, times: ArrayLike | None = None) -> pd.DataFrame:
        """Fitted survival of every successful fit at ``times`` (default: 200 points to the horizon).

        Returns
        -------
        pandas.DataFrame
            Long format ``arm, model, time, survival``.
        """
        times = np.linspace(0.0, self.horizon_, 201) if times is None else np.asarray(times, dtype=float)
        parts = [
            pd.DataFrame({"arm": arm, "model": model, "time": times,
                          "survival": fitter.survival_function_at_times(times).to_numpy()})
            for (arm, model), fitter in self.fitters_.items()
        ]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["arm", "model", "time", "survival"])

    @property
    def summary(self) -> pd.DataFrame:
        """The fit table (:attr:`fits_`); :meth:`format` shows it as text."""
        return self.fits_

    def __str__(self) -> str:
        return self.format()

    def format(self) -> str:
        """The fit table as text."""
        f = self.fits_
        table = pd.DataFrame({
            "arm": f["arm"], "model": f["model"], "AIC": f["aic"].map(lambda x: fmt(x, 5)),
            "BIC": f["bic"].map(lambda x: fmt(x, 5)), "dAIC": f["delta_aic"].map(lambda x: fmt(x, 2)),
            f"S({fmt(self.horizon_, 4)})": f["survival_at_horizon"].map(fmt),
            f"mean to {fmt(self.horizon_, 4)}": f["rmst_horizon"].map(lambda x: fmt(x, 4)),
            "status": f["status"], "note": f["note"].fillna(""),
        })
        return f"Parametric fits (extrapolated to {fmt(self.horizon_, 4)})\n" + table.to_string(index=False)

    def to_dict(self) -> dict:
        """Plain-data results for JSON."""
        return {"horizon": self.horizon_, "fits": self.fits_, "best_by_aic": self.best_[["arm", "model"]]}

    def plot(self, fig: Figure | None = None) -> Figure:
        """One panel per arm: the Kaplan-Meier curve with every fitted model out to the horizon."""
        arms = list(self.kmfs_)
        ncol = min(3, len(arms))
        nrow = math.ceil(len(arms) / ncol)
        if fig is None:
            fig = Figure(figsize=(4.6 * ncol, 3.6 * nrow))
            FigureCanvasAgg(fig)
        axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
        curves = self.predict()
        for ax, arm in zip(axes, arms, strict=False):
            sf = self.kmfs_[arm].survival_function_.iloc[:, 0]
            ax.step(sf.index, sf.to_numpy(), where="post", color="black", lw=1.8, label="Kaplan-Meier")
            for i, model in enumerate(self.models):
                c = curves[(curves["arm"] == arm) & (curves["model"] == model)]
                if len(c):  # fixed colour per model, so a failed fit does not shift the others'
                    ax.plot(c["time"], c["survival"], lw=1.2, color=f"C{i}", label=model.replace("_", " "))
            ax.axvline(sf.index.max(), color="grey", ls=":", lw=1)
            ax.set(xlim=(0, self.horizon_), ylim=(0, 1.02), title=arm, xlabel="Time", ylabel="Survival")
            ax.legend(fontsize=7, frameon=False)
        for ax in axes[len(arms):]:
            ax.set_visible(False)
        fig.tight_layout()
        return fig

    def to_folder(self, outdir: str | Path) -> dict[str, Path]:
        """Write ``parametric.csv``, ``parametric_curves.csv`` and ``parametric.png``
        (:data:`PARAMETRIC_OUTPUTS`), each replaced in one step."""
        outdir = make_folder(outdir)
        return {
            "parametric": write_table(self.fits_, outdir / "parametric.csv"),
            "parametric_curves": write_table(self.predict(), outdir / "parametric_curves.csv"),
            "parametric_png": write_figure(self.plot(), outdir / "parametric.png", dpi=120,
                                           facecolor="white"),
        }


PARAMETRIC_OUTPUTS = ("parametric.csv", "parametric_curves.csv", "parametric.png")
"""The files :meth:`ParametricFits.to_folder` writes."""


def fit_parametric(
    ipd: pd.DataFrame, horizon: float | None = None, models: list[str] | None = None, alpha: float = 0.05
) -> ParametricFits:
    """Fit :class:`ParametricFits` to ``ipd``; see its ``fit``."""
    return ParametricFits(models=models, alpha=alpha).fit(ipd, horizon=horizon)


__all__ = ["MODELS", "ParametricFits", "fit_parametric", "fit_one"]
