"""kmipd.digitize.table (read, with layout, rules, transposed, sizes, and text.cells): read the
number-at-risk table, repair or flag bad cells."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from conftest import R_FIGURES

from kmipd.digitize.legend.read import read_legend
from kmipd.digitize.result import ArmTrace, AxisCalibration, AxisMapping, PlotBox, TickReading
from kmipd.digitize.table.read import AtRiskReading, read_at_risk_table
from kmipd.digitize.table.rules import (
    check_at_risk_against_curves,
    confusion_variants,
    min_events,
    repair_row,
)
from kmipd.digitize.table.sizes import check_first_counts, printed_sizes
from kmipd.digitize.text.cells import CellReading, parse_count, read_cells, reading_from_texts

# --- helpers: a figure with its OCR words, plot box and x calibration ---------------------------

def load_rgb(path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


@lru_cache(maxsize=8)
def ocr_figure(path: str, from_row: float = 0.0):
    """The image and its OCR words (the real rapidocr engine: offline, models in the wheel).

    ``from_row`` > 0 reads only the image below that fraction of its height (the x axis and the
    table), which keeps the tests fast.
    """
    from kmipd.digitize.text.ocr import read_words

    image = load_rgb(path)
    y0 = int(from_row * image.shape[0])
    return image, [w.shifted(0, y0) for w in read_words(image[y0:])]


def known_axes(image: np.ndarray, words, x_ticks, y_top_value: float = 1.0):
    """Plot box and mapping from the known x tick values: the tick labels' centres fix the x scale.

    Stands in for the axis calibration of the digitize pipeline (not under test here).
    """
    labels = {f"{t:g}": t for t in x_ticks}
    rows: dict[int, list] = {}
    for w in words:
        if w.text in labels and w.cy > 0.4 * image.shape[0]:
            rows.setdefault(int(w.cy // 8), []).append(w)
    row = max(rows.values(), key=len)
    px = np.array([w.cx for w in row])
    vals = np.array([labels[w.text] for w in row])
    b, a = np.polyfit(px, vals, 1)  # time = a + b * pixel
    ticks = [TickReading(float((t - a) / b), f"{t:g}", float(t)) for t in x_ticks]
    top = int(min(w.y0 for w in row)) - 4
    grey = image.mean(axis=2)
    x0, x1 = int(ticks[0].pixel), int(ticks[-1].pixel)
    bottom = next((y for y in range(top, max(top - 40, 0), -1)
                   if (grey[y, x0:x1] < 150).mean() > 0.6), top)
    box = PlotBox(left=x0, top=10, right=x1, bottom=bottom)
    mapping = AxisMapping(x=AxisCalibration(scale=b, offset=a, ticks=ticks),
                          y=AxisCalibration(scale=-y_top_value / (bottom - 10),
                                            offset=y_top_value * bottom / (bottom - 10)))
    return box, mapping


def traces(curves: pd.DataFrame, arms: list[str], colours: list, styles: list, mapping) -> list:
    """ArmTraces (in pixels) of the true curves: stand-ins for what the curve tracer finds."""
    out = []
    for arm, colour, style in zip(arms, colours, styles):
        c = curves[curves["arm"] == arm]
        px = np.c_[mapping.x.to_pixel(c["time"]), mapping.y_pixel(c["survival"])]
        out.append(ArmTrace(colour=colour, line_style=style, steps_px=px))
    return out


def score(reading: AtRiskReading, truth: pd.DataFrame) -> dict:
    """Cells exact / flagged / wrong / missing against a truth table (arm, time, n_at_risk)."""
    got = {} if reading.table is None else {
        (r.arm, float(r.time)): int(r.n_at_risk) for r in reading.table.itertuples()}
    flagged = {(f["arm"], f["time"]) for f in reading.flags if f["action"] == "flagged"}
    out = dict(cells=0, exact=0, flagged=0, wrong=0, missing=0)
    for r in truth.itertuples():
        key = (r.arm, float(r.time))
        out["cells"] += 1
        if key in got:
            out["exact" if got[key] == r.n_at_risk else "wrong"] += 1
        else:
            out["flagged" if key in flagged else "missing"] += 1
    return out


# --- cell text -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("120", 120), ("1,234", 1234), ("23 (5)", 23), ("0", 0), ("(4)", None), ("0.05", None),
    ("12,3", None), ("", None),
])
def test_parse_count(text, value):
    assert parse_count(text) == value


def test_reading_merges_texts_of_one_count():
    r = reading_from_texts([("12", 0.6), ("12 ", 0.2), ("17", 0.2)])
    assert r.value == 12
    assert dict(r.candidates)[17] == pytest.approx(np.log(0.8 / 0.2))


def test_confusion_variants_cover_the_usual_swaps():
    v = dict(confusion_variants("86"))
    assert {66, 36, 56, 80, 8, 6, 886} <= set(v)
    assert 86 not in v


# --- repair logic on synthetic rows --------------------------------------------------------------

def cells(*readings) -> list[CellReading]:
    """CellReadings from ``(value, {alternative: cost})`` or plain values."""
    out = []
    for r in readings:
        v, alts = r if isinstance(r, tuple) else (r, {})
        out.append(CellReading(str(v), 0.9, ((v, 0.0), *alts.items())))
    return out


def monotone(i, j, u, v):
    return u >= v


def test_consistent_row_is_kept():
    values, status = repair_row(cells(100, 76, 66, 40), monotone)
    assert values == [100, 76, 66, 40] and set(status) == {"ok"}


def test_six_read_as_eight_is_repaired():
    # "66" read as "86" rises above 76; the recogniser's own second reading (66) explains it
    values, status = repair_row(cells(100, 76, (86, {66: 2.0}), 40), monotone)
    assert values == [100, 76, 66, 40]
    assert status == ["ok", "ok", "repaired", "ok"]


def test_curve_events_pick_the_one_confusion_that_fits():
    # 86 after 76 must be wrong; 66, 56 and 36 are all look-alikes, but the curve drops from
    # 0.76 to 0.66 between the columns: with 66 at risk that is >= 9 events, so only 66 fits
    surv = [1.0, 0.76, 0.66]

    def ok(i, j, u, v):
        return u >= v and u - v >= min_events(surv[i], surv[j], v) and \
            u - v <= 2 * min_events(surv[i], surv[j], v) + 3

    values, status = repair_row(cells(100, 76, 86), ok)
    assert values == [100, 76, 66] and status[2] == "repaired"


def test_uncorrectable_cell_is_flagged():
    # three look-alikes (66, 56, 36) fit equally well: no single reading explains it
    values, status = repair_row(cells(100, 76, 86, 40), monotone)
    assert status[2] == "flagged"
    assert values[2] == 86


def test_rising_counts_are_flagged_not_rewritten():
    # delayed entry (real rising counts) or two misreadings: no cheap single explanation
    values, status = repair_row(cells(13, 15, 17, 14, 7, 5), monotone)
    assert status[:3] == ["flagged"] * 3 and set(status[3:]) == {"ok"}
    assert values == [13, 15, 17, 14, 7, 5]


def test_min_events_bound():
    assert min_events(1.0, 1.0, 50) == 0
    assert min_events(1.0, 0.5, 50) >= 30  # halving survival with 50 left takes >= 35 events
    assert min_events(0.5, 0.4, 0) == 0  # nobody left: the curve gives no bound
    # a curve read below zero (a misread curve or axis) gives no bound either (it raised once)
    assert min_events(0.5, -0.2, 10) == 0


def test_check_against_curves_flags_rises_and_small_drops():
    table = pd.DataFrame({"arm": ["A"] * 3 + ["B"] * 2, "time": [0, 10, 20, 0, 10],
                          "n_at_risk": [100, 98, 99, 50, 40]})
    curves = pd.DataFrame({"arm": ["A", "A", "A", "B", "B"], "time": [0, 5, 25, 0, 12],
                           "survival": [1.0, 0.6, 0.6, 1.0, 0.9]})
    found = check_at_risk_against_curves(table, curves)
    reasons = {(f["arm"], f["time"]): f["reason"] for f in found}
    assert "events" in reasons[("A", 10.0)]  # 100 -> 98 cannot hold a 40% drop
    assert "rises" in reasons[("A", 20.0)]
    assert ("B", 10.0) not in reasons
    assert check_at_risk_against_curves(None, curves) == []


# --- whole figures with the real OCR engine ------------------------------------------------------

@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.render import render_km_figure

    out = tmp_path_factory.mktemp("at_risk")
    cases = {
        "colour": ("lung", dict(style="colour_plus", x_label="Days")),
        "bw": ("rossi", dict(style="bw_dashed", x_label="Weeks")),
    }
    return {k: render_km_figure(load_ipd(ds), out / f"{k}.png", **kw) for k, (ds, kw) in cases.items()}


def _read_rendered(fig):
    image, words = ocr_figure(str(fig.path), 0.55)
    box, mapping = known_axes(image, words, fig.x_ticks)
    styles = ["solid", "dashed", "dotted", "dashdot"] if fig.style == "bw_dashed" else ["solid"] * 4
    colours = [tuple(int(255 * c) for c in _rgb(fig.colours[a])) for a in fig.arms]
    arms = traces(fig.curves, fig.arms, colours, styles, mapping)
    # as the pipeline names arms from the legend before reading the table
    arms = [replace(a, name=name) for a, name in zip(arms, fig.arms)]
    return read_at_risk_table(image, box, mapping, arms, words)


def _rgb(colour):
    import matplotlib.colors as mc

    return mc.to_rgb(colour)


@pytest.mark.parametrize("case", ["colour", "bw"])
def test_rendered_table_read_exactly(rendered, case):
    fig = rendered[case]
    reading = _read_rendered(fig)
    s = score(reading, fig.at_risk)
    assert s["wrong"] == 0 and s["missing"] == 0, (s, reading.table, reading.flags)
    assert s["exact"] == s["cells"]
    assert sorted(reading.table["arm"].unique()) == sorted(fig.arms)


def test_no_table_gives_none(tmp_path):
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.render import render_km_figure

    fig = render_km_figure(load_ipd("leukemia"), tmp_path / "f.png", style="bw_dashed", table=False)
    image, words = ocr_figure(str(fig.path), 0.55)
    box, mapping = known_axes(image, words, fig.x_ticks)
    reading = read_at_risk_table(image, box, mapping, [], words)
    assert reading.table is None and reading.warnings


def _r_case(name):
    folder = R_FIGURES / name
    if not folder.is_dir():
        pytest.skip("shared R figures not available")
    truth = json.loads((folder / "truth.json").read_text())
    image, words = ocr_figure(str(folder / truth["figure"]), 0.5)
    box, mapping = known_axes(image, words, truth["ticks"])
    curves = pd.read_csv(folder / "curves.csv")
    names = [a["name"] for a in truth["arms"]]
    arms = traces(curves, names, [(0, 0, 0)] * len(names), ["solid", "dashed", "dotted"], mapping)
    arms = [replace(a, name="") for a in arms]  # names come from the figure itself
    return image, words, box, mapping, arms, pd.read_csv(folder / "at_risk.csv"), names


@pytest.mark.parametrize("name", ["r-rats-survminer_bw", "r-bladder1-survminer"])
def test_r_figure_table(name):
    # rats: with rapidocr's angle classifier the whole-image OCR read "99" as "66"; bladder1:
    # three rows with coloured labels
    image, words, box, mapping, arms, truth, names = _r_case(name)
    legend = read_legend(image, box, arms, words)  # as digitize() names the arms first
    reading = read_at_risk_table(image, box, mapping, arms, words, names=legend)
    s = score(reading, truth)
    assert s["wrong"] == 0 and s["exact"] >= 0.98 * s["cells"], (s, reading.flags)
    assert reading.row_labels == names


# --- table layouts drawn with OpenCV's own font (no matplotlib, no OCR detector) --------------

def draw(img: np.ndarray, items) -> list:
    """Write ``(text, centre x, baseline y)`` items on ``img``; the OcrWords a detector would give
    (one per space-separated word)."""
    import cv2

    from kmipd.digitize.text.ocr import OcrWord

    font, scale, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.6, 1
    words = []
    for text, cx, y in items:
        (w, h), _ = cv2.getTextSize(text, font, scale, thick)
        x = int(cx - w / 2)
        cv2.putText(img, text, (x, y), font, scale, (0, 0, 0), thick, cv2.LINE_AA)
        for part in text.split():
            (pw, _), _ = cv2.getTextSize(part, font, scale, thick)
            (ow, _), _ = cv2.getTextSize(text[:text.index(part)], font, scale, thick)
            words.append(OcrWord(part, 0.99, x + ow - 1, y - h - 2, x + ow + pw + 1, y + 3))
    return words


def flat_axes(ticks, left=100, right=600, bottom=60):
    px = np.linspace(left, right, len(ticks))
    b = (ticks[-1] - ticks[0]) / (right - left)
    cal = AxisCalibration(scale=b, offset=ticks[0] - b * left,
                          ticks=[TickReading(float(p), f"{t:g}", float(t)) for p, t in zip(px, ticks)])
    return PlotBox(left, 10, right, bottom), AxisMapping(x=cal, y=AxisCalibration(-0.02, 1.2)), px


def test_censored_counts_and_se_rows_are_not_at_risk():
    ticks = [0, 10, 20, 30, 40, 50]
    box, mapping, px = flat_axes(ticks)
    img = np.full((260, 700, 3), 255, np.uint8)
    a = ["120 (0)", "98 (3)", "77 (5)", "40 (10)", "12 (20)", "0 (25)"]
    b = ["110 (0)", "90 (2)", "61 (4)", "33 (9)", "9 (14)", "1 (16)"]
    items = [(f"{t}", x, 80) for t, x in zip(ticks, px)]
    # the row labels end a few pixels into the first count's box in some renderers' metrics
    items += [("No. at risk (No. censored)", 120, 115), ("Arm A", 40, 145), ("SE", 40, 175),
              ("Arm B", 40, 205)]
    items += [(c, x, 145) for c, x in zip(a, px)] + [(c, x, 205) for c, x in zip(b, px)]
    items += [(s, x, 175) for s, x in zip(["0.01", "0.03", "0.04", "0.05", "0.08", "0.10"], px)]
    words = draw(img, items)
    arms = [ArmTrace((0, 0, 0), "solid", np.zeros((0, 2)), name=n) for n in ("Arm B", "Arm A")]
    reading = read_at_risk_table(img, box, mapping, arms, words)
    got = reading.table.pivot(index="time", columns="arm", values="n_at_risk")
    assert got["Arm A"].tolist() == [int(c.split()[0]) for c in a]
    assert got["Arm B"].tolist() == [int(c.split()[0]) for c in b]
    assert got.index.tolist() == ticks and reading.row_labels == ["Arm A", "Arm B"]


@pytest.mark.parametrize("overlap", [-4, 0, 3, 6])
def test_label_tight_against_the_first_count_stays_whole(overlap):
    # "Arm B" printed so close to its first count that the boxes touch or overlap by a few
    # pixels (how much depends on the font and renderer): the label is still "Arm B"
    from kmipd.digitize.table.layout import table_row_labels
    from kmipd.digitize.text.ocr import OcrWord

    box, _, px = flat_axes([0, 10, 20, 30])
    words = []
    for y, label, counts in ((100, "Arm A", [50, 41, 30, 22]), (130, "Arm B", [48, 40, 33, 20])):
        first_x0 = px[0] - 12
        words += [OcrWord("Arm", 0.99, first_x0 - 50, y, first_x0 - 18, y + 18),
                  OcrWord(label[-1], 0.99, first_x0 - 14, y, first_x0 + overlap, y + 18)]
        words += [OcrWord(str(n), 0.99, x - 12, y, x + 12, y + 18) for n, x in zip(counts, px)]
    assert [text for text, _ in table_row_labels(words, box)] == ["Arm A", "Arm B"]


def test_header_row_gives_the_column_times():
    # a boxed table headed "0 year  1 year ..." that does not sit under the x ticks
    box, mapping, px = flat_axes([0, 1, 2, 3, 4, 5])
    img = np.full((200, 700, 3), 255, np.uint8)
    cols = [250, 320, 390, 460, 530]
    items = [(f"{t}", x, 80) for t, x in zip(range(6), px)]
    items += [(f"{t} year", x, 120) for t, x in zip(range(5), cols)]
    items += [("Hybrid", 60, 150), ("Traditional", 60, 180)]
    items += [(c, x, 150) for c, x in zip(["45", "27", "24", "18", "8"], cols)]
    items += [(c, x, 180) for c, x in zip(["274", "194", "163", "140", "112"], cols)]
    words = draw(img, items)
    arms = [ArmTrace((0, 0, 0), "solid", np.zeros((0, 2)), name=n) for n in ("Hybrid", "Traditional")]
    reading = read_at_risk_table(img, box, mapping, arms, words)
    hybrid = reading.table[reading.table["arm"] == "Hybrid"]
    assert hybrid["time"].tolist() == [0, 1, 2, 3, 4]
    assert hybrid["n_at_risk"].tolist() == [45, 27, 24, 18, 8]


def test_missed_zero_is_found_from_ink():
    # the OCR detector often drops a lone "0" at the end of a row; ink on the column brings it back
    ticks = [0, 10, 20, 30]
    box, mapping, px = flat_axes(ticks, right=500)
    img = np.full((200, 700, 3), 255, np.uint8)
    items = [(f"{t}", x, 80) for t, x in zip(ticks, px)]
    items += [("A", 40, 130)] + [(c, x, 130) for c, x in zip(["50", "31", "7", "0"], px)]
    words = [w for w in draw(img, items) if not (w.text == "0" and w.cy > 100)]
    arms = [ArmTrace((0, 0, 0), "solid", np.zeros((0, 2)), name="A")]
    reading = read_at_risk_table(img, box, mapping, arms, words)
    assert reading.table["n_at_risk"].tolist() == [50, 31, 7, 0]


def test_a_thin_pale_coloured_one_the_ocr_missed_is_found_from_ink():
    # seed 2026 figures 41 and 149: a "1" two pixels wide, in a pale anti-aliased blue, is
    # faint in the mean grey and narrower than a sixth of the row; a speck of the same width
    # is no cell
    from kmipd.digitize.text.cells import find_missed_cells

    img = np.full((40, 400, 3), 255, np.uint8)
    img[12:26, 200:202] = (170, 190, 250)
    img[18:20, 300:302] = (170, 190, 250)
    got = find_missed_cells(img, 10, 28, [100.0], [100.0, 201.0, 301.0], 100.0)
    assert [(round(b[0]), round(b[2])) for b in got] == [(200, 202)]


def test_missed_row_label_is_read_beside_the_others():
    # the OCR detector drops a pale single-letter label ("C" under "A" and "B"): read it again
    # where the other rows print theirs, so the row still names its arm
    ticks = [0, 10, 20, 30]
    box, mapping, px = flat_axes(ticks, right=500)
    img = np.full((260, 700, 3), 255, np.uint8)
    items = [(f"{t}", x, 80) for t, x in zip(ticks, px)]
    for label, y, counts in [("A", 130, ["50", "31", "17", "7"]), ("B", 165, ["48", "30", "12", "5"]),
                             ("C", 200, ["52", "20", "9", "2"])]:
        items += [(label, 40, y)] + [(c, x, y) for c, x in zip(counts, px)]
    words = [w for w in draw(img, items) if w.text != "C"]
    arms = [ArmTrace((0, 0, 0), "solid", np.zeros((0, 2))) for _ in range(3)]
    reading = read_at_risk_table(img, box, mapping, arms, words)
    got = reading.table.groupby("arm", sort=False)["n_at_risk"].first()
    assert got.to_dict() == {"A": 50, "B": 48, "C": 52}


def test_rows_follow_the_curves_when_nothing_else_tells(rendered):
    # black arms named by the pipeline ("arm1", "arm2") in the opposite order to the table rows:
    # the share at risk can never exceed the share surviving, which tells the rows apart
    fig = rendered["colour"]
    image, words = ocr_figure(str(fig.path), 0.55)
    box, mapping = known_axes(image, words, fig.x_ticks)
    order = fig.arms[::-1]
    arms = traces(fig.curves, order, [(0, 0, 0)] * 2, ["solid"] * 2, mapping)
    arms = [replace(a, name=name) for a, name in zip(arms, ["arm1", "arm2"])]
    reading = read_at_risk_table(image, box, mapping, arms, words)
    truth = fig.at_risk.replace({"arm": dict(zip(order, ["arm1", "arm2"]))})
    s = score(reading, truth)
    assert s["exact"] == s["cells"], (s, reading.warnings)


def test_ocr_runs_offline(monkeypatch, tmp_path):
    # the engine and its models come from the wheel: reading must work with the network cut
    import socket

    def no_network(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    img = np.full((120, 400, 3), 255, np.uint8)
    words = draw(img, [("No. at risk", 200, 40), ("128 97 5", 200, 90)])
    from kmipd.digitize.text.ocr import read_words

    assert "97" in [w.text for w in read_words(img)]
    assert [r.value for r in read_cells(img, [(w.x0, w.y0, w.x1, w.y1) for w in words[3:]])] == \
        [128, 97, 5]


# --- rows that nothing places, tables printed one column per arm, printed arm sizes -------------

def test_rows_placed_by_order_alone_are_kept_but_marked_unsure(rendered):
    # black arms without traces and with names the labels do not repeat: nothing tells which row
    # is which arm, so the counts are kept in order and every cell says so
    fig = rendered["colour"]
    image, words = ocr_figure(str(fig.path), 0.55)
    box, mapping = known_axes(image, words, fig.x_ticks)
    arms = [ArmTrace((0, 0, 0), "solid", np.zeros((0, 2)), name=n) for n in ("arm1", "arm2")]
    reading = read_at_risk_table(image, box, mapping, arms, words)
    truth = fig.at_risk.replace({"arm": dict(zip(fig.arms, ["arm1", "arm2"]))})
    s = score(reading, truth)
    assert s["exact"] == s["cells"], s
    unsure = {(f["arm"], f["time"]) for f in reading.flags if f["action"] == "unsure"}
    assert unsure == {(r.arm, float(r.time)) for r in truth.itertuples()}
    assert all("order" in f["reason"] for f in reading.flags)
    from kmipd.digitize.plausibility import check_table_disputes

    assert [d.code for d in check_table_disputes(reading.flags)] == ["table_order"]


def test_labelled_rows_are_not_marked_unsure(rendered):
    reading = _read_rendered(rendered["colour"])
    assert not [f for f in reading.flags if f["action"] == "unsure"]


def _transposed_figure(path):
    """Real data (rossi) drawn by kmipd.testing.render with its numbers at risk typed into the plot as
    a table of one column per arm ("weeks  Financial aid  No aid" over "10  210  208" ...)."""
    from kmipd.analysis.plots import numbers_at_risk, plot_km
    from kmipd.testing.datasets import load_ipd

    ipd = load_ipd("rossi")
    fig = plot_km(ipd, style="colour_plus", show_table=False, x_label="Weeks")
    ax = fig.axes[0]
    ticks = ax.get_xticks()
    times = [float(t) for t in ticks if 0 < t < ticks[-1]]
    truth = numbers_at_risk(ipd, times)
    arms = list(dict.fromkeys(ipd["arm"]))
    xs, y0, dy = [0.05, 0.22, 0.42], 0.42, 0.06
    ax.text(xs[0], y0, "weeks", transform=ax.transAxes, fontsize=9)
    for arm, x in zip(arms, xs[1:]):
        ax.text(x, y0, arm, transform=ax.transAxes, fontsize=9)
    for i, t in enumerate(times):
        ax.text(xs[0], y0 - (i + 1) * dy, f"{t:g}", transform=ax.transAxes, fontsize=9)
        for arm, x in zip(arms, xs[1:]):
            n = truth[(truth["arm"] == arm) & (truth["time"] == t)]["n_at_risk"].iloc[0]
            ax.text(x, y0 - (i + 1) * dy, str(int(n)), transform=ax.transAxes, fontsize=9)
    fig.savefig(path, dpi=100, bbox_inches="tight", facecolor="white")
    return truth


def test_table_printed_one_column_per_arm_inside_the_plot(tmp_path):
    from kmipd.digitize import digitize

    truth = _transposed_figure(tmp_path / "transposed.png")
    dig = digitize(tmp_path / "transposed.png", overlay=False)
    got = dig.at_risk.sort_values(["arm", "time"]).reset_index(drop=True)
    want = truth.sort_values(["arm", "time"]).reset_index(drop=True)
    assert got["arm"].tolist() == want["arm"].tolist()
    assert got["time"].tolist() == want["time"].tolist()
    assert got["n_at_risk"].tolist() == want["n_at_risk"].tolist()


def test_arm_sizes_printed_with_the_names_check_the_first_counts(tmp_path):
    # legend and row labels "Male (n = 138)": the size printed beside a name is its first count
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.render import render_km_figure

    ipd = load_ipd("lung")
    sizes = ipd.groupby("arm").size()
    rename = {a: f"{a} (n = {int(n)})" for a, n in sizes.items()}
    fig = render_km_figure(ipd, tmp_path / "sizes.png", style="colour_plus", rename=rename)
    image, words = ocr_figure(str(fig.path))
    names = list(sizes.index)
    assert printed_sizes(words, names) == {i: int(sizes[a]) for i, a in enumerate(names)}
    first = [(r.arm, float(r.time), int(r.n_at_risk)) for r in fig.at_risk.itertuples()]
    by_name = {rename[a]: int(n) for a, n in sizes.items()}
    assert check_first_counts(first, by_name, 0.0, 1.0) == ([], [])
    # a first count misread by one digit is caught by the printed size
    wrong = [(a, t, n + 100 if t == 0 and a == rename[names[0]] else n) for a, t, n in first]
    flags, _ = check_first_counts(wrong, by_name, 0.0, 1.0)
    assert [(f["arm"], f["value"], f["action"]) for f in flags] == \
        [(rename[names[0]], int(sizes[names[0]]) + 100, "unsure")]
    _, warnings = check_first_counts([r for r in first if r[1] > 0], by_name, 0.0, 1.0)
    assert len(warnings) == 2 and all("no count at time 0" in w for w in warnings)


def test_a_count_two_readers_agree_on_is_kept_when_only_a_misread_curve_disputes_it(monkeypatch):
    """The whole-image OCR read the row with certainty; read again alone (to mend a row the
    curve disputes) the recogniser is less sure of the same counts. Two readers agreeing are as
    sure as the surer: the counts stay (unsure, the curve disputes them), not left out."""
    import types

    import kmipd.digitize.table.read as table_read
    from kmipd.digitize.table.tokens import Token

    counts = [156, 140, 126, 109, 95]
    cells = [Token(str(c), 0.999, 100 + 80 * k, 270, 125 + 80 * k, 282, "count") for k, c in enumerate(counts)]
    alone = [0.91, 0.76, 0.94, 0.89, 0.99]  # the recogniser alone on tight crops
    monkeypatch.setattr(table_read, "read_cells", lambda image, boxes: [
        CellReading(cells[k].text, alone[k], ((counts[k], 0.0),)) for k in range(len(boxes))])
    reads = table_read._cell_reads(None, cells, again=True)
    assert [round(r.prob, 3) for r in reads] == [0.999] * 5
    # a curve traced along another arm: it falls far faster than the counts allow
    surv = np.array([1.0, 0.6, 0.35, 0.2, 0.1])
    row = types.SimpleNamespace(cells=cells, label="Intermediate")
    records, flags = table_read._read_row(None, row, reads, np.arange(5) * 6.0, surv, "B")
    assert [n for _, _, n in records] == counts
    assert flags and all(f["action"] == "unsure" and f.get("disputes_curve") for f in flags)
    # a count the second reading does not confirm keeps the recogniser's own confidence
    monkeypatch.setattr(table_read, "read_cells", lambda image, boxes: [
        CellReading("146", 0.7, ((146, 0.0),)) for _ in boxes])
    assert table_read._cell_reads(None, cells[1:2], again=True)[0].prob == 0.7
