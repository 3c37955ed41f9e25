"""The editable reading of a figure, as the review page holds it, and its conversion to the
chain's tables.

The page works in the figure's pixels: each arm's step corners and censor marks are pixel
points, and each axis is calibrated by two (pixel, value) pairs. Keeping points in pixels means
that correcting a misread axis moves every time or survival value with it, as it should. The
tables of the chain (``curves``, ``censor_marks``, ``at_risk``; see the README's file formats)
are computed from this state with :func:`state_tables`.

A state is a plain JSON-ready dict::

    {"image": {"width": W, "height": H},
     "box": {"left": .., "top": .., "right": .., "bottom": ..},
     "x_axis": {"pixels": [p1, p2], "values": [v1, v2]},
     "y_axis": {"pixels": [p1, p2], "values": [v1, v2]},
     "percent": bool,                       # y values are percent (0-100)
     "arms": [{"id": "a0", "name": "...", "colour": "#rrggbb",
               "points": [[x, y], ...], "censor": [[x, y], ...],
               "n": int | None, "events": int | None}, ...],
     "at_risk": None | {"times": [t, ...], "rows": [[count | None, ...] per arm]},
     "masks": [[x0, y0, x1, y1], ...]}      # pixel rectangles whose points are ignored
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from kmipd.errors import KmipdError


def calibration_pairs(axis: Mapping, box_ends: tuple[float, float]) -> dict:
    """Two (pixel, value) calibration pairs of an axis of ``digitization.json``.

    The values are the first and last tick labels used in the fit, placed where the fit puts
    them (so the pairs give the digitizer's own map); without two such ticks, the plot box's
    ends and their mapped values.
    """
    ticks = [t for t in axis.get("ticks", []) if t.get("used") and t.get("value") is not None]
    scale, offset = float(axis["scale"]), float(axis["offset"])
    if len(ticks) >= 2 and ticks[0]["value"] != ticks[-1]["value"]:
        values = [float(ticks[0]["value"]), float(ticks[-1]["value"])]
        pixels = [(v - offset) / scale for v in values]
    else:
        pixels = [float(box_ends[0]), float(box_ends[1])]
        values = [float(np.round(offset + scale * p, 6)) for p in pixels]
    return {"pixels": [round(p, 3) for p in pixels], "values": values}


def axis_map(axis: Mapping):
    """The linear pixel -> value map given by two calibration pairs.

    Raises
    ------
    KmipdError
        When the two pixels or the two values are equal (the map would be undefined).
    """
    (p1, p2), (v1, v2) = map(float, axis["pixels"]), map(float, axis["values"])
    if abs(p2 - p1) < 1e-9 or abs(v2 - v1) < 1e-12 or not np.isfinite([p1, p2, v1, v2]).all():
        raise KmipdError("axis calibration needs two different pixels with two different values; "
                         "move a calibration handle or type another value.")
    scale = (v2 - v1) / (p2 - p1)
    return lambda pixel: v1 + (np.asarray(pixel, dtype=float) - p1) * scale


def pixel_map(axis: Mapping):
    """The inverse of :func:`axis_map`: value -> pixel."""
    (p1, p2), (v1, v2) = map(float, axis["pixels"]), map(float, axis["values"])
    return lambda value: p1 + (np.asarray(value, dtype=float) - v1) * (p2 - p1) / (v2 - v1)


def hex_colour(rgb) -> str:
    """``#rrggbb`` of an RGB triple (0-255)."""
    return "#" + "".join(f"{int(np.clip(round(float(c)), 0, 255)):02x}" for c in rgb[:3])


def load_state(outdir: str | Path) -> dict:
    """The state of a digitization folder (``kmipd digitize`` or ``kmipd run`` output).

    Raises
    ------
    KmipdError
        When the folder has no ``digitization.json`` or ``curves.csv``.
    """
    from kmipd.io import AT_RISK_COLUMNS, _read_csv, check_columns, read_censor_marks, read_curves

    outdir = Path(outdir)
    meta_path = outdir / "digitization.json"
    if not meta_path.is_file() or not (outdir / "curves.csv").is_file():
        raise KmipdError(f"{outdir} holds no digitization (digitization.json and curves.csv): "
                         "give the output folder of `kmipd digitize` or `kmipd run`.")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    curves = read_curves(outdir / "curves.csv")
    marks_path = outdir / "censor_marks.csv"
    marks = read_censor_marks(marks_path) if marks_path.is_file() else None
    at_risk = None
    if (outdir / "at_risk.csv").is_file():  # as read, rising counts included: the page fixes them
        path = outdir / "at_risk.csv"
        at_risk = check_columns(_read_csv(path, "at-risk", AT_RISK_COLUMNS), AT_RISK_COLUMNS,
                                "at-risk table", str(path), allow_empty=True)
    return state_from_tables(meta, curves, marks, at_risk)


def state_from_tables(meta: Mapping, curves: pd.DataFrame, marks: pd.DataFrame | None,
                      at_risk: pd.DataFrame | None) -> dict:
    """Build a state from ``digitization.json``'s content and the stage's tables."""
    box = {k: float(v) for k, v in meta["plot_box_px"].items()}
    x_axis = calibration_pairs(meta["x_axis"], (box["left"], box["right"]))
    y_axis = calibration_pairs(meta["y_axis"], (box["bottom"], box["top"]))
    percent = bool(meta.get("percent_axis", False))
    to_x, to_y = pixel_map(x_axis), pixel_map(y_axis)
    y_unit = 100.0 if percent else 1.0
    colours = {a["name"]: hex_colour(a["colour"]) for a in meta.get("arms", [])}
    names = list(dict.fromkeys(curves["arm"].astype(str)))

    def pixels(frame: pd.DataFrame | None, arm: str) -> list[list[float]]:
        if frame is None or not len(frame):
            return []
        rows = frame[frame["arm"].astype(str) == arm].sort_values("time")
        xs, ys = to_x(rows["time"].to_numpy()), to_y(rows["survival"].to_numpy() * y_unit)
        return [[round(float(x), 2), round(float(y), 2)] for x, y in zip(xs, ys)]

    arms = [{"id": f"a{k}", "name": arm, "colour": colours.get(arm, _PALETTE[k % len(_PALETTE)]),
             "points": pixels(curves, arm), "censor": pixels(marks, arm), "n": None, "events": None}
            for k, arm in enumerate(names)]
    height, width = meta.get("image_shape", [0, 0])[:2]
    return {"image": {"width": int(width), "height": int(height)}, "box": box,
            "x_axis": x_axis, "y_axis": y_axis, "percent": percent, "arms": arms,
            "at_risk": _table_state(at_risk, names), "masks": []}


_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")


def _table_state(at_risk: pd.DataFrame | None, names: list[str]) -> dict | None:
    if at_risk is None or not len(at_risk):
        return None
    wide = at_risk.assign(arm=at_risk["arm"].astype(str)).pivot_table(
        index="arm", columns="time", values="n_at_risk", aggfunc="first")
    times = [float(t) for t in wide.columns]
    rows = [[None if arm not in wide.index or pd.isna(wide.at[arm, t]) else int(wide.at[arm, t])
             for t in wide.columns] for arm in names]
    return {"times": times, "rows": rows}


def check_state(state: Mapping) -> None:
    """Refuse a state the chain cannot use, in one line saying what to fix.

    Raises
    ------
    KmipdError
        No arms, an arm without a name or with fewer than two points, two arms of one name,
        an at-risk table whose rows do not match the arms or the times.
    """
    arms = state.get("arms") or []
    if not arms:
        raise KmipdError("no arms: add an arm (Add arm, or pick a curve's colour) and its points.")
    names = [str(a.get("name", "")).strip() for a in arms]
    if any(not n for n in names):
        raise KmipdError("an arm has no name: type one in the arm list.")
    if len(set(names)) < len(names):
        raise KmipdError(f"two arms are named alike ({', '.join(names)}): rename one.")
    table = state.get("at_risk")
    if table is not None:
        if len(table["rows"]) != len(arms):
            raise KmipdError("the at-risk table needs one row per arm.")
        if any(len(r) != len(table["times"]) for r in table["rows"]):
            raise KmipdError("every at-risk row needs one cell per time.")


def state_tables(state: Mapping) -> dict[str, pd.DataFrame | None]:
    """The chain's tables of a state: ``curves``, ``censor_marks`` and ``at_risk`` (or None).

    Points inside a mask are left out. Times within half a percent of the axis range below 0
    (a click just left of the origin) are taken as 0.

    Raises
    ------
    KmipdError
        See :func:`check_state` and :func:`axis_map`; an arm with fewer than two points left.
    """
    check_state(state)
    to_time, to_value = axis_map(state["x_axis"]), axis_map(state["y_axis"])
    y_unit = 100.0 if state.get("percent") else 1.0
    span = abs(float(np.subtract(*state["x_axis"]["values"])))
    masks = np.asarray(state.get("masks") or [], dtype=float).reshape(-1, 4)

    def frame(key: str) -> pd.DataFrame:
        rows = []
        for arm in state["arms"]:
            pts = _unmasked(np.asarray(arm.get(key) or [], dtype=float).reshape(-1, 2), masks)
            t = to_time(pts[:, 0])
            t = np.where((t < 0) & (t > -0.005 * span), 0.0, t)
            s = to_value(pts[:, 1]) / y_unit
            rows.append(pd.DataFrame({"arm": str(arm["name"]).strip(), "time": t, "survival": s})
                        .sort_values("time", kind="stable"))
        return pd.concat(rows, ignore_index=True)  # arms in the page's order

    curves = frame("points")
    short = [a for a, g in curves.groupby("arm") if len(g) < 2]
    if short:
        raise KmipdError(f"arm {short[0]!r} has fewer than two points: add its curve's points "
                         "or delete the arm.")
    return {"curves": curves, "censor_marks": frame("censor"), "at_risk": _table_frame(state)}


def _unmasked(points: np.ndarray, masks: np.ndarray) -> np.ndarray:
    keep = np.ones(len(points), dtype=bool)
    for x0, y0, x1, y1 in masks:
        inside = ((points[:, 0] >= min(x0, x1)) & (points[:, 0] <= max(x0, x1))
                  & (points[:, 1] >= min(y0, y1)) & (points[:, 1] <= max(y0, y1)))
        keep &= ~inside
    return points[keep]


def _table_frame(state: Mapping) -> pd.DataFrame | None:
    table = state.get("at_risk")
    if table is None:
        return None
    rows = [(str(arm["name"]).strip(), float(t), c)
            for arm, counts in zip(state["arms"], table["rows"])
            for t, c in zip(table["times"], counts) if c is not None and t is not None]
    if not rows:
        return None
    return pd.DataFrame(rows, columns=["arm", "time", "n_at_risk"])


def arm_counts(state: Mapping, key: str) -> dict[str, int] | None:
    """Per-arm ``n`` or ``events`` typed on the page, by arm name (None when none typed)."""
    out = {str(a["name"]).strip(): int(a[key]) for a in state["arms"] if a.get(key) is not None}
    return out or None
