"""A picture of what was read, drawn over the figure, so a person can check a digitization at a glance.

The input is faded; on top: the plot box, every tick label used for calibration with the value it
was given, each arm's extracted steps and censor marks in the arm's own colour (a distinct one
when the figure draws its arms in grey/black or in alike colours, :func:`arm_colours`) with its
name by the curve's end, the numbers at risk read beside the table cells they were read from
(never over the curves), and a key of these symbols in the emptiest corner.
Drawing uses OpenCV only (its built-in Hershey font), so nothing depends on installed fonts;
the layout helpers are in :mod:`kmipd.digitize.overlay_layout`.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import pandas as pd

from kmipd.digitize.overlay_layout import (
    KEY_FILL,
    NEUTRAL,
    TICK_OVERRULED,
    TICK_USED,
    Canvas,
    KeyEntry,
    arm_colours,
    cell_right_edge,
    draw_key,
    ink_mask,
    label_place,
    table_row_bands,
)
from kmipd.digitize.result import ArmTrace, AxisMapping, PlotBox, TickReading
from kmipd.digitize.text.cells import MAX_COUNT

__all__ = ["KEY_FILL", "arm_colours", "count_label", "draw_overlay"]

RGB = tuple[int, int, int]


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
        (H, W, 3) uint8 RGB, the size of ``image``.
    """
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    img = img[:, :, :3] if img.dtype == np.uint8 else np.clip(img[:, :, :3], 0, 255).astype(np.uint8)
    out = np.ascontiguousarray((255.0 - (255.0 - img.astype(np.float32)) * fade).astype(np.uint8))
    h, w = out.shape[:2]
    canvas = Canvas(out, font=max(0.38, 0.5 * max(h, w) / 1000), thick=max(1, int(round(max(h, w) / 700))))
    colours = arm_colours([a.colour for a in arms])
    ink = ink_mask(img)
    names = [a.name or f"arm {k + 1}" for k, a in enumerate(arms)]
    cv2.rectangle(out, (box.left, box.top), (box.right, box.bottom), NEUTRAL, canvas.thick)
    margins = _draw_ticks(canvas, box, mapping)
    for arm, colour in zip(arms, colours):
        _draw_arm(canvas, arm, colour)
    table = _draw_at_risk(canvas, ink, box, mapping, dict(zip(names, colours)), at_risk)
    for arm, name, colour in zip(arms, names, colours):
        _draw_name(canvas, arm, name, colour)
    draw_key(canvas, _key_entries(mapping, arms, names, colours, table),
             (box.left, box.top, box.right, box.bottom), margins, ink)
    return out


def _key_entries(mapping: AxisMapping, arms: Sequence[ArmTrace], names: list[str],
                 colours: list[RGB], table: bool) -> list[KeyEntry]:
    """The key's lines: the symbols this overlay uses, and each arm's colour and name."""
    entries = [KeyEntry("box", NEUTRAL, "plot box"),
               KeyEntry("tick", TICK_USED, "axis tick: label read")]
    if any(not t.used for t in (*mapping.x.ticks, *mapping.y.ticks)):
        entries.append(KeyEntry("overruled", TICK_OVERRULED, "tick label not used"))
    entries += [KeyEntry("line", c, f"curve read: {n}") for n, c in zip(names, colours)]
    if any(len(np.asarray(a.censor_px).reshape(-1, 2)) for a in arms):
        entries.append(KeyEntry("censor", NEUTRAL, "censor mark read"))
    if table:
        entries.append(KeyEntry("count", NEUTRAL, "at risk read (by its cell)"))
    return entries


def _tick_label(tick: TickReading) -> str:
    """The value a tick was given, or what OCR read (with ``?``) when it has none."""
    if tick.value is not None and np.isfinite(tick.value):
        return f"{tick.value:g}"
    return f"{tick.text.strip()}?" if tick.text and tick.text.strip() else "?"


