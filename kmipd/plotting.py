"""Draw Kaplan-Meier figures from IPD in several publication styles, and know exactly what was drawn.

The steps drawn are the lifelines Kaplan-Meier estimate itself (``ax.step(where="post")``), so a
:class:`RenderedFigure` carries the exact truth of its image: the KM steps of every arm, the numbers
at risk at every x tick, the labelled axis ranges and the legend order. Tests and benchmarks of the
digitizer render figures with :func:`render_km_figure`; :func:`plot_km` is the reusable plot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from kmipd.compare import step_survival
from kmipd.plot_truth import draw_ticks_unsnapped, image_height, tick_pixels
from kmipd.simulate import at_risk_counts, km_curve

__all__ = ["STYLES", "RenderedFigure", "km_steps", "numbers_at_risk", "plot_km",
           "render_km_figure", "test_figure_cases"]

from kmipd.plot_styles import _BASE, _SPECS, STYLES, test_figure_cases  # noqa: F401  (re-exported)

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


def _arms(ipd: pd.DataFrame) -> list[str]:
    return [str(a) for a in pd.unique(ipd["arm"].astype(str))]


def _fit(rows: pd.DataFrame) -> KaplanMeierFitter:
    return KaplanMeierFitter().fit(rows["time"].to_numpy(float), rows["event"].to_numpy(int))


def km_steps(ipd: pd.DataFrame) -> pd.DataFrame:
    """Exact Kaplan-Meier steps of each arm (lifelines), starting at (0, 1).

    Parameters
    ----------
    ipd : pandas.DataFrame
        Columns ``arm, time, event`` (event 1 = event, 0 = censored).

    Returns
    -------
    pandas.DataFrame
        ``arm, time, survival``: the start, every time the estimate drops, and the last follow-up
        time of each arm (arms in order of first appearance).
    """
    parts = []
    for arm in _arms(ipd):
        rows = ipd[ipd["arm"].astype(str) == arm]
        t, s = km_curve(rows["time"], rows["event"])
        keep = np.r_[True, np.diff(s) != 0]
        keep[-1] = True
        parts.append(pd.DataFrame({"arm": arm, "time": t[keep], "survival": s[keep]}))
    return pd.concat(parts, ignore_index=True)


def numbers_at_risk(ipd: pd.DataFrame, times) -> pd.DataFrame:
    """Numbers at risk (``time >= t``) of each arm at ``times``.

    Returns
    -------
    pandas.DataFrame
        ``arm, time, n_at_risk`` (int).
    """
    times = np.asarray(times, dtype=float)
    rows = []
    for arm in _arms(ipd):
        n = at_risk_counts(ipd.loc[ipd["arm"].astype(str) == arm, "time"], times)
        rows.append(pd.DataFrame({"arm": arm, "time": times, "n_at_risk": n.astype(int)}))
    return pd.concat(rows, ignore_index=True)


def _nice_ticks(t_max: float, n_max: int, steps) -> np.ndarray:
    """Ticks 0, s, 2s, ... covering ``t_max`` with the smallest step giving at most n_max gaps."""
    for k in range(-4, 8):
        for s in sorted(steps):
            step = s * 10.0**k
            n = math.ceil(t_max / step - 1e-9)
            if n <= n_max:
                return np.round(np.arange(n + 1) * step, 10)
    return np.array([0.0, t_max])


def _clip(steps: pd.DataFrame, t_end: float) -> pd.DataFrame:
    """Cut each arm's steps at ``t_end`` (keeping a point at t_end when the arm runs past it)."""
    parts = []
    for arm, rows in steps.groupby("arm", sort=False):
        inside = rows[rows["time"] <= t_end]
        if rows["time"].max() > t_end and inside["time"].iloc[-1] < t_end:
            s_end = step_survival(rows["time"], rows["survival"], [t_end])[0]
            inside = pd.concat([inside, pd.DataFrame({"arm": [arm], "time": [t_end],
                                                      "survival": [s_end]})])
        parts.append(inside)
    return pd.concat(parts, ignore_index=True)


