"""kmipd.digitize.curves.arms: arms, step curves and censor marks traced inside a known plot box.

Figures are rendered from real data sets in several publication styles; the plot box and the
pixel -> data mapping come from the renderer's own tick positions, so only the curve tracing
is under test. Bounds are looser than the project's accuracy targets (RMSE of survival <= 0.006
median, <= 0.02 worst) so that the tests pin regressions, not the last decimal.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import R_FIGURES

from kmipd.digitize import snap_whole_units
from kmipd.digitize.curves.arms import extract_arms
from kmipd.digitize.curves.profile import steps_from_profile
from kmipd.digitize.result import PlotBox
from kmipd.testing.datasets import load_ipd
from kmipd.testing.render import render_km_figure

CASES = {
    "colour": ("lung", dict(style="colour_plus", x_label="Days")),
    "bw": ("rossi", dict(style="bw_dashed", x_label="Weeks")),
    # black solid and dashed arms under dense censor ticks: a chain once hopped between them
    "bw_crowded": ("gbsg2", dict(style="bw_dashed", x_label="Days")),
    "grey_panel": ("gbsg2", dict(style="ggplot_grey", x_label="Days")),
    "ci_band": ("lung", dict(style="ci_band", x_label="Months", time_scale=12 / 365.25)),
    "four_arms": ("larynx", dict(style="thick_multi", x_label="Years")),
    "jpeg": ("lymphoma", dict(style="small_jpeg", x_label="Days", table=False)),
    # three arms dropping together at whole years: each hides the others' drops and levels
    "tied_grey": ("dd_regime", dict(style="ggplot_grey", x_label="Years", table=False)),
    "tied_thick": ("dd_regime", dict(style="thick_multi", x_label="Years", table=False)),
}


class Figure:
    """A rendered figure with its image, plot box and pixel -> data mapping."""

    def __init__(self, rendered):
        self.truth = rendered
        bgr = cv2.imread(str(rendered.path), cv2.IMREAD_COLOR)
        self.image = np.ascontiguousarray(bgr[:, :, ::-1])
        # tick_px are pixel-edge coordinates (0 = left edge of pixel 0); ours are pixel centres
        xv, xp = np.array(rendered.tick_px["x"]).T
        yv, yp = np.array(rendered.tick_px["y"]).T
        xp, yp = xp - 0.5, yp - 0.5
        self.x_fit = np.polyfit(xp, xv, 1)
        self.y_fit = np.polyfit(yp, yv / (100.0 if rendered.percent else 1.0), 1)
        # the axes run from the first to the last tick in these styles (close enough for a box)
        self.box = PlotBox(int(round(xp.min())), int(round(yp.min())),
                           int(round(xp.max())), int(round(yp.max())))

    def survival(self, y_px):
        return np.polyval(self.y_fit, y_px)

    def time(self, x_px):
        return np.polyval(self.x_fit, x_px)

    def rmse(self, arm, name, snap: bool = False) -> float:
        """RMSE of survival at 100 times over the arm's true curve (the project's score);
        ``snap`` puts times on whole units as :func:`kmipd.digitize.curves_frame` does."""
        cur = self.truth.curves[self.truth.curves["arm"] == name]
        t, s = cur["time"].to_numpy(), cur["survival"].to_numpy()
        grid = np.linspace(0.0, t.max(), 100)
        true = s[np.searchsorted(t, grid, side="right") - 1]
        xs, ys = self.time(arm.steps_px[:, 0]), self.survival(arm.steps_px[:, 1])
        if snap:
            xs = snap_whole_units(xs, self.x_fit[0])
        est = ys[np.clip(np.searchsorted(xs, grid, side="right") - 1, 0, None)]
        return float(np.sqrt(np.mean((est - true) ** 2)))

    def match(self, arms, snap: bool = False) -> dict[str, float]:
        """Each true arm's RMSE against its best-matching traced arm."""
        return {name: min(self.rmse(a, name, snap) for a in arms) for name in self.truth.arms}


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    out = tmp_path_factory.mktemp("curves")
    return {key: Figure(render_km_figure(load_ipd(data), out / f"{key}.png", **kw))
            for key, (data, kw) in CASES.items()}


@pytest.mark.parametrize("key, bound", [("colour", 0.008), ("bw", 0.006), ("grey_panel", 0.009),
                                        ("ci_band", 0.006), ("four_arms", 0.008), ("jpeg", 0.015),
                                        ("tied_grey", 0.03), ("tied_thick", 0.03)])
