"""kmipd.analysis.plots: the KM plot draws the exact KM steps and numbers at risk, in every style."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from kmipd.analysis.plots import STYLES, km_steps, numbers_at_risk, plot_km
from kmipd.compare import step_survival
from kmipd.testing.datasets import load_ipd

REQUIRED = {"colour_plus", "bw_dashed", "ggplot_grey", "ci_band", "small_jpeg", "thick_multi",
            "percent_axis", "truncated_y", "journal"}


@pytest.fixture(scope="module")
def lung():
    return load_ipd("lung")


def test_styles_listed():
    assert REQUIRED <= set(STYLES)


def test_km_steps_equal_lifelines(lung):
    steps = km_steps(lung)
    assert list(steps.columns) == ["arm", "time", "survival"]
    for arm, rows in lung.groupby("arm"):
        kmf = KaplanMeierFitter().fit(rows["time"], rows["event"])
        sf = kmf.survival_function_.iloc[:, 0]
        mine = steps[steps["arm"] == arm]
        assert mine["time"].iloc[0] == 0 and mine["survival"].iloc[0] == 1
        assert mine["time"].iloc[-1] == rows["time"].max()
        got = step_survival(mine["time"], mine["survival"], sf.index.to_numpy())
        np.testing.assert_allclose(got, sf.to_numpy(), atol=1e-12)


def test_numbers_at_risk_equal_lifelines(lung):
    for _, rows in lung.groupby("arm"):
        table = KaplanMeierFitter().fit(rows["time"], rows["event"]).event_table
        times = table.index.to_numpy()[1:]  # lifelines row 0 is time 0
        mine = numbers_at_risk(rows, times)
        np.testing.assert_array_equal(mine["n_at_risk"].to_numpy(), table["at_risk"].to_numpy()[1:])
    counts = numbers_at_risk(lung, [0, 1e9]).set_index(["arm", "time"])["n_at_risk"]
    assert counts[("Male", 0)] == 138 and counts[("Female", 0)] == 90 and counts.iloc[1] == 0


def test_plot_km_draws_the_truth(lung):
    fig = plot_km(lung, style="colour_plus", x_label="Days")
    ax = fig.axes[0]
    steps = km_steps(lung)
    drawn = [line for line in ax.lines if line.get_drawstyle() == "steps-post"]
    assert len(drawn) == 2
    for line, (_, rows) in zip(drawn, steps.groupby("arm", sort=False), strict=True):
        np.testing.assert_allclose(line.get_xdata(), rows["time"])
        np.testing.assert_allclose(line.get_ydata(), rows["survival"])
    texts = {t.get_text() for t in ax.texts}
    assert "Number at risk" in texts and "90" in texts and "138" in texts
