"""Direct unit tests of curves/arm_choice and curves/untangle on synthetic candidates and
coverage images (the figure tests reach them only through ``extract_arms``)."""

from __future__ import annotations

import numpy as np
import pytest

from kmipd.digitize.curves.arm_choice import (
    _branches,
    _close_columns,
    _confidence_pairs,
    _duplicate,
    _mix_of,
    choose_arms,
)
from kmipd.digitize.curves.censor import (
    _ticks_in_group,
    drop_shared_ticks,
    find_censor_marks,
    stroke_thickness,
)
from kmipd.digitize.curves.linestyle import Candidate, line_style
from kmipd.digitize.curves.trace import Runs
from kmipd.digitize.curves.untangle import _weakness, untangle

RED, BLUE, BLACK = (200.0, 30.0, 30.0), (30.0, 60.0, 200.0), (20.0, 20.0, 20.0)
W = 200  # plot width in columns


def _no_runs() -> Runs:
    e = np.zeros(0, int)
    return Runs(e, e, e, np.zeros(0), np.zeros(0), np.zeros(0))


def _cand(levels, x_start: int = 0, *, colour_id: int = 0, rank: int = 0, rgb=RED,
          chromatic: bool = True, width: float = 2.0, style: str = "solid",
          coverage: float | None = None, visible=None, runs: Runs | None = None) -> Candidate:
    """A traced curve: ``levels`` is its pixel y per column from ``x_start``."""
    y = np.asarray(levels, float)
    vis = np.isfinite(y) if visible is None else np.asarray(visible, bool)
    cov = float(vis.sum() / W) if coverage is None else coverage
    return Candidate(colour_id, rank, rgb, chromatic, x_start, y, vis, width,
                     _no_runs() if runs is None else runs, style=style, coverage=cov)


def _ids(cands: list[Candidate]) -> list[int]:
    return [id(c) for c in cands]


def _step(*pieces: tuple[int, float]) -> np.ndarray:
    """Levels over ``W`` columns: ``(x, y)`` pieces, each level holding until the next x."""
    y = np.empty(W)
    for (x, v), (x_next, _) in zip(pieces, list(pieces[1:]) + [(W, 0.0)]):
        y[x:x_next] = v
    return y


# --- arm_choice: low-level tests ---------------------------------------------------------------

def test_close_columns_uses_the_wider_line_plus_one_and_a_half_pixels():
    a = _cand(np.full(W, 50.0), colour_id=0, width=2.0)
    # 3.5 px off (width 2 + 1.5) is along the curve; 3.6 px is not
    assert _close_columns(_cand(np.full(W, 53.5), colour_id=1, width=2.0), a).all()
    assert not _close_columns(_cand(np.full(W, 53.6), colour_id=1, width=2.0), a).any()
    # a thicker curve widens the allowance for both
    assert _close_columns(_cand(np.full(W, 55.5), colour_id=1, width=4.0), a).all()


def test_one_colour_traced_twice_is_close_only_through_a_band_of_its_own_ink():
    a = _cand(np.full(W, 50.0))
    xs = np.arange(W)
    band = Runs(xs, np.full(W, 49), np.full(W, 59), np.full(W, 54.0), np.full(W, 11.0), np.ones(W))
    gap = Runs(np.r_[xs, xs], np.r_[np.full(W, 49), np.full(W, 57)], np.r_[np.full(W, 51), np.full(W, 59)],
               np.r_[np.full(W, 50.0), np.full(W, 58.0)], np.full(2 * W, 3.0), np.ones(2 * W))
    order = np.lexsort((gap.top, gap.x))
    gap = Runs(*(v[order] for v in (gap.x, gap.top, gap.bottom, gap.centre, gap.mass, gap.peak)))
    # 8 px below: too far to be along it, unless ink of that colour fills the space between
    assert _close_columns(_cand(np.full(W, 58.0), runs=band), a).all()
    assert not _close_columns(_cand(np.full(W, 58.0), runs=gap), a).any()


def test_a_curve_along_another_of_its_colour_for_70_percent_is_a_duplicate():
    a = _cand(np.full(W, 50.0))
    along = np.full(W, 51.0)
    c75, c65 = along.copy(), along.copy()
    c75[150:] = 120.0  # 150 of 200 columns along a
    c65[130:] = 120.0  # 130 of 200
    assert _duplicate(_cand(c75), [a])
    assert not _duplicate(_cand(c65), [a])
    # an unlike colour running along is not a duplicate (arms of large trials run close)
    assert not _duplicate(_cand(along, colour_id=1, rgb=BLUE), [a])
    assert not _duplicate(_cand(along), [])


def test_a_partial_curve_of_another_colour_seen_only_along_an_arm_is_its_rim():
    """JPEG fringes trace as a pale curve of their own colour, in pieces, along the arm."""
    a = _cand(np.full(W, 50.0), coverage=0.65)
    along = np.full(W, 51.5)
    vis = np.zeros(W, bool)
    vis[::3] = True  # seen in part
    assert _duplicate(_cand(along, colour_id=1, rgb=BLUE, visible=vis, coverage=0.25), [a])
    # off the arm on a quarter of its columns: an arm of its own
    off = along.copy()
    off[150:] = 120.0
    assert not _duplicate(_cand(off, colour_id=1, rgb=BLUE, visible=vis, coverage=0.25), [a])
    # seen about as fully as the arm: two arms running close (large trials)
    assert not _duplicate(_cand(along, colour_id=1, rgb=BLUE, visible=vis, coverage=0.5), [a])


def test_line_style_of_a_curve_with_visible_columns_without_a_level_is_read():
    """Untangling can leave a visible column without a level: the style is still read (an
    IndexError here once lost a whole arm)."""
    y = np.full(W, 60.0)
    vis = np.ones(W, bool)
    vis[10::12] = vis[11::12] = False  # dashed: 2-px gaps every 12 columns
    y[9] = y[45] = np.nan  # beside a gap
    mask = np.zeros((120, W), bool)
    mask[59:62] = vis
    cs = np.zeros((121, W), np.int32)
    cs[1:] = np.cumsum(mask, axis=0)
    c = _cand(y, visible=vis, chromatic=False, rgb=BLACK)
    assert line_style(c, cs) == "dashed"
    c.width = float("nan")
    assert line_style(c, cs) == "solid"


