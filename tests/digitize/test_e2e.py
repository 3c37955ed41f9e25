"""Digitize end to end (with OCR): rendered figures with exact truth, the CLI, R and journal figures.

The OCR engine loads once per process (about a second); every figure after that costs one
whole-image OCR pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import R_FIGURES
from conftest import REAL_FIGURES as REAL
from PIL import Image

from kmipd.cli import main_group
from kmipd.compare import curve_rmse, match_arms, split_arms
from kmipd.digitize import Digitization, digitize
from kmipd.digitize.frame.axes import find_plot_box, find_ticks
from kmipd.digitize.frame.calibrate import calibrate
from kmipd.digitize.image.load import load_image
from kmipd.digitize.text.ocr import read_words
from kmipd.errors import KmipdError
from kmipd.testing.datasets import load_ipd
from kmipd.testing.render import render_km_figure

CASES = {
    "colour_plus": ("lung", {"x_label": "Days"}),
    "percent_axis": ("rossi", {"x_label": "Weeks"}),
    "ggplot_grey": ("gbsg2", {"x_label": "Days"}),
    "truncated_y": ("rossi", {"x_label": "Weeks"}),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    out = {}
    for style, (name, kw) in CASES.items():
        fig = render_km_figure(load_ipd(name), folder / f"{style}.png", style=style, **kw)
        out[style] = (fig, digitize(fig.path))
    return out


def _axis_errors(fig, dig: Digitization) -> tuple[float, float]:
    """Worst tick error of each axis as a fraction of the labelled range."""
    m = dig.mapping
    xv, xp = np.array(fig.tick_px["x"]).T
    yv, yp = np.array(fig.tick_px["y"]).T
    div = 100.0 if fig.percent else 1.0
    x_err = np.max(np.abs(m.time(xp) - xv)) / (fig.x_range[1] - fig.x_range[0])
    y_err = np.max(np.abs(m.survival(yp) - yv / div)) / ((fig.y_range[1] - fig.y_range[0]) / div)
    return float(x_err), float(y_err)


@pytest.mark.parametrize("style", list(CASES))
def test_calibration_within_one_percent(results, style):
    fig, dig = results[style]
    x_err, y_err = _axis_errors(fig, dig)
    assert x_err <= 0.01 and y_err <= 0.01, (x_err, y_err)
    assert dig.mapping.percent == fig.percent
    assert dig.mapping.x.source == dig.mapping.y.source == "ocr"
    assert dig.confidence["x_axis"] > 0.5 and dig.confidence["y_axis"] > 0.5


@pytest.mark.parametrize("style", list(CASES))
def test_curves_table_is_a_survival_curve(results, style):
    fig, dig = results[style]
    assert list(dig.curves.columns) == ["arm", "time", "survival"]
    assert len(dig.arms) == len(fig.arms)
    for _, rows in dig.curves.groupby("arm", sort=False):
        s = rows["survival"].to_numpy()
        assert rows["time"].iloc[0] == 0 and (rows["time"] >= 0).all()
        assert np.all(np.diff(s) <= 1e-12) and s.min() >= 0 and s.max() <= 1
    found, truth = split_arms(dig.curves), split_arms(fig.curves)
    pairs = match_arms(found, truth, t_max=fig.x_range[1])
    # loose bound: this checks the stage is wired right, the curve tracer has its own tests
    for f, t in pairs.items():
        assert curve_rmse(found[f], truth[t], float(truth[t]["time"].max())) < 0.03, (f, t)
    assert dig.overlay is not None and dig.overlay.shape == (*dig.image_shape, 3)
    assert set(dig.confidence) >= {"x_axis", "y_axis", "plot_box", "curves", "overall"}


def test_arm_names_and_outputs(results, tmp_path):
    fig, dig = results["colour_plus"]
    names = [a.name for a in dig.arms]
    assert len(set(names)) == len(names) and all(names)
    paths = dig.to_folder(tmp_path)
    assert {"curves", "censor_marks", "json"} <= set(paths) and paths["curves"].is_file()
    summary = json.loads(paths["json"].read_text())
    assert summary["x_axis"]["source"] == "ocr" and len(summary["arms"]) == len(fig.arms)


def test_override_maps_the_outermost_ticks(results):
    fig, dig = results["colour_plus"]
    image = load_image(fig.path)
    box = find_plot_box(image)
    cal = calibrate(image, box, [], x_range=fig.x_range, y_range=fig.y_range)  # no OCR needed
    assert cal.mapping.x.source == "override" == cal.mapping.y.source
    x_err, y_err = _axis_errors(fig, Digitization("", dig.image_shape, box, cal.mapping, [], dig.curves,
                                                  dig.censor_marks))
    assert x_err <= 0.01 and y_err <= 0.01


def test_blank_and_corrupt_inputs(tmp_path):
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((300, 400, 3), 255, np.uint8)).save(blank)
    with pytest.raises(KmipdError, match="no plot axes found"):
        digitize(blank)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(KmipdError):
        digitize(broken)
    with pytest.raises(KmipdError, match="file path or an image array"):
        digitize(42)


def test_axes_without_curves_is_an_error():
    img = np.full((400, 500, 3), 255, np.uint8)
    img[300, 100:450] = 0
    img[60:301, 100] = 0
    for x in range(100, 451, 50):
        img[301:308, x] = 0
    with pytest.raises(KmipdError, match="no curve inside"):
        digitize(img)


def test_cli_writes_the_folder_and_fails_in_one_line(results, tmp_path):
    fig, _ = results["percent_axis"]
    runner = CliRunner()
    res = runner.invoke(main_group, ["digitize", str(fig.path), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "arm(s)" in res.output
    for name in ("curves.csv", "censor_marks.csv", "digitization.json", "overlay.png"):
        assert (tmp_path / "out" / name).is_file()
    curves = pd.read_csv(tmp_path / "out" / "curves.csv")
    assert list(curves.columns) == ["arm", "time", "survival"]
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((200, 300, 3), 255, np.uint8)).save(blank)
    for path in (blank, tmp_path / "missing.png"):
        res = runner.invoke(main_group, ["digitize", str(path), "-o", str(tmp_path / "x")])
        assert res.exit_code == 2
        assert res.output.startswith("error: ") and res.output.count("\n") == 1


# --- figures made by others (skipped when ../shared is absent) -----------------------------


def _calibrated(image_path: Path, panel: int = 0, whole: bool = True):
    """Calibrate a figure; ``whole=False`` skips the whole-image OCR, so the labels are read from
    enlarged strips along the axes (the fallback path, and much faster on big journal figures)."""
    image = load_image(image_path)
    box = find_plot_box(image, panel=panel)
    return image, box, calibrate(image, box, read_words(image) if whole else [])


@pytest.mark.skipif(not R_FIGURES.is_dir(), reason="../shared/r-figures not present")
@pytest.mark.parametrize("case", ["r-gbsg-lowres", "r-nafld1-survminer_ci"])
def test_r_figure_calibration(case):
    truth = json.loads((R_FIGURES / case / "truth.json").read_text())
    image, box, cal = _calibrated(R_FIGURES / case / truth["figure"])
    m = cal.mapping
    assert m.percent == truth["percent_axis"]
    ticks = find_ticks(image, box, "x")
    np.testing.assert_allclose(m.time(ticks), truth["ticks"], atol=0.01 * truth["x_max"])
    used = sorted(t.value for t in m.y.ticks if t.used)
    assert used[0] == 0 and used[-1] == (100 if truth["percent_axis"] else 1)


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-figures not present")
@pytest.mark.parametrize("entry_id", [
    "survthief-journal/preventza",  # y axis from 50%
    "surapp-journal/nsq_os",  # WebP, uneven x ticks with an off-scale 0
    "plos-real-world/ntrk_fig002_B",  # second of two stacked panels
])
def test_journal_figure_calibration(entry_id):
    entries = {e["id"]: e for e in json.loads((REAL / "manifest.json").read_text())["entries"]}
    e = entries[entry_id]
    image, box, cal = _calibrated(REAL / e["image"], panel=1 if e.get("panel") == "B" else 0, whole=False)
    m = cal.mapping
    assert m.percent == e["percent_axis"]
    for axis, cal_axis, (lo, hi) in (("x", m.x, e["x_range"]), ("y", m.y, e["y_range"])):
        ticks = find_ticks(image, box, axis)
        length = box.width if axis == "x" else box.height
        for value in (lo, hi) if entry_id != "surapp-journal/nsq_os" or axis == "y" else (1, hi):
            # each end of the labelled range falls on a tick mark (or on the axis corner)
            pixel = float(cal_axis.to_pixel(value))
            corner = box.left if axis == "x" else box.bottom
            assert min(np.abs(ticks - pixel).min(), abs(pixel - corner)) <= 0.01 * length, (axis, value)
