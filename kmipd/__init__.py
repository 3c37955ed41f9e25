"""kmipd: turn a published Kaplan-Meier figure into individual patient data you can trust.

The chain is image -> :func:`digitize` -> :func:`reconstruct` -> :func:`validate` / :func:`analyze`
(:func:`run` does all of it, :func:`pool` combines several studies); each stage is a plain
function over plain data and can be entered on its own.

The stage functions share their names with the subpackages that hold them
(``kmipd.digitize`` the function lives in ``kmipd/digitize/``); import submodules by their full
path, e.g. ``from kmipd.digitize.text.ocr import read_words``.

The stage functions are imported on first use (PEP 562): ``import kmipd`` alone does not pull in
lifelines, statsmodels or matplotlib, which the command line's ``digitize`` never needs.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from kmipd.errors import KmipdError

__version__ = "0.1.0"

if TYPE_CHECKING:  # static tools see the real functions; at run time they are loaded lazily
    from kmipd.analysis import analyze
    from kmipd.digitize import digitize
    from kmipd.pipeline import run
    from kmipd.pooling import pool
    from kmipd.reconstruct import reconstruct
    from kmipd.validate import validate

#: Stage function name -> module that defines it.
_STAGES: dict[str, str] = {
    "analyze": "kmipd.analysis",
    "digitize": "kmipd.digitize",
    "pool": "kmipd.pooling",
    "reconstruct": "kmipd.reconstruct",
    "run": "kmipd.pipeline",
    "validate": "kmipd.validate",
}

#: Stage functions named like the subpackage that holds them. Importing such a subpackage makes
#: Python bind the *module* to that name on this package; the descriptors below keep the name
#: bound to the function whatever was imported first.
_SHADOWED = frozenset(name for name, module in _STAGES.items() if module == f"{__name__}.{name}")

__all__ = ["KmipdError", "__version__", "analyze", "digitize", "pool", "reconstruct", "run", "validate"]


def _load(name: str) -> Any:
    """Import the stage function ``name`` from its module."""
    return getattr(importlib.import_module(_STAGES[name]), name)


def __getattr__(name: str) -> Any:
    """Load a stage function on first access (PEP 562) and keep it for later look-ups."""
    if name not in _STAGES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = _load(name)
    if name not in _SHADOWED:  # shadowed names are served by their descriptor, never cached here
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _StageFunction:
    """Data descriptor for a stage function that shares its name with a subpackage.

    A data descriptor on the module's class wins over the module ``__dict__``, so the import
    system's ``setattr(kmipd, "digitize", <module kmipd.digitize>)`` is ignored and the name
    stays the function. Anything else assigned (e.g. ``monkeypatch.setattr``) is honoured.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        overrides = obj.__dict__.get("_overrides", {})
        return overrides[self.name] if self.name in overrides else _load(self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{obj.__name__}.{self.name}":
            return  # the subpackage being bound by an import: keep serving the function
        obj.__dict__.setdefault("_overrides", {})[self.name] = value

    def __delete__(self, obj: Any) -> None:
        obj.__dict__.get("_overrides", {}).pop(self.name, None)


class _KmipdModule(types.ModuleType):
    """Module type of ``kmipd``: adds the descriptors of the shadowed stage names."""


for _name in sorted(_SHADOWED):
    setattr(_KmipdModule, _name, _StageFunction(_name))
del _name

sys.modules[__name__].__class__ = _KmipdModule
