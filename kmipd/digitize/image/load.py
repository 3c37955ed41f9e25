"""Read a figure file (raster image or PDF page) into one RGB uint8 array.

The format is decided from the file's bytes, never from its name: journals hand out JPEG bytes
named ``.png``, and WebP files saved as ``.jpg``. Whatever the source (palette, alpha, 16-bit,
grey, CMYK), the result is a plain (H, W, 3) uint8 RGB array on a white background, turned
upright as the file's EXIF orientation says (phone photos and some scanners store the pixels
sideways and only tag the turn).

The size is checked before any pixel is decoded (from the file header, or a PDF page's size at
the rendering resolution): a figure larger than :data:`MAX_PIXELS`, smaller than
:data:`MIN_SIDE` or more elongated than :data:`MAX_ASPECT` is refused with a one-line error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kmipd.errors import KmipdError

#: Rendering resolution for PDF pages; 300 dpi keeps 0.25 pt curve lines at least one pixel wide.
DEFAULT_PDF_DPI = 300

#: Largest image read, in pixels (50 Mpx: an A4 page scanned at 600 dpi is 35 Mpx). The digitizer
#: shrinks every figure to a 2000 px side anyway; a bigger file only costs memory (a 15000 x
#: 15000 image decodes to 675 MB of RGB and several times that while being processed).
MAX_PIXELS = 50_000_000
#: Shortest image side, in pixels: below it there is no room for axes, ticks and a curve.
MIN_SIDE = 50
#: Most elongated image (longer side / shorter side): a plot is never a strip.
MAX_ASPECT = 20.0
#: EXIF tag of the orientation (1 = upright; 2-8 = mirrored and/or turned).
_EXIF_ORIENTATION = 0x0112


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


def check_size(width: int, height: int, what: str = "image") -> None:
    """Refuse an image too large, too small or too elongated to be a figure, before decoding it.

    Parameters
    ----------
    width, height : int
        Size in pixels (from a file header, or a PDF page at its rendering resolution).
    what : str
        How to name the image in the message (its path, "PDF page 0 at 300 dpi", ...).

    Raises
    ------
    KmipdError
        More than :data:`MAX_PIXELS` pixels, a side under :data:`MIN_SIDE`, or an aspect
        ratio beyond :data:`MAX_ASPECT`.
    """
    w, h = int(width), int(height)
    if w * h > MAX_PIXELS:
        raise KmipdError(f"{what} is {w} x {h} = {w * h / 1e6:.0f} Mpx, over the limit of "
                         f"{MAX_PIXELS / 1e6:.0f} Mpx; scale it down (a KM figure needs no more than "
                         "about 2000 px on its longer side).")
    if min(w, h) < MIN_SIDE:
        raise KmipdError(f"{what} is {w} x {h} px, too small to hold a plot (each side must be at "
                         f"least {MIN_SIDE} px); use a larger image of the figure.")
    if max(w, h) > MAX_ASPECT * min(w, h):
        raise KmipdError(f"{what} is {w} x {h} px, a strip (more than {MAX_ASPECT:g} times longer "
                         "than wide), not a plot; crop the image to the KM figure.")


def is_pdf(path: str | Path) -> bool:
    """Whether the file is a PDF (by its content, as :func:`load_image` decides)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(5).startswith(b"%PDF")
    except OSError:
        return False


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
        pdf_page = doc[page]
        embedded = _whole_page_image(pdf_page)
        if embedded is not None:
            check_size(*embedded.get_px_size(), f"{path} page {page} (its image)")
            return to_rgb(np.asarray(embedded.get_bitmap(render=False).to_pil()))
        w_pt, h_pt = pdf_page.get_size()  # points (1/72 inch)
        check_size(round(w_pt * dpi / 72.0), round(h_pt * dpi / 72.0), f"{path} page {page} at {dpi} dpi")
        bitmap = pdf_page.render(scale=dpi / 72.0)
        return to_rgb(np.asarray(bitmap.to_pil()))
    finally:
        doc.close()


def pdf_page_is_image(path: str | Path, page: int = 0) -> bool:
    """Whether PDF page ``page`` is one raster image and nothing else of note (a scan, a pasted figure).

    Such a page is read from the image's own pixels (:func:`load_image`), not from a rendering
    of the page, which would resample them.
    """
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except Exception:  # noqa: BLE001 - load_image says what is wrong with the file
        return False
    try:
        return page < len(doc) and _whole_page_image(doc[page]) is not None
    finally:
        doc.close()


#: A page is "one image" when a single, upright, losslessly stored image object covers this
#: share of it.
_IMAGE_COVER = 0.8


def _whole_page_image(pdf_page):
    import pypdfium2.raw as raw

    images = list(pdf_page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2))
    if len(images) != 1:
        return None
    img = images[0]
    w_pt, h_pt = pdf_page.get_size()
    x0, y0, x1, y1 = img.get_bounds()
    a, b, c, d, _, _ = img.get_matrix().get()
    if abs(b) > 1e-6 or abs(c) > 1e-6 or a <= 0 or d <= 0:
        return None  # rotated or mirrored: rendering the page puts it upright
    if (x1 - x0) * (y1 - y0) < _IMAGE_COVER * w_pt * h_pt:
        return None
    # JPEG pixels carry block artefacts that the page's smooth rendering tempers; only a
    # losslessly stored image is better read as it is
    if any(f in ("DCTDecode", "JPXDecode") for f in img.get_filters()):
        return None
    return img


def _load_raster(path: Path, page: int) -> np.ndarray:
    from PIL import ImageSequence, UnidentifiedImageError

    try:
        img = _open_lazily(path)
        with img:
            check_size(*img.size, what=str(path))
            n_frames = getattr(img, "n_frames", 1)
            if page >= n_frames:
                raise KmipdError(
                    f"{path} has {n_frames} frame(s); page {page} does not exist (pages count from 0)."
                )
            frame = ImageSequence.Iterator(img)[page]
            check_size(*frame.size, what=str(path))  # a later TIFF frame has its own size
            return _pil_to_rgb(_upright(frame))
    except KmipdError:
        raise
    except UnidentifiedImageError:
        raise KmipdError(
            f"{path} is not an image kmipd can read (expected PNG, JPEG, TIFF, BMP, WebP or PDF)."
        ) from None
    except (OSError, ValueError, SyntaxError) as exc:
        # truncated or damaged data surfaces here, only when the pixels are decoded
        raise KmipdError(f"{path} is a damaged or truncated image ({_first_line(exc)}).") from None


def _open_lazily(path: Path):
    """``PIL.Image.open`` (header only, nothing decoded) without Pillow's own size guard, which
    would raise its multi-line "decompression bomb" error before :func:`check_size` can say
    what is wrong in one line."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        return Image.open(path)
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _upright(img):
    """The image turned as its EXIF orientation tag says (unchanged without one)."""
    from PIL import ImageOps

    try:
        orientation = img.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - a damaged EXIF block: read the pixels as stored
        return img
    if orientation in (None, 1):
        return img
    return ImageOps.exif_transpose(img)


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
