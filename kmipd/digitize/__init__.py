"""Stage 1, digitize: a published KM figure (image or PDF page) -> curves, censor marks, numbers at risk.

:func:`digitize` runs the whole stage: load -> plot box -> axis calibration -> arms -> censor
marks -> legend (names) -> at-risk table -> curves table -> overlay. OCR runs once on the whole image
and its words are shared by the calibration, legend and risk-table readers.
"""

from __future__ import annotations

import re
import textwrap
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from kmipd.digitize.arm_count import (
    NOT_LISTED,
    arms_the_legend_asks_for,
    arms_the_table_asks_for,
    legend_choice_stands,
    unlisted_arms_dropped,
)
from kmipd.digitize.curves.vector import page_arms, snap_arms
from kmipd.digitize.data_units import (  # noqa: F401 - public here too
    WHOLE_UNIT_SNAP_PX,
    censor_frame,
    curves_frame,
    drop_float_noise,
    snap_whole_units,
    time_origin,
)
from kmipd.digitize.frame.axes import find_plot_boxes, find_ticks, pick_panel
from kmipd.digitize.frame.calibrate import calibrate, check_value_range
from kmipd.digitize.frame.vector import snap_box, snap_ticks
from kmipd.digitize.image.load import (
    DEFAULT_PDF_DPI,
    check_size,
    is_pdf,
    load_image,
    pdf_page_is_image,
    to_rgb,
)
from kmipd.digitize.image.vector import RASTER, RASTER_PDF, VectorPage, read_vector_page
from kmipd.digitize.legend.read import LegendReading, read_legend_reading
from kmipd.digitize.legend.vector import names_by_drawn_keys
from kmipd.digitize.overlay import draw_overlay
from kmipd.digitize.result import ArmTrace, AxisMapping, Digitization, Doubt, PlotBox
from kmipd.digitize.table.read import read_at_risk_table
from kmipd.digitize.text.page_text import page_text, page_words
from kmipd.digitize.text.symbols import erase_symbols
from kmipd.errors import KmipdError, NotKaplanMeierError, internal_error

__all__ = [
    "Digitization", "censor_frame", "curves_frame", "digitize", "name_arms", "plausible_text",
    "text_boxes_inside",
]

#: Images with a longer side than this are shrunk first: beyond it curves are thick enough that
#: nothing is gained, and OCR and tracing time grow with the pixel count.
MAX_SIDE = 2000


def digitize(path_or_image, *, x_range: tuple[float, float] | None = None,
             y_range: tuple[float, float] | None = None, n_arms: int | None = None, page: int = 0,
             panel: int | None = None, overlay: bool = True) -> Digitization:
    """Read the KM curves, censor marks and numbers at risk from a figure.

    Parameters
    ----------
    path_or_image : str, Path or ndarray
        Figure file (PNG, JPEG, TIFF, BMP, WebP, PDF; type taken from the content) or an RGB /
        grey array.
    x_range, y_range : (float, float), optional
        Values of the first and last tick mark on that axis (the plot box edges when the axis
        has fewer than two tick marks); overrides what OCR reads. A y range beyond 1.5 means a
        percent axis (e.g. ``(0, 100)``).
    n_arms : int, optional
        Number of curves, when known.
    page : int
        PDF page (or TIFF frame), counted from 0.
    panel : int, optional
        Which plot of a multi-panel figure or of a page with several figures, in reading order
        from 0 (top-left). By default the first that is a KM plot (an article page's bar chart
        or a scatter plot is passed over, and the output says so).
    overlay : bool
        Also draw the check picture (:attr:`Digitization.overlay`).

    Returns
    -------
    Digitization
        ``curves`` (arm, time, survival 0-1: step points, non-increasing, from time 0, or
        from the first x label when the x axis starts later),
        ``censor_marks``, ``at_risk`` (or None), legend, per-part confidence and warnings.
        Pixel coordinates refer to the working image (shrunk when its longer side exceeds
        :data:`MAX_SIDE`).

    Raises
    ------
    KmipdError
        Unreadable input, no plot axes, or no curve inside the plot.
    """
    x_range, y_range = check_value_range(x_range, "x"), check_value_range(y_range, "y")
    image, source = _as_image(path_or_image, page)
    rendered_width = image.shape[1]
    image = _working_size(image)
    vector = None
    if isinstance(path_or_image, (str, Path)) and is_pdf(path_or_image):
        if pdf_page_is_image(path_or_image, page):  # loaded as the image's own pixels
            vector = VectorPage(content=RASTER_PDF)
        else:
            vector = read_vector_page(path_or_image, page, DEFAULT_PDF_DPI / 72.0 * image.shape[1] / rendered_width)
    # the page's own text stands in for OCR only where it is the figure's text (not a raster
    # figure's caption)
    own_text = vector is not None and vector.words and vector.content != RASTER_PDF
    with page_text(image, page_words(vector.words, image)) if own_text else nullcontext():
        return replace(_read_figure(image, source, vector, x_range, y_range, n_arms, panel, overlay),
                       page=page)


