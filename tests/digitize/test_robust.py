"""Second-pass fixes of the digitize stage: plausible OCR text, final drops, same-colour arms
that cross, hidden starts, and failures that must never surface as a traceback.

Synthetic figures drawn with OpenCV (no matplotlib layout involved), so each test pins one
behaviour.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kmipd.digitize import plausible_text, text_boxes_inside
from kmipd.digitize.curves.arms import extract_arms
from kmipd.digitize.curves.profile import final_drop
from kmipd.digitize.curves.trace import column_runs
from kmipd.digitize.result import PlotBox
from kmipd.digitize.text.ocr import OcrWord
from kmipd.errors import KmipdError


def _canvas(h=300, w=500):
    img = np.full((h, w, 3), 255, np.uint8)
    cv2.line(img, (40, 10), (40, 260), (0, 0, 0), 2)  # y axis
    cv2.line(img, (40, 260), (w - 10, 260), (0, 0, 0), 2)  # x axis
    return img, PlotBox(40, 10, w - 10, 260)


def _level(arm, x):
    s = arm.steps_px
    return s[np.clip(np.searchsorted(s[:, 0], x, side="right") - 1, 0, None), 1]


@pytest.mark.parametrize("text, score, keep", [
    ("Placebo", 1.0, True), ("p = 0.003", 0.95, True), ("p=", 0.99, True), ("A", 1.0, True),
    ("Hormone", 0.55, True), ("1·09-1-68);", 0.52, True), ("(95%", 0.79, True),
    ("HItH", 0.70, False), ("111", 0.65, False), ("EE", 0.36, False), ("H", 0.80, False),
    ("十", 0.89, False), ("王", 0.64, False), ("+", 0.86, False), ("--", 0.88, False),
    ("-+-", 1.0, False), ("2", 1.0, False), ("48", 0.86, True),
    # a stratum label at a curve's end, its drop read as a leading "l"
    ("larm=Wild", 0.68, True), ("rx=Obs", 0.6, True), ("=1", 0.6, False),
])
def test_plausible_text(text, score, keep):
    """Censor ticks and crossings read as glyphs are not text; real labels are."""
    assert plausible_text(text, score) is keep


def test_spurious_word_over_a_curve_is_not_blanked():
    box = PlotBox(40, 10, 490, 260)
    words = [OcrWord("HItH", 0.70, 300, 40, 380, 90), OcrWord("Drug", 0.99, 100, 200, 140, 215)]
    assert text_boxes_inside(words, box) == [(100, 200, 140, 215)]


def test_final_drop_to_zero_is_kept():
    """The last patient's event: the curve ends with a drop to the x axis."""
    img, box = _canvas()
    pts = np.array([[42, 30], [200, 30], [200, 120], [380, 120], [380, 259]])
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, (200, 30, 30), 2, cv2.LINE_AA)
    arms, _ = extract_arms(img, box)
    assert len(arms) == 1
    assert _level(arms[0], 300) == pytest.approx(120, abs=1.0)
    assert arms[0].steps_px[-1, 1] >= 250  # ends at (about) survival 0
    drop_x = arms[0].steps_px[np.argmax(arms[0].steps_px[:, 1] > 200), 0]
    assert drop_x == pytest.approx(380, abs=1.5)


def test_final_drop_to_zero_runs_on_under_text():
    """An annotation at the foot of the plot over the last drop: text is blanked before tracing,
    and the drop goes on below it to the x axis."""
    img, box = _canvas()
    pts = np.array([[42, 30], [200, 30], [200, 120], [380, 120], [380, 259]])
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, (200, 30, 30), 2, cv2.LINE_AA)
    text = (330, 215, 470, 240)
    cv2.putText(img, "p = 0.001", (335, 235), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
    arms, _ = extract_arms(img, box, exclude_boxes=[text])
    assert len(arms) == 1
    assert arms[0].steps_px[-1, 1] >= 250  # not the text's upper edge (215)
    # a drop that ends above the text stays where it ends
    img, box = _canvas()
    pts = np.array([[42, 30], [200, 30], [200, 120], [380, 120], [380, 180]])
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, (200, 30, 30), 2, cv2.LINE_AA)
    cv2.putText(img, "p = 0.001", (335, 235), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
    arms, _ = extract_arms(img, box, exclude_boxes=[text])
    assert arms[0].steps_px[-1, 1] == pytest.approx(180, abs=2)
    # a label at the curve's end, centred on it: its box takes in the drop's foot
    img, box = _canvas()
    pts = np.array([[42, 30], [200, 30], [200, 120], [380, 120], [380, 250]])
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, (200, 30, 30), 2, cv2.LINE_AA)
    cv2.putText(img, "lArm B", (378, 257), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (200, 30, 30), 1)
    arms, _ = extract_arms(img, box, exclude_boxes=[(377, 238, 460, 262)])
    assert arms[0].steps_px[-1, 1] == pytest.approx(250, abs=3)  # not the box's top (238)


