"""Output files: written in one step, owned by the command that writes them, never mixed with
an earlier run's, never written over an input.

Every writer of kmipd (the stages' ``to_folder`` methods, the CSV writers, the reports) goes
through :func:`atomic_write`, so a reader, or a second kmipd writing into the same folder, sees an
old file or a complete new one, never half of one. Each writer lists the file names it owns and
removes those it will not write this time (:func:`remove_outputs`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kmipd.errors import KmipdError


def make_folder(path: str | Path) -> Path:
    """Create the output folder ``path`` (and its parents) unless it exists; return it.

    Raises
    ------
    KmipdError
        When ``path`` or one of its parents is an existing file.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise KmipdError(f"output folder {path} cannot be created: it or a folder above it is "
                         "an existing file; give a folder path.") from None
    return path


@contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; when the block ends without error, move it
    over ``path`` in one step (:func:`os.replace`).

    Write the whole file to the yielded path (it exists and is empty). Readers and concurrent
    writers see either the old file or a complete new one, never a torn one; on an error the
    old file is kept and the temporary file removed. The temporary file is hidden and keeps the
    name's suffix (``.tmp-XXXXXXXXXXXX-NAME``), so that writers which go by the suffix (pandas'
    compression, matplotlib's format) behave as with ``path``; it gets the permissions an
    ordinary write would give.

    Parameters
    ----------
    path : str or Path
        The file to write; its folder is created (:func:`make_folder`).

    Yields
    ------
    Path
        The temporary file to write.
    """
    path = Path(path)
    make_folder(path.parent)
    tmp = path.with_name(f".tmp-{secrets.token_hex(6)}-{path.name}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # 0o666 & ~umask
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # only still there when the block failed


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` in one step (:func:`atomic_write`); return ``path``."""
    path = Path(path)
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` in one step (:func:`atomic_write`); return ``path``."""
    return write_bytes_atomic(path, text.encode(encoding))


def write_figure(fig, path: str | Path, **savefig_kwargs) -> Path:
    """Save a matplotlib figure to ``path`` in one step (:func:`atomic_write`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or Path
        The file to write, e.g. ``km.png``.
    **savefig_kwargs
        Passed to ``fig.savefig`` (``dpi``, ``bbox_inches``, ``facecolor``, ...).
    """
    path = Path(path)
    with atomic_write(path) as tmp:
        fig.savefig(tmp, **savefig_kwargs)
    return path


def remove_outputs(outdir: str | Path, names: Iterable[str]) -> list[Path]:
    """Remove the files ``names`` from ``outdir`` where they exist; return those removed.

    Writers call it with the names of files they own but will not write this time (an
    ``at_risk.csv`` of an earlier figure that had a table), so that one run's outputs never
    sit next to an earlier run's. Folders, and files not named, are never touched.
    """
    removed = []
    for name in names:
        path = Path(outdir) / name
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(path)
    return removed


def check_output_folder(outdir: str | Path) -> None:
    """Refuse an output folder that is an existing file, or lies below one."""
    path = Path(outdir)
    for folder in (path, *path.parents):
        if folder.exists() and not folder.is_dir():
            raise KmipdError(f"output folder {path} cannot be created: {folder} is an existing file; "
                             "give a folder path.")


def refuse_overwriting_inputs(inputs: Iterable[str | Path | None], outputs: Iterable[str | Path]) -> None:
    """Refuse when an output file would be one of the input files (it would overwrite it).

    Parameters
    ----------
    inputs : iterable of path or None
        The command's input files (None: not given).
    outputs : iterable of path
        The files the command writes.
    """
    given = {Path(p).resolve(): Path(p) for p in inputs if p is not None}
    for out in outputs:
        if Path(out).resolve() in given:
            raise KmipdError(f"the output {out} is the input file {given[Path(out).resolve()]}; writing "
                             "it would overwrite the input: choose another output path.")
