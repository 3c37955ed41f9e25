"""The digitize sub-packages depend on each other one way only.

image <- text <- frame <- curves <- match <- table <- legend <- kmipd.digitize (digitize()):
a sub-package imports only from those left of it, and from ``result`` (the result types). The
top (``kmipd/digitize/__init__.py``, ``overlay.py``) may import any of them; no sub-package
imports the top. Every import is checked, also the ones inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kmipd

DIGITIZE = Path(kmipd.__file__).resolve().parent / "digitize"

#: Sub-package -> the sub-packages it may import from (besides itself).
ALLOWED: dict[str, set[str]] = {
    "image": set(),
    "text": {"image"},
    "frame": {"image", "text"},
    "curves": {"image", "text", "frame"},
    "match": {"image", "text", "frame", "curves"},
    "table": {"image", "text", "frame", "curves", "match"},
    "legend": {"image", "text", "frame", "curves", "match", "table"},
}
#: Top-level modules every sub-package may import.
SHARED = {"result"}


def digitize_imports(source: str, module: str) -> set[str]:
    """The ``kmipd.digitize`` parts a module imports: a sub-package or top-level module name,
    or ``""`` for the package itself (``from kmipd.digitize import digitize``)."""
    package = module.rsplit(".", 1)[0] if not module.endswith("__init__") else module[:-9]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y / from .. import y
                parts = package.split(".")
                parts = parts[:len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] if base == "kmipd.digitize" else [base]
        else:
            continue
        for t in targets:
            if t == "kmipd.digitize" or t.startswith("kmipd.digitize."):
                rest = t[len("kmipd.digitize."):].split(".")[0] if t != "kmipd.digitize" else ""
                known = rest in ALLOWED or (DIGITIZE / f"{rest}.py").exists()
                found.add(rest if known else "")
    return found


def violations(sub: str, imported: set[str]) -> set[str]:
    """What a module of sub-package ``sub`` imports that the layering forbids."""
    return {t for t in imported if t != sub and t not in ALLOWED[sub] and t not in SHARED}


def _modules():
    for path in sorted(DIGITIZE.rglob("*.py")):
        rel = path.relative_to(DIGITIZE)
        if len(rel.parts) > 1:
            yield rel.parts[0], ".".join(("kmipd", "digitize", *rel.with_suffix("").parts)), path


def test_every_sub_package_has_its_place_in_the_graph():
    subs = {p.name for p in DIGITIZE.iterdir() if (p / "__init__.py").exists()}
    assert subs == set(ALLOWED)
    order = sorted(ALLOWED, key=lambda s: len(ALLOWED[s]))
    for i, s in enumerate(order):  # a chain: each may use exactly the ones before it
        assert ALLOWED[s] == set(order[:i])


@pytest.mark.parametrize("sub, module, path", list(_modules()), ids=lambda v: str(v).rsplit("/", 1)[-1])
def test_sub_package_imports_only_from_its_left(sub, module, path):
    imported = digitize_imports(path.read_text(), module)
    assert not violations(sub, imported), f"{module} imports {sorted(violations(sub, imported))}"


def test_a_forbidden_import_is_caught():
    src = (
        "from kmipd.digitize.result import ArmTrace\n"
        "def f():\n"
        "    from kmipd.digitize.legend.read import read_legend\n"
        "    from kmipd.digitize import digitize\n"
        "    from .. import overlay\n"
        "    from ..match import pairing\n"
    )
    got = digitize_imports(src, "kmipd.digitize.table.read")
    assert got == {"result", "legend", "", "overlay", "match"}
    assert violations("table", got) == {"legend", "", "overlay"}
    assert violations("legend", digitize_imports("import kmipd.digitize.table.layout", "x.y")) == set()
