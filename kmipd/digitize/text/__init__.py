"""The figure's text: the OCR engine and its words (:mod:`.ocr`), and single cells read again
with the recogniser alone, with its next-best readings (:mod:`.cells`)."""

from kmipd.digitize.text.cells import CellReading, parse_count, read_cells, read_text
from kmipd.digitize.text.ocr import OcrWord, read_region, read_words, text_lines

__all__ = [
    "CellReading", "OcrWord", "parse_count", "read_cells", "read_region", "read_text", "read_words",
    "text_lines",
]
