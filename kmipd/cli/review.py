"""``kmipd review``: correct a digitization in the browser (a local page; works offline)."""

from __future__ import annotations

import click

from kmipd.cli.common import main_group, one_line_errors


@main_group.command("review")
@click.argument("outdir", type=click.Path(file_okay=False, exists=True))
@click.option("--reported", type=click.Path(dir_okay=False, exists=True), default=None,
              help="The paper's statistics (TOML); default: the file the folder's validation.json "
                   "names.")
@click.option("--figure", "figure", type=click.Path(dir_okay=False, exists=True), default=None,
              help="The figure that was digitized; default: the source recorded in "
                   "digitization.json.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Print the address; do not open a browser.")
@one_line_errors
def review_command(outdir, reported, figure, port, no_browser) -> None:
    """Open OUTDIR (of `kmipd digitize` or `kmipd run`) for correction in the browser.

    The page shows the reading over the figure. Move axis handles or type axis values; pick,
    add, rename or delete arms; add, move or delete points and censor marks; mask a region;
    type the numbers at risk, N or events. Each edit rebuilds the IPD and re-validates it.
    Save writes curves.csv, censor_marks.csv, at_risk.csv, ipd.csv, validation.csv/json and
    digitization.json (with the edits recorded) into OUTDIR. Ctrl-C stops the server.
    """
    import webbrowser

    from kmipd.review import ReviewServer, ReviewSession

    server = ReviewServer(ReviewSession(outdir, reported=reported, figure=figure), port=port).start()
    click.echo(f"kmipd review: {server.url} (Ctrl-C to stop)", err=True)
    if not no_browser:
        webbrowser.open(server.url)
    server.wait()