def _spec(style: str) -> dict:
    if style not in _SPECS:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
    return {**_BASE, **_SPECS[style]}


def _y_axis(spec: dict, steps: pd.DataFrame, percent: bool, y_range) -> tuple[float, float]:
    if y_range is None:
        lo = 0.0
        if spec["y_auto"]:
            lo = min(0.8, max(0.0, math.floor(steps["survival"].min() * 10 - 1e-9) / 10))
        y_range = (lo * 100, 100.0) if percent else (lo, 1.0)
    return float(y_range[0]), float(y_range[1])


def _draw_table(ax, arms, times, at_risk, colours, spec, title, fs, below_pt) -> None:
    """Numbers at risk as text rows under the axes, columns at the x tick positions."""
    fig = ax.figure
    base = blended_transform_factory(ax.transData, ax.transAxes)
    left = blended_transform_factory(ax.transAxes, ax.transAxes)
    digits = len(str(int(at_risk["n_at_risk"].max()))) if len(at_risk) else 1
    gap = digits * fs * 0.32 + 0.5 * fs  # points left of the axis: half the first cell + a gap
    line = fs * 1.45
    y0 = below_pt + (line if title else 0)

    def shift(dx_pt: float, dy_pt: float):
        return ScaledTranslation(dx_pt / 72, -dy_pt / 72, fig.dpi_scale_trans)

    if title:
        label_w = max(len(a) for a in arms) * fs * 0.55
        ax.text(0, 0, title, transform=left + shift(-gap - label_w, below_pt), ha="left",
                va="top", fontsize=fs, fontweight="bold", clip_on=False)
    for i, arm in enumerate(arms):
        colour = colours[arm] if spec["label_colour"] else "black"
        ax.text(0, 0, arm, transform=left + shift(-gap, y0 + i * line), ha="right", va="top",
                fontsize=fs, color=colour, clip_on=False)
        counts = at_risk[at_risk["arm"] == arm].set_index("time")["n_at_risk"]
        for t in times:
            ax.text(t, 0, str(int(counts[t])), transform=base + shift(0, y0 + i * line),
                    ha="center", va="top", fontsize=fs, color=colour, clip_on=False)


def _tick_labels(values, decimals: int | None = None) -> list[str]:
    if decimals is None:
        decimals = next(d for d in range(6) if np.allclose(np.round(values, d), values))
    return [f"{v:.{decimals}f}" for v in values]


