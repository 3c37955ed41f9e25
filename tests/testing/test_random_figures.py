"""kmipd.testing.random_figures: random trials in random looks carry their exact truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kmipd.analysis.plots import km_curve, numbers_at_risk
from kmipd.compare import step_survival
from kmipd.testing.looks import CHOICES, RANGES, Look, draw_look
from kmipd.testing.random_figures import N_RANGE, UNITS, render_random_figure, simulate_trial

SEEDS = (3, 11, 2026)


def _figure(seed: int, folder):
    rng = np.random.default_rng(seed)
    trial, look = simulate_trial(rng), draw_look(rng)
    return trial, look, render_random_figure(trial, look, folder / f"fig{seed}.png")


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("random")
    return [_figure(seed, folder) for seed in SEEDS]


def test_trial_is_in_its_domain():
    for seed in range(40):
        trial = simulate_trial(np.random.default_rng(seed))
        sizes = trial.ipd.groupby("arm").size()
        assert 1 <= len(trial.arms) <= 4 and list(sizes.index.sort_values()) == sorted(trial.arms)
        assert sizes.between(*N_RANGE).all()
        assert trial.unit in UNITS and (trial.ipd["time"] > 0).all()
        assert set(trial.ipd["event"]) <= {0, 1}
        if trial.unit == "days":
            assert (trial.ipd["time"] == trial.ipd["time"].round()).all()


def test_every_knob_is_in_its_domain():
    for seed in range(150):
        knobs = draw_look(np.random.default_rng(seed)).knobs()
        assert set(knobs) == set(CHOICES) | set(RANGES)
        for name, value in knobs.items():
            if name in CHOICES:
                assert value in CHOICES[name], (seed, name, value)
            else:
                lo, hi = RANGES[name]
                assert lo <= value <= hi, (seed, name, value)
        assert knobs["frame"] != "none" or knobs["panel"] == "grey"
        corner = {"inside_top_right": "top_right", "inside_bottom_left": "bottom_left"}
        assert knobs["annotation_pos"] != corner.get(knobs["legend"]), seed  # never over the legend


def test_looks_vary():
    looks = [draw_look(np.random.default_rng(seed)) for seed in range(200)]
    for name in ("preset", "palette", "censor", "legend", "table", "font", "y_format", "fmt"):
        assert len({getattr(look, name) for look in looks}) == len(CHOICES[name]), name


def test_truth_is_consistent(figures):
    for trial, look, fig in figures:
        assert isinstance(look, Look) and fig.knobs["n_arms"] == len(trial.arms)
        assert fig.arms == list(dict.fromkeys(fig.ipd["arm"]))
        assert fig.arms == list(dict.fromkeys(fig.curves["arm"]))
        assert len(fig.ipd) == len(trial.ipd)
        x_end = fig.x_ticks[-1]
        for arm in fig.arms:  # the drawn steps are lifelines' KM, cut at the last tick
            rows = fig.ipd[fig.ipd["arm"] == arm]
            t, s = km_curve(rows["time"], rows["event"])
            drawn = fig.curves[fig.curves["arm"] == arm]
            grid = np.linspace(0, fig.t_end[arm], 500)
            np.testing.assert_allclose(step_survival(drawn["time"], drawn["survival"], grid),
                                       step_survival(t, s, grid))
            assert fig.t_end[arm] == pytest.approx(min(rows["time"].max(), x_end))
        if fig.has_table:
            pd.testing.assert_frame_equal(fig.at_risk, numbers_at_risk(fig.ipd, fig.x_ticks))
        else:
            assert look.table == "none"
        assert fig.y_range[1] == (100.0 if fig.percent else 1.0)


def test_image_is_as_declared(figures):
    for _, look, fig in figures:
        assert fig.path.is_file() and fig.path.suffix == (".jpg" if look.fmt == "jpeg" else ".png")
        with Image.open(fig.path) as im:
            assert im.size == fig.size_px
            assert im.format == ("JPEG" if look.fmt == "jpeg" else "PNG")
            assert round(float(im.info["dpi"][0])) == look.dpi
        # the cropped figure is about as wide as the look asks (legends outside add some)
        assert 0.5 * look.width_in * look.dpi <= fig.size_px[0] <= 1.8 * look.width_in * look.dpi


def test_same_seed_same_image(tmp_path):
    def look_of(seed: int) -> Look:
        rng = np.random.default_rng(seed)
        simulate_trial(rng)
        return draw_look(rng)

    seed = next(s for s in range(50) if look_of(s).fmt == "png")
    _, _, a = _figure(seed, tmp_path / "a")
    _, _, b = _figure(seed, tmp_path / "b")
    assert a.path.read_bytes() == b.path.read_bytes()
    pd.testing.assert_frame_equal(a.ipd, b.ipd)
    assert a.knobs == b.knobs


def test_truth_folder(figures, tmp_path):
    _, _, fig = figures[0]
    out = fig.save_truth(tmp_path / "truth")
    assert {"ipd.csv", "curves.csv", "truth.json"} <= {p.name for p in out.iterdir()}