def test_arms_and_accuracy(figures, key, bound):
    fig = figures[key]
    arms, _ = extract_arms(fig.image, fig.box)
    assert len(arms) == len(fig.truth.arms)
    errors = fig.match(arms)
    assert max(errors.values()) < bound, errors
    # a grid time can fall on a drop shared by all arms, so one arm may lose a point; the typical
    # arm must still be close (arms hidden under each other used to take the wrong level)
    assert np.median(list(errors.values())) < 0.6 * bound, errors


def test_solid_and_dashed_black_arms_under_dense_ticks_keep_to_their_own_lines(figures):
    """Traced as one ink, the dashed arm came out as a dotted line that the legend's dashed key
    did not match, and the figure's reading took a chain that hopped between the curves (RMSE
    0.06); told apart by the size of their pieces of ink, each arm keeps its own line."""
    from kmipd.compare import curve_rmse, match_arms, split_arms
    from kmipd.digitize import digitize

    fig = figures["bw_crowded"].truth
    found, truth = split_arms(digitize(fig.path, overlay=False).curves), split_arms(fig.curves)
    assert sorted(found) == sorted(truth)  # the legend's names
    pairs = match_arms(found, truth, by_name=True)
    errors = {a: curve_rmse(found[f], truth[a], float(truth[a]["time"].max()))
              for f, a in pairs.items()}
    assert max(errors.values()) < 0.015, errors


@pytest.mark.parametrize("key", ["tied_grey", "tied_thick"])
def test_tied_drops_placed_to_a_fraction_of_a_pixel(figures, key):
    """Arms dropping together at whole years, each drop hidden under the arm drawn on top and
    a censor mark at its foot: every arm is read to within a small error at all 100 times
    (the mark's bar used to pull a hidden drop a few pixels early, and a drop read a hundredth
    of a pixel late missed a grid time that falls on it)."""
    fig = figures[key]
    arms, _ = extract_arms(fig.image, fig.box)
    errors = fig.match(arms, snap=True)
    assert max(errors.values()) < 0.008, errors


def test_output_contract(figures):
    fig = figures["colour"]
    arms, warnings = extract_arms(fig.image, fig.box)
    assert isinstance(warnings, list)
    for arm in arms:
        steps = arm.steps_px
        assert steps.ndim == 2 and steps.shape[1] == 2 and len(steps) > 10
        assert np.all(np.diff(steps[:, 0]) > 0)  # ordered by x
        assert np.all(np.diff(steps[:, 1]) >= -1e-9)  # survival never rises
        assert abs(fig.time(steps[0, 0])) < 0.02 * fig.truth.x_range[1]  # starts at time 0
        assert fig.survival(steps[0, 1]) == pytest.approx(1.0, abs=0.01)
        assert 0.0 <= arm.confidence <= 1.0
        assert arm.line_style in ("solid", "dashed", "dotted")
    assert len({a.colour for a in arms}) == len(arms)


def test_line_styles_tell_black_arms_apart(figures):
    arms, _ = extract_arms(figures["bw"].image, figures["bw"].box)
    assert sorted(a.line_style for a in arms) == ["dashed", "solid"]


def test_censor_marks_near_true_censor_times(figures):
    fig = figures["colour"]
    arms, _ = extract_arms(fig.image, fig.box)
    ipd = fig.truth.ipd
    span = fig.truth.x_range[1] - fig.truth.x_range[0]
    found = 0
    for name in fig.truth.arms:
        arm = min(arms, key=lambda a: fig.rmse(a, name))
        censored = ipd[(ipd["arm"] == name) & (ipd["event"] == 0)]["time"].to_numpy()
        marks = fig.time(arm.censor_px[:, 0])
        assert len(marks) > 0
        gap = np.min(np.abs(marks[:, None] - censored[None, :]), axis=1)
        assert np.mean(gap < 0.01 * span) > 0.8  # marks sit on censored times
        found += len(marks)
        # and on the curve: the mark's y is the curve's level at its x
        level = arm.steps_px[np.searchsorted(arm.steps_px[:, 0], arm.censor_px[:, 0],
                                             side="right") - 1, 1]
        assert np.median(np.abs(level - arm.censor_px[:, 1])) < 1.0
    assert found >= 10


def test_band_is_not_an_arm(figures):
    fig = figures["ci_band"]
    arms, _ = extract_arms(fig.image, fig.box)
    assert len(arms) == 2
    for arm in arms:  # the line colour, not the pale band tint
        assert min(arm.colour) < 200


