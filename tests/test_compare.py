"""kmipd.compare: step functions, RMSE on a grid, arm matching."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kmipd.compare import curve_rmse, match_arms, split_arms, step_survival


def curve(times, surv) -> pd.DataFrame:
    return pd.DataFrame({"time": times, "survival": surv})


def test_step_survival_is_right_continuous():
    t = [0, 1, 2, 2, 5]  # a vertical drop at 2 given as two points: the later one wins
    s = [1.0, 0.8, 0.7, 0.6, 0.5]
    got = step_survival(t, s, [-1, 0, 0.5, 1, 1.999, 2, 3, 5, 99])
    np.testing.assert_allclose(got, [1.0, 1.0, 1.0, 0.8, 0.8, 0.6, 0.6, 0.5, 0.5])


def test_step_survival_unsorted_and_scalar():
    assert step_survival([2, 0, 1], [0.5, 1.0, 0.9], 1.5) == pytest.approx(0.9)
    assert step_survival([], [], [1.0])[0] == 1.0


def test_curve_rmse():
    a = curve([0, 10], [1.0, 0.5])
    assert curve_rmse(a, a, 20) == 0.0
    b = curve([0, 10], [0.9, 0.4])  # 0.1 lower everywhere
    assert curve_rmse(a, b, 20) == pytest.approx(0.1)
    c = curve([0, 10], [1.0, 0.4])  # 0.1 lower on [10, 20]: half of an even grid over [0, 20]
    assert curve_rmse(a, c, 20, n=101) == pytest.approx(0.1 * np.sqrt(51 / 101))
    assert curve_rmse(a, c, 9.9) == 0.0  # only the scored range counts


def test_split_arms_keeps_order():
    frame = pd.DataFrame({"arm": ["b", "b", "a"], "time": [0, 1, 0], "survival": [1, 0.5, 1]})
    parts = split_arms(frame)
    assert list(parts) == ["b", "a"] and len(parts["b"]) == 2


def test_match_arms_by_name_then_by_error():
    truth = {"Drug": curve([0, 5], [1.0, 0.2]), "Placebo": curve([0, 5], [1.0, 0.8]),
             "Other": curve([0, 2], [1.0, 0.5])}
    found = {"placebo": curve([0, 5], [1.0, 0.21]),  # name wins over the closer curve
             "arm 1": curve([0, 5], [1.0, 0.21]), "arm 2": curve([0, 2], [1.0, 0.52])}
    assert match_arms(found, truth) == {"placebo": "Placebo", "arm 1": "Drug", "arm 2": "Other"}
    by_curve = match_arms(found, truth, by_name=False, t_max=5)
    assert by_curve["placebo"] in {"Drug", "Placebo"} and len(set(by_curve.values())) == 3


def test_match_arms_unequal_counts():
    truth = {"A": curve([0, 5], [1.0, 0.2]), "B": curve([0, 5], [1.0, 0.8])}
    found = {"x": curve([0, 5], [1.0, 0.79])}
    assert match_arms(found, truth) == {"x": "B"}
    assert match_arms({}, truth) == {}
    many = {"x": found["x"], "y": curve([0, 5], [1.0, 0.2]), "z": curve([0, 5], [1.0, 0.5])}
    pairs = match_arms(many, truth)
    assert pairs["x"] == "B" and pairs["y"] == "A" and "z" not in pairs