def _draw_ticks(canvas: Canvas, box: PlotBox, mapping: AxisMapping) -> tuple[int, int]:
    """Each label read: a tick mark at its pixel and its value, inside the box next to the axis
    (black: used by the fit; red: overruled). Drawn before the curves, which go over them.

    Returns
    -------
    (int, int)
        How far into the box the labels reach from the left and from the bottom edge.
    """
    out, thick = canvas.image, canvas.thick
    size = max(6, int(0.015 * max(box.width, box.height)))
    th = canvas.text_size("0")[1]
    reach = [size, size]
    for tick in mapping.y.ticks:
        if np.isfinite(tick.pixel):
            colour = TICK_USED if tick.used else TICK_OVERRULED
            y = int(round(tick.pixel))
            cv2.line(out, (box.left - size, y), (box.left + size, y), colour, thick + 1)
            x1 = canvas.text(_tick_label(tick), (box.left + size + 3, y + th // 2), colour)[2]
            reach[0] = max(reach[0], x1 - box.left)
    for tick in mapping.x.ticks:
        if np.isfinite(tick.pixel):
            colour = TICK_USED if tick.used else TICK_OVERRULED
            x = int(round(tick.pixel))
            cv2.line(out, (x, box.bottom - size), (x, box.bottom + size), colour, thick + 1)
            label = _tick_label(tick)
            y = box.bottom - size - 3
            org, anchor = label_place(canvas, label, [((x, y), "centre"), ((x + 4, y), "left")])
            y0 = canvas.text(label, org, colour, anchor)[1]
            reach[1] = max(reach[1], box.bottom - y0)
    return reach[0], reach[1]


def _step_path(arm: ArmTrace) -> np.ndarray:
    """The arm's steps as drawn: horizontal to the next point, then vertical down to it
    ((K, 1, 2) int32, empty without points)."""
    pts = np.asarray(arm.steps_px, float).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        return np.zeros((0, 1, 2), np.int32)
    path = np.empty((2 * len(pts) - 1, 2))
    path[0::2] = pts
    path[1::2, 0] = pts[1:, 0]
    path[1::2, 1] = pts[:-1, 1]
    return np.round(path).astype(np.int32).reshape(-1, 1, 2)


def _draw_arm(canvas: Canvas, arm: ArmTrace, colour: RGB) -> None:
    """The arm's steps and censor marks, in its colour; both become busy."""
    path = _step_path(arm)
    if len(path) == 0:
        return
    thick = canvas.thick + 1
    busy = np.zeros(canvas.shape, np.uint8)
    cv2.polylines(canvas.image, [path], False, colour, thick, cv2.LINE_AA)
    cv2.polylines(busy, [path], False, 1, thick + 4)
    r = max(3, 2 * canvas.thick + 1)
    marks = np.asarray(arm.censor_px, float).reshape(-1, 2)
    for cx, cy in np.round(marks[np.isfinite(marks).all(axis=1)]).astype(int):
        cv2.circle(canvas.image, (int(cx), int(cy)), r, colour, canvas.thick, cv2.LINE_AA)
        cv2.circle(busy, (int(cx), int(cy)), r + 2, 1, -1)
    canvas.busy |= busy.astype(bool)


def _draw_name(canvas: Canvas, arm: ArmTrace, name: str, colour: RGB) -> None:
    """The arm's name by the end of its curve, where it covers the least of what is drawn."""
    path = _step_path(arm)
    if len(path) == 0:
        return
    ex, ey = (int(v) for v in path[-1, 0])
    _, th, base = canvas.text_size(name)
    gap = th + base
    spots = [((ex - 4, ey - 6), "right"), ((ex + 6, ey + th // 2), "left"),
             ((ex - 4, ey + gap + 4), "right"), ((ex - 4, ey - 6 - gap), "right"),
             ((ex - 4, ey + 2 * gap + 6), "right"), ((ex - 4, ey - 8 - 2 * gap), "right")]
    org, anchor = label_place(canvas, name, spots)
    canvas.text(name, org, colour, anchor)


def _draw_at_risk(canvas: Canvas, ink: np.ndarray, box: PlotBox, mapping: AxisMapping,
                  colours: dict[str, RGB], table: pd.DataFrame | None) -> bool:
    """The numbers at risk read, each beside (else under) the table cell it was read from, or,
    when the table's rows are not found under the plot, in rows at the bottom of the picture at
    the x pixel of their times; never inside the plot box. Returns whether any was drawn."""
    if table is None or table.empty:
        return False
    w = canvas.shape[1]
    rows = []
    for arm, part in table.groupby("arm", sort=False):
        xs = np.asarray(mapping.x.to_pixel(pd.to_numeric(part["time"], errors="coerce").to_numpy(float)))
        keep = np.isfinite(xs) & (xs >= -w) & (xs <= 2 * w)  # a time far off the axis has no place here
        rows.append((colours.get(str(arm), (0, 0, 0)), xs[keep], part["n_at_risk"].to_numpy(object)[keep]))
    all_xs = np.concatenate([r[1] for r in rows])
    bands = table_row_bands(ink, box.bottom, all_xs, len(rows), tick_labels=bool(mapping.x.ticks))
    if bands is None:
        _at_risk_rows_below(canvas, box, rows)
    else:
        reach = _reach(all_xs)
        for (colour, xs, counts), band in zip(rows, bands):
            for x, n in zip(xs, counts):
                _count_by_cell(canvas, ink, band, int(round(x)), count_label(n), colour, reach)
    return True


def _reach(xs: np.ndarray) -> int:
    """How far from its time's pixel a printed cell may be (a third of the columns' spacing)."""
    u = np.unique(np.round(xs))
    return int(np.clip(0.3 * np.min(np.diff(u)), 3, 25)) if len(u) > 1 else 25


def _count_by_cell(canvas: Canvas, ink: np.ndarray, band: tuple[int, int], x: int,
                   label: str, colour: RGB, reach: int) -> None:
    """One count read, right of its printed cell, or under it when the right would cover print."""
    font = float(np.clip(0.9 * (band[1] - band[0] + 1) / 22.0, 0.3, canvas.font))
    _, th, _ = canvas.text_size(label, font)
    mid = (band[0] + band[1]) // 2
    right = cell_right_edge(ink, band, x, reach)
    spots = [((right + max(4, th // 2), mid + th // 2), "left"), ((x, band[1] + th + 3), "centre"),
             ((x, band[0] - 3), "centre")]

    def covered(spot: tuple[tuple[int, int], str]) -> int:
        x0, y0, x1, y1 = canvas.text_rect(label, spot[0], spot[1], font)
        return int(ink[max(0, y0):y1 + 1, max(0, x0):x1 + 1].sum()) + canvas.cost(x0, y0, x1, y1)

    org, anchor = min(spots, key=covered)
    canvas.text(label, org, colour, anchor, font)


def _at_risk_rows_below(canvas: Canvas, box: PlotBox, rows: list[tuple[RGB, np.ndarray, np.ndarray]]) -> None:
    """The counts in rows at the bottom of the picture under the plot box (above it when there is
    no room under it; left out when there is none either), at their times' x."""
    h = canvas.shape[0]
    _, th, base = canvas.text_size("0")
    line = th + base + 4
    need = len(rows) * line + 2
    if h - box.bottom >= need:
        baselines = [h - base - 2 - (len(rows) - 1 - r) * line for r in range(len(rows))]
    elif box.top >= need:
        baselines = [th + 2 + r * line for r in range(len(rows))]
    else:
        return
    for (colour, xs, counts), y in zip(rows, baselines):
        for x, n in zip(xs, counts):
            canvas.text(count_label(n), (int(round(x)), y), colour, "centre")


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