def test_mix_of_two_colours_is_a_point_near_the_segment_between_them():
    p, q = np.array(RED), np.array(BLUE)
    assert _mix_of(0.5 * (p + q), p, q)
    assert _mix_of(0.3 * p + 0.7 * q + np.array([0.0, 39.0, 0.0]), p, q)
    assert not _mix_of(0.5 * (p + q) + np.array([0.0, 41.0, 0.0]), p, q)
    # beyond an end it is measured from that end, not from the line through both
    assert not _mix_of(p + 2.0 * (p - q), p, q)


def test_dashed_lines_above_and_below_a_curve_of_their_colour_are_confidence_limits():
    arm = _cand(_step((0, 20.0), (100, 100.0)))
    upper = _cand(_step((0, 10.0), (100, 80.0)), rank=1, style="dashed")
    lower = _cand(_step((0, 30.0), (100, 120.0)), rank=2, style="dotted")
    assert _confidence_pairs([arm, upper, lower]) == {id(upper), id(lower)}
    assert _confidence_pairs([arm, upper]) == set()  # one side only
    solid = _cand(upper.y, rank=1)
    assert _confidence_pairs([arm, solid, lower]) == set()  # limits are never drawn solid
    other = _cand(lower.y, rank=2, colour_id=1, style="dotted")
    assert _confidence_pairs([arm, upper, other]) == set()  # another colour's line


def test_dashed_curves_around_a_dashed_curve_are_arms_not_confidence_limits():
    # a black-and-white figure: three arms (dashed in the middle, dashed and dotted around it)
    arm = _cand(_step((0, 20.0), (100, 100.0)), style="dashed")
    upper = _cand(_step((0, 10.0), (100, 80.0)), rank=1, style="dashed")
    lower = _cand(_step((0, 30.0), (100, 120.0)), rank=2, style="dotted")
    assert _confidence_pairs([arm, upper, lower]) == set()


def test_confidence_limits_drop_where_their_curve_drops_arms_do_not():
    drops = [(0, 20.0), (40, 30.0), (80, 40.0), (120, 50.0), (160, 60.0)]
    arm = _cand(_step(*drops))
    upper = _cand(_step(*[(x, y - 8.0) for x, y in drops]), rank=1, style="dashed")
    lower = _cand(_step(*[(x, y + 8.0) for x, y in drops]), rank=2, style="dotted")
    assert _confidence_pairs([arm, upper, lower]) == {id(upper), id(lower)}
    # one drop column off (anti-aliasing) still counts as the same event time
    late = _cand(_step(*[(x + 1 if x else 0, y + 8.0) for x, y in drops]), rank=2,
                 style="dotted")
    assert _confidence_pairs([arm, upper, late]) == {id(upper), id(late)}
    # an arm below with its own event times (20 columns off) is not a limit
    own = _cand(_step(*[(x + 20 if x else 0, y + 8.0) for x, y in drops]), rank=2,
                style="dotted")
    assert _confidence_pairs([arm, upper, own]) == set()


def test_four_black_arms_are_traced_in_one_ink():
    from kmipd.digitize.curves.colours import InkColour
    from kmipd.digitize.curves.linestyle import chains_of_colour

    h, w = 120, 200
    alpha = np.zeros((h, w), np.float32)
    for y0, x_drop, y1 in [(10, 50, 40), (20, 90, 60), (30, 130, 80), (45, 170, 100)]:
        alpha[y0:y0 + 2, 0:x_drop] = 1.0
        alpha[y0:y1 + 2, x_drop:x_drop + 2] = 1.0
        alpha[y1:y1 + 2, x_drop:w] = 1.0
    black = InkColour(rgb=np.zeros(3), lab=np.zeros(3), chromatic=False)
    region = np.full((h, w, 3), 255, np.uint8)
    region[alpha > 0] = 0
    found = chains_of_colour(alpha, black, region)
    assert len(found) >= 4
    levels = sorted(float(c.y[~np.isnan(c.y)][0]) for c in found[:4])
    assert levels == pytest.approx([10.5, 20.5, 30.5, 45.5], abs=0.3)  # 2 px lines' centres


def test_a_curve_starting_at_the_axis_well_below_the_top_does_not_branch():
    top = _cand(_step((0, 10.0), (60, 60.0), (150, 90.0)))
    # starts at the axis within 4 * width + 3 = 11 px of the top: an arm
    assert _branches(_cand(np.full(W, 21.0)), [top], start=0, top=10.0)
    # a median guide line at the axis, 90 px lower: not an arm
    assert not _branches(_cand(np.full(W, 100.0)), [top], start=0, top=10.0)
    # shows up at x = 90 under the top arm (at 60 there): it ran hidden under it
    assert _branches(_cand(np.full(W - 90, 65.0), x_start=90), [top], start=0, top=10.0)
    # shows up at x = 90 well above every arm there (60 + 11 px tolerance): left out
    assert not _branches(_cand(np.full(W - 90, 48.0), x_start=90), [top], start=0, top=10.0)
    assert _branches(_cand(np.full(W - 90, 50.0), x_start=90), [top], start=0, top=10.0)


# --- arm_choice: choose_arms -------------------------------------------------------------------

def test_choose_arms_takes_the_two_coloured_arms_and_leaves_a_guide_line():
    a = _cand(_step((0, 10.0), (100, 60.0)), colour_id=0, coverage=1.0)
    b = _cand(_step((0, 10.0), (50, 100.0)), colour_id=1, rgb=BLUE, coverage=0.95)
    guide = _cand(np.full(W, 150.0), colour_id=0, rank=1, style="dashed", coverage=0.5)
    arms, warnings = choose_arms([guide, b, a], W, None)
    assert _ids(arms) == _ids([a, b])
    assert warnings == ["1 more curve-like line(s) not taken as arms; give the number of arms "
                        "(--arms N, n_arms= in Python) if the figure has more"]


def test_choose_arms_with_n_arms_cuts_by_coverage_or_adds_doubtful_at_half_confidence():
    a = _cand(_step((0, 10.0), (100, 60.0)), colour_id=0, coverage=1.0)
    b = _cand(_step((0, 10.0), (50, 100.0)), colour_id=1, rgb=BLUE, coverage=0.95)
    guide = _cand(np.full(W, 150.0), colour_id=0, rank=1, style="dashed", coverage=0.5)
    arms, warnings = choose_arms([a, b, guide], W, 1)
    assert _ids(arms) == _ids([a]) and warnings == []
    arms, warnings = choose_arms([a, b, guide], W, 3)
    assert _ids(arms) == _ids([a, b, guide]) and warnings == []
    assert guide.confidence == pytest.approx(0.5) and a.confidence == pytest.approx(1.0)
    arms, warnings = choose_arms([a, b], W, 4)
    assert len(arms) == 2 and warnings == ["asked for 4 arms, found 2"]


