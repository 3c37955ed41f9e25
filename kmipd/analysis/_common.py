"""Small helpers shared by the analysis and pooling modules: JSON output and number formatting."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from kmipd.outputs import write_text_atomic


def z_crit(alpha: float) -> float:
    """Two-sided normal critical value for a ``1 - alpha`` confidence interval."""
    return float(stats.norm.ppf(1.0 - alpha / 2.0))


def wald(estimate: float, se: float, alpha: float) -> tuple[float, float, float]:
    """Return ``(lower, upper, p)`` of a Wald interval and two-sided test of ``estimate = 0``."""
    if not (np.isfinite(estimate) and np.isfinite(se)) or se <= 0:
        return math.nan, math.nan, math.nan
    z = z_crit(alpha)
    p = float(2.0 * stats.norm.sf(abs(estimate / se)))
    return estimate - z * se, estimate + z * se, p


def jsonable(value: Any) -> Any:
    """Turn numpy / pandas values into plain JSON; non-finite numbers become ``null``.

    JSON has no inf or NaN; a median that is not reached (inf) and a statistic that could not be
    computed (NaN) are both written as ``null`` and explained by the neighbouring ``note``.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(obj: Any, path: str | Path) -> Path:
    """Write ``obj`` (after :func:`jsonable`) as indented JSON, creating the parent folder.

    The file is replaced in one step (:func:`kmipd.outputs.write_text_atomic`).
    """
    return write_text_atomic(path, json.dumps(jsonable(obj), indent=2) + "\n")


def fmt(x: float, digits: int = 3, inf: str = "NR") -> str:
    """Format a number for the printed tables; inf is ``inf`` text ('NR', not reached), NaN is '-'."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "-"
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return inf if x > 0 else "-" + inf
    # 'g' would print 1217 as 1.22e+03; times in days need all their integer digits
    return f"{x:.0f}" if abs(x) >= 10**digits else f"{x:.{digits}g}"


def fmt_ci(est: float, lower: float, upper: float, digits: int = 3, inf: str = "NR") -> str:
    """``est (lower, upper)`` with :func:`fmt` applied to each part."""
    return f"{fmt(est, digits, inf)} ({fmt(lower, digits, inf)}, {fmt(upper, digits, inf)})"


def fmt_p(p: float) -> str:
    """A p-value for a table: '<0.001' below that, otherwise 3 decimals."""
    if p is None or not np.isfinite(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"
