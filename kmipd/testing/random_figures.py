"""Random simulated trials drawn in random looks, with the exact truth of every image.

The digitizer is measured on figures it has never seen by drawing many of them:
:func:`simulate_trial` gives a trial with known IPD (1-4 arms, 20-400 patients per arm, Weibull
event times, uniform accrual with administrative censoring and random drop-out, in months, days
or years), :func:`~kmipd.testing.looks.draw_look` a random look, and
:func:`render_random_figure` draws the trial in the look and returns a :class:`RandomFigure`:
the IPD, the arm names as printed, the KM steps drawn, the numbers at risk printed and the look
as a flat dict of knobs. ``bench/bench_random.py`` digitizes hundreds of them.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> rng = np.random.default_rng(7)
>>> trial, look = simulate_trial(rng), draw_look(rng)
>>> with tempfile.TemporaryDirectory() as tmp:
...     fig = render_random_figure(trial, look, pathlib.Path(tmp) / "f.png")
...     fig.path.is_file(), len(fig.arms) == trial.ipd["arm"].nunique()
(True, True)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kmipd.analysis.plots import km_steps, numbers_at_risk
from kmipd.compare import step_survival
from kmipd.testing.looks import Look, draw_look, palette_colours
from kmipd.testing.random_draw import Texts, draw_figure

__all__ = ["UNITS", "RandomFigure", "Trial", "draw_look", "render_random_figure", "simulate_trial"]

#: Time units: months per unit's reciprocal (a time in months times this is in the unit).
UNITS: dict[str, float] = {"months": 1.0, "days": 30.4375, "years": 1 / 12}
_UNIT_P = (0.6, 0.2, 0.2)
_ARM_NAMES = (
    ("Placebo", "Drug A"), ("Control", "Experimental"), ("Chemotherapy", "Pembrolizumab"),
    ("Observation", "Sorafenib"), ("Standard care", "Intervention"),
    ("Arm A", "Arm B", "Arm C", "Arm D"), ("Low", "Intermediate", "High", "Very high"),
    ("Stage I", "Stage II", "Stage III", "Stage IV"), ("Wild type", "Mutant"),
    ("Group 1", "Group 2", "Group 3", "Group 4"),
    ("Nivolumab + ipilimumab", "Nivolumab", "Ipilimumab"), ("Docetaxel", "Atezolizumab"),
    ("PD-L1 <1%", "PD-L1 1-49%", "PD-L1 >=50%"), ("Male", "Female"), ("No", "Yes"),
    ("Surgery", "Surgery + RT", "RT alone"), ("Q1", "Q2", "Q3", "Q4"),
)
_SINGLE_ARM = ("All patients", "Overall", "Cohort")
_VARIABLES = ("treatment", "arm", "group", "rx", "strata")
N_RANGE = (20, 400)
_STEPS = {"months": (1, 2, 3, 4, 6, 12, 24, 36, 48, 60, 120),
          "days": (7, 14, 30, 50, 60, 90, 100, 180, 200, 250, 365, 500, 730, 1000, 1500, 2000),
          "years": (0.25, 0.5, 1, 2, 3, 5, 10)}
_X_LABELS = ("{U}", "Time ({u})", "{U} since randomization", "Follow-up ({u})",
             "Time since randomisation ({u})")
_Y_LABELS = {"survival_probability": "Survival probability", "overall_survival": "Overall survival",
             "pfs": "Progression-free survival", "proportion": "Proportion alive", "none": ""}
_TITLES = ("Overall survival", "Progression-free survival",
           "Kaplan-Meier estimate of overall survival", "Figure 2. Time to progression",
           "Disease-free survival by treatment arm")
_LEGEND_TITLES = ("Strata", "Treatment", "Arm", "Group")
_PLOT_WIDTH = 0.74  # the plot's share of the figure width (random_draw's layout)
_CHAR_WIDTH = 0.6  # width of a digit in font sizes (wide fonts)


@dataclass
class Trial:
    """A simulated trial: its IPD (times in ``unit``) and how it was drawn."""

    ipd: pd.DataFrame  # arm,time,event
    arms: list[str]
    unit: str
    variable: str  # the grouping variable's name (survminer prints "variable=arm")
    seed: int  # for the texts of its figure (annotation numbers, title choice)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class RandomFigure:
    """A figure drawn by :func:`render_random_figure` and the exact truth of what it shows.

    Arms are keyed by their printed name everywhere (``ipd``, ``curves``, ``at_risk``):
    the legend's or curve-end label when there is one, else the table's row label, else the
    trial's name (then ``names_printed`` is False). ``curves`` holds the KM steps as drawn (cut
    at the last x tick); ``at_risk`` the numbers printed per column (None without a table);
    ``knobs`` the look and the trial's properties as one flat dict.
    """

    path: Path
    ipd: pd.DataFrame
    arms: list[str]
    names_printed: bool
    table_labels: dict[str, str]
    curves: pd.DataFrame
    at_risk: pd.DataFrame | None
    x_ticks: list[float]
    y_range: tuple[float, float]
    percent: bool
    t_end: dict[str, float]
    size_px: tuple[int, int]
    look: Look
    knobs: dict[str, Any]

    @property
    def has_table(self) -> bool:
        """A number-at-risk table is printed."""
        return self.at_risk is not None

    def save_truth(self, folder: str | Path) -> Path:
        """Write ``ipd.csv``, ``curves.csv``, ``at_risk.csv`` and ``truth.json`` to ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.ipd.to_csv(folder / "ipd.csv", index=False)
        self.curves.to_csv(folder / "curves.csv", index=False)
        if self.at_risk is not None:
            self.at_risk.to_csv(folder / "at_risk.csv", index=False)
        meta = {"image": self.path.name, "arms": self.arms, "names_printed": self.names_printed,
                "table_labels": self.table_labels, "x_ticks": self.x_ticks,
                "y_range": list(self.y_range), "percent": self.percent, "t_end": self.t_end,
                "size_px": list(self.size_px), "knobs": self.knobs}
        (folder / "truth.json").write_text(json.dumps(meta, indent=1, default=str))
        return folder


