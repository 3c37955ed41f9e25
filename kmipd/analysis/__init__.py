"""Downstream analysis of IPD: the standard survival report and parametric (HTA) models.

>>> res = analyze(ipd, reference="Placebo", landmarks=[12, 24])
>>> res.per_arm_, res.landmarks_, res.comparisons_, res.parametric_.fits_
>>> print(res.summary); res.to_folder("out/")
"""

from __future__ import annotations

from kmipd.analysis.parametric import MODELS, ParametricFits, fit_parametric
from kmipd.analysis.survival import SurvivalAnalysis, analyze, default_landmarks, rmst_with_se

__all__ = [
    "MODELS", "ParametricFits", "SurvivalAnalysis", "analyze", "default_landmarks", "fit_parametric",
    "rmst_with_se",
]