def _read_figure(image: np.ndarray, source: str, vector: VectorPage | None, x_range, y_range, n_arms,
                 panel: int | None, overlay: bool) -> Digitization:
    """:func:`digitize` on the working image (and a PDF page's vector drawing, when it has one):
    the plot ``panel``, or the first of the page's plots that is a KM plot."""
    boxes = _required("finding the plot box", find_plot_boxes, image)
    if panel is not None or len(boxes) == 1:
        return _read_plot(image, boxes, 0 if panel is None else panel, source, vector, x_range, y_range,
                          n_arms, overlay, [])
    passed: list[str] = []
    for k in range(len(boxes)):
        try:
            return _read_plot(image, boxes, k, source, vector, x_range, y_range, n_arms, overlay,
                              [f"plot {j} of the page passed over: {why}" for j, why in enumerate(passed)]
                              + [f"the page holds {len(boxes)} plots; plot {k} (the first KM plot) was read; "
                                 "--figure N (panel=N) picks another."])
        except NotKaplanMeierError as exc:
            passed.append(_short_reason(str(exc)))
    raise NotKaplanMeierError(
        f"none of the {len(boxes)} plots found is a Kaplan-Meier plot ("
        + "; ".join(f"plot {k}: {why}" for k, why in enumerate(passed))
        + "); give a page or figure that has one, or --figure N to pick a plot.")


def _short_reason(message: str) -> str:
    """The first clause of a refusal ("this looks like a bar chart ...")."""
    return textwrap.shorten(message.split(":")[0].split(";")[0].strip().rstrip("."), 90, placeholder=" ...")


def _read_plot(image: np.ndarray, boxes: list[PlotBox], panel: int, source: str, vector: VectorPage | None,
               x_range, y_range, n_arms, overlay: bool, warnings: list[str]) -> Digitization:
    """:func:`digitize` on plot ``panel`` of the plots found in the image; traced again for as
    many arms as the at-risk table has rows when it asks for the lines the tracing left out
    (:func:`kmipd.digitize.arm_count.arms_the_table_asks_for`)."""
    args = (image, boxes, panel, source, vector, x_range, y_range)
    dig, table_rows, words, keyed = _read_plot_once(*args, n_arms, overlay, list(warnings))
    wanted = None if n_arms is not None else arms_the_table_asks_for(len(dig.arms), table_rows,
                                                                      list(dig.warnings))
    if wanted is not None:
        why = ("curve-like lines were left out of the first" if wanted > len(dig.arms)
               else "the first reading traced")
        cause = f"the at-risk table has {wanted} rows and {why} {len(dig.arms)}"
    elif n_arms is None and (wanted := arms_the_legend_asks_for(len(dig.arms), keyed, table_rows)):
        also = f"the at-risk table has {table_rows} rows and " if table_rows else ""
        cause = (f"{also}the legend lists {wanted} keyed entries and the first reading traced "
                 f"{len(dig.arms)}")
    elif n_arms is None and table_rows == len(dig.arms) and any(NOT_LISTED in w for w in dig.warnings):
        return _legend_or_tracing(dig, args, table_rows, overlay, warnings, words)
    if wanted is None:
        return dig
    note = (f"traced again for {wanted} arms: {cause}; give the number of arms "
            "(--arms N, n_arms= in Python) if that is wrong")
    # the text is the same: OCR (a second or so) is not run again
    again, *_ = _read_plot_once(*args, wanted, overlay, [*warnings, note], words=words or None)
    if len(again.arms) != wanted:
        return dig
    # the first reading disagreed with the table: an added arm is a line the tracing doubted
    # (9 of 10 such readings on random figures were off somewhere), and a dropped one may
    # have been real (8 of 13 off): say so
    check = "the added arm" if wanted > len(dig.arms) else "that no arm was dropped"
    return replace(again, doubts=(*again.doubts, Doubt(None, "arm_count", f"{note}: check {check} "
                                                                           "in the overlay.")))