def _plot(ipd, ax, style, *, at_risk_times=None, show_table=True, title=None, x_label="Time",
          y_label=None, percent=False, y_range=None, colours=None, table_title=None, legend=True,
          annotation=None, x_ticks=None, font_scale=1.0) -> dict:
    spec = _spec(style)
    arms = _arms(ipd)
    percent = bool(percent or spec["percent"])
    fs = spec["size"] * font_scale
    if x_ticks is None:
        x_ticks = _nice_ticks(float(ipd["time"].max()), spec["n_ticks"], spec["steps"])
    x_ticks = np.asarray(x_ticks, dtype=float)
    x_end = float(x_ticks[-1])
    steps = _clip(km_steps(ipd), x_end)
    yr = _y_axis(spec, steps, percent, y_range)
    scale = 100.0 if percent else 1.0
    palette = list(colours) if colours is not None else list(spec["colours"])
    cmap = {a: palette[i % len(palette)] for i, a in enumerate(arms)}
    if spec["panel"]:
        ax.set_facecolor(spec["panel"])
    if spec["grid"]:
        ax.grid(True, color="white", lw=1.0)
        ax.set_axisbelow(True)
    handles = []
    for i, arm in enumerate(arms):
        rows = steps[steps["arm"] == arm]
        ls = spec["dashes"][i % len(spec["dashes"])]
        t, s = rows["time"].to_numpy(), rows["survival"].to_numpy() * scale
        ax.step(t, s, where="post", color=cmap[arm], lw=spec["lw"], ls=ls, zorder=3)
        arm_ipd = ipd[ipd["arm"].astype(str) == arm]
        if spec["ci"]:
            ci = _fit(arm_ipd).confidence_interval_
            keep = ci.index.to_numpy() <= x_end
            ax.fill_between(ci.index.to_numpy()[keep], ci.iloc[keep, 0] * scale,
                            ci.iloc[keep, 1] * scale, step="post", color=cmap[arm], alpha=0.2,
                            lw=0, zorder=2)
        cens = arm_ipd.loc[(arm_ipd["event"] == 0) & (arm_ipd["time"] <= x_end), "time"]
        if spec["censor"] and len(cens):
            cs = step_survival(rows["time"], rows["survival"], cens) * scale
            ax.plot(cens, cs, ls="none", marker=spec["censor"], ms=spec["msize"],
                    mew=max(1.0, spec["lw"] * 0.7), color=cmap[arm], zorder=4)
        handles.append(Line2D([], [], color=cmap[arm], lw=spec["lw"], ls=ls,
                              marker=spec["censor"] or None, ms=spec["msize"]))
    ax.set_xlim(x_ticks[0], x_end)
    ax.set_xticks(x_ticks)
    ax.set_xticklabels(_tick_labels(x_ticks))
    pad = 0.02 * (yr[1] - yr[0])
    ax.set_ylim(yr[0] - pad, yr[1] + pad)
    y_ticks = _nice_ticks(yr[1] - yr[0], 6 if percent else 5, (1, 2, 2.5, 5)) + yr[0]
    ax.set_yticks(y_ticks)
    ax.set_yticklabels(_tick_labels(y_ticks, spec["y_decimals"] if not percent else 0))
    ax.tick_params(labelsize=fs * 0.95)
    if not spec["box"]:
        ax.spines[["top", "right"]].set_visible(False)
    if spec["panel"]:
        ax.spines[:].set_visible(False)
    if y_label is None:
        y_label = "Overall survival (%)" if percent else "Survival probability"
    ax.set_xlabel(x_label, fontsize=fs)
    ax.set_ylabel(y_label, fontsize=fs)
    if title:
        ax.set_title(title, fontsize=fs * 1.15)
    if annotation:
        ax.text(0.03, 0.05, annotation, transform=ax.transAxes, fontsize=fs * 0.95, va="bottom")
    if legend:
        where = spec["legend"]
        kw = dict(frameon=spec["frame"], fontsize=fs * 0.95)
        if where == "top":
            ax.legend(handles, arms, loc="lower left", bbox_to_anchor=(0, 1.01), ncol=len(arms),
                      title="Strata", title_fontsize=fs * 0.95, **kw)
        else:
            ax.legend(handles, arms, loc=where, **kw)
    times = np.asarray(at_risk_times if at_risk_times is not None else x_ticks, dtype=float)
    at_risk = numbers_at_risk(ipd, times)
    if show_table:
        t_title = spec["table_title"] if table_title is None else table_title
        _draw_table(ax, arms, times, at_risk, cmap, spec, t_title or None, fs * 0.95,
                    below_pt=fs * 3.6)
    return dict(fig=ax.figure, ax=ax, steps=steps, at_risk=at_risk, arms=arms, colours=cmap,
                x_ticks=x_ticks, y_range=yr, percent=percent, spec=spec, fs=fs)


