"""kmipd.digitize.result: the Digitization is built once (frozen) and shows itself as a DataFrame
(``summary``), as text (``format``) and as JSON (``to_dict``)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from kmipd.digitize import name_arms
from kmipd.digitize.result import (
    ArmTrace,
    AxisCalibration,
    AxisMapping,
    Digitization,
    PlotBox,
    TickReading,
)


def _reading(at_risk: pd.DataFrame | None = None, flags=()) -> Digitization:
    x = AxisCalibration(scale=0.1, offset=-4.0, ticks=[TickReading(40.0, "0", 0.0)])
    y = AxisCalibration(scale=-1 / 250, offset=260 / 250)
    arms = [ArmTrace((220, 40, 40), "solid", np.array([[40.0, 10.0], [200.0, 10.0], [200.0, 60.0]]),
                     censor_px=np.array([[300.0, 60.0]]), confidence=0.9, name="Drug"),
            ArmTrace((40, 80, 220), "dashed", np.array([[40.0, 10.0], [150.0, 10.0]]), name="Placebo")]
    curves = pd.DataFrame({"arm": ["Drug"] * 3 + ["Placebo"] * 2, "time": [0.0, 16, 16, 0, 11],
                           "survival": [1.0, 1, 0.8, 1, 1]})
    marks = pd.DataFrame({"arm": ["Drug"], "time": [26.0], "survival": [0.8]})
    return Digitization(source="fig.png", image_shape=[300, 500], box=PlotBox(40, 10, 490, 260),
                        mapping=AxisMapping(x, y), arms=arms, curves=curves, censor_marks=marks,
                        at_risk=at_risk, at_risk_flags=list(flags), legend=["Drug", "Placebo"],
                        confidence={"overall": 0.9}, warnings=["a warning"])


def test_digitization_is_frozen_and_keeps_tuples():
    dig = _reading()
    assert isinstance(dig.arms, tuple) and isinstance(dig.warnings, tuple) and dig.image_shape == (300, 500)
    with pytest.raises(dataclasses.FrozenInstanceError):
        dig.overlay = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        dig.arms[0].name = "other"


def test_summary_is_one_row_per_arm():
    summary = _reading().summary
    assert list(summary.columns) == ["arm", "colour", "line_style", "points", "censor_marks", "confidence"]
    assert summary.to_dict("records")[0] == {"arm": "Drug", "colour": (220, 40, 40), "line_style": "solid",
                                             "points": 3, "censor_marks": 1, "confidence": 0.9}
    assert summary["line_style"].tolist() == ["solid", "dashed"]


def test_format_is_the_command_line_text():
    table = pd.DataFrame({"arm": ["Drug", "Placebo"], "time": [0.0, 0.0], "n_at_risk": [30, 31]})
    text = _reading(table, flags=[{"action": "repaired"}, {"action": "repaired"}, {}]).format()
    assert text.splitlines()[:2] == ["read: raster image: read from its pixels",
                                     "plot box 450x250 px; x 0 to 45 (ocr), y 0 to 1 (ocr)"]
    assert text.splitlines()[2:] == [
        "2 arm(s):",
        "  Drug: 3 points, 1 censor marks, solid line",
        "  Placebo: 2 points, 0 censor marks, dashed line",
        "numbers at risk: 2 cells read (1 flagged, 2 repaired: reasons in digitization.json)",
    ]
    assert text.splitlines()[1].startswith("plot box 450x250 px; x 0 to 45 (ocr), y 0 to 1 (ocr)")
    assert str(_reading()).endswith("numbers at risk: no table read")


def test_to_dict_is_the_json_file(tmp_path):
    dig = _reading()
    data = dig.to_dict()
    assert data["arms"][1] == {"name": "Placebo", "colour": [40, 80, 220], "line_style": "dashed",
                               "points": 2, "censor_marks": 0, "confidence": 1.0,
                               "trace_confidence": 1.0}
    assert data["legend"] == ["Drug", "Placebo"] and data["warnings"] == ["a warning"]
    assert data["unsure"] is False and data["doubts"] == []  # a warning alone is not a doubt
    paths = dig.to_folder(tmp_path)
    assert json.loads(paths["json"].read_text())["x_axis"]["ticks"][0]["text"] == "0"


def test_name_arms_returns_named_copies():
    arms = [ArmTrace((0, 0, 0), "solid", np.array([[40.0, 10.0], [300.0, 200.0]])),
            ArmTrace((0, 0, 0), "dashed", np.array([[40.0, 10.0], [300.0, 100.0]]))]
    mapping = _reading().mapping
    named = name_arms(arms, ["", ""], mapping)
    assert [a.name for a in named] == ["arm1", "arm2"] and named[0].line_style == "dashed"
    assert [a.name for a in arms] == ["", ""]  # the arms given are not changed
