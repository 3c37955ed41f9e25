"""The overlay reads at a glance (issue 16, item 4): each arm in its own colour (a distinct one when
the figure's are grey or alike), a key in an empty corner, the numbers at risk read by the table,
never over the curves.

Figures are rendered with exact truth (:mod:`kmipd.testing`), digitized, and the overlay's pixels
are checked against the true curves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from kmipd.digitize import digitize
from kmipd.digitize.image.load import load_image
from kmipd.digitize.overlay import KEY_FILL, arm_colours, draw_overlay
from kmipd.digitize.overlay_layout import ALIKE, colour_distance, is_grey
from kmipd.testing.datasets import load_ipd
from kmipd.testing.render import render_km_figure

FIGURES = {"colour": ("lung", "colour_plus", "Days"), "grey": ("rossi", "bw_dashed", "Weeks")}


@pytest.fixture(scope="module")
def read(tmp_path_factory):
    """Style -> (rendered figure, its digitization, the image it was read from)."""
    folder = tmp_path_factory.mktemp("overlay")
    out = {}
    for key, (data, style, x_label) in FIGURES.items():
        fig = render_km_figure(load_ipd(data), folder / f"{key}.png", style=style, x_label=x_label)
        dig = digitize(fig.path)
        image = load_image(fig.path)
        assert image.shape[:2] == dig.image_shape and dig.at_risk is not None
        out[key] = (fig, dig, image)
    return out


def _true_path_px(curves: pd.DataFrame, mapping) -> np.ndarray:
    """Pixels along the middle of every true horizontal step at least 8 px long ((N, 2) x, y)."""
    t = curves["time"].to_numpy(float)
    s = curves["survival"].to_numpy(float)
    x = np.asarray(mapping.x.to_pixel(t), float)
    y = np.asarray(mapping.y_pixel(s), float)
    long = np.diff(x) >= 8
    return np.column_stack([(x[:-1] + x[1:])[long] / 2, y[:-1][long]])


def _all_true_px(curves: pd.DataFrame, mapping) -> np.ndarray:
    """Pixels every 2 px along the true step curve, horizontal and vertical parts."""
    t, s = curves["time"].to_numpy(float), curves["survival"].to_numpy(float)
    x, y = np.asarray(mapping.x.to_pixel(t), float), np.asarray(mapping.y_pixel(s), float)
    pts = []
    for i in range(len(x) - 1):
        pts += [(v, y[i]) for v in np.arange(x[i], x[i + 1], 2.0)]
        pts += [(x[i + 1], v) for v in np.arange(y[i], y[i + 1], 2.0)]
    return np.array(pts)


def _near(out: np.ndarray, x: float, y: float, colour, tol: float = 20.0) -> bool:
    """Whether a pixel within 2 px of (x, y) has the colour (delta E under ``tol``)."""
    xi, yi = int(round(x)), int(round(y))
    patch = out[max(0, yi - 2):yi + 3, max(0, xi - 2):xi + 3].reshape(-1, 3)
    return any(colour_distance(p, colour) < tol for p in np.unique(patch, axis=0))


def _key_box(out: np.ndarray) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(np.all(out == KEY_FILL, axis=2))
    return None if len(xs) == 0 else (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))


def _inside(points: np.ndarray, rect) -> np.ndarray:
    x0, y0, x1, y1 = rect
    return (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)


# --- colours ------------------------------------------------------------------------------------

def test_arm_colours_keep_own_colours_and_replace_grey_or_alike_ones():
    red, blue = (214, 39, 40), (31, 119, 180)
    assert arm_colours([red, blue]) == [red, blue]
    grey = arm_colours([(0, 0, 0), (0, 0, 0), (128, 128, 128)])
    assert not any(is_grey(c) for c in grey)
    assert all(colour_distance(a, b) >= ALIKE for i, a in enumerate(grey) for b in grey[i + 1:])
    alike = arm_colours([red, (220, 45, 35)])
    assert alike[0] == red and colour_distance(*alike) >= ALIKE
    pale = arm_colours([(255, 240, 120)])[0]  # a pale yellow is darkened, keeping its hue
    assert sum(pale) < 255 + 240 + 120 and pale[0] >= pale[1] > pale[2]


def test_each_arm_is_drawn_in_its_figure_colour_along_the_true_curve(read):
    fig, dig, _ = read["colour"]
    truth = {arm: rows for arm, rows in fig.curves.groupby("arm", sort=False)}
    for arm in dig.arms:
        ink = tuple(int(255 * v) for v in to_rgb(fig.colours[arm.name]))
        assert colour_distance(arm.colour, ink) < 15, arm.name  # the digitizer found its colour
        samples = _true_path_px(truth[arm.name], dig.mapping)
        assert len(samples) >= 10
        hit = np.mean([_near(dig.overlay, x, y, ink) for x, y in samples])
        assert hit >= 0.9, (arm.name, hit)


def test_grey_arms_get_distinct_colours(read):
    _, dig, _ = read["grey"]
    assert len(dig.arms) == 2 and all(is_grey(a.colour) for a in dig.arms)
    drawn = []
    for arm in dig.arms:
        pts = np.round(np.asarray(arm.steps_px, float)).astype(int)
        pixels = dig.overlay[pts[:, 1], pts[:, 0]]
        coloured = pixels[[not is_grey(p) for p in pixels]]
        assert len(coloured) >= 0.6 * len(pixels), arm.name
        drawn.append(tuple(int(v) for v in np.median(coloured, axis=0)))
    assert colour_distance(*drawn) >= ALIKE, drawn


# --- key ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", list(FIGURES))
def test_key_sits_in_a_corner_without_covering_the_curves(read, key):
    fig, dig, _ = read[key]
    rect = _key_box(dig.overlay)
    assert rect is not None, "no key drawn"
    x0, y0, x1, y1 = rect
    h, w = dig.image_shape
    box = dig.box
    assert (x1 - x0) * (y1 - y0) < 0.15 * w * h  # a key, not a page
    near_x = min(abs(x0 - box.left), abs(box.right - x1), x0, w - 1 - x1)
    near_y = min(abs(y0 - box.top), abs(box.bottom - y1), y0, h - 1 - y1)
    assert near_x <= 0.12 * w and near_y <= 0.15 * h, rect  # by a vertical and a horizontal edge
    for _, rows in fig.curves.groupby("arm"):
        assert not _inside(_all_true_px(rows, dig.mapping), rect).any()
    for arm in dig.arms:
        assert not _inside(np.asarray(arm.steps_px, float), rect).any(), arm.name


# --- numbers at risk ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", list(FIGURES))
def test_numbers_at_risk_are_drawn_by_the_table_not_over_the_curves(read, key):
    _, dig, image = read[key]
    box = dig.box
    without = draw_overlay(image, box, dig.mapping, dig.arms, None)
    with_table = draw_overlay(image, box, dig.mapping, dig.arms, dig.at_risk)
    assert np.array_equal(with_table, dig.overlay)
    differs = np.abs(with_table.astype(int) - without.astype(int)).sum(axis=2) > 0
    for out in (without, with_table):  # the key grows by a line; it is checked on its own
        rect = _key_box(out)
        differs[rect[1] - 1:rect[3] + 2, rect[0] - 1:rect[2] + 2] = False
    ys, xs = np.nonzero(differs)
    assert len(ys), "no number at risk drawn"
    in_box = (xs > box.left) & (xs < box.right) & (ys > box.top) & (ys < box.bottom)
    assert not in_box.any(), f"{int(in_box.sum())} pixels of numbers at risk inside the plot box"
    assert ys.min() > box.bottom  # under the plot, where the table is
    # each arm's counts are written in its colour, one row under the other as the table's rows
    colours = dict(zip([a.name for a in dig.arms], arm_colours([a.colour for a in dig.arms])))
    rows = []
    for arm in dig.at_risk["arm"].unique():
        mine = np.array([colour_distance(p, colours[arm]) < 20 for p in with_table[ys, xs]])
        assert mine.sum() >= 20, arm
        rows.append((float(np.percentile(ys[mine], 10)), float(np.percentile(ys[mine], 90))))
    for (_, low), (high, _) in zip(rows, rows[1:]):
        assert low < high  # the rows do not mix


@pytest.mark.parametrize("bottom", [230, 296])
def test_counts_without_a_printed_table_stay_out_of_the_plot_box(bottom):
    """No table rows found under the plot: the counts go in rows at the bottom of the picture, or
    above the box when there is no room under it, never inside it."""
    from kmipd.digitize.result import ArmTrace, AxisCalibration, AxisMapping, PlotBox

    img = np.full((300, 500, 3), 255, np.uint8)
    box = PlotBox(40, 40, 490, bottom)
    mapping = AxisMapping(AxisCalibration(scale=0.1, offset=-4.0),
                          AxisCalibration(scale=-1 / (bottom - 40), offset=bottom / (bottom - 40)))
    arms = [ArmTrace((200, 30, 30), "solid", np.array([[42.0, 41.0], [300.0, 120.0], [480.0, 120.0]]),
                     name="A"),
            ArmTrace((30, 30, 200), "solid", np.array([[42.0, 41.0], [200.0, 150.0], [480.0, 150.0]]),
                     name="B")]
    table = pd.DataFrame({"arm": ["A"] * 3 + ["B"] * 3, "time": [0.0, 20.0, 40.0] * 2,
                          "n_at_risk": [50, 30, 10, 60, 40, 20]})
    differs = np.abs(draw_overlay(img, box, mapping, arms, table).astype(int)
                     - draw_overlay(img, box, mapping, arms, None).astype(int)).sum(axis=2) > 0
    for out in (draw_overlay(img, box, mapping, arms, table), draw_overlay(img, box, mapping, arms, None)):
        rect = _key_box(out)
        differs[rect[1] - 1:rect[3] + 2, rect[0] - 1:rect[2] + 2] = False
    ys, xs = np.nonzero(differs)
    assert len(ys)
    assert not ((ys >= box.top) & (ys <= box.bottom) & (xs >= box.left) & (xs <= box.right)).any()
