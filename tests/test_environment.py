"""The installed environment: one OpenCV, and the libraries the constraints file pins."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OPENCV_DISTRIBUTIONS = ("opencv-python", "opencv-python-headless", "opencv-contrib-python",
                        "opencv-contrib-python-headless")


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def test_only_the_headless_opencv_is_installed():
    # every OpenCV wheel writes the same cv2/ folder: two of them overwrite each other's files
    found = {name: v for name in OPENCV_DISTRIBUTIONS if (v := _installed(name))}
    assert list(found) == ["opencv-python-headless"], found


def test_constraints_pin_what_pyproject_needs():
    import tomllib

    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, sep, version = line.partition("==")
        if sep and not line.startswith("#"):
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = project["dependencies"] + project["optional-dependencies"]["test"]
    for requirement in needed:
        if "python_version < '3.11'" in requirement:
            continue
        name = requirement.split(">=")[0].split("[")[0].strip().lower()
        assert name in pins, f"{name} is not pinned in constraints.txt"


@pytest.mark.skipif(not (ROOT / ".venv").is_dir(), reason="not the project's own .venv (make test)")
def test_the_project_venv_has_the_pinned_versions():
    import sys

    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("tests run outside the project's .venv")
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, sep, version = line.partition("==")
        if sep and not line.startswith("#"):
            assert _installed(name.strip()) == version.strip(), name