def simulate_trial(rng: np.random.Generator) -> Trial:
    """Simulate a trial with known IPD.

    1-4 arms of 20-400 patients; Weibull event times (shape 0.6-1.8, exponential a third of the
    time) with a control median of 4-60 months and a hazard ratio per arm; uniform accrual and
    a fixed end of study (administrative censoring) plus exponential drop-out (0-15% a year).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Trial
        Times in whole days (``days``), or in months / years to 0.01 / 0.001.
    """
    n_arms = int(rng.choice([1, 2, 3, 4], p=[0.12, 0.55, 0.2, 0.13]))
    unit = str(rng.choice(list(UNITS), p=_UNIT_P))
    if n_arms == 1:
        names = [str(rng.choice(_SINGLE_ARM))]
    else:
        sets = [s for s in _ARM_NAMES if len(s) >= n_arms]
        names = list(sets[int(rng.integers(len(sets)))][:n_arms])
    shape = 1.0 if rng.random() < 1 / 3 else float(rng.uniform(0.6, 1.8))
    median = float(np.exp(rng.uniform(np.log(4), np.log(60))))
    accrual = min(float(rng.uniform(0.3, 1.5)) * median, 48.0)
    follow_up = float(rng.uniform(0.3, 2.0)) * median
    drop_year = 0.0 if rng.random() < 0.3 else float(rng.uniform(0.0, 0.15))
    drop_rate = -np.log(1 - drop_year) / 12
    base_n = int(rng.integers(N_RANGE[0], N_RANGE[1] + 1))
    scale = median / np.log(2) ** (1 / shape)
    hrs = [1.0] + [float(np.clip(np.exp(rng.normal(0, 0.45)), 0.3, 3.0)) for _ in names[1:]]
    parts = []
    for name, hr in zip(names, hrs, strict=True):
        n = int(np.clip(round(base_n * rng.uniform(0.8, 1.2)), *N_RANGE))
        event_t = scale * (rng.exponential(1.0, n) / hr) ** (1 / shape)
        admin = accrual + follow_up - rng.uniform(0, accrual, n)
        drop = rng.exponential(1 / drop_rate, n) if drop_rate > 0 else np.full(n, np.inf)
        time = np.minimum(event_t, np.minimum(admin, drop)) * UNITS[unit]
        time = np.maximum(np.round(time), 1.0) if unit == "days" else np.maximum(
            np.round(time, 2 if unit == "months" else 3), 0.01)
        parts.append(pd.DataFrame({"arm": name, "time": time.astype(float),
                                   "event": (event_t <= np.minimum(admin, drop)).astype(int)}))
    params = {"shape": shape, "median_months": median, "accrual_months": accrual,
              "follow_up_months": follow_up, "dropout_per_year": drop_year, "hazard_ratios": hrs}
    return Trial(ipd=pd.concat(parts, ignore_index=True), arms=names, unit=unit,
                 variable=str(rng.choice(_VARIABLES)), seed=int(rng.integers(2**31)),
                 params=params)


def _x_ticks(t_max: float, unit: str, look: Look) -> np.ndarray:
    """Round ticks covering (or cutting) the follow-up, at most ``look.n_x_ticks`` gaps and no
    more than the plot's width holds without labels touching."""
    plot_pt = look.width_in * _PLOT_WIDTH * 72
    for step in _STEPS[unit]:
        n = np.ceil(t_max / step - 1e-9)
        label_pt = len(f"{n * step:g}") * _CHAR_WIDTH * look.font_size + look.font_size
        if n <= look.n_x_ticks and (n + 1) * label_pt <= plot_pt:
            break
    n = int(np.ceil(t_max / step - 1e-9))
    if look.x_end == "cut" and np.floor(t_max / step) >= 3:
        n = int(np.floor(t_max / step))
    return np.round(np.arange(n + 1) * step, 6)


