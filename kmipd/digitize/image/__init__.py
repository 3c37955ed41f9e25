"""Reading the figure: an image file or PDF page becomes one RGB array (:mod:`.load`)."""
