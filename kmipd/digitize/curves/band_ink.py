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
