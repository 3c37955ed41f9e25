"""The Kaplan-Meier plot of IPD with its number-at-risk table, in several publication styles.

The steps drawn are the lifelines Kaplan-Meier estimate itself (``ax.step(where="post")``):
:func:`km_steps` gives them as a table and :func:`numbers_at_risk` the counts the table prints.
:func:`plot_km` draws them in one of :data:`STYLES` (:mod:`kmipd.analysis.plot_styles`).

The test-figure renderer (:func:`kmipd.testing.render.render_km_figure`) draws with this module;
this module never imports :mod:`kmipd.testing`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from kmipd.analysis.plot_styles import STYLES, style_spec
from kmipd.compare import step_survival

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from numpy.typing import ArrayLike

__all__ = ["STYLES", "at_risk_counts", "km_curve", "km_steps", "numbers_at_risk", "plot_km"]

def km_curve(time: ArrayLike, event: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Exact KM steps (lifelines) of one arm, starting at (0, 1).

    Parameters
    ----------
    time, event : array_like
        Follow-up times and event indicators (1 = event, 0 = censored) of the arm's patients.

    Returns
    -------
    t, s : numpy.ndarray
        Every time of the lifelines estimate (with 0 first) and the survival from that time on.

    Examples
    --------
    >>> t, s = km_curve([1, 2, 2, 3], [1, 1, 0, 1])
    >>> t.tolist(), s.round(3).tolist()
    ([0.0, 1.0, 2.0, 3.0], [1.0, 0.75, 0.5, 0.0])
    """
    kmf = KaplanMeierFitter().fit(np.asarray(time, float), np.asarray(event, int))
    sf = kmf.survival_function_
    t = sf.index.to_numpy(float)
    s = sf.iloc[:, 0].to_numpy(float)
    if t[0] > 0:
        t, s = np.r_[0.0, t], np.r_[1.0, s]
    return t, s


def at_risk_counts(time: ArrayLike, times: ArrayLike) -> np.ndarray:
    """Number still at risk (time >= t) at each of ``times``.

    Parameters
    ----------
    time : array_like
        Follow-up times of the arm's patients.
    times : array_like
        Times to count at.

    Returns
    -------
    numpy.ndarray
        Patients with follow-up ``>= t``, one count per ``t`` in ``times``.

    Examples
    --------
    >>> at_risk_counts([1, 2, 2, 3], [0, 2, 2.5, 4]).tolist()
    [4, 3, 1, 0]
    """
    time = np.sort(np.asarray(time, float))
    return time.size - np.searchsorted(time, np.asarray(times, float), side="left")


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

    Examples
    --------
    >>> ipd = pd.DataFrame({"arm": "A", "time": [1.0, 2, 2, 3, 4], "event": [1, 1, 0, 0, 1]})
    >>> km_steps(ipd)
      arm  time  survival
    0   A   0.0       1.0
    1   A   1.0       0.8
    2   A   2.0       0.6
    3   A   4.0       0.0
    """
    parts = []
    for arm in _arms(ipd):
        rows = ipd[ipd["arm"].astype(str) == arm]
        t, s = km_curve(rows["time"], rows["event"])
        keep = np.r_[True, np.diff(s) != 0]
        keep[-1] = True
        parts.append(pd.DataFrame({"arm": arm, "time": t[keep], "survival": s[keep]}))
    return pd.concat(parts, ignore_index=True)


def numbers_at_risk(ipd: pd.DataFrame, times: ArrayLike) -> pd.DataFrame:
    """Numbers at risk (``time >= t``) of each arm at ``times``.

    Parameters
    ----------
    ipd : pandas.DataFrame
        Columns ``arm, time`` (``event`` is not needed).
    times : array_like
        Times to count at, the same for every arm.

    Returns
    -------
    pandas.DataFrame
        ``arm, time, n_at_risk`` (int), arms in order of first appearance.

    Examples
    --------
    >>> ipd = pd.DataFrame({"arm": ["A", "A", "A", "B", "B"], "time": [1.0, 5, 9, 2, 12]})
    >>> numbers_at_risk(ipd, [0, 5, 10])
      arm  time  n_at_risk
    0   A   0.0          3
    1   A   5.0          2
    2   A  10.0          0
    3   B   0.0          2
    4   B   5.0          1
    5   B  10.0          1
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
    spec = style_spec(style)
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


def plot_km(ipd: pd.DataFrame, ax: Axes | None = None, *, style: str = "colour_plus",
            at_risk_times: ArrayLike | None = None, show_table: bool = True,
            title: str | None = None, x_label: str = "Time", y_label: str | None = None,
            percent: bool = False, y_range: tuple[float, float] | None = None,
            colours: Sequence[Any] | None = None, table_title: str | None = None,
            legend: bool = True, annotation: str | None = None,
            x_ticks: ArrayLike | None = None, font_scale: float = 1.0) -> Figure:
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
        The figure of ``ax`` (or the new figure); save it with ``savefig``.

    Raises
    ------
    ValueError
        When ``style`` is not one of :data:`STYLES`.

    Examples
    --------
    >>> ipd = pd.DataFrame({"arm": ["A", "A", "A", "B", "B", "B"],
    ...                     "time": [2.0, 4, 6, 3, 5, 7], "event": [1, 0, 1, 1, 1, 0]})
    >>> fig = plot_km(ipd, style="bw_dashed", x_label="Months", at_risk_times=[0, 3, 6])
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), [t.get_text() for t in ax.texts][:3]
    ('Months', ['No. at risk', 'A', '3'])
    """
    spec = style_spec(style)
    with _rc(spec["font"]):
        if ax is None:
            n_arms = ipd["arm"].astype(str).nunique()
            _, ax = _new_figure(spec, 7.0, 100, n_arms, show_table, font_scale)
        return _plot(ipd, ax, style, at_risk_times=at_risk_times, show_table=show_table,
                     title=title, x_label=x_label, y_label=y_label, percent=percent,
                     y_range=y_range, colours=colours, table_title=table_title, legend=legend,
                     annotation=annotation, x_ticks=x_ticks, font_scale=font_scale)["fig"]


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
