"""Render Kaplan-Meier figures from IPD in a publication style, and know exactly what was drawn.

The figure is drawn by the library's :func:`kmipd.analysis.plots.plot_km`, whose steps are the lifelines Kaplan-Meier estimate itself (``ax.step(where="post")``), so a
:class:`RenderedFigure` carries the exact truth of its image: the KM steps of every arm, the numbers
at risk at every x tick, the labelled axis ranges, the legend order and the pixel of every
labelled tick. Tests and benchmarks of the digitizer render figures with :func:`render_km_figure`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# the renderer shares plot_km's drawing: its style table, figure layout and rc settings
from kmipd.analysis.plot_styles import style_spec
from kmipd.analysis.plots import _new_figure, _plot, _rc
from kmipd.testing.truth import draw_ticks_unsnapped, image_height, tick_pixels

__all__ = ["RenderedFigure", "render_km_figure"]

_PAD = 0.12  # inches of white around the cropped figure


@dataclass
class RenderedFigure:
    """A figure written by :func:`render_km_figure` and the exact truth of what it shows.

    ``curves`` holds the KM steps of each arm as drawn (``arm,time,survival``, survival 0-1);
    ``at_risk`` the numbers at risk at every x tick; ``x_range``/``y_range`` the lowest and highest
    labelled tick values in printed units (0-100 on a percent axis); ``tick_px`` the true image
    pixel of every labelled tick, ``{"x": [(value, x_px)], "y": [(value, y_px)]}`` (y downwards).
    """

    path: Path
    style: str
    curves: pd.DataFrame
    at_risk: pd.DataFrame
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    percent: bool
    arms: list[str]
    has_table: bool
    ipd: pd.DataFrame
    x_ticks: list[float] = field(default_factory=list)
    colours: dict[str, str] = field(default_factory=dict)
    tick_px: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def render_km_figure(ipd: pd.DataFrame, path: str | Path, *, style: str = "colour_plus",
                     dpi: int = 100, width_in: float | None = None, x_label: str = "Time",
                     table: bool = True, seed: int = 0, time_scale: float = 1.0,
                     rename: dict[str, str] | None = None, **kw: Any) -> RenderedFigure:
    """Render ``ipd`` in a publication style to ``path`` and return the exact truth.

    Parameters
    ----------
    ipd : pandas.DataFrame
        Columns ``arm, time, event``.
    path : str or pathlib.Path
        Output file; the suffix is replaced by ``.jpg`` for JPEG styles.
    style : str
        One of :data:`kmipd.analysis.plots.STYLES`.
    dpi : int
        Resolution; with ``width_in`` it sets the pixel size (default: the style's width).
    width_in : float, optional
        Figure width in inches before cropping to its content.
    x_label : str
        x axis label.
    table : bool
        Print the number-at-risk table.
    seed : int
        0 draws the style as defined; other seeds vary the width, font family and size a little.
    time_scale : float
        Multiply times by this first (e.g. ``12 / 365.25`` for days to months).
    rename : dict, optional
        New arm names (legend and table), e.g. long names.
    **kw
        Passed to :func:`~kmipd.analysis.plots.plot_km` (``title``, ``y_range``,
        ``table_title``, ``x_ticks``, ...).

    Returns
    -------
    RenderedFigure
    """
    spec = style_spec(style)
    ipd = ipd.loc[:, ["arm", "time", "event"]].copy()
    ipd["arm"] = ipd["arm"].astype(str)
    if rename:
        ipd["arm"] = ipd["arm"].map(lambda a: rename.get(a, a))
    ipd["time"] = ipd["time"].astype(float) * time_scale
    rng = np.random.default_rng(seed)
    jitter = (lambda lo, hi: rng.uniform(lo, hi)) if seed else (lambda lo, hi: 1.0)
    kw.setdefault("font_scale", jitter(0.9, 1.12))
    width = (width_in or spec["width_px"] / dpi) * jitter(0.9, 1.1)
    font = spec["font"] if not seed else rng.choice(["DejaVu Sans", "DejaVu Serif", spec["font"]])
    with _rc(font):
        fig, ax = _new_figure(spec, width, dpi, ipd["arm"].nunique(), table, kw["font_scale"])
        out = _plot(ipd, ax, style, show_table=table, x_label=x_label, **kw)
        draw_ticks_unsnapped(ax)
        path = Path(path)
        if spec["fmt"] == "jpg":
            path = path.with_suffix(".jpg")
        path.parent.mkdir(parents=True, exist_ok=True)
        extra = {"pil_kwargs": {"quality": spec["quality"]}} if spec["fmt"] == "jpg" else {}
        fig.savefig(path, dpi=dpi, bbox_inches="tight", pad_inches=_PAD, facecolor="white",
                    **extra)
        tick_px = tick_pixels(fig, ax, out["x_ticks"], ax.get_yticks(), image_height(path), _PAD)
    x_ticks = out["x_ticks"]
    return RenderedFigure(
        path=path, style=style, curves=out["steps"], at_risk=out["at_risk"],
        x_range=(float(x_ticks[0]), float(x_ticks[-1])), y_range=out["y_range"],
        percent=out["percent"], arms=out["arms"], has_table=bool(table), ipd=ipd,
        x_ticks=[float(v) for v in x_ticks], colours=out["colours"], tick_px=tick_px)
