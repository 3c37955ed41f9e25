"""Downstream analysis of IPD: the standard survival report and parametric (HTA) models.

>>> import tempfile
>>> import pandas as pd
>>> from kmipd.analysis import analyze
>>> ipd = pd.DataFrame({
...     "arm": ["Placebo"] * 12 + ["Drug"] * 12,
...     "time": [2.0, 3, 5, 6, 8, 9, 11, 14, 16, 20, 25, 30,
...              4, 7, 9, 12, 15, 18, 22, 26, 28, 30, 30, 30],
...     "event": [1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0,
...               1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 0]})
>>> res = analyze(ipd, reference="Placebo", landmarks=[12, 24])
>>> res.per_arm_[["arm", "n", "events", "median"]]
       arm   n  events  median
0     Drug  12       6    28.0
1  Placebo  12       8    14.0
>>> res.landmarks_[["arm", "time", "n_at_risk"]]
       arm  time  n_at_risk
0     Drug  12.0          9
1     Drug  24.0          5
2  Placebo  12.0          5
3  Placebo  24.0          2
>>> res.comparisons_[["arm", "reference"]].join(res.comparisons_["hr"].round(2))
    arm reference    hr
0  Drug   Placebo  0.44
>>> res.parametric_.fits_["model"].unique().tolist()
['exponential', 'weibull', 'lognormal', 'loglogistic', 'generalized_gamma']
>>> print(res.format().splitlines()[0])
Survival analysis: reference arm 'Placebo', tau = 30, 95% CI
>>> with tempfile.TemporaryDirectory() as out:
...     sorted(res.to_folder(out))  # doctest: +NORMALIZE_WHITESPACE
['comparisons', 'json', 'km_png', 'landmarks', 'parametric', 'parametric_curves',
 'parametric_png', 'per_arm']

The KM plot with its number-at-risk table is :func:`kmipd.analysis.plots.plot_km`.
"""

from __future__ import annotations

from kmipd.analysis.parametric import MODELS, ParametricFits, fit_parametric
from kmipd.analysis.survival import SurvivalAnalysis, analyze, default_landmarks, rmst_with_se

__all__ = [
    "MODELS", "ParametricFits", "SurvivalAnalysis", "analyze", "default_landmarks", "fit_parametric",
    "rmst_with_se",
]
