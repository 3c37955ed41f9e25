"""kmipd: turn a published Kaplan-Meier figure into individual patient data you can trust.

The chain is image -> :func:`digitize_figure` -> :func:`reconstruct_ipd` -> :func:`validate_ipd`
/ :func:`analyze` (:func:`run` does all of it, :func:`pool` combines several studies); each stage
is a plain function over plain data and can be entered on its own.

Each stage returns a result object, built once: ``Digitization`` (``.curves``, ``.at_risk``,
...), ``Reconstruction`` (``.ipd``, ``.notes``), ``ValidationResult``, ``SurvivalAnalysis``,
``PooledAnalysis``. All of them show their results as a DataFrame in ``.summary``, as the text
the command line prints in ``.format()``, and, where a JSON file is written, as ``.to_dict()``.

The stages live in the subpackages ``kmipd.digitize``, ``kmipd.reconstruct`` and
``kmipd.validate`` (there the functions are ``digitize``, ``reconstruct`` and ``validate``); at
this top level they carry names of their own, so that ``kmipd.digitize`` is always the package.

The stage functions are imported on first use (PEP 562): ``import kmipd`` alone does not pull in
lifelines, statsmodels or matplotlib, which the command line's ``digitize`` never needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kmipd.errors import KmipdError

__version__ = "0.1.0"

if TYPE_CHECKING:  # static tools see the real functions; at run time they are loaded lazily
    from kmipd.analysis import analyze
    from kmipd.digitize import digitize as digitize_figure
    from kmipd.pipeline import run
    from kmipd.pooling import pool
    from kmipd.reconstruct import reconstruct as reconstruct_ipd
    from kmipd.validate import validate as validate_ipd

#: Top-level stage name -> (module, function name there).
_STAGES: dict[str, tuple[str, str]] = {
    "analyze": ("kmipd.analysis", "analyze"),
    "digitize_figure": ("kmipd.digitize", "digitize"),
    "pool": ("kmipd.pooling", "pool"),
    "reconstruct_ipd": ("kmipd.reconstruct", "reconstruct"),
    "run": ("kmipd.pipeline", "run"),
    "validate_ipd": ("kmipd.validate", "validate"),
}

__all__ = ["KmipdError", "__version__", "analyze", "digitize_figure", "pool", "reconstruct_ipd",
           "run", "validate_ipd"]


def __getattr__(name: str) -> Any:
    """Load a stage function on first access (PEP 562) and keep it for later look-ups."""
    if name not in _STAGES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _STAGES[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
