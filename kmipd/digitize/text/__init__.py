"""The figure's text: the OCR engine and its words (:mod:`.ocr`), and single cells read again
with the recogniser alone, with its next-best readings (:mod:`.cells`)."""
