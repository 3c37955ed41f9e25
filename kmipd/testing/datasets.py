"""Real public survival data sets (shipped with lifelines) as kmipd IPD tables.

Tests and benchmarks use these as exact ground truth: render a figure from the IPD, digitize or
reconstruct it, and compare with the IPD it came from.
"""

from __future__ import annotations

import pandas as pd
from lifelines import datasets as _ld

# name -> (loader, time column, event column, arm column, {raw arm value: arm name})
_SPECS = {
    "gbsg2": ("load_gbsg2", "time", "cens", "horTh", {"no": "No hormone therapy", "yes": "Hormone therapy"}),
    "lung": ("load_lung", "time", "status", "sex", {1: "Male", 2: "Female"}),
    "rossi": ("load_rossi", "week", "arrest", "fin", {0: "No aid", 1: "Financial aid"}),
    "waltons": ("load_waltons", "T", "E", "group", {"control": "Control", "miR-137": "miR-137"}),
    "leukemia": ("load_leukemia", "t", "status", "Rx", {0: "6-MP", 1: "Placebo"}),
    "lymphoma": ("load_lymphoma", "Time", "Censor", "Stage_group", {1: "Stage I/II", 2: "Stage III/IV"}),
    "kidney_transplant": ("load_kidney_transplant", "time", "death", "black_male", {0: "Other", 1: "Black male"}),
    "dd": ("load_dd", "duration", "observed", "democracy", {"Democracy": "Democracy", "Non-democracy": "Non-democracy"}),
    "lcd": ("load_lcd", "T", "E", "group", None),
    "regression": ("load_regression_dataset", "T", "E", None, None),
}


def _larynx() -> pd.DataFrame:
    df = _ld.load_larynx()
    stage = 1 + df["Stage_II"] + 2 * df["Stage_III"] + 3 * df["Stage_IV"]
    names = {1: "Stage I", 2: "Stage II", 3: "Stage III", 4: "Stage IV"}
    return pd.DataFrame({"arm": stage.map(names), "time": df["time"], "event": df["death"]})


def _dd_regime() -> pd.DataFrame:
    df = _ld.load_dd()
    keep = df["regime"].isin(["Parliamentary Dem", "Presidential Dem", "Military Dict"])
    df = df[keep]
    return pd.DataFrame({"arm": df["regime"], "time": df["duration"], "event": df["observed"]})


def available() -> list[str]:
    """Names accepted by :func:`load_ipd`."""
    return sorted([*_SPECS, "larynx", "dd_regime"])


def load_ipd(name: str) -> pd.DataFrame:
    """Return a lifelines data set as IPD with columns ``arm, time, event``.

    Parameters
    ----------
    name : str
        One of :func:`available`.

    Returns
    -------
    pandas.DataFrame
        Sorted by arm then time; ``event`` is 1 for an event, 0 for censored.
    """
    if name == "larynx":
        frame = _larynx()
    elif name == "dd_regime":
        frame = _dd_regime()
    elif name in _SPECS:
        loader, t, e, a, names = _SPECS[name]
        raw = getattr(_ld, loader)()
        arm = raw[a].map(names) if (a and names) else (raw[a].astype(str) if a else "All")
        frame = pd.DataFrame({"arm": arm, "time": raw[t].astype(float), "event": raw[e].astype(int)})
    else:
        raise KeyError(f"unknown data set {name!r}; choose from {', '.join(available())}")
    frame = frame.dropna()
    frame = frame[frame["time"] > 0]
    frame["event"] = (frame["event"] > 0).astype(int)
    return frame.sort_values(["arm", "time"], kind="stable").reset_index(drop=True)
