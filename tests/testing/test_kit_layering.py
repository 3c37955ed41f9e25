"""The library never imports the test-figure kit (:mod:`kmipd.testing`); the kit may import it.

Checked twice: statically, every ``import`` statement of every library module (relative imports
resolved, ``importlib.import_module("...")`` with a literal name included), and at run time, a
fresh interpreter that imports the whole library and then finds no ``kmipd.testing`` module
loaded.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "kmipd"
KIT = "kmipd.testing"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def library_files() -> list[Path]:
    """Every module of kmipd outside kmipd/testing."""
    return sorted(p for p in PACKAGE.rglob("*.py") if (PACKAGE / "testing") not in p.parents)


def imported_names(source: str, module: str, is_package: bool = False) -> list[str]:
    """Fully qualified names that ``source`` (the text of ``module``) imports.

    ``from a import b`` gives ``a`` and ``a.b``; relative imports are resolved against ``module``.
    """
    package = module if is_package else module.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"):
            names.append(node.args[0].value)
    return names


def imports_of(path: Path) -> list[str]:
    """:func:`imported_names` of the module at ``path``."""
    return imported_names(path.read_text(), _module_name(path), path.name == "__init__.py")


def _is_kit(name: str) -> bool:
    return name == KIT or name.startswith(KIT + ".")


def test_the_checker_sees_every_kind_of_import():
    source = ("import kmipd.testing.render\nfrom kmipd import testing\n"
              "from ..testing import truth\nfrom .. import testing as kit\n"
              "def f():\n    importlib.import_module('kmipd.testing.styles')\n"
              "from . import plots\nimport kmipd.testingfoo\n")
    kit = {n for n in imported_names(source, "kmipd.analysis.fake") if _is_kit(n)}
    assert kit == {"kmipd.testing", "kmipd.testing.render", "kmipd.testing.truth",
                   "kmipd.testing.styles"}
    assert "kmipd.analysis.plots" in imported_names(source, "kmipd.analysis.fake")
    assert {n for n in imported_names("from .testing import x\n", "kmipd", True)
            if _is_kit(n)} == {"kmipd.testing", "kmipd.testing.x"}


def test_library_modules_never_import_the_kit():
    files = library_files()
    assert len(files) > 40 and PACKAGE / "analysis" / "plots.py" in files
    offenders = {str(p.relative_to(ROOT)): hits for p in files
                 if (hits := [n for n in imports_of(p) if _is_kit(n)])}
    assert not offenders, f"library modules import {KIT}: {offenders}"


def test_importing_the_library_loads_no_kit_module():
    library = sorted({_module_name(p) for p in library_files()})
    code = (
        "import json, importlib, sys\n"
        "import kmipd, kmipd.analysis, kmipd.validate, kmipd.reconstruct, kmipd.digitize, kmipd.cli\n"
        "first = sorted(m for m in sys.modules if m == 'kmipd.testing' or m.startswith('kmipd.testing.'))\n"
        f"for name in {library!r}:\n"
        "    importlib.import_module(name)\n"
        "for name in ('analyze', 'digitize', 'pool', 'reconstruct', 'run', 'validate'):\n"
        "    getattr(kmipd, name)\n"
        "after = sorted(m for m in sys.modules if m == 'kmipd.testing' or m.startswith('kmipd.testing.'))\n"
        "print(json.dumps({'first': first, 'after': after, 'n': len(sys.modules)}))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=env, timeout=300, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["first"] == [], f"importing the stages loaded {found['first']}"
    assert found["after"] == [], f"importing every library module loaded {found['after']}"
