"""Exact pixel truth of the figures :func:`kmipd.testing.render.render_km_figure` writes.

Matplotlib's Agg backend rounds markers (tick marks) to whole pixels and crops a tight figure to
a whole number of pixels; these helpers draw ticks where the data put them and say where every
labelled tick lands in the saved image, so tests and benchmarks know the truth to a fraction of
a pixel.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike


def draw_ticks_unsnapped(ax: Axes) -> None:
    """Redraw the major tick marks as plain lines at their exact positions.

    Agg draws tick marks as markers and always rounds markers to whole pixels, while the curves
    are drawn where the data put them; R, SAS and journal art place both exactly. Left as they
    are, the ticks would be up to half a pixel off the truth.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes whose ticks and limits are final; its tick marks are hidden and drawn again as lines.
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
    """Height in pixels of the image file at ``path``.

    Parameters
    ----------
    path : pathlib.Path
        A PNG or JPEG file.

    Returns
    -------
    int
    """
    from PIL import Image

    with Image.open(path) as im:
        return int(im.size[1])


def tick_pixels(fig: Figure, ax: Axes, x_ticks: ArrayLike, y_ticks: ArrayLike, height_px: int,
                pad: float) -> dict[str, list[tuple[float, float]]]:
    """Image pixels of the ticks in a figure saved with ``bbox_inches="tight"``.

    Agg's canvas is a whole number of pixels tall and draws upwards from its bottom edge, so
    rows count down from the saved image's real height, not from the (fractional) box top.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, as it was saved.
    ax : matplotlib.axes.Axes
        Its axes.
    x_ticks, y_ticks : array_like
        Tick values in data units.
    height_px : int
        Height of the saved image (:func:`image_height`).
    pad : float
        ``pad_inches`` the figure was saved with.

    Returns
    -------
    dict
        ``{"x": [(value, x_px)], "y": [(value, y_px)]}``, pixels from the image's top left.
    """
    box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(pad)
    dpi = fig.dpi
    x = ax.transData.transform(np.c_[x_ticks, np.zeros(len(x_ticks))])[:, 0] - box.x0 * dpi
    y = height_px - (ax.transData.transform(np.c_[np.zeros(len(y_ticks)), y_ticks])[:, 1] - box.y0 * dpi)
    return {"x": [(float(v), float(p)) for v, p in zip(x_ticks, x, strict=True)],
            "y": [(float(v), float(p)) for v, p in zip(y_ticks, y, strict=True)]}
