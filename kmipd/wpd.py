"""Read curves digitized with WebPlotDigitizer (WPD) into kmipd's curves table.

WPD (https://automeris.io/WebPlotDigitizer) writes two kinds of CSV, both accepted here:

- **all datasets** (File > Export all data, or View Data > "Download .CSV" of all datasets,
  ``wpd_datasets.csv``): row 1 holds the dataset names, each spanning two columns (the name,
  then a blank cell); row 2 repeats ``X,Y``; then one row per point, with blank cells where a
  dataset has fewer points than the longest one. Each dataset becomes an arm of that name.
- **one dataset** (View Data > "Download .CSV"): two numeric columns ``x,y``, with no header or
  the header ``x,y``. The arm is named by ``arm=`` or, by default, by the file name's stem.

Either may be comma, semicolon or tab separated; with ``;`` or a tab, ``0,95`` is read as 0.95
(the decimal comma of a European locale). A byte-order mark, trailing empty columns and blank
lines are ignored. Points may come in any order: each arm is sorted by time (the upper point of
a drop first). A time slightly below 0 (a click next to the origin, within
:data:`NEGATIVE_TIME_TOLERANCE` of the largest time) is set to 0 with a note; a clearly
negative time is refused. The table then goes through :func:`kmipd.io.check_curves`, so a
percent curve is rescaled and digitizer noise just outside [0, 1] is clipped, with notes.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd

from kmipd.errors import KmipdError
from kmipd.io import CURVE_COLUMNS, check_curves

#: A time below 0 by at most this share of the file's largest time is a click next to the origin
#: (WPD places points to a pixel or two; a plot is a few hundred pixels wide) and is set to 0.
NEGATIVE_TIME_TOLERANCE = 0.01

#: Separators tried in this order: ``;`` and tab first, as their files may hold decimal commas.
_SEPARATORS = (";", "\t", ",")

#: Bytes read to decide whether a file is a WPD export.
_SNIFF_BYTES = 65536

_FIX = "export the curves again from WebPlotDigitizer (View Data > Download .CSV)"

Row = tuple[int, list[str]]  # (line number in the file, stripped cells)
Dataset = tuple[str, list[float], list[float]]  # (name, x values, y values)


def looks_like_wpd(path: str | Path) -> bool:
    """Whether ``path`` is a WebPlotDigitizer CSV export (not kmipd's own curves CSV).

    Parameters
    ----------
    path : str or Path
        The file to look at; only its first lines are read.

    Returns
    -------
    bool
        True for the all-datasets form (a second row of ``X,Y`` pairs) and for the one-dataset
        form (first row ``x,y`` or two numbers); False for anything else, including a file that
        does not exist or cannot be read and a curves CSV with the header ``arm,time,survival``.
    """
    try:
        with open(path, "rb") as handle:
            rows, separator = _parse(_decode(handle.read(_SNIFF_BYTES)))
    except (OSError, csv.Error):
        return False
    if not rows or "arm" in [cell.lower() for cell in rows[0][1]]:
        return False
    if len(rows) > 1 and _is_xy_header(rows[1][1]):
        return True
    first = rows[0][1]
    if len(first) != 2:
        return False
    return _is_xy_header(first) or all(_as_float(cell, separator != ",") is not None for cell in first)


def read_wpd_csv(path: str | Path, notes: list[str] | None = None, *,
                 arm: str | None = None) -> pd.DataFrame:
    """Read a WebPlotDigitizer CSV export as a curves table ``arm,time,survival``.

    Parameters
    ----------
    path : str or Path
        A WPD export: all datasets (names in row 1, ``X,Y`` in row 2) or one dataset (two
        columns, no header or ``x,y``).
    notes : list of str, optional
        Receives one line per thing worth knowing: that the file was read as a WPD export, times
        set to 0, a percent scale, clipped survival.
    arm : str, optional
        The arm's name for a one-dataset file (default: the file name's stem), or a new name for
        the only dataset of an all-datasets file.

    Returns
    -------
    DataFrame
        ``arm, time, survival``: arms in the file's order, each sorted by time (at equal times
        the higher survival first), survival a fraction in [0, 1].

    Raises
    ------
    KmipdError
        One line naming the file, the problem and the fix: a missing or empty file, no numeric
        rows, an odd number of columns in the all-datasets form, a cell that is not a number, a
        point with only one coordinate, a clearly negative time, or what
        :func:`kmipd.io.check_curves` refuses.
    """
    path = Path(path)
    source = str(path)
    rows, separator = _read_rows(path)
    decimal_comma = separator != ","
    if len(rows) > 1 and _is_xy_header(rows[1][1]):
        datasets = _all_datasets(rows, source, decimal_comma, notes)
        datasets = _renamed(datasets, arm, source)
        form = "all-datasets export"
    else:
        datasets = [_one_dataset(rows, source, decimal_comma, arm or path.stem)]
        form = "one-dataset export"
    if notes is not None:
        names = ", ".join(repr(name) for name, _, _ in datasets)
        notes.append(f"read {source} as a WebPlotDigitizer {form} (arms {names})")
    frame = _clip_negative_times(_as_frame(datasets), source, notes)
    return check_curves(_sorted(frame), source, notes)


def _read_rows(path: Path) -> tuple[list[Row], str]:
    """The file's non-blank rows (stripped cells, trailing blanks dropped) and its separator."""
    if not path.is_file():
        raise KmipdError(f"WebPlotDigitizer file {path} does not exist; check the path.")
    try:
        rows, separator = _parse(_decode(path.read_bytes()))
    except csv.Error as exc:
        raise KmipdError(f"WebPlotDigitizer file {path} is not a readable CSV ({exc}); {_FIX}.") from None
    if not rows:
        raise KmipdError(f"WebPlotDigitizer file {path} is empty; {_FIX}.")
    return rows, separator