def _paint_legend(image: np.ndarray, box: PlotBox, colours) -> tuple[np.ndarray, tuple]:
    """A boxed legend in the plot's top right: coloured keys and black text (no matplotlib)."""
    img = image.copy()
    x0, y0 = box.right - 170, box.top + 60
    x1, y1 = box.right - 10, y0 + 30 * len(colours) + 10
    cv2.rectangle(img, (x0, y0), (x1, y1), (255, 255, 255), -1)
    cv2.rectangle(img, (x0, y0), (x1, y1), (0, 0, 0), 1, cv2.LINE_AA)
    for k, c in enumerate(colours):
        y = y0 + 20 + 30 * k
        cv2.line(img, (x0 + 10, y), (x0 + 50, y), tuple(int(v) for v in c), 3, cv2.LINE_AA)
        cv2.putText(img, f"Arm {k + 1}", (x0 + 60, y + 6), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                    (0, 0, 0), 1, cv2.LINE_AA)
    text = (x0 + 55, y0 + 2, x1 - 2, y1 - 2)
    return img, text


def test_legend_box_inside_plot_is_not_an_arm(figures):
    fig = figures["colour"]
    clean, _ = extract_arms(fig.image, fig.box)
    img, text = _paint_legend(fig.image, fig.box, [a.colour for a in clean])
    arms, _ = extract_arms(img, fig.box, exclude_boxes=[text])
    assert len(arms) == 2
    assert max(fig.match(arms).values()) < 0.012


def test_n_arms_is_respected(figures):
    fig = figures["four_arms"]
    assert len(extract_arms(fig.image, fig.box, n_arms=2)[0]) == 2
    assert len(extract_arms(fig.image, fig.box, n_arms=4)[0]) == 4


def test_grey_only_single_arm():
    """One black curve, no colour at all: one arm, solid."""
    img = np.full((300, 400, 3), 255, np.uint8)
    cv2.line(img, (40, 10), (40, 260), (0, 0, 0), 2)  # y axis
    cv2.line(img, (40, 260), (390, 260), (0, 0, 0), 2)  # x axis
    pts = np.array([[42, 30], [120, 30], [120, 80], [250, 80], [250, 150], [380, 150]])
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, (20, 20, 20), 2, cv2.LINE_AA)
    arms, _ = extract_arms(img, PlotBox(40, 10, 390, 260))
    assert len(arms) == 1 and arms[0].line_style == "solid"
    levels = np.unique(np.round(arms[0].steps_px[:, 1]))
    assert {30, 80, 150} <= set(levels.astype(int).tolist()) | {int(v) + 1 for v in levels}


def test_curve_is_traced_through_a_band_of_crowded_censor_marks():
    """Administrative censoring at the end of follow-up: '+' marks overlap into a band in which
    no column shows the bare line. The curve goes on through the band, at its centre."""
    img = np.full((300, 420, 3), 255, np.uint8)
    cv2.line(img, (40, 10), (40, 260), (0, 0, 0), 2)
    cv2.line(img, (40, 260), (410, 260), (0, 0, 0), 2)
    pts = np.array([[42, 30], [130, 30], [130, 90], [230, 90], [230, 140], [300, 140], [300, 150],
                    [395, 150]])
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, (200, 150, 0), 2, cv2.LINE_AA)
    for x in range(240, 396, 4):  # marks every 4 px, 18 px wide, stems 2-3 px: no bare line
        y = 140 if x < 300 else 150
        cv2.line(img, (x - 9, y), (x + 9, y), (200, 150, 0), 2, cv2.LINE_AA)
        cv2.line(img, (x, y - 9), (x, y + 9), (200, 150, 0), 2, cv2.LINE_AA)
    arms, _ = extract_arms(img, PlotBox(40, 10, 410, 260))
    assert len(arms) == 1
    steps = arms[0].steps_px
    assert steps[-1, 0] >= 390  # to the end of the band, not to where the marks begin
    at = steps[np.searchsorted(steps[:, 0], 330, side="right") - 1]
    assert abs(at[1] - 150) <= 1.5


