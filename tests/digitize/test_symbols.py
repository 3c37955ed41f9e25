"""Symbols OCR leaves out between two words (kmipd.digitize.text.symbols): the "=" of
"p = 0.012" is painted over before tracing; a curve crossing the line between words is not."""

from __future__ import annotations

import numpy as np

from kmipd.digitize.text.symbols import erase_symbols, symbols_between_words

PAPER, INK = 255, 30


def _line_of_text() -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Two words 20 px high, 18 px apart, and the boxes OCR gave them (not the gap)."""
    img = np.full((100, 200, 3), PAPER, np.uint8)
    boxes = [(40, 40, 70, 60), (88, 40, 140, 60)]
    for x0, y0, x1, y1 in boxes:
        img[y0 + 3:y1 - 3, x0 + 2:x1 - 2] = INK  # the glyphs, inside their boxes
    return img, boxes


def test_an_equals_sign_between_two_words_is_painted_over():
    img, boxes = _line_of_text()
    img[46:48, 74:84] = INK  # "="
    img[52:54, 74:84] = INK
    assert symbols_between_words(img, boxes) == [(70, 40, 88, 60)]
    clean = erase_symbols(img, boxes)
    assert (clean[40:60, 70:88] == PAPER).all()
    assert (clean[45:55, 45:65] == INK).all() and (img[46:48, 74:84] == INK).all()  # a copy


def test_a_curve_crossing_between_two_words_is_kept():
    img, boxes = _line_of_text()
    img[49:52, :] = INK  # a curve's level running behind both words
    assert symbols_between_words(img, boxes) == []
    img, boxes = _line_of_text()
    img[:, 78:81] = INK  # a drop through the gap
    assert symbols_between_words(img, boxes) == []
    assert erase_symbols(img, boxes) is img


def test_words_far_apart_or_on_other_lines_hold_no_symbol_between_them():
    img, boxes = _line_of_text()
    img[46:48, 74:84] = INK
    far = [boxes[0], (96, 40, 150, 60)]  # 26 px apart: more than 1.2 text heights
    assert symbols_between_words(img, far) == []
    lower = [boxes[0], (88, 58, 140, 78)]  # another line of text
    assert symbols_between_words(img, lower) == []