def _decode(data: bytes) -> str:
    """Text of ``data``: UTF-16 by its byte-order mark, else UTF-8 (BOM dropped), else Latin-1."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _parse(text: str) -> tuple[list[Row], str]:
    """Split ``text`` into rows of stripped cells, skipping blank lines; also the separator."""
    lines = text.splitlines()
    separator = _separator([line for line in lines if line.strip()][:5])
    rows = []
    for number, line in enumerate(lines, start=1):
        cells = [cell.strip() for cell in next(csv.reader([line], delimiter=separator), [])]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append((number, cells))
    return rows, separator


def _separator(lines: list[str]) -> str:
    """The first of ``;``, tab, ``,`` found on every one of ``lines`` (``,`` by default)."""
    for separator in _SEPARATORS:
        if lines and all(separator in line for line in lines):
            return separator
    return ","


def _is_xy_header(cells: list[str]) -> bool:
    """Whether ``cells`` are WPD's axis labels ``X,Y`` (repeated; an odd count is caught later)."""
    labels = [cell.lower() for cell in cells]
    return len(labels) >= 2 and all(label == "xy"[i % 2] for i, label in enumerate(labels))


def _as_float(cell: str, decimal_comma: bool) -> float | None:
    """``cell`` as a finite number, or None."""
    text = cell.replace(",", ".") if decimal_comma else cell
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _number(cell: str, decimal_comma: bool, where: str) -> float:
    """``cell`` as a finite number; ``where`` names its place in the file for the error."""
    value = _as_float(cell, decimal_comma)
    if value is None:
        raise KmipdError(
            f"{where} is {cell!r}, not a number; WebPlotDigitizer exports numbers only (set both "
            "axes as linear, not dates, and fix or remove that cell)."
        )
    return value


def _all_datasets(rows: list[Row], source: str, decimal_comma: bool,
                  notes: list[str] | None) -> list[Dataset]:
    """The datasets of the all-datasets form: names in row 1, ``X,Y`` in row 2, then points."""
    width = len(rows[1][1])
    if width % 2:
        raise KmipdError(
            f"WebPlotDigitizer file {source} has {width} X/Y columns on line {rows[1][0]}, an odd "
            f"number: each dataset needs an X and a Y column; {_FIX} or fix the header."
        )
    names = _dataset_names(rows[0], width, source)
    points = [([], []) for _ in names]
    for number, cells in rows[2:]:
        _check_width(cells, width, number, source)
        cells = cells + [""] * (width - len(cells))
        for j, name in enumerate(names):
            point = _point(cells[2 * j], cells[2 * j + 1], decimal_comma,
                           f"WebPlotDigitizer file {source}, line {number}, dataset {name!r}")
            if point is not None:
                points[j][0].append(point[0])
                points[j][1].append(point[1])
    return _non_empty([(name, xs, ys) for name, (xs, ys) in zip(names, points)], source, notes)


def _dataset_names(header: Row, width: int, source: str) -> list[str]:
    """Dataset names from row 1: one in the first cell of each X,Y pair, the second cell blank."""
    number, cells = header
    cells = cells + [""] * (width - len(cells))
    if len(cells) > width or any(cells[i] for i in range(1, width, 2)):
        raise KmipdError(
            f"WebPlotDigitizer file {source}: the dataset names on line {number} do not line up "
            f"with the {width // 2} X,Y column pair(s) on line {number + 1} (each name sits above "
            f"its X column, with a blank cell above Y); {_FIX}."
        )
    names = [cells[i] or f"arm{i // 2 + 1}" for i in range(0, width, 2)]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise KmipdError(
            f"WebPlotDigitizer file {source} has two datasets named {twice[0]!r}; give every "
            "dataset (arm) its own name in WebPlotDigitizer and export again."
        )
    return names


def _check_width(cells: list[str], width: int, number: int, source: str) -> None:
    """Refuse a data row with values beyond the header's X,Y columns."""
    if len(cells) > width:
        raise KmipdError(
            f"WebPlotDigitizer file {source}, line {number} has {len(cells)} values, more than the "
            f"{width} X/Y columns of the header; {_FIX} or remove the extra cells."
        )


