"""Draw a Kaplan-Meier figure in a random :class:`~kmipd.testing.looks.Look` (matplotlib, Agg).

:func:`draw_figure` does the drawing for
:func:`kmipd.testing.random_figures.render_random_figure`, which owns the truth: it is given
the steps to draw (already cut at the last x tick), the numbers at risk to print and every text,
and draws exactly those. The axes, legend and table are laid out here rather than by
:func:`kmipd.analysis.plots.plot_km`, whose style table has fewer knobs than a look.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kmipd.testing.looks import Look

__all__ = ["Drawing", "Texts", "draw_figure"]

_DASHES = ("-", "--", ":", "-.")
_GREY_PANEL = "#EBEBEB"
_TEXT_GREY = "#4D4D4D"
_PAD_IN = 0.1  # white around the cropped figure, inches
_ROW = 1.55  # table row height in font sizes
_EXPAND = {"none": 0.0, "r_base": 0.04, "ggplot": 0.05}
_ANNOTATION_AT = {"bottom_left": (0.03, 0.05, "left", "bottom"),
                  "bottom_right": (0.97, 0.05, "right", "bottom"),
                  "top_right": (0.97, 0.95, "right", "top"),
                  "middle": (0.5, 0.5, "center", "center"),
                  "lower_middle": (0.5, 0.22, "center", "center")}
_LEGEND_AT = {"inside_top_right": dict(loc="upper right"),
              "inside_bottom_left": dict(loc="lower left"),
              "outside_right": dict(loc="center left", bbox_to_anchor=(1.02, 0.5))}


@dataclass
class Drawing:
    """What was drawn: the file, its size in pixels and the printed axis ranges."""

    path: Path
    size_px: tuple[int, int]
    y_range: tuple[float, float]  # first and last labelled y tick, printed units
    y_ticks: list[float]


@dataclass
class Texts:
    """Every text of a figure (empty string: not drawn)."""

    x_label: str
    y_label: str
    title: str
    annotation: str
    legend_title: str
    table_title_left: bool  # table title at the labels' left, else at the axis


def _y_ticks(look: Look, steps: pd.DataFrame) -> np.ndarray:
    lo = 0.0
    if look.y_start == "truncated":
        floor = np.floor((steps["survival"].min() - 0.05) / look.y_step) * look.y_step
        lo = float(min(max(floor, 0.0), 0.6))
    return np.round(np.arange(lo, 1.0 + 1e-9, look.y_step), 6)


def _y_labels(look: Look, ticks: np.ndarray) -> list[str]:
    if look.y_format == "fraction1":
        return [f"{v:.1f}" for v in ticks]
    if look.y_format == "fraction2":
        return [f"{v:.2f}" for v in ticks]
    suffix = "%" if look.y_format == "percent_sign" else ""
    return [f"{v * 100:g}{suffix}" for v in ticks]


def _x_labels(ticks: np.ndarray) -> list[str]:
    decimals = next(d for d in range(6) if np.allclose(np.round(ticks, d), ticks))
    return [f"{v:.{decimals}f}" for v in ticks]


def _layout(fig, look: Look, n_rows: int, has_title: bool):
    """Axes of the plot and (when a table is printed) of the table, in inches."""
    fs = look.font_size
    width = look.width_in
    plot_h = width * look.aspect
    below = fs * 3.4 / 72
    table_h = (n_rows + (1 if has_title else 0) + 0.4) * fs * _ROW / 72 if n_rows else 0.0
    above = fs * (4.5 if look.legend == "above" else 2.0) / 72
    height = above + plot_h + below + table_h
    fig.set_size_inches(width, height)
    left, ax_w = 0.16, 0.74
    ax = fig.add_axes((left, (below + table_h) / height, ax_w, plot_h / height))
    tax = None
    if n_rows:
        tax = fig.add_axes((left, 0.02 / height, ax_w, max(table_h - 0.02, 0.01) / height))
    return ax, tax


def _style_axes(ax, look: Look, x_ticks, y_ticks, scale: float, texts: Texts) -> None:
    fs = look.font_size
    x0, x1 = float(x_ticks[0]), float(x_ticks[-1])
    y0, y1 = float(y_ticks[0]) * scale, 1.0 * scale
    e = _EXPAND[look.expand]
    y_pad = max(e, 0.015) * (y1 - y0)
    ax.set_xlim(x0 - e * (x1 - x0), x1 + e * (x1 - x0))
    ax.set_ylim(y0 - y_pad, y1 + y_pad)
    ax.set_xticks(x_ticks)
    ax.set_xticklabels(_x_labels(np.asarray(x_ticks)))
    ax.set_yticks(np.asarray(y_ticks) * scale)
    ax.set_yticklabels(_y_labels(look, np.asarray(y_ticks)), rotation=look.y_tick_rotation,
                       va="center")
    grey = look.panel == "grey"
    ax.tick_params(labelsize=fs * 0.9, direction=look.tick_direction, length=look.tick_length,
                   colors=_TEXT_GREY if grey else "black")
    if grey:
        ax.set_facecolor(_GREY_PANEL)
    if look.grid:
        ax.grid(True, color="white" if grey else "#D9D9D9", lw=1.0 if grey else 0.6)
        ax.set_axisbelow(True)
    if look.frame == "none":
        ax.spines[:].set_visible(False)
    elif look.frame == "L":
        ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlabel(texts.x_label, fontsize=fs)
    ax.set_ylabel(texts.y_label, fontsize=fs)


def _legend(ax, look: Look, arms, handles, ends, texts: Texts, scale: float) -> None:
    fs = look.font_size * 0.9
    if look.legend == "none":
        return
    if look.legend == "curve_ends":  # labels right of each curve's end, spread apart
        order = sorted(range(len(arms)), key=lambda i: ends[i][1])
        lo, hi = ax.get_ylim()
        gap = fs * 1.3 / 72 * (hi - lo) / (ax.get_position().height * ax.figure.get_figheight())
        ys, last = {}, -np.inf
        for i in order:
            ys[i] = max(ends[i][1] * scale, last + gap)
            last = ys[i]
        for i, arm in enumerate(arms):
            ax.text(ends[i][0], ys[i], " " + arm, color=handles[i].get_color(), fontsize=fs,
                    ha="left", va="center", clip_on=False)
        return
    kw = dict(frameon=look.legend_frame, fontsize=fs, title=texts.legend_title or None,
              title_fontsize=fs)
    if look.legend == "above":
        kw.update(loc="lower center", bbox_to_anchor=(0.5, 1.02), ncol=len(arms))
    else:
        kw.update(_LEGEND_AT[look.legend])
    ax.legend(handles, arms, **kw)


def _table(tax, look: Look, arms, labels, at_risk, x_ticks, colours, styles, texts: Texts,
           table_title: str) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.transforms import ScaledTranslation, blended_transform_factory

    fs = look.font_size * 0.9
    n = len(arms)
    first = 1 if table_title else 0
    tax.set_ylim(n + first + 0.5, 0.5)
    tax.axis("off")
    digits = len(str(int(at_risk["n_at_risk"].max())))
    gap_pt = digits * fs * 0.35 + fs * 0.6  # half the first column and a gap, points

    def left(dx_pt: float = 0.0):
        shift = ScaledTranslation(-(gap_pt + dx_pt) / 72, 0, tax.figure.dpi_scale_trans)
        return blended_transform_factory(tax.transAxes, tax.transData) + shift

    if table_title:
        label_pt = -gap_pt  # at the axis, or at the labels' left
        if texts.table_title_left:
            label_pt = max(len(s) for s in labels.values()) * fs * 0.6
        tax.text(0, 1, table_title, transform=left(label_pt), ha="left", va="center", fontsize=fs,
                 fontweight="bold" if texts.table_title_left else "normal", clip_on=False)
    for i, arm in enumerate(arms):
        row = first + 1 + i
        colour = colours[i]
        counts = at_risk[at_risk["arm"] == arm].set_index("time")["n_at_risk"]
        coloured = look.table_numbers_coloured and look.table_labels != "text"
        num_colour = colour if coloured else "black"
        for t in x_ticks:
            tax.text(t, row, str(int(counts[t])), ha="center", va="center", fontsize=fs,
                     color=num_colour, clip_on=False)
        if look.table_labels == "line_keys":
            key = 2.5 * fs / 72 / (tax.get_position().width * tax.figure.get_figwidth())
            tax.add_line(Line2D([-key, 0], [row, row], transform=left(), color=colour,
                                lw=look.line_width, ls=styles[i], clip_on=False))
        else:
            tax.text(0, row, labels[arm], transform=left(), ha="right", va="center",
                     fontsize=fs, clip_on=False,
                     color=colour if look.table_labels == "coloured_text" else "black")


def _save(fig, look: Look, path: Path, vector: bool = False) -> tuple[Path, tuple[int, int]]:
    from PIL import Image, ImageFilter

    if vector:  # a vector PDF page (TrueType text); the pixel knobs (dpi, JPEG, blur) do not apply
        import matplotlib

        path = path.with_suffix(".pdf")
        path.parent.mkdir(parents=True, exist_ok=True)
        with matplotlib.rc_context({"pdf.fonttype": 42}):
            fig.savefig(path, format="pdf", bbox_inches="tight", pad_inches=_PAD_IN, facecolor="white")
        width, height = fig.get_size_inches() * look.dpi
        return path, (int(width), int(height))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=look.dpi, bbox_inches="tight", pad_inches=_PAD_IN,
                facecolor="white")
    buf.seek(0)
    with Image.open(buf) as raw:
        im = raw.convert("RGB")
    if look.blur > 0:
        im = im.filter(ImageFilter.GaussianBlur(look.blur))
    path = path.with_suffix(".jpg" if look.fmt == "jpeg" else ".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    if look.fmt == "jpeg":
        im.save(path, "JPEG", quality=look.jpeg_quality, dpi=(look.dpi, look.dpi))
    else:
        im.save(path, "PNG", dpi=(look.dpi, look.dpi))
    return path, (int(im.size[0]), int(im.size[1]))


def draw_figure(ipd: pd.DataFrame, steps: pd.DataFrame, at_risk: pd.DataFrame | None,
                x_ticks: np.ndarray, look: Look, path: Path, *, colours: list[str],
                table_labels: dict[str, str], texts: Texts, table_title: str,
                vector: bool = False) -> Drawing:
    """Draw the KM ``steps`` of every arm in ``look`` and save the image (``vector``: as a
    vector PDF page).

    Parameters
    ----------
    ipd : pandas.DataFrame
        ``arm, time, event`` (printed arm names), for censor marks, CI bands and medians.
    steps : pandas.DataFrame
        ``arm, time, survival``: the steps to draw, cut at the last x tick.
    at_risk : pandas.DataFrame or None
        ``arm, time, n_at_risk`` at every x tick; None: no table.
    x_ticks : numpy.ndarray
        x ticks; the first and last bound the drawn curves.
    look : Look
        Every drawing choice.
    path : pathlib.Path
        Output file; the suffix follows ``look.fmt``.
    colours : list of str
        One colour per arm, in order of ``steps``.
    table_labels : dict
        Row label of each arm in the table.
    texts : Texts
        Axis labels, title, annotation, legend title.
    table_title : str
        Title over the table ("" for none).

    Returns
    -------
    Drawing
    """
    import matplotlib as mpl
    from lifelines import KaplanMeierFitter
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from kmipd.compare import step_survival

    arms = list(dict.fromkeys(steps["arm"]))
    scale = 100.0 if look.percent else 1.0
    x_end = float(x_ticks[-1])
    styles = [_DASHES[i % 4] if look.line_types == "varied" else "-" for i in range(len(arms))]
    marker = {"none": None, "o": "o"}.get(look.censor, look.censor)
    rc = {"font.family": look.font, "font.size": look.font_size, "path.snap": False,
          "axes.linewidth": 0.8, "axes.unicode_minus": False,
          "legend.handlelength": 2.5 if look.line_types == "varied" else 2.0}
    with mpl.rc_context(rc):
        fig = Figure(dpi=look.dpi)
        FigureCanvasAgg(fig)
        ax, tax = _layout(fig, look, len(arms) if at_risk is not None else 0, bool(table_title))
        y_ticks = _y_ticks(look, steps)
        _style_axes(ax, look, x_ticks, y_ticks, scale, texts)
        handles, ends = [], []
        for i, arm in enumerate(arms):
            rows = steps[steps["arm"] == arm]
            t, s = rows["time"].to_numpy(float), rows["survival"].to_numpy(float)
            line, = ax.step(t, s * scale, where="post", color=colours[i], lw=look.line_width,
                            ls=styles[i], zorder=3)
            ends.append((float(t[-1]), float(s[-1])))
            arm_ipd = ipd[ipd["arm"] == arm]
            if look.ci_bands:
                ci = KaplanMeierFitter().fit(arm_ipd["time"], arm_ipd["event"]).confidence_interval_
                keep = ci.index.to_numpy() <= x_end
                ax.fill_between(ci.index.to_numpy()[keep], ci.iloc[keep, 0] * scale,
                                ci.iloc[keep, 1] * scale, step="post", color=colours[i],
                                alpha=look.ci_alpha, lw=0, zorder=2)
            cens = arm_ipd.loc[(arm_ipd["event"] == 0) & (arm_ipd["time"] <= x_end), "time"]
            if marker and len(cens):
                ax.plot(cens, step_survival(t, s, cens) * scale, ls="none", marker=marker,
                        ms=look.censor_size * (0.6 if marker == "o" else 1.0),
                        mew=max(0.8, look.line_width * 0.6), color=colours[i],
                        mfc="none" if marker == "o" else colours[i], zorder=4)
            if look.median_line and s.min() <= 0.5:
                med = float(t[np.argmax(s <= 0.5)])
                kw = dict(color="#333333", lw=0.8, ls="--", zorder=2)
                ax.plot([x_ticks[0], med], [0.5 * scale] * 2, **kw)
                ax.plot([med, med], [0.5 * scale, y_ticks[0] * scale], **kw)
            handles.append(Line2D([], [], color=colours[i], lw=look.line_width, ls=styles[i],
                                  marker=marker, ms=look.censor_size * 0.8,
                                  mfc="none" if marker == "o" else colours[i]))
            line.set_label(arm)
        _legend(ax, look, arms, handles, ends, texts, scale)
        fs = look.font_size
        if texts.title:
            above = (4.6 if texts.legend_title else 3.0) if look.legend == "above" else 0.6
            ax.set_title(texts.title, fontsize=fs * 1.1, pad=fs * above + 4)
        if texts.annotation:
            x, y, ha, va = _ANNOTATION_AT[look.annotation_pos]
            ax.text(x, y, texts.annotation, transform=ax.transAxes, ha=ha, va=va,
                    fontsize=fs * 0.85, zorder=5)
        if tax is not None:
            tax.set_xlim(ax.get_xlim())
            _table(tax, look, arms, table_labels, at_risk, x_ticks, colours, styles, texts,
                   table_title)
        out, size = _save(fig, look, Path(path), vector)
    return Drawing(path=out, size_px=size, y_range=(float(y_ticks[0]) * scale, scale),
                   y_ticks=[float(v) * scale for v in y_ticks])
