"""The publication styles :func:`kmipd.analysis.plots.plot_km` draws.

Styles differ in font, size, line width, palette, line type, censor mark, legend place, table
title and row labels, grid and panel (so that a digitizer tested on figures drawn in them, see
:mod:`kmipd.testing`, cannot fit one layout).
"""

from __future__ import annotations

__all__ = ["STYLES", "style_spec"]

_TAB = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e")
_BASE = dict(font="DejaVu Sans", size=10, lw=1.5, colours=_TAB, dashes=("-",), censor="+",
             msize=7, legend="upper right", frame=True, table_title="Number at risk",
             label_colour=False, panel=None, grid=False, ci=False, width_px=800, aspect=0.62,
             fmt="png", quality=95, percent=False, y_auto=False, steps=(1, 2, 2.5, 5), n_ticks=7,
             box=True, y_decimals=1)
_SPECS: dict[str, dict] = {
    "colour_plus": {},
    "bw_dashed": dict(font="DejaVu Serif", size=9, lw=1.2, colours=("black",),
                      dashes=("-", "--", ":", "-."), censor="|", msize=6, legend="lower left",
                      frame=False, table_title="No. at risk", width_px=700, box=False),
    "ggplot_grey": dict(size=11, colours=("#F8766D", "#00BFC4", "#7CAE00", "#C77CFF"),
                        legend="top", label_colour=True, y_decimals=2, table_title="Strata",
                        panel="#EBEBEB", grid=True, width_px=1000, aspect=0.55, box=False),
    "ci_band": dict(colours=("#E7B800", "#2E9FDF", "#FC4E07", "#00AFBB"), lw=1.8, ci=True,
                    censor="|", width_px=900, legend="lower left"),
    "small_jpeg": dict(size=7, lw=1.2, colours=("#cc0000", "#0000cc", "#008800", "#aa6600"),
                       censor="|", msize=4, table_title="No. at risk", width_px=450, aspect=0.7,
                       fmt="jpg", quality=50, n_ticks=6),
    "thick_multi": dict(size=12, y_decimals=None, lw=3.2, msize=10,
                        colours=("#1b9e77", "#d95f02", "#7570b3", "#e7298a"), width_px=1200,
                        aspect=0.55),
    "percent_axis": dict(font="DejaVu Serif", size=10, colours=("#08519c", "#a50f15", "#006d2c",
                         "#54278f"), censor="|", percent=True, width_px=800, box=False),
    "truncated_y": dict(size=9, colours=("#4daf4a", "#984ea3", "#ff7f00", "#377eb8"), y_auto=True,
                        width_px=700, legend="lower left", table_title=None),
    "journal": dict(size=8.5, lw=1.4, colours=("#00468B", "#ED0000", "#42B540", "#0099B4"),
                    censor="|", msize=5, legend="upper right", frame=False, percent=True,
                    steps=(0.6, 1.2, 2.4, 3, 6), n_ticks=11, width_px=1000, aspect=0.6, box=False),
}
#: Names of the publication styles :func:`~kmipd.analysis.plots.plot_km` draws.
STYLES: tuple[str, ...] = tuple(_SPECS)


def style_spec(style: str) -> dict:
    """Every drawing setting of ``style``: the base settings updated by the style's own.

    Parameters
    ----------
    style : str
        One of :data:`STYLES`.

    Returns
    -------
    dict
        A new dict (font, size, line width, colours, ...); changing it changes no style.

    Raises
    ------
    ValueError
        When ``style`` is not one of :data:`STYLES`.

    Examples
    --------
    >>> spec = style_spec("bw_dashed")
    >>> spec["font"], spec["censor"], spec["table_title"], spec["fmt"]
    ('DejaVu Serif', '|', 'No. at risk', 'png')
    """
    if style not in _SPECS:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
    return {**_BASE, **_SPECS[style]}
