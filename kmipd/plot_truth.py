"""Exact pixel truth of the figures :func:`kmipd.plotting.render_km_figure` writes.

Matplotlib's Agg backend rounds markers (tick marks) to whole pixels and crops a tight figure to
a whole number of pixels; these helpers draw ticks where the data put them and say where every
labelled tick lands in the saved image, so tests and benchmarks know the truth to a fraction of
a pixel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def draw_ticks_unsnapped(ax) -> None:
    """Redraw the major tick marks as plain lines at their exact positions.

    Agg draws tick marks as markers and always rounds markers to whole pixels, while the curves
    are drawn where the data put them; R, SAS and journal art place both exactly. Left as they
    are, the ticks would be up to half a pixel off the truth.
    """
    import matplotlib as mpl
    from matplotlib.lines import Line2D

    length_pt, width_pt = mpl.rcParams["xtick.major.size"], mpl.rcParams["xtick.major.width"]
    bbox = ax.get_window_extent()
    to_px = ax.figure.dpi / 72.0
    colour = mpl.rcParams["xtick.color"]
    x_lo, x_hi = sorted(ax.get_xlim())
    y_lo, y_hi = sorted(ax.get_ylim())
    kw = dict(color=colour, linewidth=width_pt, solid_capstyle="butt", clip_on=False)
    for x in ax.get_xticks():
        if x_lo <= x <= x_hi:
            ax.add_line(Line2D([x, x], [0.0, -length_pt * to_px / bbox.height],
                               transform=ax.get_xaxis_transform(), **kw))
    for y in ax.get_yticks():
        if y_lo <= y <= y_hi:
            ax.add_line(Line2D([0.0, -length_pt * to_px / bbox.width], [y, y],
                               transform=ax.get_yaxis_transform(), **kw))
    pad = mpl.rcParams["xtick.major.pad"] + length_pt  # labels stay where they were
    ax.tick_params(which="both", length=0, pad=pad)


def image_height(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as im:
        return int(im.size[1])


def tick_pixels(fig, ax, x_ticks, y_ticks, height_px: int, pad: float) -> dict[str, list[tuple[float, float]]]:
    """Image pixels of the ticks in a figure saved with ``bbox_inches="tight"``.

    Agg's canvas is a whole number of pixels tall and draws upwards from its bottom edge, so
    rows count down from the saved image's real height, not from the (fractional) box top.
    """
    box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(pad)
    dpi = fig.dpi
    x = ax.transData.transform(np.c_[x_ticks, np.zeros(len(x_ticks))])[:, 0] - box.x0 * dpi
    y = height_px - (ax.transData.transform(np.c_[np.zeros(len(y_ticks)), y_ticks])[:, 1] - box.y0 * dpi)
    return {"x": [(float(v), float(p)) for v, p in zip(x_ticks, x, strict=True)],
            "y": [(float(v), float(p)) for v, p in zip(y_ticks, y, strict=True)]}
