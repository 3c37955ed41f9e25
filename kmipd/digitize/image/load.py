"""Read a figure file (raster image or PDF page) into one RGB uint8 array.

The format is decided from the file's bytes, never from its name: journals hand out JPEG bytes
named ``.png``, and WebP files saved as ``.jpg``. Whatever the source (palette, alpha, 16-bit,
grey, CMYK), the result is a plain (H, W, 3) uint8 RGB array on a white background.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kmipd.errors import KmipdError

#: Rendering resolution for PDF pages; 300 dpi keeps 0.25 pt curve lines at least one pixel wide.
DEFAULT_PDF_DPI = 300

# Pillow refuses images above ~89 Mpx as a "decompression bomb"; a figure is never that big,
# but a 600 dpi poster scan can be, so allow a little more and fail clearly beyond that.
_MAX_PIXELS = 120_000_000


def load_image(path: str | Path, page: int = 0, dpi: int = DEFAULT_PDF_DPI) -> np.ndarray:
    """Read a figure as an RGB uint8 array.

    Parameters
    ----------
    path : str or Path
        PNG, JPEG, TIFF, BMP, GIF, WebP or PDF file; the type is taken from the content.
    page : int
        Zero-based page of a PDF or frame of a multi-page TIFF/GIF.
    dpi : int
        Resolution at which a PDF page is rendered.

    Returns
    -------
    ndarray
        (H, W, 3) uint8 RGB image. Transparent areas become white.

    Raises
    ------
    KmipdError
        Missing, empty, corrupt or non-image file, or ``page`` out of range.
    """
    path = Path(path)
    if not path.is_file():
        raise KmipdError(f"figure file {path} does not exist; check the path.")
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise KmipdError(f"figure file {path} is empty.")
    if page < 0:
        raise KmipdError(f"page must be 0 or more, got {page}.")
    if head.startswith(b"%PDF"):
        return _load_pdf_page(path, page, dpi)
    return _load_raster(path, page)


def _load_pdf_page(path: Path, page: int, dpi: int) -> np.ndarray:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except Exception as exc:  # pdfium raises its own error types for every kind of damage
        raise KmipdError(f"{path} is not a readable PDF ({_first_line(exc)}).") from None
    try:
        n_pages = len(doc)
        if page >= n_pages:
            raise KmipdError(f"{path} has {n_pages} page(s); page {page} does not exist (pages count from 0).")
        bitmap = doc[page].render(scale=dpi / 72.0)
        return to_rgb(np.asarray(bitmap.to_pil()))
    finally:
        doc.close()


def _load_raster(path: Path, page: int) -> np.ndarray:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = _MAX_PIXELS
    try:
        with Image.open(path) as img:
            n_frames = getattr(img, "n_frames", 1)
            if page >= n_frames:
                raise KmipdError(
                    f"{path} has {n_frames} frame(s); page {page} does not exist (pages count from 0)."
                )
            frame = ImageSequence.Iterator(img)[page]
            return _pil_to_rgb(frame)
    except KmipdError:
        raise
    except UnidentifiedImageError:
        raise KmipdError(
            f"{path} is not an image kmipd can read (expected PNG, JPEG, TIFF, BMP, WebP or PDF)."
        ) from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        # truncated or damaged data surfaces here, only when the pixels are decoded
        raise KmipdError(f"{path} is a damaged or truncated image ({_first_line(exc)}).") from None


def _pil_to_rgb(img) -> np.ndarray:
    """Pillow image of any mode -> RGB uint8 on white."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16/32-bit grey: Pillow's own convert("L") clips at 255 instead of scaling
        arr = np.asarray(img, dtype=np.float64)
        return to_rgb(_rescale_to_uint8(arr))
    if mode == "P" or mode == "PA":
        img = img.convert("RGBA")
    elif mode in ("LA", "La", "RGBa"):
        img = img.convert("RGBA")
    elif mode not in ("RGB", "RGBA", "L"):
        img = img.convert("RGB")  # CMYK, YCbCr, 1-bit, LAB
    img.load()
    return to_rgb(np.asarray(img))


def _rescale_to_uint8(arr: np.ndarray) -> np.ndarray:
    top = float(arr.max()) if arr.size else 0.0
    # a 16-bit file that uses the full range scales by 65535; one that stores 8-bit data as 16-bit
    # (max <= 255) keeps its values
    full = 65535.0 if top > 255 else 255.0
    return np.clip(np.rint(arr * (255.0 / full)), 0, 255).astype(np.uint8)


def to_rgb(image: np.ndarray) -> np.ndarray:
    """Normalise an array image to (H, W, 3) uint8 RGB, compositing any alpha on white.

    Parameters
    ----------
    image : ndarray
        (H, W) grey, (H, W, 1), (H, W, 2) grey+alpha, (H, W, 3) RGB or (H, W, 4) RGBA; uint8,
        uint16, bool or float in [0, 1].

    Returns
    -------
    ndarray
        (H, W, 3) uint8, C-contiguous.
    """
    arr = np.asarray(image)
    if arr.ndim not in (2, 3) or arr.shape[0] < 2 or arr.shape[1] < 2:
        raise KmipdError(f"an image must be a 2-D grey or 3-D colour array, got shape {arr.shape}.")
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif np.issubdtype(arr.dtype, np.floating):
        scale = 255.0 if float(np.nanmax(arr)) <= 1.0 else 1.0
        arr = np.clip(np.nan_to_num(arr * scale, nan=255.0), 0, 255).astype(np.uint8)
    elif arr.dtype != np.uint8:
        arr = _rescale_to_uint8(arr.astype(np.float64))
    if arr.ndim == 2:
        arr = arr[:, :, None]
    channels = arr.shape[2]
    if channels in (2, 4):
        if arr[:, :, -1].min() == 255:  # opaque throughout (most PNG exports): nothing to blend
            arr = arr[:, :, :-1]
        else:
            colour, alpha = arr[:, :, :-1].astype(np.float32), arr[:, :, -1:].astype(np.float32) / 255.0
            arr = np.rint(colour * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
        channels -= 1
    if channels == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif channels != 3:
        raise KmipdError(f"an image must have 1-4 channels, got {channels}.")
    return np.ascontiguousarray(arr)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