def _legend_or_tracing(dig: Digitization, args: tuple, n: int, overlay: bool,
                       warnings: list[str], words: list) -> Digitization:
    """The arms the legend named among more lines traced, or the ``n`` lines the tracing ranks
    first: whichever reading contradicts itself less (fewer doubts besides the arm count).

    The legend and the at-risk table agree on ``n`` arms; which lines they are rests on pairing
    keys with curves (:func:`kmipd.digitize.arm_count.legend_choice_stands`).
    """
    from kmipd.digitize.match.pairing import arms_distinct_by_colour

    again, *_ = _read_plot_once(*args, n, overlay, list(warnings), words=words or None)
    if len(again.arms) != n or legend_choice_stands(
            [d.code for d in dig.doubts], [d.code for d in again.doubts],
            arms_distinct_by_colour(list(dig.arms))):
        return dig
    note = (f"traced again for {n} arms: the legend named {n} of the lines traced first and the "
            f"at-risk table has {n} rows; the {n} lines the tracing ranks first were kept; give "
            "the number of arms (--arms N, n_arms= in Python) if that is wrong")
    return replace(again, warnings=(*again.warnings, note),
                   doubts=(*again.doubts, Doubt(None, "arm_count", f"{note}: check the overlay.")))


def _read_plot_once(image: np.ndarray, boxes: list[PlotBox], panel: int, source: str,
                    vector: VectorPage | None, x_range, y_range, n_arms, overlay: bool,
                    warnings: list[str], words: list | None = None
                    ) -> tuple[Digitization, int | None, list, int]:
    """One reading of plot ``panel``, the number of rows of its at-risk table (None: no table),
    the panel's OCR words (``words``: given, not read again) and the number of keyed entries of
    its legend."""
    from kmipd.digitize.frame.panels import panel_words, shared_words

    box = pick_panel(boxes, panel)
    exact = vector is not None and vector.content != RASTER_PDF
    if exact:
        box = snap_box(box, vector.paths)
    if words is None:
        words = _optional("OCR", panel_words, [image, boxes, panel], [], warnings)
    x_ticks = _optional("x tick marks", find_ticks, [image, box, "x"], np.zeros(0), warnings)
    y_ticks = _optional("y tick marks", find_ticks, [image, box, "y"], np.zeros(0), warnings)
    if exact:
        x_ticks, y_ticks = snap_ticks(x_ticks, vector.paths, box, "x"), snap_ticks(y_ticks, vector.paths, box, "y")
    cal = _required("axis calibration", calibrate, image, box, words, x_ticks=x_ticks, y_ticks=y_ticks,
                    x_range=x_range, y_range=y_range)
    mapping = cal.mapping
    warnings += cal.warnings
    drawn = _optional("vector curves", page_arms, [vector.paths, box, n_arms, words], [], warnings) if exact else []
    if drawn:  # the page's own step curves: nothing to trace
        arms = drawn
    else:
        inside = text_boxes_inside(words, box)
        arms, more = _required("curve tracing", _extract_arms, erase_symbols(image, inside), box,
                               n_arms, inside)
        if exact and arms:
            arms, notes = _optional("vector curves", snap_arms, [arms, vector.paths, box], (arms, []), warnings)
            more += notes
        warnings += more
    if not arms:
        raise NotKaplanMeierError(
            f"found the plot box ({box.width}x{box.height} px at x={box.left}, y={box.top}) and its axes "
            f"({_describe_axis(mapping, box, 'x')}, {_describe_axis(mapping, box, 'y')}) but no curve inside "
            "it; check that this is a KM plot, or give the number of arms (--arms N, n_arms= in Python)."
        )
    _check_plot_kind(image, box, arms, n_arms, text_boxes_inside(words, box), warnings)
    reading = _read_legend(image, box, arms, words, mapping, warnings)
    if len(boxes) > 1 and not any(reading.names):  # a legend shared by all panels, outside this one's part
        more = _optional("OCR", shared_words, [image, boxes, panel], [], warnings)
        reading = _read_legend(image, box, arms, more, mapping, warnings)
    if exact:  # keys drawn in the arms' exact strokes name them without doubt
        drawn_names = _optional("vector legend", names_by_drawn_keys, [arms, vector.paths, words], None,
                                warnings)
        if drawn_names:
            reading = LegendReading(drawn_names, keyed_entries=len(drawn_names))
    left_out = 0
    if n_arms is None:
        arms, reading, left_out = unlisted_arms_dropped(arms, reading, warnings)
    legend = reading.names
    arms = _required("naming the arms", name_arms, arms, legend, mapping)
    at_risk, flags, table_rows, renamed = _read_at_risk(image, box, mapping, arms, words, legend,
                                                         warnings)
    if renamed is not None:  # the table paired the names with other curves, or named arms
        legend = [n if n in legend else "" for n in renamed]
        reading = LegendReading(legend, reading.keyed_entries)
        arms = [replace(a, name=n) for a, n in zip(arms, renamed)]
    t0 = time_origin(mapping, box)
    curves = _required("building the curves table", curves_frame, arms, mapping, t0=t0)
    censor = _optional("censor marks", censor_frame, [arms, mapping, t0],
                       pd.DataFrame(columns=["arm", "time", "survival"]), warnings)
    conf = dict(cal.confidence)
    conf["plot_box"] = 1.0 if len(x_ticks) >= 2 and len(y_ticks) >= 2 else 0.6
    conf["curves"] = float(np.mean([a.confidence for a in arms]))
    conf["overall"] = float(min(conf.values()))
    picture = None
    if overlay:
        picture = _optional("overlay", draw_overlay, [image, box, mapping, arms, at_risk], None, warnings)
    doubts = _plausibility(arms, curves, at_risk, mapping, box, reading, table_rows, warnings, flags,
                           left_out)
    return Digitization(
        source=source, image_shape=tuple(int(v) for v in image.shape[:2]), box=box, mapping=mapping,
        arms=tuple(arms), curves=curves, censor_marks=censor, at_risk=at_risk, at_risk_flags=tuple(flags),
        legend=tuple(legend), confidence=conf, warnings=tuple(warnings), overlay=picture, doubts=doubts,
        content=RASTER if vector is None else vector.content,
    ), table_rows, words, reading.keyed_entries