def test_a_tail_traced_on_its_own_after_an_arm_stops_is_joined_to_that_arm():
    """Dense censor marks merge a dashed arm's tail into one unbroken piece, traced apart from
    the dashes; it begins just right of where the arm's line stops, a little lower."""
    solid = _cand(_step((0, 10.0), (60, 40.0), (150, 70.0)), chromatic=False, rgb=BLACK,
                  coverage=1.0)
    dashed = _cand(np.r_[_step((0, 10.0), (40, 60.0), (90, 100.0))[:120], np.full(W - 120, np.nan)],
                   chromatic=False, rgb=BLACK, rank=1, style="dashed", coverage=0.5)
    tail = np.full(W, np.nan)
    tail[126:190] = 104.0
    piece = _cand(tail[126:], x_start=126, chromatic=False, rgb=BLACK, rank=2, coverage=0.08)
    arms, warnings = choose_arms([solid, dashed, piece], W, None)
    assert _ids(arms) == _ids([solid, dashed]) and warnings == []
    assert np.flatnonzero(np.isfinite(dashed.y))[-1] == 189 and dashed.y[189] == 104.0
    assert np.isnan(dashed.y[122])
    assert dashed.visible[150] and not dashed.visible[123]


@pytest.mark.parametrize("x_start, level", [(170, 104.0), (126, 70.0), (126, 90.0)])
def test_a_piece_that_does_not_continue_an_arm_is_not_joined(x_start, level):
    """It begins too far right of the arm's end, runs along another arm, or begins too far
    below the arm's last level (a drop of at most 0.1 plot widths: 20 px here)."""
    solid = _cand(_step((0, 10.0), (60, 40.0), (150, 70.0)), chromatic=False, rgb=BLACK,
                  coverage=1.0)
    dashed = _cand(np.r_[_step((0, 10.0), (40, 60.0), (90, 60.0))[:120], np.full(W - 120, np.nan)],
                   chromatic=False, rgb=BLACK, rank=1, style="dashed", coverage=0.5)
    piece = _cand(np.full(W - x_start, level), x_start=x_start, chromatic=False, rgb=BLACK,
                  rank=2, coverage=0.08)
    arms, warnings = choose_arms([solid, dashed, piece], W, None)
    assert _ids(arms) == _ids([solid, dashed]) and np.isnan(dashed.y[180])
    assert warnings == []  # under MIN_COVER: no warning either way


def test_asked_for_more_arms_a_line_from_the_arms_start_comes_before_a_median_guide():
    # jco's third colour is grey, drawn dotted: a second curve of the grey ink, below the
    # dashed grey median guide (from the y axis at 0.5, then down) that covers more columns
    a = _cand(_step((0, 10.0), (100, 60.0)), colour_id=1, coverage=1.0)
    b = _cand(_step((0, 10.0), (50, 100.0)), colour_id=2, rgb=BLUE, coverage=0.95)
    guide = _cand(np.full(W, 130.0), colour_id=0, rgb=(67, 87, 87), chromatic=False,
                  style="dashed", coverage=0.54)
    grey = _cand(_step((0, 10.0), (120, 40.0)), colour_id=0, rank=1, rgb=(133, 134, 134),
                 chromatic=False, style="dotted", coverage=0.39)
    arms, _ = choose_arms([a, b, guide, grey], W, 3)
    assert _ids(arms) == _ids([a, b, grey])


def test_confidence_limits_are_dropped_with_a_warning():
    arm = _cand(_step((0, 10.0), (100, 100.0)), coverage=1.0)
    upper = _cand(_step((0, 5.0), (100, 80.0)), rank=1, style="dashed", coverage=0.9)
    lower = _cand(_step((0, 15.0), (100, 120.0)), rank=2, style="dashed", coverage=0.9)
    arms, warnings = choose_arms([arm, upper, lower], W, None)
    assert _ids(arms) == _ids([arm])
    assert warnings == ["ignored 2 dotted/dashed line(s) paired around a curve (confidence limits)"]


def test_a_second_solid_black_curve_of_the_same_look_is_not_an_arm_but_a_dashed_one_is():
    a = _cand(_step((0, 10.0), (100, 60.0)), rgb=BLACK, chromatic=False, coverage=1.0)
    # 6 px below a: beyond the duplicate distance (3.5 px), within the same-look one (9 px)
    near = a.y + 6.0
    solid = _cand(near, rank=1, rgb=BLACK, chromatic=False, coverage=0.9)
    dashed = _cand(near, rank=1, rgb=BLACK, chromatic=False, coverage=0.9, style="dashed")
    assert _ids(choose_arms([a, solid], W, None)[0]) == _ids([a])
    assert _ids(choose_arms([a, dashed], W, None)[0]) == _ids([a, dashed])
    # a solid grey curve (mean RGB 40 or more lighter) is another arm, a dark grey one is not
    grey = _cand(near, rank=1, rgb=(60.0, 60.0, 60.0), chromatic=False, coverage=0.9)
    dark = _cand(near, rank=1, rgb=(59.0, 59.0, 59.0), chromatic=False, coverage=0.9)
    assert _ids(choose_arms([a, grey], W, None)[0]) == _ids([a, grey])
    assert _ids(choose_arms([a, dark], W, None)[0]) == _ids([a])


def test_more_than_six_arms_keeps_six():
    cands = [_cand(_step((0, 10.0), (20 * (k + 1), 30.0 + 20 * k)), colour_id=k,
                   rgb=(30.0 * k, 255.0 - 30.0 * k, 120.0), coverage=1.0 - 0.01 * k) for k in range(7)]
    arms, warnings = choose_arms(cands, W, None)
    assert _ids(arms) == _ids(cands[:6])
    assert warnings == ["more than 6 curves found; kept the 6 longest"]


def test_choose_arms_with_nothing_left_says_so():
    assert choose_arms([], W, None) == ([], ["no curve found in the plot area"])


# --- untangle ----------------------------------------------------------------------------------

def _alpha_line(alpha: np.ndarray, y: int, x0: int, x1: int, value: float = 1.0,
                dash: tuple[int, int] | None = None) -> None:
    """Draw a 2-px horizontal line (rows y-1, y) of coverage ``value``, solid or dashed."""
    xs = np.arange(x0, x1)
    if dash is not None:
        on, off = dash
        xs = xs[(xs % (on + off)) < on]
    alpha[y - 1:y + 1, xs] = value


