"""Render Kaplan-Meier figures from IPD in a publication style, and know exactly what was drawn.

The figure is drawn by the library's :func:`kmipd.analysis.plots.plot_km`, whose steps are the lifelines Kaplan-Meier estimate itself (``ax.step(where="post")``), so a
:class:`RenderedFigure` carries the exact truth of its image: the KM steps of every arm, the numbers
at risk at every x tick, the labelled axis ranges, the legend order and the pixel of every
labelled tick. Tests and benchmarks of the digitizer render figures with :func:`render_km_figure`.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

# the renderer shares plot_km's drawing: its style table, figure layout and rc settings
from kmipd.analysis.plot_styles import style_spec
from kmipd.analysis.plots import _new_figure, _plot, _rc
from kmipd.testing.truth import draw_ticks_unsnapped, image_height, tick_pixels

if TYPE_CHECKING:
    from collections.abc import Iterator

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["RenderedFigure", "drawn_km", "prepare_ipd", "render_km_figure", "rendered_truth"]

_PAD = 0.12  # inches of white around the cropped figure


@dataclass
class RenderedFigure:
    """A figure written by :func:`render_km_figure` and the exact truth of what it shows.

    ``curves`` holds the KM steps of each arm as drawn (``arm,time,survival``, survival 0-1);
    ``at_risk`` the numbers at risk at every x tick; ``x_range``/``y_range`` the lowest and highest
    labelled tick values in printed units (0-100 on a percent axis); ``tick_px`` the true image
    pixel of every labelled tick, ``{"x": [(value, x_px)], "y": [(value, y_px)]}`` (y downwards).
    Figures written as PDF (:mod:`kmipd.testing.pdf_figures`) leave ``tick_px`` empty and fill
    ``pdf_pt`` instead: the page's PDF points, top-left origin as pdfplumber reports them, of the
    plot area ``"plot"`` and the whole figure with its labels and table ``"figure"`` (each
    ``(x0, top, x1, bottom)``) and of every labelled tick ``"x"``/``"y"`` (``[(value, pt)]``).
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
    pdf_pt: dict[str, Any] = field(default_factory=dict)


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
    with drawn_km(ipd, style=style, dpi=dpi, width_in=width_in, x_label=x_label, table=table,
                  seed=seed, time_scale=time_scale, rename=rename, **kw) as (fig, ax, out, ipd):
        path = Path(path)
        if spec["fmt"] == "jpg":
            path = path.with_suffix(".jpg")
        path.parent.mkdir(parents=True, exist_ok=True)
        extra = {"pil_kwargs": {"quality": spec["quality"]}} if spec["fmt"] == "jpg" else {}
        fig.savefig(path, dpi=dpi, bbox_inches="tight", pad_inches=_PAD, facecolor="white",
                    **extra)
        tick_px = tick_pixels(fig, ax, out["x_ticks"], ax.get_yticks(), image_height(path), _PAD)
    return rendered_truth(path, style, out, ipd, table, tick_px)


def prepare_ipd(ipd: pd.DataFrame, rename: dict[str, str] | None = None,
                time_scale: float = 1.0) -> pd.DataFrame:
    """``arm, time, event`` of ``ipd`` as drawn: arms as text (renamed), times scaled.

    Parameters
    ----------
    ipd : pandas.DataFrame
        Columns ``arm, time, event``.
    rename : dict, optional
        New arm names.
    time_scale : float
        Multiply times by this.

    Returns
    -------
    pandas.DataFrame
        A new table.
    """
    ipd = ipd.loc[:, ["arm", "time", "event"]].copy()
    ipd["arm"] = ipd["arm"].astype(str)
    if rename:
        ipd["arm"] = ipd["arm"].map(lambda a: rename.get(a, a))
    ipd["time"] = ipd["time"].astype(float) * time_scale
    return ipd


@contextmanager
def drawn_km(ipd: pd.DataFrame, *, style: str = "colour_plus", dpi: int = 100,
             width_in: float | None = None, x_label: str = "Time", table: bool = True,
             seed: int = 0, time_scale: float = 1.0, rename: dict[str, str] | None = None,
             **kw: Any) -> Iterator[tuple[Figure, Axes, dict, pd.DataFrame]]:
    """Draw a figure as :func:`render_km_figure` does; save it inside the ``with`` block.

    The style's rc settings (font, no pixel snapping) hold inside the block, where the figure
    must be saved. Parameters are those of :func:`render_km_figure`.

    Yields
    ------
    fig, ax, out, ipd
        The figure, its axes, what :func:`~kmipd.analysis.plots._plot` returned and the IPD as
        drawn (:func:`prepare_ipd`).
    """
    spec = style_spec(style)
    ipd = prepare_ipd(ipd, rename, time_scale)
    rng = np.random.default_rng(seed)
    jitter = (lambda lo, hi: rng.uniform(lo, hi)) if seed else (lambda lo, hi: 1.0)
    kw.setdefault("font_scale", jitter(0.9, 1.12))
    width = (width_in or spec["width_px"] / dpi) * jitter(0.9, 1.1)
    font = spec["font"] if not seed else rng.choice(["DejaVu Sans", "DejaVu Serif", spec["font"]])
    with _rc(font):
        fig, ax = _new_figure(spec, width, dpi, ipd["arm"].nunique(), table, kw["font_scale"])
        out = _plot(ipd, ax, style, show_table=table, x_label=x_label, **kw)
        draw_ticks_unsnapped(ax)
        yield fig, ax, out, ipd


def rendered_truth(path: Path, style: str, out: dict, ipd: pd.DataFrame, table: bool,
                   tick_px: dict[str, list[tuple[float, float]]] | None = None) -> RenderedFigure:
    """The :class:`RenderedFigure` of a figure drawn by :func:`~kmipd.analysis.plots._plot`.

    Parameters
    ----------
    path : pathlib.Path
        The written file.
    style : str
        Its style.
    out : dict
        What ``_plot`` returned.
    ipd : pandas.DataFrame
        The IPD as drawn.
    table : bool
        Whether the table was printed.
    tick_px : dict, optional
        Pixel truth of the ticks (left empty when not defined, e.g. for a PDF).

    Returns
    -------
    RenderedFigure
    """
    x_ticks = out["x_ticks"]
    return RenderedFigure(
        path=path, style=style, curves=out["steps"], at_risk=out["at_risk"],
        x_range=(float(x_ticks[0]), float(x_ticks[-1])), y_range=out["y_range"],
        percent=out["percent"], arms=out["arms"], has_table=bool(table), ipd=ipd,
        x_ticks=[float(v) for v in x_ticks], colours=out["colours"], tick_px=tick_px or {})