def plot_km(ipd: pd.DataFrame, ax=None, *, style: str = "colour_plus", at_risk_times=None,
            show_table: bool = True, title: str | None = None, x_label: str = "Time",
            y_label: str | None = None, percent: bool = False, y_range=None, colours=None,
            table_title: str | None = None, legend: bool = True, annotation: str | None = None,
            x_ticks=None, font_scale: float = 1.0) -> Figure:
    """Draw the Kaplan-Meier curves of ``ipd`` with an optional number-at-risk table.

    Parameters
    ----------
    ipd : pandas.DataFrame
        Columns ``arm, time, event``; arms are drawn in order of first appearance.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; leave room below it for the table. Default: a new 7-inch wide Agg
        figure (100 dpi) with room for the table.
    style : str
        One of :data:`STYLES`.
    at_risk_times : array_like, optional
        Times of the table columns (default: the x ticks).
    show_table : bool
        Print the numbers at risk under the plot.
    title, x_label, y_label : str, optional
        Texts; ``y_label`` defaults to a survival label in the axis units.
    percent : bool
        Survival in percent (0-100); some styles always use percent.
    y_range : (float, float), optional
        Labelled y range in printed units (default 0-1 / 0-100, or data-driven for
        ``truncated_y``).
    colours : sequence of colour, optional
        Colours of the arms, overriding the style's palette.
    table_title : str, optional
        Title of the table; ``""`` for none, default from the style.
    legend : bool
        Draw the legend.
    annotation : str, optional
        Text at the lower left of the plot (e.g. a log-rank p).
    x_ticks : array_like, optional
        x ticks; the last one ends the x axis (curves are cut there). Default: nice ticks.
    font_scale : float
        Multiplies the style's font size.

    Returns
    -------
    matplotlib.figure.Figure
    """
    spec = _spec(style)
    with _rc(spec["font"]):
        if ax is None:
            n_arms = ipd["arm"].astype(str).nunique()
            _, ax = _new_figure(spec, 7.0, 100, n_arms, show_table, font_scale)
        return _plot(ipd, ax, style, at_risk_times=at_risk_times, show_table=show_table,
                     title=title, x_label=x_label, y_label=y_label, percent=percent,
                     y_range=y_range, colours=colours, table_title=table_title, legend=legend,
                     annotation=annotation, x_ticks=x_ticks, font_scale=font_scale)["fig"]


def render_km_figure(ipd: pd.DataFrame, path: str | Path, *, style: str = "colour_plus",
                     dpi: int = 100, width_in: float | None = None, x_label: str = "Time",
                     table: bool = True, seed: int = 0, time_scale: float = 1.0,
                     rename: dict[str, str] | None = None, **kw) -> RenderedFigure:
    """Render ``ipd`` in a publication style to ``path`` and return the exact truth.

    Parameters
    ----------
    ipd : pandas.DataFrame
        Columns ``arm, time, event``.
    path : str or pathlib.Path
        Output file; the suffix is replaced by ``.jpg`` for JPEG styles.
    style : str
        One of :data:`STYLES`.
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
        Passed to :func:`plot_km` (``title``, ``y_range``, ``table_title``, ``x_ticks``, ...).

    Returns
    -------
    RenderedFigure
    """
    spec = _spec(style)
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


def _new_figure(spec: dict, width: float, dpi: float, n_arms: int, table: bool,
                font_scale: float):
    """An Agg figure with one axes and room under it for the x label and the table."""
    fs = spec["size"] * font_scale
    table_h = (fs * 5.2 + (n_arms + 1) * fs * 1.45) / 72 if table else fs * 3 / 72
    plot_h = width * spec["aspect"]
    fig = Figure(figsize=(width, plot_h + table_h), dpi=dpi)
    FigureCanvasAgg(fig)
    bottom = table_h / (plot_h + table_h)
    return fig, fig.add_axes((0.13, bottom, 0.83, (1 - bottom) * 0.93))


def _rc(font: str):
    import matplotlib as mpl

    # no pixel snapping: lines sit where the data put them (R and journal art do not snap), so
    # the truth is exact to a fraction of a pixel
    return mpl.rc_context({"font.family": font, "axes.linewidth": 0.9, "path.snap": False})
