"""Reading the figure: an image file or PDF page becomes one RGB array (:mod:`.load`)."""

from kmipd.digitize.image.load import load_image, to_rgb

__all__ = ["load_image", "to_rgb"]