def _clip(steps: pd.DataFrame, t_end: float) -> pd.DataFrame:
    """Each arm's steps up to ``t_end`` (with a point at ``t_end`` when the arm runs past it)."""
    parts = []
    for arm, rows in steps.groupby("arm", sort=False):
        inside = rows[rows["time"] <= t_end]
        if rows["time"].max() > t_end and inside["time"].iloc[-1] < t_end:
            s_end = float(step_survival(rows["time"], rows["survival"], [t_end])[0])
            inside = pd.concat([inside, pd.DataFrame({"arm": [arm], "time": [t_end],
                                                      "survival": [s_end]})])
        parts.append(inside)
    return pd.concat(parts, ignore_index=True)


def _abbreviate(names: list[str]) -> list[str]:
    """Short row labels ("Arm A" -> "A", "Placebo" -> "Pla"); the names when not unique."""
    def last_word(s: str) -> str:
        words = s.split()
        return words[-1] if len(words) > 1 and len(words[-1]) <= 3 else s[:3].strip()

    def initials(s: str) -> str:
        return "".join(w[0] for w in s.split()) if len(s.split()) > 1 else s[:4]

    for short in (last_word, initials):
        out = [short(s) for s in names]
        if len(set(out)) == len(out):
            return out
    return list(names)


def _printed(trial: Trial, look: Look) -> list[str]:
    if look.name_format == "strata":
        return [f"{trial.variable}={a}" for a in trial.arms]
    if look.name_format == "with_n":
        n = trial.ipd.groupby("arm").size()
        return [f"{a} (n={int(n[a])})" for a in trial.arms]
    return list(trial.arms)


def _texts(trial: Trial, look: Look) -> tuple[Texts, str]:
    rng = np.random.default_rng(trial.seed)
    unit = trial.unit
    x_label = str(rng.choice(_X_LABELS)).format(U=unit.capitalize(), u=unit)
    y_label = _Y_LABELS[look.y_label]
    if y_label and look.percent:
        y_label += " (%)"
    hr = float(np.exp(rng.normal(0, 0.4)))
    lo, hi = hr * np.exp(-rng.uniform(0.1, 0.5)), hr * np.exp(rng.uniform(0.1, 0.5))
    p = float(rng.choice([0.001, 0.012, 0.04, 0.21, 0.67]))
    annotation = {"none": "", "p": f"p = {p:g}" if rng.random() < 0.6 else f"Log-rank p = {p:g}",
                  "hr_ci_p": f"HR {hr:.2f} (95% CI {lo:.2f}-{hi:.2f}); log-rank p = {p:g}"}
    texts = Texts(x_label=x_label, y_label=y_label,
                  title=str(rng.choice(_TITLES)) if look.title else "",
                  annotation=annotation[look.annotation],
                  legend_title=str(rng.choice(_LEGEND_TITLES)) if look.legend_title else "",
                  table_title_left=bool(rng.random() < 0.6))
    return texts, "" if look.table_title == "none" else look.table_title


def render_random_figure(trial: Trial, look: Look, path: str | Path, *, vector: bool = False) -> RandomFigure:
    """Draw ``trial`` in ``look`` to ``path`` and return the exact truth.

    Parameters
    ----------
    trial : Trial
        From :func:`simulate_trial`.
    look : Look
        From :func:`~kmipd.testing.looks.draw_look`.
    path : str or pathlib.Path
        Output file; the suffix becomes ``.png`` or ``.jpg`` after ``look.fmt``.
    vector : bool
        Save a vector PDF page instead (``.pdf``; the look's dpi, JPEG and blur do not apply).

    Returns
    -------
    RandomFigure
    """
    printed = _printed(trial, look)
    labels = _abbreviate(trial.arms) if look.table_abbrev else list(printed)
    table = look.table == "below"
    named_by_legend = look.legend != "none"
    named_by_table = table and look.table_labels != "line_keys"
    keys = printed if named_by_legend or not named_by_table else labels
    rename = dict(zip(trial.arms, keys, strict=True))
    ipd = trial.ipd.assign(arm=trial.ipd["arm"].map(rename))
    x_ticks = _x_ticks(float(ipd["time"].max()), trial.unit, look)
    steps = _clip(km_steps(ipd), float(x_ticks[-1]))
    at_risk = numbers_at_risk(ipd, x_ticks) if table else None
    texts, table_title = _texts(trial, look)
    colours = palette_colours(look.palette, len(keys))
    drawing = draw_figure(ipd, steps, at_risk, x_ticks, look, Path(path), colours=colours,
                          table_labels=dict(zip(keys, labels, strict=True)), texts=texts,
                          table_title=table_title, vector=vector)
    t_end = {arm: float(rows["time"].max()) for arm, rows in steps.groupby("arm", sort=False)}
    knobs = {**look.knobs(), "n_arms": len(keys), "unit": trial.unit,
             "n_per_arm": int(ipd.groupby("arm").size().median()),
             "long_names": max(len(k) for k in keys) > 12}
    return RandomFigure(
        path=drawing.path, ipd=ipd, arms=list(keys),
        names_printed=bool(named_by_legend or named_by_table),
        table_labels=dict(zip(keys, labels, strict=True)), curves=steps, at_risk=at_risk,
        x_ticks=[float(v) for v in x_ticks], y_range=drawing.y_range, percent=look.percent,
        t_end=t_end, size_px=drawing.size_px, look=look, knobs=knobs)
