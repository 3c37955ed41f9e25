"""A picture of what was read, drawn over the figure, so a person can check a digitization at a glance.

The input is faded; on top: the plot box, every tick label used for calibration with the value it
was given, each arm's extracted steps in a colour chosen to contrast with the curve underneath,
its name, its censor marks, and the numbers at risk read, placed at their times under the plot.
Drawing uses OpenCV only (its built-in Hershey font), so nothing depends on installed fonts.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import pandas as pd

from kmipd.digitize.result import ArmTrace, AxisMapping, PlotBox
from kmipd.digitize.text.cells import MAX_COUNT

# High-contrast drawing colours (RGB); each arm gets the one farthest from its own ink colour.
_PALETTE = ((230, 0, 230), (0, 190, 0), (255, 120, 0), (0, 0, 0), (0, 170, 255), (200, 0, 0), (120, 0, 200))
_BOX = (255, 0, 0)
_TICK_OK, _TICK_BAD = (0, 140, 0), (220, 0, 0)


def draw_overlay(image: np.ndarray, box: PlotBox, mapping: AxisMapping, arms: Sequence[ArmTrace],
                 at_risk: pd.DataFrame | None = None, *, fade: float = 0.35) -> np.ndarray:
    """Draw what was read from a figure over it (the parts of a
    :class:`~kmipd.digitize.result.Digitization`, before it is built).

    Parameters
    ----------
    image : ndarray
        The (working) RGB image the parts were read from; their pixel coordinates refer to it.
    box : PlotBox
        The plot box.
    mapping : AxisMapping
        The axes, with their tick readings.
    arms : sequence of ArmTrace
        The (named) arms.
    at_risk : DataFrame, optional
        ``arm, time, n_at_risk`` as read.
    fade : float
        How much of the original contrast is kept (0 = white page, 1 = unchanged).

    Returns
    -------
    ndarray
        (H, W, 3) uint8 RGB.
    """
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    out = (255.0 - (255.0 - img[:, :, :3].astype(np.float32)) * fade).astype(np.uint8)
    out = np.ascontiguousarray(out)
    h, w = out.shape[:2]
    thick = max(1, int(round(max(h, w) / 700)))
    font = max(0.38, 0.5 * max(h, w) / 1000)
    cv2.rectangle(out, (box.left, box.top), (box.right, box.bottom), _BOX, thick)
    _draw_ticks(out, box, mapping, thick, font)
    used: list[tuple[int, int, int]] = []
    for k, arm in enumerate(arms):
        colour = _contrasting(arm.colour, used)
        used.append(colour)
        _draw_arm(out, arm, colour, thick, font, k)
    _draw_at_risk(out, box, mapping, arms, at_risk, used, font, thick)
    return out


def _contrasting(ink: tuple[int, int, int], taken: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    ink_arr = np.asarray(ink, float)
    free = [c for c in _PALETTE if c not in taken] or list(_PALETTE)
    return max(free, key=lambda c: float(np.linalg.norm(np.asarray(c, float) - ink_arr)))


def _text(out, text, org, colour, font, thick, anchor="left"):
    """Text on a white patch (readable over the faded figure), kept inside the image."""
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font, thick)
    x, y = org
    if anchor == "right":
        x -= tw
    elif anchor == "centre":
        x -= tw // 2
    h, w = out.shape[:2]
    x, y = int(np.clip(x, 1, max(1, w - tw - 1))), int(np.clip(y, th + 1, h - base - 1))
    cv2.rectangle(out, (x - 1, y - th - 1), (x + tw + 1, y + base), (255, 255, 255), -1)
    cv2.putText(out, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, font, colour, thick, cv2.LINE_AA)


def _draw_ticks(out, box: PlotBox, mapping: AxisMapping, thick: int, font: float) -> None:
    """Each label read: a tick mark at its pixel and its value, inside the box next to the axis
    (green: used by the fit; red: overruled)."""
    size = max(6, int(0.015 * max(box.width, box.height)))
    (_, th), _ = cv2.getTextSize("0", cv2.FONT_HERSHEY_SIMPLEX, font, thick)
    for tick in mapping.x.ticks:
        colour = _TICK_OK if tick.used else _TICK_BAD
        if not np.isfinite(tick.pixel):
            continue
        x = int(round(tick.pixel))
        cv2.line(out, (x, box.bottom - size), (x, box.bottom + size), colour, thick + 1)
        label = f"{tick.value:g}" if tick.value is not None else "?"
        _text(out, label, (x, box.bottom - size - 3), colour, font, thick, "centre")
    for tick in mapping.y.ticks:
        colour = _TICK_OK if tick.used else _TICK_BAD
        if not np.isfinite(tick.pixel):
            continue
        y = int(round(tick.pixel))
        cv2.line(out, (box.left - size, y), (box.left + size, y), colour, thick + 1)
        label = f"{tick.value:g}" if tick.value is not None else "?"
        _text(out, label, (box.left + size + 3, y + th // 2), colour, font, thick, "left")


def _draw_arm(out, arm: ArmTrace, colour, thick: int, font: float, k: int) -> None:
    pts = np.asarray(arm.steps_px, float).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        return
    # the steps as drawn: horizontal to the next point, then vertical down to it
    xs, ys = pts[:, 0], pts[:, 1]
    path = np.empty((2 * len(pts) - 1, 2))
    path[0::2] = pts
    path[1::2, 0] = xs[1:]
    path[1::2, 1] = ys[:-1]
    cv2.polylines(out, [np.round(path).astype(np.int32).reshape(-1, 1, 2)], False, colour, thick, cv2.LINE_AA)
    r = max(3, 2 * thick + 1)
    marks = np.asarray(arm.censor_px, float).reshape(-1, 2)
    for cx, cy in marks[np.isfinite(marks).all(axis=1)]:
        cv2.circle(out, (int(round(cx)), int(round(cy))), r, colour, thick, cv2.LINE_AA)
    name = arm.name or f"arm {k + 1}"
    end = np.round(pts[-1]).astype(int)
    _text(out, name, (int(end[0]) - 4, int(end[1]) - 6 - int(12 * font * k)), colour, font, thick, "right")


def _draw_at_risk(out, box: PlotBox, mapping: AxisMapping, arms: Sequence[ArmTrace],
                  table: pd.DataFrame | None, colours, font: float, thick: int) -> None:
    """The numbers at risk read, one row per arm along the bottom of the plot box, each at the
    x pixel of its time (so a misplaced column shows as a count under the wrong tick)."""
    if table is None or table.empty:
        return
    w = out.shape[1]
    names = [a.name for a in arms]
    (_, th), base = cv2.getTextSize("0", cv2.FONT_HERSHEY_SIMPLEX, font, thick)
    line = th + base + 4
    groups = list(table.groupby("arm", sort=False))
    size = max(6, int(0.015 * max(box.width, box.height)))
    bottom = box.bottom - size - 2 * line
    for r, (arm, rows) in enumerate(groups):
        colour = colours[names.index(arm)] if arm in names and names.index(arm) < len(colours) else (0, 0, 0)
        y = bottom - (len(groups) - 1 - r) * line
        times = pd.to_numeric(rows["time"], errors="coerce").to_numpy(float)
        xs = mapping.x.to_pixel(times)
        for x, n in zip(xs, rows["n_at_risk"].to_numpy(object)):
            if np.isfinite(x) and -w <= x <= 2 * w:  # a time far off the axis has no place here
                _text(out, count_label(n), (int(round(x)), y), colour, font, thick, "centre")


def count_label(value) -> str:
    """How a number-at-risk cell is printed: the count, or ``"?"`` when it is no count of
    patients (missing, negative, fractional, or beyond :data:`~kmipd.digitize.ocr_cells.MAX_COUNT`,
    a misread whose digits would run across the picture)."""
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        return "?"
    if not np.isfinite(v) or v < 0 or v > MAX_COUNT or v != round(v):
        return "?"
    return str(int(v))
