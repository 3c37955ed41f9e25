"""The test-figure kit: render KM figures with known truth in several publication styles, pixel
truth, simulated digitizer output; for tests and benches; the library never imports it.

- :mod:`kmipd.testing.render`: :func:`~kmipd.testing.render.render_km_figure` draws IPD in a
  publication style and returns a :class:`~kmipd.testing.render.RenderedFigure` with the exact
  truth of the image.
- :mod:`kmipd.testing.styles`: the catalogue of test figures
  (:func:`~kmipd.testing.styles.test_figure_cases`).
- :mod:`kmipd.testing.truth`: exact pixel positions of the ticks in a rendered image.
- :mod:`kmipd.testing.simulate`: digitizer-like curves from known IPD.
- :mod:`kmipd.testing.datasets`: the lifelines data sets as IPD tables.
- :mod:`kmipd.testing.random_figures`: random simulated trials drawn in random looks
  (:mod:`kmipd.testing.looks`, drawn by :mod:`kmipd.testing.random_draw`), with exact truth;
  ``bench/bench_random.py`` measures the digitizer on them.
- :mod:`kmipd.testing.pdf_figures`: the same figures as vector PDF pages (text as text or as
  outlines), article pages with a KM figure among text and a bar chart, pages of two figures,
  and PDF pages holding only an image, with the truth in PDF points.

Import the modules by their full path; this package itself imports nothing.
"""