def test_weakness_is_one_minus_the_mean_coverage_along_the_line():
    alpha = np.zeros((100, W), np.float32)
    _alpha_line(alpha, 20, 0, W)
    _alpha_line(alpha, 50, 0, W, dash=(5, 5))
    _alpha_line(alpha, 80, 0, W, value=0.6)
    cols = np.arange(W)
    assert _weakness(alpha, np.full(W, 19.5), cols, 2.0) == pytest.approx(0.0)
    assert _weakness(alpha, np.full(W, 49.5), cols, 2.0) == pytest.approx(0.5)
    assert _weakness(alpha, np.full(W, 79.5), cols, 2.0) == pytest.approx(0.4, abs=1e-6)


def test_weakness_leaves_out_columns_next_to_a_censor_mark():
    alpha = np.zeros((100, W), np.float32)
    _alpha_line(alpha, 50, 0, W, dash=(5, 5))
    cols = np.arange(W)
    for x in (27, 77, 127, 177):  # '+' marks in the dash gaps: the bar fills 5 gap columns
        alpha[40:60, x] = 1.0
        alpha[49:51, x - 3:x + 4] = 1.0
    # counted, the bars would make the line look more solid: 1 - 120 / 200 = 0.4; the columns
    # within 3 * width + 3 = 9 of a mark are left out: 1 - 60 / 124
    assert _weakness(alpha, np.full(W, 49.5), cols, 2.0) == pytest.approx(1 - 60 / 124)


def _crossing(meet: int):
    """A solid curve that joins a dashed one at ``meet`` (10 columns) and ends below it, and the
    two chains traced the wrong way round after the meeting."""
    alpha = np.zeros((100, W), np.float32)
    _alpha_line(alpha, 50, 0, W, dash=(5, 5))  # the dashed curve, level 50 throughout
    _alpha_line(alpha, 30, 0, meet)  # the solid curve: 30, then along the dashed one, then 70
    alpha[30:50, meet] = 1.0
    _alpha_line(alpha, 50, meet, meet + 10)
    alpha[50:70, meet + 10] = 1.0
    _alpha_line(alpha, 70, meet + 10, W)
    a = _cand(_step((0, 29.5), (meet, 49.5)), rgb=BLACK, chromatic=False)  # takes the dashed after
    b = _cand(_step((0, 49.5), (meet + 10, 69.5)), rank=1, rgb=BLACK, chromatic=False)
    return alpha, a, b


def test_untangle_swaps_back_the_stretch_a_chain_took_from_the_other_curve():
    alpha, a, b = _crossing(125)
    untangle([a, b], alpha)
    # the longer stretch (0-125) fixes which chain is the solid one; after the meeting the
    # chains are swapped: a follows the solid curve down to 70, b stays on the dashed one
    assert a.y[10] == 29.5 and a.y[130] == 49.5 and a.y[150] == 69.5 and a.y[-1] == 69.5
    assert b.y[10] == 49.5 and b.y[150] == 49.5 and b.y[-1] == 49.5
    assert a.x_start == 0 and len(a.y) == W and a.coverage == pytest.approx(1.0)


def test_untangle_leaves_chains_that_do_not_switch_curves():
    alpha, a, b = _crossing(125)
    a.y[135:], b.y[135:] = 69.5, 49.5  # already right
    ya, yb = a.y.copy(), b.y.copy()
    untangle([a, b], alpha)
    assert np.array_equal(a.y, ya) and np.array_equal(b.y, yb)


def test_untangle_needs_a_clear_difference_in_look():
    alpha, a, b = _crossing(125)
    alpha[alpha > 0] = 1.0
    _alpha_line(alpha, 50, 0, W)  # the dashed curve drawn solid: two lines of one look
    ya, yb = a.y.copy(), b.y.copy()
    untangle([a, b], alpha)
    assert np.array_equal(a.y, ya) and np.array_equal(b.y, yb)


def test_untangle_ignores_stretches_shorter_than_min_len():
    alpha, a, b = _crossing(125)
    # the chains part only for 10 columns before the meeting: too short to judge
    a.y[:115], b.y[:115] = 49.5, 49.5
    ya, yb = a.y.copy(), b.y.copy()
    untangle([a, b], alpha, min_len=12)
    assert np.array_equal(a.y, ya) and np.array_equal(b.y, yb)


def test_a_wide_saturated_colour_is_a_band_only_beside_a_thin_line_of_its_hue():
    # a thick navy line crowded with marks is wide but the only ink of its hue: a line. A dark
    # red area beside a thin red line (the line over its band) is the band.
    from kmipd.digitize.curves.colours import InkColour, classify_colours
    from kmipd.digitize.curves.ink import to_lab

    def ink(rgb):
        return InkColour(np.array(rgb, float), to_lab(np.array([rgb], np.uint8))[0], True)

    labels = np.full((120, 300), -1)
    labels[10:22, 20:280] = 0  # navy: 12 px tall everywhere (a 3 px line under 12 px marks)
    labels[60:61, 20:280] = 1  # the thin red line
    labels[70:100, 20:280] = 2  # a dark red area
    colours = [ink((0, 58, 125)), ink((238, 9, 0)), ink((185, 11, 26))]
    classify_colours(labels, colours, 1.5)
    assert [c.kind for c in colours] == ["line", "line", "band"]


def test_a_light_colour_at_full_strength_is_a_line_its_paper_mix_a_band():
    # JCO's gold (L 75) crowded with marks survives the opening as a band does, but mixing a
    # colour with the paper takes its chroma down: the same gold at 40% over white is the band
    from kmipd.digitize.curves.colours import InkColour, classify_colours
    from kmipd.digitize.curves.ink import to_lab

    def ink(rgb):
        return InkColour(np.array(rgb, float), to_lab(np.array([rgb], np.uint8))[0], True)

    labels = np.full((120, 300), -1)
    labels[10:22, 20:280] = 0  # the gold line under its crowded marks
    labels[60:90, 20:280] = 1  # a wide area of gold mixed with the paper
    gold = np.array([222, 180, 0])
    colours = [ink(gold), ink(np.round(0.4 * gold + 0.6 * 255).astype(int))]
    classify_colours(labels, colours, 1.5)
    assert [c.kind for c in colours] == ["line", "band"]