def _point(x: str, y: str, decimal_comma: bool, where: str) -> tuple[float, float] | None:
    """The point (x, y) of two cells; None when both are blank (a shorter dataset)."""
    if not x and not y:
        return None
    if not x or not y:
        missing = "X" if not x else "Y"
        raise KmipdError(f"{where} has a point with no {missing} value; fill it in or remove the point.")
    return _number(x, decimal_comma, f"{where}, X cell"), _number(y, decimal_comma, f"{where}, Y cell")


def _non_empty(datasets: list[Dataset], source: str, notes: list[str] | None) -> list[Dataset]:
    """``datasets`` without those that have no points (noted); refused when none has any."""
    kept = [dataset for dataset in datasets if dataset[1]]
    if not kept:
        raise KmipdError(f"WebPlotDigitizer file {source} has no numeric rows (no points in any "
                         f"dataset); digitize the curves, then {_FIX}.")
    if notes is not None:
        notes.extend(f"{source}: dataset {name!r} has no points and is left out"
                     for name, xs, _ in datasets if not xs)
    return kept


def _one_dataset(rows: list[Row], source: str, decimal_comma: bool, name: str) -> Dataset:
    """The points of the one-dataset form: two columns, with no header or ``x,y``."""
    data = rows[1:] if _is_xy_header(rows[0][1]) else rows
    if not data:
        raise KmipdError(f"WebPlotDigitizer file {source} has no numeric rows; {_FIX}.")
    xs, ys = [], []
    for number, cells in data:
        where = f"WebPlotDigitizer file {source}, line {number}"
        if len(cells) != 2:
            raise KmipdError(
                f"{where} has {len(cells)} value(s), not 2 (x and y): a one-dataset export has two "
                f"columns, an all-datasets export dataset names on line 1 and X,Y on line 2; {_FIX}."
            )
        xs.append(_number(cells[0], decimal_comma, f"{where}, x cell"))
        ys.append(_number(cells[1], decimal_comma, f"{where}, y cell"))
    return name.strip() or "arm1", xs, ys


def _renamed(datasets: list[Dataset], arm: str | None, source: str) -> list[Dataset]:
    """``datasets`` with the only one renamed ``arm``; refused when there are several."""
    if arm is None:
        return datasets
    if len(datasets) > 1:
        names = ", ".join(repr(name) for name, _, _ in datasets)
        raise KmipdError(
            f"arm={arm!r} names the one curve of a one-dataset export, but WebPlotDigitizer file "
            f"{source} has {len(datasets)} datasets ({names}); rename them in WebPlotDigitizer, or "
            "leave arm out to use their names."
        )
    _, xs, ys = datasets[0]
    return [(arm, xs, ys)]


def _as_frame(datasets: list[Dataset]) -> pd.DataFrame:
    """One ``arm, time, survival`` table of all datasets, in their order."""
    return pd.DataFrame({
        "arm": [name for name, xs, _ in datasets for _ in xs],
        "time": np.array([x for _, xs, _ in datasets for x in xs], dtype=float),
        "survival": np.array([y for _, _, ys in datasets for y in ys], dtype=float),
    }, columns=list(CURVE_COLUMNS))


def _clip_negative_times(frame: pd.DataFrame, source: str, notes: list[str] | None) -> pd.DataFrame:
    """Set times just below 0 (a click next to the origin) to 0; refuse clearly negative ones."""
    time = frame["time"].to_numpy()
    tolerance = NEGATIVE_TIME_TOLERANCE * max(float(time.max()), 0.0)
    if (time < -tolerance).any():
        i = int(np.argmin(time))
        raise KmipdError(
            f"WebPlotDigitizer file {source}: arm {frame['arm'].iat[i]!r} has time {time[i]:g}, "
            f"clearly below 0 (more than {NEGATIVE_TIME_TOLERANCE:.0%} of the largest time "
            f"{time.max():g}); check the x-axis calibration in WebPlotDigitizer, or remove the point."
        )
    frame = frame.copy()
    for name in pd.unique(frame["arm"]):
        below = (frame["arm"] == name).to_numpy() & (time < 0)
        if below.any() and notes is not None:
            notes.append(f"{name}: set {int(below.sum())} time(s) just below 0 (down to "
                         f"{time[below].min():g}, a click next to the origin) to 0")
    frame.loc[time < 0, "time"] = 0.0
    return frame


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with arms in their order of appearance, each by time, higher survival first."""
    order = pd.Series(pd.factorize(frame["arm"])[0], index=frame.index, name="_arm_order")
    keyed = frame.assign(_arm_order=order)
    keyed = keyed.sort_values(["_arm_order", "time", "survival"], ascending=[True, True, False],
                              kind="stable")
    return keyed.drop(columns="_arm_order").reset_index(drop=True)
