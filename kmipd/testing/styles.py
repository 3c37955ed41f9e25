"""The catalogue of test figures: every publication style of the library's plot, drawn from real data.

The styles themselves (:data:`kmipd.analysis.plots.STYLES`) belong to the library's
:func:`~kmipd.analysis.plots.plot_km`; they differ in font, size, line width, palette, line type,
censor mark, legend place, table title and row labels, grid and panel, so that a digitizer tested
on them cannot fit one layout. :func:`test_figure_cases` lists what
:func:`kmipd.testing.render.render_km_figure` draws for the tests and benches.
"""

from __future__ import annotations


def test_figure_cases() -> list[tuple[str, str, dict]]:
    """Catalogue of ``(case_id, data set, render kwargs)`` covering every style with real data.

    Two to four arms, short and long arm names, tables with and without a title, no table.

    Returns
    -------
    list of (str, str, dict)
        Case id, a name for :func:`kmipd.testing.datasets.load_ipd`, and keyword arguments of
        :func:`kmipd.testing.render.render_km_figure` (``style`` always among them).

    Examples
    --------
    >>> case_id, data_set, kwargs = test_figure_cases()[0]
    >>> case_id, data_set, kwargs
    ('colour_plus-lung', 'lung', {'style': 'colour_plus', 'x_label': 'Days'})
    """
    m = 12 / 365.25  # days -> months
    cases = [
        ("colour_plus-lung", "lung", "colour_plus", dict(x_label="Days")),
        ("colour_plus-waltons-notitle", "waltons", "colour_plus", dict(x_label="Days", table_title="")),
        ("colour_plus-larynx", "larynx", "colour_plus", dict(x_label="Years")),
        ("bw_dashed-rossi", "rossi", "bw_dashed", dict(x_label="Weeks")),
        ("bw_dashed-leukemia", "leukemia", "bw_dashed", dict(x_label="Weeks", table=False)),
        ("ggplot_grey-gbsg2", "gbsg2", "ggplot_grey", dict(x_label="Time in days")),
        ("ggplot_grey-dd_regime", "dd_regime", "ggplot_grey", dict(x_label="Years")),
        ("ci_band-lung", "lung", "ci_band", dict(x_label="Months", time_scale=m)),
        ("ci_band-leukemia", "leukemia", "ci_band", dict(x_label="Weeks")),
        ("small_jpeg-waltons", "waltons", "small_jpeg", dict(x_label="Days")),
        ("small_jpeg-lymphoma", "lymphoma", "small_jpeg", dict(x_label="Days", table=False)),
        ("thick_multi-larynx", "larynx", "thick_multi", dict(x_label="Years")),
        ("thick_multi-dd_regime", "dd_regime", "thick_multi", dict(x_label="Years", table_title="")),
        ("percent_axis-rossi", "rossi", "percent_axis",
         dict(x_label="Weeks since release", y_label="Not re-arrested (%)")),
        ("percent_axis-lung-long", "lung", "percent_axis", dict(
            x_label="Days", rename={"Male": "Male patients (NCCTG)", "Female": "Female patients (NCCTG)"})),
        ("truncated_y-rossi", "rossi", "truncated_y", dict(x_label="Weeks")),
        ("truncated_y-kidney", "kidney_transplant", "truncated_y",
         dict(x_label="Days", table_title="Patients at risk")),
        ("journal-gbsg2", "gbsg2", "journal", dict(x_label="Months", time_scale=m)),
        ("journal-lymphoma-seed", "lymphoma", "journal", dict(x_label="Days", seed=3)),
        ("colour_plus-gbsg2-seed", "gbsg2", "colour_plus", dict(x_label="Days", seed=7)),
    ]
    return [(case_id, name, {"style": style, **kw}) for case_id, name, style, kw in cases]


test_figure_cases.__test__ = False  # not a pytest test when imported into a test module