def test_a_line_colour_that_took_in_its_bands_pale_pixels_stays_a_line():
    # a red line over its own band, the band's pale pixels labelled red at low coverage, beside
    # a dark red seam (a thin line of the same hue): by its pixels the red is wide and was taken
    # for a band, and the arm was lost. Where it is strong (fully covered) it is a thin line.
    from kmipd.digitize.curves.colours import InkColour, classify_colours
    from kmipd.digitize.curves.ink import to_lab

    def ink(rgb):
        return InkColour(np.array(rgb, float), to_lab(np.array([rgb], np.uint8))[0], True)

    labels = np.full((120, 300), -1)
    labels[42:58, 20:280] = 0  # the band's pale pixels, labelled red
    labels[49:52, 20:280] = 0  # the red line itself, over its band
    labels[90:91, 20:280] = 1  # a thin dark red line
    strong = np.zeros(labels.shape, bool)
    strong[49:52, 20:280] = True
    strong[90:91, 20:280] = True
    colours = [ink((229, 78, 109)), ink((87, 32, 36))]
    classify_colours(labels, colours, 1.5)
    assert colours[0].kind == "band"  # by all its pixels
    colours = [ink((229, 78, 109)), ink((87, 32, 36))]
    classify_colours(labels, colours, 1.5, strong=strong)
    assert [c.kind for c in colours] == ["line", "line"]


# --- censor: thickness and tick groups ---------------------------------------------------------

def _flat_line_with_ticks(ticks: list[int], thickness: int = 2, tick_half: int = 7) -> Runs:
    """Column runs of a flat line at y=50 over ``W`` columns with '|' ticks at ``ticks``."""
    x, top, bottom = [], [], []
    lo, hi = 50 - thickness // 2, 50 - thickness // 2 + thickness - 1
    for c in range(W):
        x.append(c)
        top.append(50 - tick_half if c in ticks else lo)
        bottom.append(50 + tick_half if c in ticks else hi)
    x, top, bottom = (np.array(v) for v in (x, top, bottom))
    length = (bottom - top + 1).astype(float)
    return Runs(x, top, bottom, 0.5 * (top + bottom), length, np.ones(W))


def test_stroke_thickness_is_the_flat_line_not_the_width_the_tracer_chose():
    ticks = list(range(10, W, 6))  # a heavily censored curve: a third of its columns are ticks
    runs = _flat_line_with_ticks(ticks)
    level = np.full(W, 50.0)
    assert stroke_thickness(runs, 0, level, 8.0) == pytest.approx(2.0, abs=0.3)
    # with the tracer's 8 px the ticks (7 px either side) would not reach past the line
    marks = find_censor_marks(runs, 0, level, 8.0)
    assert len(marks) == len(ticks)
    assert np.allclose(np.sort(marks[:, 0]), ticks)
    # too few flat columns to measure: the width given is kept
    assert stroke_thickness(runs, 0, np.linspace(20, 180, W), 8.0) == 8.0


@pytest.mark.parametrize("group, ticks", [(2.0, 1), (2.9, 1), (3.0, 2), (4.0, 3), (8.0, 7)])
def test_touching_ticks_are_counted_as_overlapping_by_half(group, ticks):
    assert _ticks_in_group(group, 2.0) == ticks


def test_a_tick_across_two_arms_of_one_ink_goes_to_the_arm_it_is_centred_on():
    # solid arm at y=50, dashed arm of the same black at y=54; a tick 42..58 is centred on 50
    xs = np.arange(W)
    top = np.full(W, 49)
    bottom = np.full(W, 55)  # the two lines touch: one run per column
    top[100], bottom[100] = 42, 58
    length = (bottom - top + 1).astype(float)
    runs = Runs(xs, top, bottom, 0.5 * (top + bottom), length, np.ones(W))
    solid = np.full(W, 50.0)
    dashed = np.full(W, 54.0)
    # the band of both lines is no tick when the other arm is known; the tick is seen by both
    a = find_censor_marks(runs, 0, solid, 2.0, others=[dashed])
    b = find_censor_marks(runs, 0, dashed, 2.0, others=[solid])
    assert a[:, 0].tolist() == [100.0] and b[:, 0].tolist() == [100.0]
    kept = drop_shared_ticks([a, b], [runs, runs], [0, 0])
    assert len(kept[0]) == 1 and len(kept[1]) == 0
    # arms of two colours never share a stroke: both keep theirs
    kept = drop_shared_ticks([a, b], [runs, runs], [0, 1])
    assert len(kept[0]) == 1 and len(kept[1]) == 1


# --- one ink, solid and dashed arms ------------------------------------------------------------

def _solid_and_dashed() -> np.ndarray:
    """A solid curve that drops early (40 -> 100 at column 80) and a dashed one above it that
    drops later (30 -> 60 at column 120): after column 120 the solid curve is the lower one."""
    alpha = np.zeros((120, W), np.float32)
    _alpha_line(alpha, 40, 0, 80)
    alpha[40:100, 80:82] = 1.0
    _alpha_line(alpha, 100, 80, W)
    _alpha_line(alpha, 30, 0, 120, dash=(5, 5))
    _alpha_line(alpha, 60, 120, W, dash=(5, 5))
    return alpha


def test_dash_pieces_are_the_short_pieces_of_ink_and_only_when_they_make_a_curve():
    from kmipd.digitize.curves.dashes import dash_pieces

    alpha = _solid_and_dashed()
    dashes = dash_pieces(alpha, 2.0)
    assert dashes is not None
    assert dashes[29, 0:5].all() and dashes[59, 120:125].all()  # dashes
    assert not dashes[39, :80].any() and not dashes[99, 80:].any()  # the solid curve
    # crowded censor ticks join dashes into a piece longer than a dash (10 * 2 + 6 px), but far
    # shorter than the solid curve (under 0.15 of its 200 px): still dashes
    alpha[25:34, 20:47] = 1.0
    dashes = dash_pieces(alpha, 2.0)
    assert dashes[25:34, 20:47].all() and not dashes[39, :80].any()
    # a solid curve and a few specks (censor marks, text scraps): no dashed curve to tell apart
    alpha = np.zeros((120, W), np.float32)
    _alpha_line(alpha, 40, 0, W)
    alpha[70:72, [20, 90, 160]] = 1.0
    assert dash_pieces(alpha, 2.0) is None


def test_untangle_swaps_chains_that_cross_without_touching():
    """The chains hop between the curves at column 120 and change sides there, never coming
    within a few pixels of each other: the crossing ends a stretch as a touching point does."""
    from kmipd.digitize.curves.dashes import dash_pieces

    alpha = _solid_and_dashed()
    for dashes in (None, dash_pieces(alpha, 2.0)):
        a = _cand(_step((0, 29.5), (120, 99.5)), rgb=BLACK, chromatic=False)  # dashed, then solid
        b = _cand(_step((0, 39.5), (120, 59.5)), rank=1, rgb=BLACK, chromatic=False)
        untangle([a, b], alpha, dashes=dashes)
        # each chain keeps to one curve (the longer, clearer stretch says which)
        solid, dashed = (a, b) if a.y[50] == 39.5 else (b, a)
        assert (solid.y[50], solid.y[150]) == (39.5, 99.5)
        assert (dashed.y[50], dashed.y[150]) == (29.5, 59.5)


