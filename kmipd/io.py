"""Read and write the documented CSV files that connect kmipd's stages.

File formats (the public contract, see README):

- curves:  ``arm,time,survival``   survival as a fraction in [0, 1] (0-100 accepted and rescaled)
- at-risk: ``arm,time,n_at_risk``  counts at the printed times, non-increasing within an arm
- IPD:     ``arm,time,event``      event 1 = event, 0 = censored

Readers check columns, types and ranges and raise :class:`~kmipd.errors.KmipdError` with a
one-line message on anything wrong, so a bad file never turns into a silently wrong result.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kmipd.errors import KmipdError

CURVE_COLUMNS = ("arm", "time", "survival")
AT_RISK_COLUMNS = ("arm", "time", "n_at_risk")
IPD_COLUMNS = ("arm", "time", "event")


def _read_csv(path: str | Path, kind: str) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise KmipdError(f"{kind} file {path} does not exist; check the path.")
    try:
        frame = pd.read_csv(path, skipinitialspace=True, keep_default_na=False)  # arm "NA" stays a name
    except pd.errors.EmptyDataError:
        raise KmipdError(f"{kind} file {path} is empty; it needs a header row and data.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise KmipdError(f"{kind} file {path} is not a readable CSV ({first}).") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def check_columns(frame: pd.DataFrame, columns: tuple[str, ...], kind: str, source: str = "") -> pd.DataFrame:
    """Return ``frame`` restricted to ``columns`` with ``arm`` as str and the rest numeric.

    Raises
    ------
    KmipdError
        When a column is missing, a value is not numeric, or the table has no rows.
    """
    where = f" {source}" if source else ""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KmipdError(
            f"{kind}{where} is missing column(s) {', '.join(missing)}; "
            f"expected columns {','.join(columns)}."
        )
    frame = frame.loc[:, list(columns)].copy()
    if frame.empty:
        raise KmipdError(f"{kind}{where} has no data rows.")
    frame["arm"] = frame["arm"].astype(str).str.strip()
    for col in columns[1:]:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.astype(float))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise KmipdError(
                f"{kind}{where} has a non-numeric {col} value {frame[col].iloc[row]!r} "
                f"on data row {row + 1}; fix or remove that row."
            )
        frame[col] = values.astype(float)
    if (frame["time"] < 0).any():
        row = int(np.flatnonzero(frame["time"].to_numpy() < 0)[0])
        raise KmipdError(
            f"{kind}{where} has a negative time {frame['time'].iloc[row]:g} on data row {row + 1}; "
            "times must be >= 0."
        )
    return frame


def check_curves(frame: pd.DataFrame, source: str = "") -> pd.DataFrame:
    """Validate a curves table; rescale a 0-100 survival column to a fraction."""
    frame = check_columns(frame, CURVE_COLUMNS, "curves", source)
    s = frame["survival"]
    if (s < 0).any() or s.max() > 100:
        raise KmipdError(
            f"curves{' ' + source if source else ''} has survival outside [0, 1] or [0, 100] "
            f"(min {s.min():g}, max {s.max():g}); give survival as a fraction or a percent."
        )
    # A percent axis digitizes as 0-100; decide per arm, since files are often pasted together.
    arm_max = frame.groupby("arm")["survival"].transform("max")
    frame["survival"] = np.where(arm_max > 1.05, s / 100.0, s)
    frame["survival"] = frame["survival"].clip(upper=1.0)
    return frame


def check_at_risk(frame: pd.DataFrame, source: str = "") -> pd.DataFrame:
    """Validate a numbers-at-risk table: whole, non-negative counts that never rise within an arm."""
    frame = check_columns(frame, AT_RISK_COLUMNS, "at-risk table", source)
    where = f" {source}" if source else ""
    n = frame["n_at_risk"]
    if (n < 0).any() or (np.abs(n - np.round(n)) > 1e-9).any():
        raise KmipdError(f"at-risk table{where} has counts that are not whole numbers >= 0.")
    frame["n_at_risk"] = n.round().astype(int)
    frame = frame.sort_values(["arm", "time"], kind="stable").reset_index(drop=True)
    for arm, rows in frame.groupby("arm", sort=False):
        if rows["time"].duplicated().any():
            raise KmipdError(f"at-risk table{where} lists time {rows['time'][rows['time'].duplicated()].iloc[0]:g} twice for arm {arm!r}.")
        rises = np.flatnonzero(np.diff(rows["n_at_risk"].to_numpy()) > 0)
        if rises.size:
            i = rises[0]
            t0, t1 = rows["time"].iloc[i], rows["time"].iloc[i + 1]
            n0, n1 = rows["n_at_risk"].iloc[i], rows["n_at_risk"].iloc[i + 1]
            raise KmipdError(
                f"at-risk table{where}: numbers at risk for arm {arm!r} rise from {n0} at time {t0:g} "
                f"to {n1} at time {t1:g}; counts must not increase over time (delayed entry is not supported)."
            )
    return frame


def check_ipd(frame: pd.DataFrame, source: str = "") -> pd.DataFrame:
    """Validate an IPD table: event must be 0 or 1."""
    frame = check_columns(frame, IPD_COLUMNS, "IPD", source)
    if not frame["event"].isin([0, 1]).all():
        raise KmipdError(f"IPD{' ' + source if source else ''} has event values other than 0 and 1.")
    frame["event"] = frame["event"].astype(int)
    return frame


def read_curves(path: str | Path) -> pd.DataFrame:
    """Read a curves CSV (``arm,time,survival``)."""
    return check_curves(_read_csv(path, "curves"), str(path))


def read_at_risk(path: str | Path) -> pd.DataFrame:
    """Read a numbers-at-risk CSV (``arm,time,n_at_risk``)."""
    return check_at_risk(_read_csv(path, "at-risk table"), str(path))


def read_ipd(path: str | Path) -> pd.DataFrame:
    """Read an IPD CSV (``arm,time,event``)."""
    return check_ipd(_read_csv(path, "IPD"), str(path))


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as CSV without the index, creating the parent folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format="%.6g")
    return path