def test_subpixel_levels():
    """Anti-aliased steps drawn at fractional heights are read to a fraction of a pixel."""
    img = np.full((240, 420, 3), 255, np.uint8)
    levels = [30.25, 71.5, 118.75, 160.4]
    xs = [22, 120, 220, 320, 410]
    pts = []
    for k, lv in enumerate(levels):
        pts += [(xs[k], lv), (xs[k + 1], lv)]
    shift = 4  # cv2 draws sub-pixel coordinates in 1/16 px
    p = (np.array(pts) * (1 << shift)).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(img, [p], False, (200, 30, 30), 3, cv2.LINE_AA, shift)
    arms, _ = extract_arms(img, PlotBox(20, 10, 415, 230))
    assert len(arms) == 1
    s = arms[0].steps_px
    for k, lv in enumerate(levels):
        mid = 0.5 * (xs[k] + xs[k + 1])
        got = s[np.searchsorted(s[:, 0], mid, side="right") - 1, 1]
        assert got == pytest.approx(lv, abs=0.35)


def test_steps_from_profile_places_a_drop_inside_a_pixel():
    # column 3 is 30% of the way down: the drop is 30% of a pixel before its right edge
    y = np.array([10.0, 10.0, 10.0, 13.0, 20.0, 20.0, 24.0, 28.0, 30.0])
    pts = steps_from_profile(5, y)
    assert pts[1, 0] == pytest.approx(5 + 3 + 0.5 - 0.3) and pts[1, 1] == 20.0
    assert 13.0 not in pts[:, 1]
    # two part-way columns in a row stay as they are (a staircase, not one drop)
    assert {24.0, 28.0} <= set(pts[:, 1])
    # the area under the curve is kept
    cols = np.arange(5, 5 + len(y) + 1) - 0.5
    fine = np.linspace(cols[0], cols[-1], 9001)[:-1]
    level = pts[np.searchsorted(pts[:, 0], fine, side="right") - 1, 1]
    assert level.mean() == pytest.approx(y.mean(), abs=0.01)


def test_subpixel_drop_times():
    """Anti-aliased drops at random fractional columns are placed to a fraction of a pixel
    (the faint rim column either side of a stroke counts in its centroid)."""
    rng = np.random.default_rng(1)
    levels = [20.0, 60.0, 100.0, 140.0, 180.0]
    errors = []
    for _ in range(6):
        img = np.full((200, 420, 3), 255, np.uint8)
        drops = [60.0, 141.0, 222.0, 303.0] + rng.random(4)
        pts = [(22.0, levels[0])]
        for k, x in enumerate(drops):
            pts += [(x, levels[k]), (x, levels[k + 1])]
        pts.append((410.0, levels[-1]))
        p = (np.array(pts) * 16).astype(np.int32).reshape(-1, 1, 2)  # 4 fractional bits
        cv2.polylines(img, [p], False, (30, 30, 200), 2, cv2.LINE_AA, 4)
        arms, _ = extract_arms(img, PlotBox(20, 10, 415, 195))
        s = arms[0].steps_px
        for k, x in enumerate(drops):
            mid = 0.5 * (levels[k] + levels[k + 1])
            errors.append(s[np.searchsorted(s[:, 1], mid), 0] - x)  # first point under mid-drop
    errors = np.abs(errors)
    assert np.median(errors) < 0.18 and errors.max() < 0.4, errors


def test_steps_from_profile_reproduces_profile():
    y = np.array([10.0, 10.0, 10.0, 14.0, 14.0, 20.5, 20.5, 20.5])
    pts = steps_from_profile(5, y)
    cols = 5 + np.arange(len(y))
    got = pts[np.searchsorted(pts[:, 0], cols, side="right") - 1, 1]
    assert np.allclose(got, y)
    assert pts[0, 0] == pytest.approx(4.5) and pts[-1, 0] == pytest.approx(12.5)




@pytest.mark.parametrize("case, n", [
    ("r-lung-survminer", 2), ("r-bladder1-survminer", 3), ("r-bladder1-npg3", 3),
    ("r-udca1-survminer_bw", 2), ("r-gbsg-survminer_ci", 2), ("r-udca1-base_nejm", 2),
    ("r-nafld1-survminer_ci", 2), ("r-rats-base", 2), ("r-gbsg-lowres", 2),
])
def test_r_figures_arm_count(case, n):
    """Figures drawn by R (survminer, base graphics): read from shared/, never copied."""
    files = sorted((R_FIGURES / case).glob("figure.*"))
    if not files:
        pytest.skip("shared/r-figures not available")
    from kmipd.digitize.frame.axes import find_plot_box

    bgr = cv2.imread(str(files[0]), cv2.IMREAD_COLOR)
    image = np.ascontiguousarray(bgr[:, :, ::-1])
    try:
        box = find_plot_box(image)
    except Exception as exc:  # noqa: BLE001 - the box finder is tested elsewhere
        pytest.skip(f"no plot box: {exc}")
    arms, _ = extract_arms(image, box)
    assert len(arms) == n
    if case in ("r-rats-base", "r-udca1-survminer_bw"):
        assert {a.line_style for a in arms} != {"solid"}  # black arms told apart by style