def test_a_chain_pays_to_switch_from_dashes_to_an_unbroken_line():
    from kmipd.digitize.curves.trace import Segment, best_chain

    def seg(x0, x1, y, dash):
        return Segment(np.arange(x0, x1), np.full(x1 - x0, float(y)), dash=dash)

    # after a dashed piece: a longer unbroken piece and a shorter dashed one, a pixel apart
    segs = [seg(0, 50, 10, True), seg(50, 100, 11, False), seg(50, 95, 12, True)]
    cs = np.zeros((31, 100), np.int32)
    assert best_chain(segs, 2.0, cs) == [0, 1]
    assert best_chain(segs, 2.0, cs, kind_cost=20.0) == [0, 2]


def test_scraps_of_a_steep_staircase_a_step_aside_are_a_duplicate():
    # the staircase falls 4 px every 4 columns; the scraps follow it 3 columns to the right,
    # up to a step (4 px) off in the same column, within the line's width of it nearby
    stairs = 20.0 + 4 * (np.arange(W) // 4)
    curve = _cand(stairs, rgb=BLACK, chromatic=False)
    scraps = _cand(np.r_[np.full(3, np.nan), stairs[:-3]], rank=1, rgb=BLACK, chromatic=False)
    assert np.abs(curve.y[3:] - scraps.y[3:]).max() == 4.0
    assert _duplicate(scraps, [curve])
    apart = _cand(stairs + 12, rank=1, rgb=BLACK, chromatic=False)  # another arm 12 px below
    assert not _duplicate(apart, [curve])


def test_black_lines_taken_for_confidence_limits_are_arms_when_more_arms_are_asked_for():
    from kmipd.digitize.arm_count import arms_the_table_asks_for

    def three(rgb, chromatic):
        arm = _cand(_step((0, 10.0), (100, 100.0)), rgb=rgb, chromatic=chromatic, coverage=1.0)
        upper = _cand(_step((0, 5.0), (100, 80.0)), rank=1, rgb=rgb, chromatic=chromatic,
                      style="dashed", coverage=0.9)
        lower = _cand(_step((0, 15.0), (100, 120.0)), rank=2, rgb=rgb, chromatic=chromatic,
                      style="dashed", coverage=0.8)
        return arm, upper, lower

    arm, upper, lower = three(BLACK, False)
    arms, warnings = choose_arms([arm, upper, lower], W, None)
    assert _ids(arms) == _ids([arm]) and "black or grey" in warnings[0]
    # a table of two rows asks for one more arm: the longer black "limit" is taken back
    assert arms_the_table_asks_for(1, 2, warnings) == 2
    arms, _ = choose_arms([arm, upper, lower], W, 2)
    assert _ids(arms) == _ids([arm, upper]) and upper.confidence == 0.5
    # coloured limits stay limits: a table row left over is more likely misread
    arm, upper, lower = three(RED, True)
    arms, warnings = choose_arms([arm, upper, lower], W, None)
    assert arms_the_table_asks_for(1, 2, warnings) is None
    assert _ids(choose_arms([arm, upper, lower], W, 2)[0]) == _ids([arm])


# --- tails: line ink past the traces' end -------------------------------------------------------

def test_line_ink_past_where_the_trace_ends_is_a_curve_traced_in_part():
    from kmipd.digitize.curves.tails import untraced_tails
    from kmipd.digitize.curves.trace import column_runs

    alpha = np.zeros((120, W), np.float32)
    alpha[20:22, :100] = 1.0  # the traced part of the curve ...
    alpha[22:40, 99:101] = 1.0
    alpha[39:41, 100:170] = 1.0  # ... and its rest, lost by the tracing
    runs = column_runs(alpha)
    traced = _cand(np.full(100, 20.5), runs=runs)
    got = untraced_tails([traced], W)
    assert len(got) == 1 and got[0].startswith("unsure:") and "(200, 30, 30)" in got[0]
    assert untraced_tails([_cand(_step((0, 20.5), (100, 39.5))[:170], runs=runs)], W) == []
    # a label in the arm's colour at the curve's end: letters, no long flat piece
    alpha[39:41, 100:170] = 0.0
    for x in range(105, 175, 7):
        alpha[30:40, x:x + 2] = 1.0  # the letters' stems ...
        alpha[30:32, x:x + 5] = 1.0  # ... and their bars
    assert untraced_tails([_cand(np.full(100, 20.5), runs=column_runs(alpha))], W) == []


def test_legend_choice_of_lines_is_weighed_against_the_tracings():
    from kmipd.digitize.arm_count import legend_choice_stands

    # the reading with fewer doubts (besides the arm count both carry) wins
    assert not legend_choice_stands(["arm_count", "table_order", "jump"], ["table_order"], True)
    assert legend_choice_stands(["arm_count"], ["table_curve"], False)
    # a tie: a coloured legend's keys tell; black keys paired by dash pattern tell less
    assert legend_choice_stands(["arm_count", "jump"], ["jump"], True)
    assert not legend_choice_stands(["arm_count", "jump"], ["jump"], False)


def test_a_speck_past_the_final_drop_is_not_the_curve_s_end():
    """An arm drops to the bottom at column 120, crossing another curve; a 2-px speck of its
    colour lies 30 columns on (on the other curve's censor mark). The chain that bridged on to
    the speck ends at the drop instead, and the drop is found; with no stroke down from where
    the ink stops showing, the late piece is the arm's own (seen again after hiding) and stays."""
    from kmipd.digitize.curves.linestyle import _with_final_drop, _without_stray_end

    alpha = np.zeros((100, W), np.float32)
    alpha[29:32, :121] = 1.0  # the line at row 30
    alpha[29:92, 119:122] = 1.0  # its final drop, down to row 90
    alpha[29:32, 150:152] = 1.0  # the speck
    y = np.full(152, np.nan)
    y[:121], y[150:] = 30.0, 30.0
    vis = np.isfinite(y)
    cut_y, cut_vis = _without_stray_end(alpha, 0, y, vis, 2.0)
    assert len(cut_y) == 121 and cut_vis[-1]
    end_y, _ = _with_final_drop(alpha, 0, cut_y, cut_vis, 2.0)
    assert len(end_y) <= 122 and end_y[-1] > 85  # it ends with the drop to the bottom
    alpha[33:92, 119:122] = 0.0  # no stroke down: hidden under another curve, seen again
    same_y, same_vis = _without_stray_end(alpha, 0, y, vis, 2.0)
    assert len(same_y) == 152 and same_vis[-1]


def test_a_trace_that_goes_on_along_another_arm_s_line_changes_shade():
    """Grey figures tell arms apart by shade: a trace along its own light-grey line keeps its
    shade; one that dropped onto the black arm's line for its last third changes by ~140 of
    255 and is doubted. A dotted black line keeps its shade (its gaps are paper)."""
    from kmipd.digitize.curve_checks import check_shade
    from kmipd.digitize.curves.shade import shade_change

    grey = np.full((200, 300), 255.0)
    grey[49:52, 0:300] = 140.0  # the light-grey arm at row 50
    grey[149:152, 0:300] = 0.0  # the black arm at row 150
    own = np.array([[0.0, 50.0], [299.0, 50.0]])
    hopped = np.array([[0.0, 50.0], [200.0, 50.0], [200.0, 150.0], [299.0, 150.0]])
    assert shade_change(grey, own) == pytest.approx(0.0)
    assert shade_change(grey, hopped) == pytest.approx(140.0)
    dotted = np.full((200, 300), 255.0)
    for x in range(0, 300, 6):
        dotted[99:102, x:x + 2] = 0.0
    assert shade_change(dotted, np.array([[0.0, 100.0], [299.0, 100.0]])) < 10
    assert [d.code for d in check_shade("A", shade_change(grey, hopped))] == ["shade"]
    assert check_shade("A", 30.0) == [] and check_shade("A", float("nan")) == []


def test_pale_ink_of_a_line_s_colour_away_from_its_core_is_dropped_over_its_band():
    """A white grid line under a translucent band mixes to the line's hue at about the band's
    strength: such pixels away from the line are dropped, the line's own rims are kept."""
    from kmipd.digitize.curves.band_ink import without_pale_ink_off_the_line

    a = np.zeros((40, 60), np.float32)
    a[10, :] = 1.0                  # the line's core
    a[9, :] = a[11, :] = 0.35       # its anti-aliased rims
    a[30, :] = 0.38                 # a grid line seen through the band, 19 px below
    out = without_pale_ink_off_the_line(a, band=0.4)
    assert (out[9:12] == a[9:12]).all()
    assert not out[30].any()
    assert (without_pale_ink_off_the_line(np.where(a == 0.38, 0.8, a), band=0.4)[30] == 0.8).all()


@pytest.mark.parametrize("fall", [3.5, 5.0])
def test_a_steep_blurred_staircase_is_traced_from_its_start(fall):
    # a bold line falling steeply at first (its column runs taller than the line is thick,
    # blurred), then in sparse steps: the trace must not begin only where the curve flattens.
    # 3.5 px a step: the runs make a second width, tried too; 5 px: no second width, the
    # slanted runs are taken as crossings of the line
    import cv2

    from kmipd.digitize.curves.colours import InkColour
    from kmipd.digitize.curves.linestyle import chains_of_colour

    h, w = 700, 600
    pts = []
    y = 10.0
    for x in range(0, w, 2):
        pts += [(x, int(y)), (x + 2, int(y))]
        y += fall if x < 200 else (12.0 if x % 40 == 0 else 0.0)
    canvas = np.zeros((h, w), np.uint8)
    cv2.polylines(canvas, [np.array(pts, np.int32)], False, 255, thickness=5)
    alpha = cv2.GaussianBlur(canvas, (0, 0), 0.8).astype(np.float32) / 255.0
    yellow = InkColour(rgb=np.array([232.0, 192.0, 3.0]), lab=np.zeros(3), chromatic=True)
    region = np.full((h, w, 3), 255, np.uint8)
    region[alpha > 0.5] = (232, 192, 3)
    found = chains_of_colour(alpha, yellow, region)
    assert found and found[0].x_start < 0.05 * w
    assert found[0].visible.sum() > 0.6 * w


def test_slanted_runs_are_a_steep_line_not_a_riser_nor_a_tick():
    import cv2

    from kmipd.digitize.curves.trace import column_runs, slanted_runs

    canvas = np.zeros((200, 120), np.uint8)
    cv2.line(canvas, (0, 10), (40, 110), 255, thickness=5)  # 2.5 px a column
    cv2.line(canvas, (40, 110), (80, 110), 255, thickness=5)
    cv2.line(canvas, (80, 110), (80, 160), 255, thickness=5)  # a drop's riser
    cv2.line(canvas, (80, 160), (119, 160), 255, thickness=5)
    canvas[150:171, 100:102] = 255  # a censor tick across the flat line
    runs = column_runs(canvas.astype(np.float32) / 255.0)
    got = slanted_runs(runs, 5.0)
    assert got[(runs.x >= 5) & (runs.x <= 35)].mean() > 0.8
    assert not got[runs.x >= 60].any()


def test_an_arm_hidden_at_the_start_runs_under_the_steeper_arm_until_that_one_passes_it():
    from kmipd.digitize.curves.arms import _fill_hidden

    w = 60
    steep = np.r_[np.linspace(10.0, 100.0, 11), np.full(w - 11, 100.0)]  # falls past 50 at x = 4.4
    hidden = np.full(w, np.nan)
    hidden[15:] = 50.0  # shows up only at x = 15, above the steep arm by then
    y, x0 = _fill_hidden(hidden, 15, 0, 2.0, [steep])
    assert x0 == 0  # both start at time 0
    assert y[0] == pytest.approx(10.0) and y[3] == pytest.approx(steep[3])
    assert np.all(y[5:15] == 50.0)  # on at its own level once the steep arm fell past it


def test_an_arm_hidden_at_the_start_runs_under_the_nearest_curve_above_not_the_top_one():
    # three arms traced from the start; a fourth shows up only at x = 40, just under the lowest
    # of them: it ran under that one (the top arm is far above: no drop across empty paper)
    from kmipd.digitize.curves.arms import _fill_hidden

    w = 80
    x = np.arange(w, dtype=float)
    top, middle, low = 10 + 0.5 * x, 10 + 1.5 * x, 10 + 2.0 * x  # levels (px, down = lower)
    hidden = np.full(w, np.nan)
    hidden[40:] = low[40:] + 3  # shows up 3 px under the lowest arm
    y, x0 = _fill_hidden(hidden, 40, 0, 2.0, [top, middle, low])
    assert x0 == 0
    assert np.allclose(y[5:40], low[5:40])  # along the nearest curve, not the top one
    assert np.all(np.diff(y[:45]) >= 0)


def test_an_arm_hidden_at_the_start_does_not_run_under_a_curve_just_below_it():
    # larynx: Stage II's riser shows under the top lines; Stage IV, which fell earlier, is a few
    # pixels below its first level (within the tolerance) and must not be taken to carry it
    from kmipd.digitize.curves.arms import _fill_hidden

    w = 60
    top = np.full(w, 10.0)
    below = np.r_[np.full(10, 10.0), np.full(w - 10, 55.0)]  # fell at x = 10, 5 px below
    hidden = np.full(w, np.nan)
    hidden[40:] = 50.0
    y, x0 = _fill_hidden(hidden, 40, 0, 2.0, [top, below])
    assert x0 == 0 and np.all(y[:40] == 10.0)


def test_an_arm_whose_line_shows_late_is_doubted_for_its_guessed_start():
    from kmipd.digitize.curve_checks import check_hidden_start

    got = check_hidden_start("Arm D", 0.39)
    assert [d.code for d in got] == ["hidden_start"] and "39%" in got[0].message
    assert check_hidden_start("Arm D", 0.05) == []  # two arms that coincide for a while


def test_grey_band_ink_is_the_band_not_the_lines_over_it_nor_crowded_marks():
    # a black arm's confidence band (black at low opacity: mid grey) behind a thin dark line,
    # and a grey arm whose crowded censor marks fill a strip as tall as a mark
    from kmipd.digitize.curves.band_ink import grey_band_ink
    from kmipd.digitize.curves.ink import ink_masks, to_lab

    img = np.full((600, 800, 3), 255, np.uint8)
    img[200:320, 100:700] = 130  # the band
    img[259:261, 100:700] = 60  # a thin anti-aliased black line over it: dark, not black
    img[100:102, 50:750] = 0  # a black line elsewhere: the lines' core
    img[450:452, 50:750] = 89  # a grey arm ...
    img[440:462, 500:650] = 89  # ... with crowded marks at its end (22 px tall)
    lab = to_lab(img)
    _, dark = ink_masks(lab, to_lab(np.array([[255, 255, 255]], np.uint8))[0])
    band = grey_band_ink(lab[..., 0], dark)
    assert band[210:250, 150:650].all() and band[270:310, 150:650].all()
    assert not band[259:261, 100:700].any()  # the line over the band stays
    assert not band[440:462].any()  # the grey arm's marks stay
    assert not band[100:102].any()


def _tail_scene():
    """An upper curve whose end is a band of crowded marks, and a lower curve; the upper
    curve's trace leapt (no riser) onto the lower curve's end."""
    from kmipd.digitize.curves.trace import column_runs

    alpha = np.zeros((200, 260), np.float32)
    alpha[49:52, 0:200] = 1.0  # the upper line, 3 px thick, on to x = 199
    for x in range(150, 200, 3):
        alpha[43:58, x] = 1.0  # crowded '|' marks on its last stretch
    alpha[119:122, 0:210] = 1.0  # the lower line
    runs = column_runs(alpha)
    upper = np.full(200, 50.0)
    upper[158:] = 120.0  # leapt down at x = 158 and ran on along the lower line
    lower = np.full(150, 120.0)  # the lower curve's trace stops at x = 149
    return alpha, *(Candidate(0, 0, (0.0, 0.0, 0.0), False, 0, y, np.isfinite(y), 3.0, runs)
                    for y in (upper, lower))


def test_a_trace_that_leapt_off_its_marked_end_onto_a_lower_line_gets_its_end_back():
    from kmipd.digitize.curves.tails import reclaim_tail

    alpha, upper, lower = _tail_scene()
    reclaim_tail(upper, [lower], 260, 200)
    assert np.allclose(upper.y, 50.0, atol=1.0)
    assert upper.x_start + len(upper.y) - 1 >= 197  # on to the end of its own ink


def test_a_trace_that_falls_along_a_riser_keeps_its_end():
    from kmipd.digitize.curves.tails import reclaim_tail
    from kmipd.digitize.curves.trace import column_runs

    alpha, upper, lower = _tail_scene()
    alpha[50:121, 157:160] = 1.0  # a real drop at x = 158
    upper.runs = lower.runs = column_runs(alpha)
    before = upper.y.copy()
    reclaim_tail(upper, [lower], 260, 200)
    assert np.array_equal(upper.y, before)


def test_a_trace_whose_upper_ink_is_another_arms_keeps_its_end():
    from kmipd.digitize.curves.tails import reclaim_tail

    alpha, upper, lower = _tail_scene()
    other = Candidate(0, 1, (0.0, 0.0, 0.0), False, 140, np.full(60, 50.0), np.ones(60, bool),
                      3.0, upper.runs)  # a third curve traced along the upper ink's end
    before = upper.y.copy()
    reclaim_tail(upper, [lower, other], 260, 200)
    assert np.array_equal(upper.y, before)


def test_a_speck_below_a_curves_end_is_not_its_end():
    from kmipd.digitize.curves.tails import reclaim_tail
    from kmipd.digitize.curves.trace import column_runs

    alpha = np.zeros((200, 260), np.float32)
    alpha[49:52, 0:150] = 1.0  # a curve censored flat at its end, x = 149
    alpha[88:91, 175] = 1.0  # a speck 38 px below, 26 columns on
    y = np.r_[np.full(150, 50.0), np.full(25, np.nan), 89.0]
    c = Candidate(0, 0, (0.0, 0.0, 0.0), False, 0, y, np.isfinite(y), 3.0, column_runs(alpha))
    reclaim_tail(c, [], 260, 200)
    assert len(c.y) == 150 and np.all(c.y == 50.0)


def test_a_last_drop_to_zero_partly_hidden_is_kept():
    # the riser of a final drop to 0 shows in part (other curves' ink hides the rest)
    from kmipd.digitize.curves.tails import reclaim_tail
    from kmipd.digitize.curves.trace import column_runs

    alpha = np.zeros((200, 260), np.float32)
    alpha[49:52, 0:150] = 1.0
    alpha[52:100, 149:151] = 1.0  # the riser's upper half
    alpha[160:163, 150] = 1.0  # its foot at survival 0
    y = np.r_[np.full(150, 50.0), 161.0]
    c = Candidate(0, 0, (0.0, 0.0, 0.0), False, 0, y, np.isfinite(y), 3.0, column_runs(alpha))
    reclaim_tail(c, [], 260, 200)
    assert len(c.y) == 151 and c.y[-1] == 161.0
