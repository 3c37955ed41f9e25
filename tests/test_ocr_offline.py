"""OCR works offline, from the models inside the rapidocr package; the top-level API is lazy.

The OCR test runs in a fresh interpreter that cuts the network before anything is imported and
has an empty HOME, so a model download, a cache under HOME or any lookup of a host fails it.
The API tests also use fresh interpreters: what is imported first is what they are about.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

X_TICKS = (0, 10, 20, 30)
Y_TICKS = tuple(round(0.2 * i, 1) for i in range(6))  # 0.0, 0.2, ..., 1.0

# Cuts the network, then reads the figure with kmipd's own OCR code; prints one JSON line.
OFFLINE_SCRIPT = """
import json, os, socket, sys, time

attempts = []

def no_network(*args, **kwargs):
    attempts.append(repr(args)[:120])
    raise OSError("network access attempted in an offline test")

def audit(event, args):
    if event.startswith(("socket.connect", "socket.getaddrinfo", "socket.gethostbyname")):
        no_network(event, *args)

socket.socket.connect = no_network
socket.socket.connect_ex = no_network
socket.create_connection = no_network
socket.getaddrinfo = no_network
sys.addaudithook(audit)  # also catches lookups that bypass the patched functions

t0 = time.perf_counter()
import rapidocr
from kmipd.digitize.image.load import load_image
from kmipd.digitize.text.ocr import engine, model_files, read_words

engine()
words = read_words(load_image(sys.argv[1]))
print(json.dumps({
    "words": [(w.text, w.cx, w.cy) for w in words],
    "models": {k: str(v) for k, v in model_files().items()},
    "package": os.path.dirname(os.path.realpath(rapidocr.__file__)),
    "attempts": attempts,
    "heavy": [m for m in ("lifelines", "statsmodels", "matplotlib") if m in sys.modules],
    "seconds": time.perf_counter() - t0,
}))
"""


def _render_axes(path: Path) -> tuple[dict[str, float], dict[str, float], int]:
    """A plot with x ticks 0-30 and y ticks 0.0-1.0; returns each label's tick pixel and the height."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(111)
    ax.step([0, 4, 9, 15, 22, 30], [1.0, 0.85, 0.7, 0.55, 0.4, 0.3], where="post", color="black")
    ax.set_xlim(0, 30)
    ax.set_ylim(0, 1)
    ax.set_xticks(X_TICKS, [str(t) for t in X_TICKS])
    ax.set_yticks(Y_TICKS, [f"{t:.1f}" for t in Y_TICKS])
    fig.savefig(path)
    height = int(round(fig.get_figheight() * fig.dpi))
    # display coordinates count from the bottom, image rows from the top
    xs = {str(t): float(ax.transData.transform((t, 0))[0]) for t in X_TICKS}
    ys = {f"{t:.1f}": height - float(ax.transData.transform((0, t))[1]) for t in Y_TICKS}
    return xs, ys, height


def _run_python(code: str, *args: str, env: dict | None = None, cwd: Path | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout)


def test_tick_labels_are_read_offline_from_the_packaged_models(tmp_path):
    figure = tmp_path / "axes.png"
    x_ticks, y_ticks, _ = _render_axes(figure)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    proc = _run_python(OFFLINE_SCRIPT, str(figure), env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])

    assert out["attempts"] == [], f"OCR tried the network: {out['attempts']}"
    # onnxruntime writes a device id under ~/.cache/Microsoft when imported; nothing else may land
    # in HOME (a model download or a model cache would)
    written = [p for p in home.rglob("*") if p.is_file()]
    assert not [p for p in written if p.suffix == ".onnx" or "Microsoft" not in p.parts], written
    package = Path(out["package"])
    assert set(out["models"]) == {"det", "rec"}, out["models"]
    for task, path in out["models"].items():
        path = Path(path)
        assert path.is_file() and path.resolve().is_relative_to(package), (task, path, package)

    read = {}
    for text, cx, cy in out["words"]:
        read.setdefault(text, []).append((cx, cy))
    for label, x in x_ticks.items():  # under its tick mark, below the plot
        hits = [(cx, cy) for cx, cy in read.get(label, []) if abs(cx - x) <= 8]
        assert len(hits) == 1, f"x label {label!r} at x={x:.0f}: read {out['words']}"
    for label, y in y_ticks.items():  # level with its tick mark, left of the plot
        hits = [(cx, cy) for cx, cy in read.get(label, []) if abs(cy - y) <= 6 and cx < min(x_ticks.values())]
        assert len(hits) == 1, f"y label {label!r} at y={y:.0f}: read {out['words']}"
    assert out["heavy"] == [], f"the OCR path imported {out['heavy']}"


