"""The digitizer must not hang on one exact recogniser output.

onnxruntime picks different kernels on different CPUs (AVX2, AVX-512, ARM), so text boxes and
scores differ in their last digits from one machine to the next. Here every OCR result is
perturbed by that much and more (boxes by up to a pixel, scores and character probabilities by a
few percent), and what the figure says must come out the same: arms, names, calibration, every
at-risk cell.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kmipd.digitize import digitize
from kmipd.digitize.text import ocr as ocr_module
from kmipd.testing.datasets import load_ipd
from kmipd.testing.render import render_km_figure

BOX_JITTER_PX = 1.0
SCORE_JITTER = 0.03
PROB_JITTER = 0.02
CURVE_TOLERANCE = 0.001  # survival; measured 1e-7 (a pixel is ~0.0025 of these plots)


class _JitteredSession:
    """The recogniser's onnx session, its character probabilities perturbed."""

    def __init__(self, session, rng: np.random.Generator) -> None:
        self._session, self._rng = session, rng

    def __call__(self, x):
        probs = np.asarray(self._session(x))
        return probs * (1.0 + self._rng.uniform(-PROB_JITTER, PROB_JITTER, probs.shape))

    def __getattr__(self, name):
        return getattr(self._session, name)


class _JitteredRecogniser:
    def __init__(self, rec, rng: np.random.Generator) -> None:
        self._rec = rec
        self.session = _JitteredSession(rec.session, rng)

    def __getattr__(self, name):
        return getattr(self._rec, name)


class _JitteredEngine:
    """rapidocr's engine whose every output box and score is moved a little, at random."""

    def __init__(self, engine, seed: int) -> None:
        self._engine = engine
        self._rng = np.random.default_rng(seed)

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def _box(self, box):
        box = np.asarray(box, dtype=float)
        return box + self._rng.uniform(-BOX_JITTER_PX, BOX_JITTER_PX, box.shape)

    def _score(self, score: float) -> float:
        return float(min(1.0, score * (1.0 + self._rng.uniform(-SCORE_JITTER, SCORE_JITTER))))

    def __call__(self, image, **kwargs):
        result = self._engine(image, **kwargs)
        if result.txts is None:
            return result
        words = result.word_results
        if words:
            words = tuple(tuple((t, self._score(s), self._box(b).tolist()) for t, s, b in line)
                          for line in words)
        return dataclasses.replace(
            result, boxes=np.stack([self._box(b) for b in result.boxes]),
            scores=tuple(self._score(s) for s in result.scores), word_results=words)

    def _load_rec_model(self):
        return _JitteredRecogniser(self._engine._load_rec_model(), self._rng)


def _largest_curve_difference(dig0, dig1) -> float:
    """Largest survival difference between two readings' curves, arm by arm, on a time grid."""
    grid = np.linspace(0.0, float(dig0.curves["time"].max()), 400)
    worst = 0.0
    for arm, rows0 in dig0.curves.groupby("arm", sort=False):
        rows1 = dig1.curves[dig1.curves["arm"] == arm]
        s0, s1 = (np.interp(grid, r["time"], r["survival"]) for r in (rows0, rows1))
        worst = max(worst, float(np.max(np.abs(s0 - s1))))
    return worst


def _reading(path):
    dig = digitize(path)
    cells = None if dig.at_risk is None else sorted(
        (str(r.arm), round(float(r.time), 6), int(r.n_at_risk)) for r in dig.at_risk.itertuples())
    xs = [t.value for t in dig.mapping.x.ticks if t.used]
    ys = [t.value for t in dig.mapping.y.ticks if t.used]
    return dig, {"names": [a.name for a in dig.arms], "cells": cells, "x_ticks": xs, "y_ticks": ys}


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jitter")
    cases = [("lung", "colour_plus", "Days"), ("gbsg2", "ggplot_grey", "Days"),
             ("rossi", "bw_dashed", "Weeks")]
    return [render_km_figure(load_ipd(name), folder / f"{style}.png", style=style, x_label=x).path
            for name, style, x in cases]


@pytest.mark.parametrize("seed", [1, 2])
def test_small_recogniser_differences_change_nothing(figures, monkeypatch, seed):
    plain = [_reading(path) for path in figures]
    real = ocr_module.engine()
    monkeypatch.setattr(ocr_module, "engine", lambda: _JitteredEngine(real, seed))
    for path, (dig0, read0) in zip(figures, plain):
        dig1, read1 = _reading(path)
        assert read1 == read0, path.name
        # text boxes mask their pixels from the curves, so a box a pixel larger can hide a
        # pixel of a curve: the curves may move by a fraction of a pixel, no more
        assert _largest_curve_difference(dig0, dig1) < CURVE_TOLERANCE, path.name
