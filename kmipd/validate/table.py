"""Plain-text and JSON rendering of a validation table (the rows :func:`~kmipd.validate.validate`
returns): aligned columns, ``PASS`` / ``FAIL`` / ``N/E`` per line and a closing summary line.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

COLUMNS = ("statistic", "arm", "reported", "reconstructed", "difference", "tolerance", "pass",
           "scale", "status")
PASS, FAIL, NOT_ESTIMABLE = "pass", "fail", "not estimable"
_MARK = {PASS: "PASS", FAIL: "FAIL", NOT_ESTIMABLE: "N/E"}


def statuses(table: pd.DataFrame) -> pd.Series:
    """Each row's status: the ``status`` column, or (tables without one) pass/fail."""
    if "status" in table:
        return table["status"].astype(str)
    return table["pass"].map({True: PASS, False: FAIL})


def format_value(statistic: str, value: float) -> str:
    """A reported or reconstructed value as printed: ``NA`` when not reached, survival and HR
    to 3 decimals, times, counts and p-values to 4 significant digits."""
    if isinstance(value, float) and math.isinf(value):
        return "NA"
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return f"{value:.3f}" if statistic.startswith(("survival", "hr")) else f"{value:.4g}"


def summary_line(table: pd.DataFrame) -> str:
    """``14/16 checks passed; 1 failed; 1 not estimable (...)``."""
    status = statuses(table)
    n_fail = int((status == FAIL).sum())
    n_ne = int((status == NOT_ESTIMABLE).sum())
    return (f"{int((status == PASS).sum())}/{len(table)} checks passed"
            + (f"; {n_fail} failed" if n_fail else "")
            + (f"; {n_ne} not estimable (N/E: beyond the IPD's follow-up)" if n_ne else ""))


def format_table(table: pd.DataFrame) -> str:
    """Aligned plain-text rendering of a validation table, with a closing summary line."""
    if table.empty:
        return "no statistics checked"

    cells = [("statistic", "arm", "reported", "rebuilt", "diff", "tol", "scale", "check")]
    for row, status in zip(table.to_dict(orient="records"), statuses(table), strict=True):
        stat = row["statistic"]
        diff = row["difference"]
        cells.append((
            stat, str(row["arm"]), format_value(stat, row["reported"]),
            format_value(stat, row["reconstructed"]),
            "-" if isinstance(diff, float) and math.isnan(diff) else f"{diff:+.3g}",
            f"{row['tolerance']:.3g}", row["scale"], _MARK.get(status, status.upper()),
        ))
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    right = {2, 3, 4, 5}
    lines = ["  ".join(c.rjust(w) if i in right else c.ljust(w)
                       for i, (c, w) in enumerate(zip(cell, widths, strict=True))).rstrip()
             for cell in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(summary_line(table))
    return "\n".join(lines)


def json_value(value: object) -> object:
    """A table cell as JSON: NaN -> null, inf -> "NA", numpy scalars -> Python ones."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "NA" if value > 0 else "-NA"
        return value
    if isinstance(value, np.integer):
        return int(value)
    return value
