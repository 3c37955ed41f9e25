"""Random looks of a Kaplan-Meier figure: every drawing knob drawn at random, with its domain.

A :class:`Look` is a flat record of drawing choices (palette, line width and type, censor mark,
legend, number-at-risk table, grid, panel, frame, font, tick labels, texts, resolution, file
format, blur). :func:`draw_look` draws one from a :class:`numpy.random.Generator`; some looks
imitate R (ggplot2 ``theme_grey``, survminer ``theme_survminer`` with its table, base graphics),
the rest mix the knobs freely. :data:`CHOICES` and :data:`RANGES` declare every knob's domain,
so a benchmark can stratify its results by knob and a test can check every drawn value.
:func:`kmipd.testing.random_figures.render_random_figure` draws a trial in a look.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

__all__ = ["CHOICES", "FONTS", "PALETTES", "RANGES", "Look", "draw_look", "palette_colours"]

#: Colours of each palette (``ggplot_hue`` depends on the number of arms:
#: see :func:`palette_colours`).
PALETTES: dict[str, tuple[str, ...]] = {
    "mpl": ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"),
    "ggplot_hue": ("#F8766D", "#00BFC4", "#7CAE00", "#C77CFF"),
    "survminer": ("#E7B800", "#2E9FDF", "#FC4E07", "#00AFBB"),
    "jco": ("#0073C2", "#EFC000", "#868686", "#CD534C"),
    "nejm": ("#BC3C29", "#0072B5", "#E18727", "#20854E"),
    "lancet": ("#00468B", "#ED0000", "#42B540", "#0099B4"),
    "r_base": ("#000000", "#DF536B", "#61D04F", "#2297E6"),
    "black": ("#000000",) * 4,
    "grey": ("#000000", "#595959", "#8C8C8C", "#B3B3B3"),
}
_GGPLOT_HUE = {1: ("#F8766D",), 2: ("#F8766D", "#00BFC4"), 3: ("#F8766D", "#00BA38", "#619CFF"),
               4: ("#F8766D", "#7CAE00", "#00BFC4", "#C77CFF")}
#: Font families matplotlib has without downloading anything (Liberation added when installed).
FONTS: tuple[str, ...] = ("DejaVu Sans", "DejaVu Serif", "STIXGeneral", "DejaVu Sans Mono")


def _installed_liberation() -> tuple[str, ...]:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return tuple(n for n in ("Liberation Sans", "Liberation Serif") if n in names)


FONTS = FONTS + _installed_liberation()

#: Categorical knobs and their values.
CHOICES: dict[str, tuple[Any, ...]] = {
    "preset": ("random", "ggplot2", "survminer", "base_r"),
    "palette": tuple(PALETTES),
    "line_types": ("solid", "varied"),
    "censor": ("+", "|", "none", "o"),
    "legend": ("inside_top_right", "inside_bottom_left", "outside_right", "above", "none",
               "curve_ends"),
    "legend_frame": (True, False),
    "legend_title": (True, False),
    "name_format": ("plain", "strata", "with_n"),
    "table": ("none", "below"),
    "table_title": ("none", "Number at risk", "No. at risk", "Patients at risk", "At risk"),
    "table_labels": ("text", "coloured_text", "line_keys"),
    "table_numbers_coloured": (True, False),
    "table_abbrev": (True, False),
    "grid": (True, False),
    "panel": ("white", "grey"),
    "frame": ("box", "L", "none"),
    "font": FONTS,
    "y_format": ("fraction1", "fraction2", "percent", "percent_sign"),
    "y_step": (0.1, 0.2, 0.25),
    "y_start": ("zero", "truncated"),
    "y_label": ("survival_probability", "overall_survival", "pfs", "proportion", "none"),
    "x_end": ("cover", "cut"),
    "expand": ("none", "r_base", "ggplot"),
    "tick_direction": ("out", "in"),
    "y_tick_rotation": (0, 90),
    "title": (True, False),
    "annotation": ("none", "hr_ci_p", "p"),
    "annotation_pos": ("bottom_left", "bottom_right", "top_right", "middle", "lower_middle"),
    "ci_bands": (True, False),
    "median_line": (True, False),
    "fmt": ("png", "jpeg"),
}
#: Numeric knobs and their closed ranges.
RANGES: dict[str, tuple[float, float]] = {
    "line_width": (0.6, 3.0),
    "censor_size": (3.0, 10.0),
    "font_size": (7.0, 14.0),
    "tick_length": (2.0, 6.0),
    "n_x_ticks": (4, 12),
    "dpi": (60, 200),
    "width_in": (3.0, 10.0),
    "aspect": (0.5, 0.9),
    "jpeg_quality": (40, 95),
    "blur": (0.0, 1.0),
    "ci_alpha": (0.1, 0.35),
}
_MIN_WIDTH_PX, _MAX_WIDTH_PX = 360, 1800  # figures narrower or wider than this are unusual
_FONT_PER_INCH = 2.2  # largest font size (pt) per inch of figure width: labels must not collide
_Y_LABEL_GAP = 1.6  # least distance between y tick labels, in font sizes


@dataclass(frozen=True)
class Look:
    """Every drawing choice of one figure (see :data:`CHOICES` and :data:`RANGES`)."""

    preset: str
    palette: str
    line_types: str
    line_width: float
    censor: str
    censor_size: float
    legend: str
    legend_frame: bool
    legend_title: bool
    name_format: str
    table: str
    table_title: str
    table_labels: str
    table_numbers_coloured: bool
    table_abbrev: bool
    grid: bool
    panel: str
    frame: str
    font: str
    font_size: float
    tick_length: float
    tick_direction: str
    y_tick_rotation: int
    y_format: str
    y_step: float
    y_start: str
    y_label: str
    n_x_ticks: int
    x_end: str
    expand: str
    title: bool
    annotation: str
    annotation_pos: str
    ci_bands: bool
    ci_alpha: float
    median_line: bool
    dpi: int
    width_in: float
    aspect: float
    fmt: str
    jpeg_quality: int
    blur: float

    def knobs(self) -> dict[str, Any]:
        """The look as a flat ``{knob: value}`` dict (for stratifying results)."""
        return asdict(self)

    @property
    def percent(self) -> bool:
        """Survival printed as 0-100."""
        return self.y_format.startswith("percent")


def palette_colours(palette: str, n_arms: int) -> list[str]:
    """The first ``n_arms`` colours of ``palette`` (ggplot's hue palette depends on the count).

    Parameters
    ----------
    palette : str
        A key of :data:`PALETTES`.
    n_arms : int
        Number of arms, 1-4.

    Returns
    -------
    list of str
    """
    if palette == "ggplot_hue":
        return list(_GGPLOT_HUE[min(max(n_arms, 1), 4)])
    return list(PALETTES[palette][:n_arms])


def _pick(rng: np.random.Generator, knob: str, p: list[float] | None = None) -> Any:
    values = CHOICES[knob]
    return values[int(rng.choice(len(values), p=p))]


def _uniform(rng: np.random.Generator, knob: str, digits: int = 2) -> float:
    lo, hi = RANGES[knob]
    return round(float(rng.uniform(lo, hi)), digits)


def _free_look(rng: np.random.Generator) -> dict[str, Any]:
    """Every knob drawn on its own."""
    k: dict[str, Any] = {name: _pick(rng, name) for name in CHOICES}
    k["preset"] = "random"
    k["name_format"] = _pick(rng, "name_format", [0.7, 0.15, 0.15])
    k["table"] = _pick(rng, "table", [0.3, 0.7])
    k["annotation"] = _pick(rng, "annotation", [0.5, 0.25, 0.25])
    k["median_line"] = bool(rng.random() < 0.1)
    k["y_start"] = _pick(rng, "y_start", [0.85, 0.15])
    k["ci_bands"] = bool(rng.random() < 0.25)
    if rng.random() < 0.2:  # a ggplot-like grey panel has no frame and white grid lines
        k.update(panel="grey", frame="none", grid=True)
    else:
        k.update(panel="white", frame=_pick(rng, "frame", [0.55, 0.45, 0.0]))
    if k["palette"] in ("black", "grey"):
        k["line_types"] = "varied"
    for name in ("line_width", "censor_size", "font_size", "tick_length", "aspect", "ci_alpha"):
        k[name] = _uniform(rng, name, 1 if name == "font_size" else 2)
    k["n_x_ticks"] = int(rng.integers(RANGES["n_x_ticks"][0], RANGES["n_x_ticks"][1] + 1))
    k["dpi"] = int(rng.integers(RANGES["dpi"][0], RANGES["dpi"][1] + 1))
    lo = max(RANGES["width_in"][0], _MIN_WIDTH_PX / k["dpi"])
    hi = min(RANGES["width_in"][1], _MAX_WIDTH_PX / k["dpi"])
    k["width_in"] = round(float(rng.uniform(lo, max(lo, hi))), 2)
    k["jpeg_quality"] = int(rng.integers(RANGES["jpeg_quality"][0], RANGES["jpeg_quality"][1] + 1))
    k["blur"] = round(float(rng.uniform(0.3, RANGES["blur"][1])), 2) if rng.random() < 0.3 else 0.0
    return k


def _r_look(k: dict[str, Any], preset: str, rng: np.random.Generator) -> None:
    """Turn a free look into an R one (ggplot2 theme_grey, survminer, base graphics)."""
    k["preset"] = preset
    k["censor"] = "+" if rng.random() < 0.85 else "none"
    k["tick_direction"] = "out"
    k["y_tick_rotation"] = 0
    if preset == "ggplot2":
        k.update(panel="grey", grid=True, frame="none", expand="ggplot", palette="ggplot_hue",
                 line_types="solid", legend="outside_right", legend_title=True,
                 legend_frame=False, y_format="fraction2", y_step=0.25, font="DejaVu Sans",
                 font_size=11.0, ci_bands=bool(rng.random() < 0.3))
        k["name_format"] = "strata" if rng.random() < 0.5 else "plain"
    elif preset == "survminer":
        k.update(panel="white", grid=False, frame="L", expand="ggplot", line_types="solid",
                 legend="above", legend_title=True, legend_frame=False, y_format="fraction2",
                 y_step=0.25, table="below" if rng.random() < 0.85 else "none",
                 table_title="Number at risk", table_labels="coloured_text", font="DejaVu Sans",
                 font_size=float(rng.choice([11.0, 12.0, 13.0])))
        k["palette"] = str(rng.choice(["ggplot_hue", "survminer", "jco", "lancet", "nejm"]))
        k["name_format"] = "strata" if rng.random() < 0.6 else "plain"
        k["table_numbers_coloured"] = bool(rng.random() < 0.5)
    else:  # base R: plot(survfit(...)) with a box, 4% axis expansion, horizontal labels (las=1)
        k.update(panel="white", grid=False, frame="box", expand="r_base", legend_frame=True,
                 legend_title=False, y_format="fraction1", y_step=0.2, font="DejaVu Sans")
        k["y_tick_rotation"] = 0 if rng.random() < 0.6 else 90  # las=1 or R's default las=0
        k["palette"] = str(rng.choice(["black", "r_base", "grey"]))
        k["line_types"] = "varied" if k["palette"] != "r_base" or rng.random() < 0.3 else "solid"
        k["legend"] = str(rng.choice(["inside_top_right", "inside_bottom_left", "none"]))
        k["table_labels"] = "text"
        k["name_format"] = "plain"


def _fit_text(k: dict[str, Any]) -> None:
    """Make the text fit the figure as a journal would: no font larger than the width allows,
    no y tick labels closer than 1.6 line heights."""
    k["font_size"] = round(min(k["font_size"], _FONT_PER_INCH * k["width_in"]), 1)
    k["font_size"] = max(k["font_size"], RANGES["font_size"][0])
    plot_pt = k["width_in"] * k["aspect"] * 72
    chars = {"fraction1": 3, "fraction2": 4, "percent": 3, "percent_sign": 4}[k["y_format"]]
    per_font = chars * 0.6 + 0.8 if k["y_tick_rotation"] else _Y_LABEL_GAP

    def fits() -> bool:
        return plot_pt / (1 / k["y_step"] + 1) >= per_font * k["font_size"]

    for step in (0.2, 0.25):
        if fits() or (step == 0.25 and k["y_format"] == "fraction1"):
            break
        k["y_step"] = step
    while not fits() and k["font_size"] > RANGES["font_size"][0]:
        k["font_size"] = max(round(k["font_size"] - 0.5, 1), RANGES["font_size"][0])


def draw_look(rng: np.random.Generator) -> Look:
    """Draw every knob of a figure's look at random.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness; the same state gives the same look.

    Returns
    -------
    Look
        About 55% free mixes of the knobs, 15% each ggplot2, survminer and base-R looks.

    Examples
    --------
    >>> look = draw_look(np.random.default_rng(1))
    >>> set(look.knobs()) == set(CHOICES) | set(RANGES)
    True
    """
    k = _free_look(rng)
    preset = _pick(rng, "preset", [0.55, 0.15, 0.15, 0.15])
    if preset != "random":
        _r_look(k, preset, rng)
    if k["y_format"] == "fraction1" and k["y_step"] == 0.25:
        k["y_step"] = 0.2  # 0.25 steps need two decimals
    _fit_text(k)
    if k["table"] == "none" and k["legend"] == "none" and rng.random() < 0.7:
        k["legend"] = "inside_top_right"  # most unlabelled figures still name their arms
    # an author moves the p-value out of the legend's corner rather than print one over the other
    clash = {"inside_top_right": ("top_right", "bottom_left"),
             "inside_bottom_left": ("bottom_left", "top_right")}.get(k["legend"])
    if clash and k["annotation_pos"] == clash[0]:
        k["annotation_pos"] = clash[1]
    names = {f.name for f in fields(Look)}
    return Look(**{n: (v.item() if hasattr(v, "item") else v) for n, v in k.items() if n in names})