@pytest.mark.parametrize("first", [
    "import kmipd.digitize.result",
    "import kmipd.reconstruct.guyot, kmipd.validate.checks, kmipd.pipeline, kmipd.analysis",
    "import kmipd; kmipd.digitize_figure; kmipd.validate_ipd",
    "from kmipd import *",
])
def test_stage_names_are_the_functions_and_packages_stay_packages(first):
    # the top-level stage functions are named apart from the subpackages, so that no import
    # order can make ``kmipd.digitize`` the function or the package
    code = textwrap.dedent(f"""
        import sys, types
        {first}
        import kmipd.digitize.table.read, kmipd.reconstruct, kmipd.validate.report
        from kmipd import (digitize_figure, reconstruct_ipd, validate_ipd, run, analyze, pool,
                           KmipdError)
        import kmipd
        for name, f in [("digitize_figure", digitize_figure), ("reconstruct_ipd", reconstruct_ipd),
                        ("validate_ipd", validate_ipd), ("run", run), ("analyze", analyze),
                        ("pool", pool)]:
            assert callable(f) and not isinstance(f, types.ModuleType), (name, f)
            assert getattr(kmipd, name) is f, name
        assert digitize_figure is sys.modules["kmipd.digitize"].digitize
        assert reconstruct_ipd is sys.modules["kmipd.reconstruct"].reconstruct
        assert validate_ipd is sys.modules["kmipd.validate"].validate
        for package in ("digitize", "reconstruct", "validate"):
            assert getattr(kmipd, package) is sys.modules["kmipd." + package], package
        assert issubclass(KmipdError, ValueError)
        from kmipd.digitize import table
        assert isinstance(table, types.ModuleType)
        print("ok")
    """)
    proc = _run_python(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_importing_kmipd_or_its_command_line_loads_no_analysis_stack():
    code = textwrap.dedent("""
        import sys
        import kmipd, kmipd.cli
        from kmipd.cli import digitize
        print(",".join(m for m in ("lifelines", "statsmodels", "matplotlib", "kmipd.analysis",
                                   "kmipd.pooling", "kmipd.digitize") if m in sys.modules))
    """)
    proc = _run_python(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == ""


def test_a_stage_name_can_be_patched_and_restored(monkeypatch):
    import kmipd

    real = kmipd.digitize_figure
    assert callable(real) and not isinstance(real, types.ModuleType)
    monkeypatch.setattr(kmipd, "digitize_figure", lambda *a, **k: "patched")
    assert kmipd.digitize_figure() == "patched"
    monkeypatch.undo()
    assert kmipd.digitize_figure is real
    with pytest.raises(AttributeError):
        kmipd.no_such_stage  # noqa: B018


def test_detection_side_follows_the_text_size():
    """Large text is detected on a shrunk image, small text at full size."""
    import cv2
    import numpy as np

    from kmipd.digitize.text.ocr import DET_MAX_SIDE, detection_side, glyph_height

    def page(scale: float) -> np.ndarray:
        img = np.full((1500, 2000, 3), 255, np.uint8)
        for row in range(12):
            cv2.putText(img, "0 12 24 36 48 60 Months 0.25", (40, 100 + row * 110),
                        cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), max(1, int(2 * scale)), cv2.LINE_AA)
        return img

    big, small = page(2.0), page(0.45)
    assert 35 <= glyph_height(big) <= 50 and 8 <= glyph_height(small) <= 14
    assert detection_side(big) == 1024  # shrunk to the floor: its glyphs stay over 14 px there
    assert detection_side(small) == DET_MAX_SIDE  # 9 px glyphs: no shrinking at all
    assert detection_side(np.full((900, 1200, 3), 255, np.uint8)) == DET_MAX_SIDE  # no text seen
