"""Read and write the documented CSV files that connect kmipd's stages.

File formats (the public contract, see README):

- curves:  ``arm,time,survival``   survival as a fraction in [0, 1] (0-100 accepted and rescaled)
- at-risk: ``arm,time,n_at_risk``  counts at the printed times, non-increasing within an arm
- IPD:     ``arm,time,event``      event 1 = event, 0 = censored
- censor marks: ``arm,time[,survival]``  censor ticks read from the figure (may have no rows)

Readers check columns, types and ranges and raise :class:`~kmipd.errors.KmipdError` with a
one-line message on anything wrong, so a bad file never turns into a silently wrong result.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kmipd.errors import KmipdError
from kmipd.input_rules import MAX_PATIENTS, plain, survival_as_fraction
from kmipd.outputs import atomic_write

CURVE_COLUMNS = ("arm", "time", "survival")
AT_RISK_COLUMNS = ("arm", "time", "n_at_risk")
IPD_COLUMNS = ("arm", "time", "event")
CENSOR_COLUMNS = ("arm", "time")  # and optionally survival


def _read_csv(path: str | Path, kind: str, columns: tuple[str, ...]) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise KmipdError(f"{kind} file {path} does not exist; check the path.")
    try:
        frame = pd.read_csv(path, skipinitialspace=True, keep_default_na=False)  # arm "NA" stays a name
    except pd.errors.EmptyDataError:
        raise KmipdError(f"{kind} file {path} is empty (not even a header row); write the header "
                         f"{','.join(columns)} and the data below it.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise KmipdError(f"{kind} file {path} is not a readable CSV ({first}).") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def check_columns(frame: pd.DataFrame, columns: tuple[str, ...], kind: str, source: str = "",
                  *, allow_empty: bool = False) -> pd.DataFrame:
    """Return ``frame`` restricted to ``columns`` with ``arm`` as str and the rest numeric.

    Parameters
    ----------
    frame : DataFrame
        The table as given or read.
    columns : tuple of str
        Its required columns, ``arm`` first.
    kind, source : str
        How messages name the table and where it came from (a file path, or empty).
    allow_empty : bool
        Accept a table with the columns but no rows.

    Raises
    ------
    KmipdError
        When ``frame`` is not a table, a column is missing, a value is not a finite number, a
        time is negative, or the table has no rows (unless ``allow_empty``).
    """
    where = f" {source}" if source else ""
    if not isinstance(frame, pd.DataFrame):
        raise KmipdError(f"{kind}{where} must be a table (a pandas DataFrame) with columns "
                         f"{','.join(columns)}, not {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KmipdError(
            f"{kind}{where} is missing column(s) {', '.join(missing)}; "
            f"expected columns {','.join(columns)}."
        )
    frame = frame.loc[:, list(columns)].copy()
    if frame.empty and not allow_empty:
        raise KmipdError(f"{kind}{where} has no data rows.")
    frame["arm"] = frame["arm"].astype(str).str.strip()
    for col in columns[1:]:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.astype(float))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise KmipdError(
                f"{kind}{where} has {_bad_value(frame[col].iloc[row], col)} on data row {row + 1}; "
                "fix or remove that row."
            )
        frame[col] = values.astype(float)
    if (frame["time"] < 0).any():
        row = int(np.flatnonzero(frame["time"].to_numpy() < 0)[0])
        raise KmipdError(
            f"{kind}{where} has a negative time {frame['time'].iloc[row]:g} on data row {row + 1}; "
            "times must be >= 0."
        )
    return frame


def _bad_value(raw, col: str) -> str:
    """Describe a cell that is not a finite number: "an infinite time value (inf)", ..."""
    raw = plain(raw)
    text = raw.strip() if isinstance(raw, str) else raw
    number = pd.to_numeric(pd.Series([text], dtype=object), errors="coerce").iloc[0]
    if text is None or text == "" or (isinstance(text, float) and np.isnan(text)):
        return f"a missing {col} value"
    if pd.notna(number) and np.isinf(number):
        return f"an infinite {col} value ({text})"
    return f"a non-numeric {col} value {text!r}"


def check_curves(frame: pd.DataFrame, source: str = "", notes: list[str] | None = None) -> pd.DataFrame:
    """Validate a curves table; survival becomes a fraction in [0, 1].

    The scale is decided per arm (files are often pasted together) from the arm's whole curve,
    by :func:`kmipd.input_rules.survival_as_fraction`: a percent curve is divided by 100, noise
    just outside [0, 1] is clipped, anything else (a stray point far above 1) is refused.

    Parameters
    ----------
    frame : DataFrame
        ``arm, time, survival``.
    source : str
        Where the table came from (a file path), for messages.
    notes : list of str, optional
        Receives one ``"ARM: what was changed"`` line per change.
    """
    frame = check_columns(frame, CURVE_COLUMNS, "curves", source)
    where = f" {source}" if source else ""
    arms, time = frame["arm"].to_numpy(), frame["time"].to_numpy()
    survival = frame["survival"].to_numpy(copy=True)
    for arm in pd.unique(arms):
        rows = arms == arm
        survival[rows], _, changed = survival_as_fraction(time[rows], survival[rows], f"curves{where}, arm {arm!r}")
        if notes is not None:
            notes.extend(f"{arm}: {note}" for note in changed)
    frame["survival"] = survival
    return frame


def check_at_risk(frame: pd.DataFrame, source: str = "") -> pd.DataFrame:
    """Validate a numbers-at-risk table: whole, non-negative counts that never rise within an arm."""
    frame = check_columns(frame, AT_RISK_COLUMNS, "at-risk table", source)
    where = f" {source}" if source else ""
    n = frame["n_at_risk"]
    if (n < 0).any() or (np.abs(n - np.round(n)) > 1e-9).any():
        raise KmipdError(f"at-risk table{where} has counts that are not whole numbers >= 0.")
    if (n > MAX_PATIENTS).any():
        raise KmipdError(
            f"at-risk table{where} has a count of {plain(n.max()):,.0f}, more than kmipd's limit of "
            f"{MAX_PATIENTS:,} patients per arm (far beyond any trial); check the table for a typo."
        )
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


def check_censor_marks(frame: pd.DataFrame, source: str = "") -> pd.DataFrame:
    """Validate a censor-marks table (``arm,time[,survival]``); a table with no rows is fine.

    Raises
    ------
    KmipdError
        When it is not a table, lacks ``arm`` or ``time``, or has a time (or survival) that is not
        a finite number, or a negative time.
    """
    columns = CENSOR_COLUMNS
    if isinstance(frame, pd.DataFrame):
        frame = frame.rename(columns=lambda c: str(c).strip().lower())
        missing = [c for c in CENSOR_COLUMNS if c not in frame.columns]
        if missing:
            raise KmipdError(f"censor marks{' ' + source if source else ''} is missing column(s) "
                             f"{', '.join(missing)}; expected columns arm,time[,survival].")
        columns += ("survival",) if "survival" in frame.columns else ()
    return check_columns(frame, columns, "censor marks", source, allow_empty=True)


def read_curves(path: str | Path, notes: list[str] | None = None) -> pd.DataFrame:
    """Read a curves CSV (``arm,time,survival``); ``notes`` receives what was changed."""
    return check_curves(_read_csv(path, "curves", CURVE_COLUMNS), str(path), notes)


def read_at_risk(path: str | Path) -> pd.DataFrame:
    """Read a numbers-at-risk CSV (``arm,time,n_at_risk``)."""
    return check_at_risk(_read_csv(path, "at-risk table", AT_RISK_COLUMNS), str(path))


def read_ipd(path: str | Path) -> pd.DataFrame:
    """Read an IPD CSV (``arm,time,event``)."""
    return check_ipd(_read_csv(path, "IPD", IPD_COLUMNS), str(path))


def read_censor_marks(path: str | Path) -> pd.DataFrame:
    """Read a censor-marks CSV (``arm,time[,survival]``); a header without rows means no marks."""
    return check_censor_marks(_read_csv(path, "censor marks", CENSOR_COLUMNS), str(path))


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as CSV without the index, creating the parent folder.

    The file is replaced in one step (:func:`atomic_write`): a reader, or a second kmipd writing
    the same file, never sees half a table.
    """
    path = Path(path)
    with atomic_write(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    return path
