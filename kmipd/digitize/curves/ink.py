"""Colour maths of ink on paper: Lab conversion, the background colour, the ink masks and the
mixing model of an anti-aliased line.

Every pixel of an anti-aliased (or JPEG-blurred) line is a mix of the line colour ``c`` and the
colour under it ``b``: ``p = b + alpha * (c - b)``. Projecting a pixel on the ray from ``b`` to
``c`` gives both how well it fits that colour (the residual) and how much of the pixel the line
covers (``alpha``), which later serves as the weight of sub-pixel centroids.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Lab chroma above which a pixel counts as coloured (grey text, axes, gridlines stay below).
CHROMA_MIN = 16.0
#: Lab lightness drop below the background that makes an achromatic pixel count as ink.
DARK_MIN = 28.0
#: The share of both thresholds used for faint ink (JPEG noise on paper stays under 2 chroma).
FAINT_SHARE = 0.35

#: The background is the mode of a histogram of every ``_BG_STEP``-th pixel each way (plenty for
#: a mode, and 9x faster than every pixel) with ``_BG_BIN`` RGB units per bin (32 bins a channel).
_BG_STEP = 3
_BG_BIN = 8


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIE Lab (L 0-100, a/b about -128..127) of an RGB uint8 image or (N, 3) array."""
    arr = np.asarray(rgb, dtype=np.float32) / 255.0
    flat = arr.reshape(-1, 1, 3)
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(arr.shape)


def background_colour(region: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """The most common colour of a region (white paper, or a ggplot grey panel), as float RGB.

    The mode of a coarse colour histogram is used rather than the median because a dense
    confidence band or many curves can pull a median off the paper colour.
    """
    px = region[::_BG_STEP, ::_BG_STEP].reshape(-1, 3)
    if valid is not None:
        px = px[valid[::_BG_STEP, ::_BG_STEP].reshape(-1)]
    q = (px // _BG_BIN).astype(np.int64)
    code = (q[:, 0] * 32 + q[:, 1]) * 32 + q[:, 2]
    best = np.bincount(code, minlength=32**3).argmax()
    return px[code == best].astype(float).mean(axis=0)


def ink_masks(lab: np.ndarray, bg_lab: np.ndarray, faint: bool = False
              ) -> tuple[np.ndarray, np.ndarray]:
    """Coloured ink and dark achromatic ink (boolean images).

    Pixels lighter than the background (white gridlines on a grey panel) are never ink. With
    ``faint``, the thresholds are :data:`FAINT_SHARE` of the usual ones: thin pale lines that a
    blur and a JPEG have washed out (for a plot where nothing stands out at the usual ones).
    """
    k = FAINT_SHARE if faint else 1.0
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    bg_chroma = float(np.hypot(bg_lab[1], bg_lab[2]))
    d_ab = np.hypot(lab[..., 1] - bg_lab[1], lab[..., 2] - bg_lab[2])
    coloured = (chroma > k * CHROMA_MIN + bg_chroma) & (d_ab > k * CHROMA_MIN)
    dark = ~coloured & (lab[..., 0] < bg_lab[0] - k * DARK_MIN)
    return coloured, dark


def mixing_fit(px: np.ndarray, bg: np.ndarray, colour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coverage ``alpha`` (0-1) and residual (RGB units) of pixels as mixes of ``bg`` and ``colour``."""
    d = np.asarray(colour, float) - np.asarray(bg, float)
    v = px.astype(np.float32) - np.asarray(bg, np.float32)
    raw = (v @ d.astype(np.float32)) / max(float(d @ d), 1e-6)
    # a pixel a little beyond the mode on its ray (a more saturated core) still fits
    on_ray = np.clip(raw, 0.0, 1.15)
    resid = np.linalg.norm(v - on_ray[:, None] * d.astype(np.float32), axis=1)
    return np.clip(raw, 0.0, 1.0), resid


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Float RGB (0-255) of one Lab colour (the inverse of :func:`to_lab`)."""
    arr = np.asarray(lab, np.float32).reshape(1, 1, 3)
    return np.clip(cv2.cvtColor(arr, cv2.COLOR_Lab2RGB).reshape(3) * 255.0, 0, 255)