def _plausibility(arms, curves, at_risk, mapping, box, legend: LegendReading, table_rows,
                  warnings, flags, left_out) -> tuple:
    """The reading's doubts (:func:`kmipd.digitize.plausibility.check_plausibility`); a failure of
    the checks themselves is a doubt too (the reading was not checked)."""
    from kmipd.digitize.plausibility import Doubt, check_plausibility

    try:
        return check_plausibility(arms, curves, at_risk, mapping, box, legend=legend.names,
                                  table_rows=table_rows, legend_entries=legend.keyed_entries,
                                  warnings=warnings, at_risk_flags=flags, left_out=left_out)
    except Exception as exc:  # noqa: BLE001 - the reading stands; say it was not checked
        return (Doubt(None, "stage", f"the plausibility checks failed, {internal_error(exc)}."),)


def _required(stage: str, fn, *args, **kwargs):
    """Run a stage the result cannot do without: its own KmipdError passes, any other failure
    (a bug meeting an odd figure) becomes a one-line KmipdError naming the stage."""
    try:
        return fn(*args, **kwargs)
    except KmipdError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported to the user, never a traceback
        raise KmipdError(f"{stage} failed on this figure: {internal_error(exc)}.") from exc


def _optional(stage: str, fn, args: list, default, warnings: list[str]):
    """Run a stage the result can do without; a failure becomes a warning and ``default``."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - the rest of the figure is still worth reading
        warnings.append(f"unsure: {stage} failed and was left out, {internal_error(exc)}.")
        return default


def _check_plot_kind(image, box, arms, n_arms, inside, warnings: list[str]) -> None:
    """Refuse a bar chart, scatter plot or rising curves (:mod:`kmipd.digitize.plot_kind`); a
    failure of the check itself only warns."""
    from kmipd.digitize.plot_kind import check_plot_kind

    try:
        check_plot_kind(image, box, arms, inside, lambda im, b, ex: _extract_arms(im, b, n_arms, ex)[0])
    except KmipdError:
        raise
    except Exception as exc:  # noqa: BLE001 - the curves were traced; the check is a safeguard
        warnings.append(f"unsure: the check that this is a KM plot failed, {internal_error(exc)}.")


def _as_image(path_or_image, page: int) -> tuple[np.ndarray, str]:
    if isinstance(path_or_image, (str, Path)):
        return load_image(path_or_image, page=page), str(path_or_image)
    if isinstance(path_or_image, np.ndarray):
        if path_or_image.ndim in (2, 3):  # other shapes: to_rgb says what is wrong
            check_size(path_or_image.shape[1], path_or_image.shape[0], "the image array")
        return to_rgb(path_or_image), "<array>"
    raise KmipdError(f"digitize takes a file path or an image array, got {type(path_or_image).__name__}.")


def _working_size(image: np.ndarray) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    if max(h, w) <= MAX_SIDE:
        return image
    f = MAX_SIDE / max(h, w)
    return cv2.resize(image, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)


def text_boxes_inside(words, box: PlotBox) -> list[tuple[int, int, int, int]]:
    """Pixel rectangles of the text OCR found inside the plot box (legend, p-value, labels).

    Only plausible text is kept (:func:`plausible_text`): OCR also "reads" curves, censor ticks
    and dense marks ("-", "+", "HItH", "111"), and blanking those would hide the curve there.
    """
    out = []
    for w in words:
        if not (box.left < w.cx < box.right and box.top < w.cy < box.bottom):
            continue
        if not plausible_text(w.text, w.score):
            continue
        out.append((int(np.floor(w.x0)), int(np.floor(w.y0)), int(np.ceil(w.x1)), int(np.ceil(w.y1))))
    return out


#: Words at least this confident are taken as text whatever they look like.
_SURE_TEXT = 0.9

#: Shapes of real plot labels: a capitalised or all-lower / all-upper word (optionally with a
#: trailing "-"/"+" or brackets), or a number with a decimal point or percent (p-values, HRs).
_WORD = re.compile(r"^[(\[]?(?:[A-Z]?[a-z]{2,}|[A-Z]{2,}[a-z]?)(?:[-+/][A-Za-z0-9+]*)?[)\],:;.]*$")
_NUMBER = re.compile(r"\d[.\u00b7,]\d|\d%|[=<>]\s*[.\u00b7]?\d")
_SHORT_LABEL = re.compile(r"^[A-HJ-SU-Z]\d$")
#: A stratum label as R prints it ("arm=Wild", "rx=Obs"), also with a curve's drop read as a
#: leading "l" or "|" where the label sits at the curve's end.
_STRATUM = re.compile(r"^[A-Za-z][A-Za-z0-9._]*=[A-Za-z0-9]")


def plausible_text(text: str, score: float) -> bool:
    """Is an OCR word inside the plot real text rather than curve ink read as glyphs?

    Censor ticks and line crossings read as single symbols ("-", "+", CJK look-alikes such as
    "十") or as short, oddly cased letter strings ("HItH", "EE") at middling confidence. Kept:
    confident words of two or more letters or digits, and less confident ones that look like a
    label (a word with ordinary capitalisation, or a number with a decimal point).
    """
    text = text.strip()
    alnum = sum(c.isascii() and c.isalnum() for c in text)
    if alnum == 0 or any(not c.isascii() and c.isalnum() for c in text):
        return False  # symbols only, or letters outside Latin: glyphs made of ticks
    if score >= _SURE_TEXT:  # "p=", "HR", "A"; a lone digit is more likely a tick read as "1"
        return alnum >= (1 if len(text) > 1 else 2) or text.isalpha()
    if text.isdigit():  # a table cell or tick label; ticks read as "111" score lower
        return len(text) >= 2 and score >= 0.75
    if len(text) < 3:  # a short label ("Q2", "B1"), not tick-like letters ("T1", "I1")
        return bool(_SHORT_LABEL.match(text)) and score >= 0.7
    return bool(_WORD.match(text) or _NUMBER.search(text) or _STRATUM.match(text))


def _extract_arms(image, box, n_arms, exclude) -> tuple[list[ArmTrace], list[str]]:
    from kmipd.digitize.curves.arms import extract_arms

    return extract_arms(image, box, n_arms=n_arms, exclude_boxes=exclude)


def _read_legend(image, box, arms, words, mapping, warnings: list[str]) -> LegendReading:
    try:
        reading = read_legend_reading(image, box, arms, words, mapping=mapping)
    except Exception as exc:  # noqa: BLE001 - a legend is optional; the curves are still good
        warnings.append(f"unsure: the legend could not be read (arms named by order), {internal_error(exc)}.")
        return LegendReading([""] * len(arms))
    names = (list(reading.names) + [""] * len(arms))[:len(arms)]
    return LegendReading(names, reading.keyed_entries)


def _read_at_risk(image, box, mapping, arms, words, legend, warnings: list[str]):
    try:  # rows are matched to the legend's names; arms it does not name take their rows' labels
        reading = read_at_risk_table(image, box, mapping, arms, words, legend)
    except Exception as exc:  # noqa: BLE001 - the table is optional; say so rather than fail
        warnings.append(f"unsure: the number-at-risk table could not be read, {internal_error(exc)}.")
        return None, [], None, None
    warnings += [w for w in reading.warnings if not w.startswith("no number-at-risk table")]
    rows = len(reading.row_labels) if reading.table is not None else None
    return reading.table, list(reading.flags), rows, reading.arm_names


def name_arms(arms: list[ArmTrace], legend: list[str], mapping: AxisMapping) -> list[ArmTrace]:
    """The arms, each named uniquely: its legend entry, else ``arm1``, ``arm2``, ...

    Without any legend name the arms are reordered by their survival at the end of their
    follow-up, highest first, so ``arm1`` is the top curve at the end; with legend names the
    order is kept and only the missing names are filled (in the same ranking). The arms given
    are not changed: the named ones are copies (:func:`dataclasses.replace`).
    """
    ends = np.array([float(mapping.survival(a.steps_px[-1, 1])) if len(a.steps_px) else 0.0 for a in arms])
    rank = list(np.argsort(-ends, kind="stable"))
    if not any(legend):
        arms = [arms[i] for i in rank]
        legend, rank = [""] * len(arms), list(range(len(arms)))
    names: list[str] = [str(n).strip() for n in legend]
    for pos, i in enumerate(rank):
        if not names[i]:
            names[i] = f"arm{pos + 1}"
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        seen[n] = seen.get(n, 0) + 1
        if seen[n] > 1:
            names[i] = f"{n} ({seen[n]})"
    return [replace(arm, name=n) for arm, n in zip(arms, names)]


def _describe_axis(mapping: AxisMapping, box: PlotBox, axis: str) -> str:
    if axis == "x":
        cal, lo, hi = mapping.x, box.left, box.right
    else:
        cal, lo, hi = mapping.y, box.bottom, box.top
    return f"{axis} {float(cal.to_data(lo)):.3g}-{float(cal.to_data(hi)):.3g} ({cal.source})"