def test_thick_curves_crowded_with_marks_are_arms_not_bands():
    """Two thick ggplot-coloured curves whose '+' marks crowd over most of their length, and a
    thin dashed median line: the marks' blocks survive an opening as a band's area does, but in
    the lines' full colours; a band is pale (the line's colour mixed with the paper)."""
    img = np.full((300, 420, 3), 255, np.uint8)
    cv2.line(img, (40, 10), (40, 260), (0, 0, 0), 2)
    cv2.line(img, (40, 260), (410, 260), (0, 0, 0), 2)
    for x in range(42, 400, 8):  # the median line: thin and dashed
        cv2.line(img, (x, 135), (x + 4, 135), (40, 40, 40), 1)
    # ggplot's teal and red (the image is RGB): lightness 69 and 63, saturated
    curves = {(0, 187, 192): [[42, 20], [110, 20], [110, 70], [220, 70], [220, 120], [395, 120]],
              (243, 111, 102): [[42, 20], [90, 20], [90, 110], [200, 110], [200, 180], [395, 180]]}
    for colour, pts in curves.items():
        pts = np.array(pts)
        cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, colour, 3, cv2.LINE_AA)
        for x in range(60, 396, 3):
            k = np.searchsorted(pts[:, 0], x, side="right") - 1
            y = int(pts[max(k, 0), 1])
            cv2.line(img, (x - 5, y), (x + 5, y), colour, 2)
            cv2.line(img, (x, y - 5), (x, y + 5), colour, 2)
    arms, _ = extract_arms(img, PlotBox(40, 10, 410, 260))
    found = sorted(tuple(a.colour) for a in arms if max(a.colour) - min(a.colour) > 60)
    assert len(found) == 2, [a.colour for a in arms]


def _staircase_with_ticks(thickness: int):
    """A curve with a drop every 12 px between x=120 and x=300 (events dense), each drop as
    high as a tick's half length, flat elsewhere, and '|' ticks at known columns on the flat
    parts and 3 px after drops on the steep part."""
    img = np.full((320, 460, 3), 255, np.uint8)
    cv2.line(img, (40, 10), (40, 300), (0, 0, 0), 2)
    cv2.line(img, (40, 300), (450, 300), (0, 0, 0), 2)
    tick_half = 4 + 2 * thickness  # ticks are drawn a few line widths long
    pts, y = [(42, 30)], 30
    for x in range(120, 300, 12):
        pts += [(x, y), (x, y + tick_half)]
        y += tick_half
    pts.append((440, y))
    colour = (30, 60, 200)
    cv2.polylines(img, [np.array(pts).reshape(-1, 1, 2)], False, colour, thickness, cv2.LINE_8)
    ticks = [70, 95, 135, 159, 183, 207, 231, 255, 279, 340, 380, 420]

    def level(x):
        return max(yy for xx, yy in pts if xx <= x)

    for x in ticks:
        cv2.line(img, (x, level(x) - tick_half), (x, level(x) + tick_half), colour, 2, cv2.LINE_8)
    return img, np.array(ticks, float)


@pytest.mark.parametrize("thickness", [2, 4])
def test_ticks_on_a_steep_stretch_are_found_as_on_a_flat_one(thickness):
    """Where events are dense a tick has a drop on either side: it reaches past the nearby
    levels above or below, never both, and must still count (most missed marks were there)."""
    img, ticks = _staircase_with_ticks(thickness)
    arms, _ = extract_arms(img, PlotBox(40, 10, 450, 300))
    assert len(arms) == 1
    marks = arms[0].censor_px[:, 0]
    gap = np.abs(ticks[:, None] - marks[None, :])
    assert (gap.min(axis=1) <= 2).sum() >= len(ticks) - 1  # found
    assert (gap.min(axis=0) <= 2).all()  # and nothing else: the drops are not ticks