def test_final_censor_tick_is_not_a_drop():
    alpha = np.zeros((100, 60), np.float32)
    alpha[40:42, 5:50] = 1.0  # the line
    alpha[34:48, 49:51] = 1.0  # a censor tick as far above the line as below
    assert final_drop(alpha, 49, 40.5, 2.0) is None
    alpha[40:95, 52:54] = 1.0  # a real drop from the line's level
    xd, level = final_drop(alpha, 51, 40.5, 2.0)
    assert xd == pytest.approx(52.5, abs=0.6) and level == pytest.approx(94, abs=1.5)


def test_dotted_final_drop_is_followed_dot_by_dot():
    alpha = np.zeros((100, 60), np.float32)
    alpha[40:43, 5:52] = 1.0  # a dotted curve's last level (thick, as a JPEG blurs it)
    alpha[55:58, 5:59] = 1.0  # ... and another curve's level below its censored end: no drop
    assert final_drop(alpha, 50, 41.0, 3.0) is None
    alpha[55:58, 5:59] = 0.0
    for y in range(47, 90, 7):  # the final drop, dotted: 3 px dots every 7 px
        alpha[y:y + 3, 49:52] = 1.0
    xd, level = final_drop(alpha, 50, 41.0, 3.0)
    assert xd == pytest.approx(50, abs=0.6) and level == pytest.approx(89.5, abs=2)


def test_crossing_black_arms_keep_their_line_styles():
    """A solid and a dashed black arm that cross: each keeps its own line after the crossing."""
    img, box = _canvas()
    solid = np.array([[42, 30], [150, 30], [150, 60], [300, 60], [300, 80], [480, 80]])
    cv2.polylines(img, [solid.reshape(-1, 1, 2)], False, (0, 0, 0), 2, cv2.LINE_AA)
    dashed = [(42, 30), (100, 30), (100, 45), (250, 45), (250, 140), (480, 140)]
    for (xa, ya), (xb, yb) in zip(dashed[:-1], dashed[1:]):
        n = max(abs(xb - xa), abs(yb - ya)) // 6
        for k in range(0, n, 2):  # 6-px dashes, 6-px gaps
            p0 = (xa + (xb - xa) * k // n, ya + (yb - ya) * k // n)
            p1 = (xa + (xb - xa) * (k + 1) // n, ya + (yb - ya) * (k + 1) // n)
            cv2.line(img, p0, p1, (0, 0, 0), 2, cv2.LINE_AA)
    arms, _ = extract_arms(img, box)
    assert len(arms) == 2
    by_style = {a.line_style: a for a in arms}
    assert set(by_style) == {"solid", "dashed"}
    assert _level(by_style["solid"], 400) == pytest.approx(80, abs=1.5)
    assert _level(by_style["dashed"], 400) == pytest.approx(140, abs=1.5)
    assert _level(by_style["dashed"], 200) == pytest.approx(45, abs=1.5)


def test_column_runs_odd_inputs():
    for a in (np.zeros((0, 5)), np.full((4, 4), np.nan), np.ones((1, 7)), np.ones((6, 1))):
        runs = column_runs(a)
        assert len(runs.x) == len(runs.mass) == len(runs.peak)


def test_a_failing_stage_is_a_kmipd_error_or_a_warning(monkeypatch):
    from kmipd.digitize import digitize
    from kmipd.digitize.curves import arms as cv

    img, _ = _canvas()
    cv2.polylines(img, [np.array([[42, 30], [200, 30], [200, 120], [480, 120]]).reshape(-1, 1, 2)],
                  False, (200, 30, 30), 2, cv2.LINE_AA)

    def boom(*args, **kwargs):
        raise IndexError("index 7 is out of bounds")

    monkeypatch.setattr(cv, "extract_arms", boom)
    with pytest.raises(KmipdError, match="curve tracing failed"):
        digitize(img, x_range=(0, 10), y_range=(0, 1))
    monkeypatch.undo()
    monkeypatch.setattr(cv.linestyle, "chains_of_colour", boom)
    with pytest.raises(KmipdError, match="no curve inside"):  # the colour skipped, said so
        digitize(img, x_range=(0, 10), y_range=(0, 1))
