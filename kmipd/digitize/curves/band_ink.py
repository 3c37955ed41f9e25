"""A line drawn over its own translucent confidence band: the band's pixels that mix to the
line's hue (over white grid lines, at its edges) are not the line."""

from __future__ import annotations

import cv2
import numpy as np

from kmipd.digitize.curves.colours import on_ray
from kmipd.digitize.curves.ink import mixing_fit

#: Over its own band, a line's pixels are stronger than the band by this much coverage (its core
#: and rims); pixels of its colour no stronger than the band plus ``PALE_OVER_BAND`` and this far
#: (px) from such a core are the band over something lighter (grid lines under it, its edges).
CORE_OVER_BAND, PALE_OVER_BAND, PALE_CORE_REACH = 0.3, 0.1, 2


def own_band_alpha(colours: list, k: int, bg: np.ndarray) -> float | None:
    """The coverage, on line colour ``k``'s mixing ray, of a band that is a paler mix of it (its
    confidence band), or None when it has none."""
    line = colours[k]
    found = [float(mixing_fit(c.rgb.reshape(1, 3), bg, line.rgb)[0][0]) for c in colours
             if c.kind == "band" and c.chromatic and line.chromatic and on_ray(c, line)]
    found = [f for f in found if 0.1 <= f <= 0.7]
    return max(found) if found else None


def without_pale_ink_off_the_line(a: np.ndarray, band: float) -> np.ndarray:
    """Drop a line colour's pixels that are no stronger than its band and lie away from the line's
    core: white grid lines under a translucent band mix to the line's hue at about the band's
    strength and would otherwise be traced as long flat stretches of the curve."""
    core = (a >= min(band + CORE_OVER_BAND, 0.9)).astype(np.uint8)
    reach = 2 * PALE_CORE_REACH + 1
    near = cv2.dilate(core, np.ones((reach, reach), np.uint8)).astype(bool)
    return np.where((a > 0) & (a < band + PALE_OVER_BAND) & ~near, 0.0, a).astype(np.float32)


#: Grey ink this much (Lab L) lighter than the darkest ink is pale enough to be a band ...
GREY_BAND_ABOVE_CORE = 20.0
#: ... when it fills squares this wide (px): wider than any curve, censor mark or key.
GREY_BAND_SIDE = 11
#: A band spans at least this share of the plot's height and covers this share of its area.
GREY_BAND_MIN_HEIGHT, GREY_BAND_MIN_AREA = 0.08, 0.003
#: Ink no darker than the band's darkest interior less this (Lab L) is the band's.
GREY_BAND_SLACK = 3.0
#: A band's anti-aliased rim reaches this far (px) beyond the squares it fills.
GREY_BAND_RIM = 2


def grey_band_ink(lightness: np.ndarray, dark: np.ndarray) -> np.ndarray:
    """The dark-ink pixels of grey confidence bands: wide areas of mid grey behind black or grey
    curves.

    A black arm's band is black at low opacity: mid grey, darker where two bands overlap, and
    dark enough to count as ink. Traced with the lines, its edges (steps, like a curve's) and
    overlaps pull the traces off the lines. Its pixels are paler than the lines' core and fill
    areas wider than any line; a line drawn over the band stays (its core is not pale).

    Parameters
    ----------
    lightness : ndarray
        Lab lightness (0-100) of the plot region.
    dark : ndarray
        Dark achromatic ink (bool).

    Returns
    -------
    ndarray
        Bool mask of the band pixels (inside ``dark``), with their rims.
    """
    if not dark.any():
        return np.zeros_like(dark)
    # the lines' core: the darkest ink that runs a fifth of the plot's width (bands may hold
    # most of the dark pixels)
    ranked = np.sort(lightness[dark])
    core = float(ranked[min(len(ranked) - 1, dark.shape[1] // 5)])
    pale = dark & (lightness > core + GREY_BAND_ABOVE_CORE)
    square = np.ones((GREY_BAND_SIDE, GREY_BAND_SIDE), np.uint8)
    wide = cv2.morphologyEx(pale.astype(np.uint8), cv2.MORPH_OPEN, square)
    # a band spans a good part of the plot's height and area; a grey line's crowded censor
    # marks fill a strip no taller than a mark
    count, comp, stats, _ = cv2.connectedComponentsWithStats(wide, connectivity=8)
    h, w = dark.shape
    big = [k for k in range(1, count)
           if stats[k, cv2.CC_STAT_HEIGHT] >= GREY_BAND_MIN_HEIGHT * h
           and stats[k, cv2.CC_STAT_AREA] >= GREY_BAND_MIN_AREA * h * w]
    if not big:
        return np.zeros_like(dark)
    wide = np.isin(comp, big).astype(np.uint8)
    rim = cv2.dilate(wide, np.ones((2 * GREY_BAND_RIM + 1,) * 2, np.uint8)).astype(bool)
    # a thin line over the band is darker than the band (its anti-aliased core may be no
    # darker than the lines' core by much): only ink as pale as the band's darkest is the band's
    band_from = float(np.percentile(lightness[wide.astype(bool)], 5)) - GREY_BAND_SLACK
    return pale & rim & (lightness >= band_from)
