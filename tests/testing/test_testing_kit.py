"""kmipd.testing: rendered figures carry the exact KM and numbers-at-risk truth."""

from __future__ import annotations

import pandas as pd
import pytest

from kmipd.analysis.plots import STYLES, km_steps, numbers_at_risk
from kmipd.testing.datasets import available, load_ipd
from kmipd.testing.render import render_km_figure
from kmipd.testing.styles import test_figure_cases


@pytest.mark.parametrize("style", STYLES)
def test_every_style_renders_with_exact_truth(style, tmp_path):
    ipd = load_ipd("larynx" if style == "thick_multi" else "leukemia")
    fig = render_km_figure(ipd, tmp_path / f"{style}.png", style=style, x_label="Weeks")
    assert fig.path.is_file() and fig.path.stat().st_size > 5000
    assert fig.style == style and fig.has_table
    assert fig.arms == list(pd.unique(ipd["arm"]))
    pd.testing.assert_frame_equal(fig.curves, km_steps(ipd))  # ticks cover the follow-up
    assert sorted(fig.at_risk["time"].unique()) == fig.x_ticks
    pd.testing.assert_frame_equal(fig.at_risk, numbers_at_risk(ipd, fig.x_ticks))
    assert fig.x_range == (fig.x_ticks[0], fig.x_ticks[-1]) and fig.x_range[1] >= ipd["time"].max()
    top = 100.0 if fig.percent else 1.0
    assert fig.y_range[1] == top and 0 <= fig.y_range[0] < top


def test_jpeg_style_is_jpeg(tmp_path):
    fig = render_km_figure(load_ipd("waltons"), tmp_path / "x.png", style="small_jpeg")
    assert fig.path.suffix == ".jpg"
    assert fig.path.read_bytes()[:3] == b"\xff\xd8\xff"
    from PIL import Image

    assert 380 <= Image.open(fig.path).size[0] <= 560


def test_percent_and_truncated_axes(tmp_path):
    ipd = load_ipd("rossi")
    pct = render_km_figure(ipd, tmp_path / "p.png", style="percent_axis")
    assert pct.percent and pct.y_range == (0.0, 100.0)
    assert pct.curves["survival"].max() == 1.0  # truth stays a fraction
    trunc = render_km_figure(ipd, tmp_path / "t.png", style="truncated_y")
    assert not trunc.percent and 0 < trunc.y_range[0] <= trunc.curves["survival"].min()


def test_truncated_x_and_options(tmp_path):
    ipd = load_ipd("lung")
    fig = render_km_figure(ipd, tmp_path / "j.png", style="journal", time_scale=12 / 365.25,
                           x_ticks=[0, 6, 12, 18, 24], rename={"Male": "Men"}, table=False,
                           title="Overall survival", annotation="Log-rank p = 0.001")
    assert fig.arms == ["Female", "Men"] and not fig.has_table
    assert fig.curves["time"].max() == 24 and fig.x_range == (0.0, 24.0)
    assert set(fig.at_risk["time"]) == {0, 6, 12, 18, 24}
    with pytest.raises(TypeError):
        render_km_figure(ipd, tmp_path / "k.png", no_such_option=1)
    with pytest.raises(ValueError):
        render_km_figure(ipd, tmp_path / "k.png", style="nope")


def test_seeded_variants_are_deterministic(tmp_path):
    ipd = load_ipd("leukemia")
    a = render_km_figure(ipd, tmp_path / "a.png", seed=5)
    b = render_km_figure(ipd, tmp_path / "b.png", seed=5)
    assert a.path.read_bytes() == b.path.read_bytes()


def test_catalogue_covers_styles_and_arm_counts():
    cases = test_figure_cases()
    ids = [c[0] for c in cases]
    assert len(ids) == len(set(ids))
    assert {kw["style"] for _, _, kw in cases} == set(STYLES)
    assert {name for _, name, _ in cases} <= set(available())
    n_arms = {load_ipd(name)["arm"].nunique() for _, name, _ in cases}
    assert {2, 3, 4} <= n_arms
    assert any(kw.get("table") is False for _, _, kw in cases)
    assert any(kw.get("table_title") == "" for _, _, kw in cases)