def test_a_thin_line_over_its_own_band_is_an_arm(tmp_path):
    """ggplot2's look: 0.7 pt lines over their own confidence bands on a grey panel, at 180 dpi.
    The band's colour mode hid the thin line's (the line's rims run between them), and one arm
    was lost on 3 of these 6 trials while the other, over the other band, was found."""
    from dataclasses import replace

    from kmipd.compare import curve_rmse, split_arms
    from kmipd.digitize import digitize
    from kmipd.testing.random_figures import draw_look, render_random_figure, simulate_trial

    errors = []
    for seed in range(1, 7):
        rng = np.random.default_rng([236, seed])
        trial, look = simulate_trial(rng), draw_look(rng)
        look = replace(look, preset="ggplot2", palette="ggplot_hue", line_types="solid",
                       line_width=0.69, censor="+", censor_size=4.25, panel="grey", grid=True,
                       ci_bands=True, ci_alpha=0.34, dpi=182, width_in=8.8, aspect=0.84,
                       fmt="png", blur=0.0, median_line=False, annotation="none",
                       legend="outside_right")
        fig = render_random_figure(trial, look, tmp_path / f"bands{seed}.png")
        found, truth = split_arms(digitize(fig.path).curves), split_arms(fig.curves)
        assert len(found) == len(truth), seed
        errors += [min(curve_rmse(f, t, fig.t_end[a]) for f in found.values())
                   for a, t in truth.items()]
    assert np.median(errors) <= 0.005
    assert np.mean(np.array(errors) <= 0.02) >= 0.9


@pytest.mark.parametrize("seed", [3, 6])
def test_thin_pale_lines_washed_out_by_blur_and_jpeg_are_traced(tmp_path, seed):
    """ggplot2's hues at 0.65 pt, 81 dpi, blurred and saved as a JPEG of quality 45: the curves'
    ink hardly stands out at the usual chroma threshold, and these plots were refused as holding
    no curve. Where no curve is traced across the plot, fainter ink is looked for."""
    from dataclasses import replace

    from kmipd.compare import curve_rmse, split_arms
    from kmipd.digitize import digitize
    from kmipd.testing.random_figures import draw_look, render_random_figure, simulate_trial

    rng = np.random.default_rng([287, seed])
    trial, look = simulate_trial(rng), draw_look(rng)
    look = replace(look, preset="ggplot2", palette="ggplot_hue", line_types="solid",
                   line_width=0.65, censor="none", panel="grey", grid=True, ci_bands=False,
                   dpi=81, width_in=7.0, aspect=0.87, fmt="jpeg", jpeg_quality=45, blur=0.92,
                   median_line=False, annotation="none", legend="outside_right", table="none")
    fig = render_random_figure(trial, look, tmp_path / "faint.jpg")
    dig = digitize(fig.path)
    found, truth = split_arms(dig.curves), split_arms(fig.curves)
    assert len(found) == len(truth) == 2
    for arm, t in truth.items():
        assert min(curve_rmse(f, t, fig.t_end[arm]) for f in found.values()) <= 0.03, arm
    assert any("faint" in w for w in dig.warnings) and dig.unsure


@pytest.mark.parametrize("seed", [19, 41, 45])
def test_median_guide_lines_on_a_padded_axis_are_not_arms(tmp_path, seed):
    """survminer's ``surv.median.line = "hv"`` on a padded x axis: the dashed guide at 0.5
    starts where the curves start (time 0), not at the axis, and was chained onto a dashed
    black arm's tail; that arm then ended at the guide's vertical drop. A guide that starts
    where the curves start and ends in a drop to the x axis is no curve. (Trials of two arms
    that both fall past their median; rng 21, whose dashed arm runs hidden under the solid one
    down a near-vertical start, fails for that other reason.)"""
    from dataclasses import replace

    from kmipd.compare import curve_rmse, split_arms
    from kmipd.digitize import digitize
    from kmipd.testing.random_figures import draw_look, render_random_figure, simulate_trial

    rng = np.random.default_rng([209, seed])
    trial, look = simulate_trial(rng), draw_look(rng)
    assert trial.ipd.groupby("arm").ngroups == 2
    look = replace(look, preset="base_r", palette="black", line_types="varied", line_width=2.2,
                   censor="none", expand="r_base", median_line=True, ci_bands=False, dpi=120,
                   fmt="png", blur=0.0, annotation="none", legend="inside_bottom_left",
                   table="none", grid=False, panel="white", frame="box")
    fig = render_random_figure(trial, look, tmp_path / "guide.png")
    dig = digitize(fig.path)
    found, truth = split_arms(dig.curves), split_arms(fig.curves)
    assert len(found) == 2
    assert not any("not taken as arms" in w for w in dig.warnings), dig.warnings
    for arm, t in truth.items():
        assert min(curve_rmse(f, t, fig.t_end[arm]) for f in found.values()) <= 0.025, arm
