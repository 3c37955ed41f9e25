"""kmipd review in a real browser: an analyst fixes a misread figure and gets a passing validation.

Chromium and its WebDriver come from Debian's packages (``.ci/install-browser``, run by
``make test``); the test is skipped where they are missing, except in CI, where it fails.

The misread folder is the bundled RESORT figure's reading with the misreads kmipd makes on
unseen figures put into it: the last x label read wrong (72 as 60), an at-risk cell misread
(17 as 71), the legend unread (arms "Arm 1", "Arm 2"), a gridline taken for a third arm and a
stray point on a curve. Every fix is made through the page, by typing and clicking.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from kmipd.io import write_table
from kmipd.review import ReviewServer, ReviewSession
from kmipd.review.state import state_tables

RESORT = Path(__file__).resolve().parents[2] / "figures" / "resort"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")

if not (CHROMIUM and DRIVER):
    if os.environ.get("CI"):
        pytest.fail("CI needs Debian's chromium and chromium-driver (.ci/install-browser)",
                    pytrace=False)
    pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/install-browser)",
                allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")


def _misread(good: Path, out: Path) -> dict:
    """Write into ``out`` the folder a misreading digitizer would have left; return the damage."""
    from kmipd.digitize import digitize

    digitize(RESORT / "figure.png").to_folder(good)
    state = ReviewSession(good).state
    bad = copy.deepcopy(state)
    bad["x_axis"]["values"][1] = 60.0
    row, col = 1, 4
    assert bad["at_risk"]["rows"][row][col] == 17
    bad["at_risk"]["rows"][row][col] = 71
    for k, arm in enumerate(bad["arms"]):
        arm["name"] = f"Arm {k + 1}"
    grid_y = float(np.mean(bad["y_axis"]["pixels"]))
    box = bad["box"]
    bad["arms"].append({"id": "a2", "name": "Arm 3", "colour": "#bbbbbb", "censor": [],
                        "points": [[box["left"] + 5, grid_y], [box["right"] - 5, grid_y]],
                        "n": None, "events": None})
    bad["at_risk"]["rows"].append([None] * len(bad["at_risk"]["times"]))
    points = bad["arms"][0]["points"]
    stray = [round((points[3][0] + points[4][0]) / 2, 2), round(points[3][1] + 60, 2)]
    points.insert(4, stray)
    tables = state_tables({**bad, "at_risk": None})
    out.mkdir()
    write_table(tables["curves"], out / "curves.csv")
    write_table(tables["censor_marks"], out / "censor_marks.csv")
    t = bad["at_risk"]
    rows = [(arm["name"], tm, c) for arm, r in zip(bad["arms"], t["rows"])
            for tm, c in zip(t["times"], r) if c is not None]
    (out / "at_risk.csv").write_text("arm,time,n_at_risk\n" + "".join(f"{a},{tm:g},{c}\n" for a, tm, c in rows))
    meta = json.loads((good / "digitization.json").read_text())
    scale = (60.0 - 6.0) / (bad["x_axis"]["pixels"][1] - bad["x_axis"]["pixels"][0])
    meta["x_axis"].update(scale=scale, offset=6.0 - scale * bad["x_axis"]["pixels"][0])
    meta["x_axis"]["ticks"][-1].update(text="60", value=60.0)
    meta["x_axis"]["ticks"] = [meta["x_axis"]["ticks"][0], meta["x_axis"]["ticks"][-1]]
    meta["source"] = str(RESORT / "figure.png")
    (out / "digitization.json").write_text(json.dumps(meta))
    return {"stray": stray, "cell": (row, col)}


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,1000",
                "--disable-gpu"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    yield driver
    driver.quit()


def _wait_status(driver, wanted: str, timeout: float = 20.0) -> str:
    from selenium.webdriver.support.ui import WebDriverWait

    status = driver.find_element("id", "status")
    WebDriverWait(driver, timeout).until(lambda d: status.get_attribute("data-state") == wanted)
    return status.text


def _type(element, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    element.send_keys(Keys.CONTROL, "a")  # select what is there and type over it, then leave
    element.send_keys(text, Keys.TAB)  # the field: one change event, as a user makes


def _click_pixel(driver, x: float, y: float) -> None:
    """Click the overlay at the figure's pixel (x, y)."""
    from selenium.webdriver.common.action_chains import ActionChains

    svg = driver.find_element("id", "overlay")
    width = driver.execute_script("return document.getElementById('figure').naturalWidth")
    rect = svg.rect
    scale = rect["width"] / width
    ActionChains(driver).move_to_element_with_offset(
        svg, x * scale - rect["width"] / 2, y * scale - rect["height"] / 2).click().perform()


def test_analyst_fixes_a_misread_figure_in_the_browser(browser, tmp_path):
    damage = _misread(tmp_path / "good", tmp_path / "misread")
    session = ReviewSession(tmp_path / "misread", reported=RESORT / "reported.toml")
    server = ReviewServer(session).start()
    try:
        driver = browser
        driver.get(server.url)
        # the misread folder cannot even be rebuilt: the numbers at risk rise
        assert "rise" in _wait_status(driver, "error")
        row, col = damage["cell"]
        _type(driver.find_element("css selector", f"input.count[data-arm='{row}'][data-col='{col}']"), "17")
        # now it rebuilds, but the gridline arm and the names fail the check against the paper
        assert _wait_status(driver, "error") and "Arm" in driver.find_element("id", "status").text
        arm_rows = driver.find_elements("css selector", "#arms tbody tr")
        arm_rows[2].find_element("css selector", "button.delete").click()
        _type(driver.find_elements("css selector", "#arms input.name")[0], "Sorafenib")
        _type(driver.find_elements("css selector", "#arms input.name")[1], "Observation")
        _wait_status(driver, "fail")  # the x axis is still wrong
        _type(driver.find_element("id", "x-v1"), "72")
        # delete the stray point by clicking it
        driver.find_element("css selector", "input[name=mode][value=delete]").click()
        n_before = len(driver.find_elements("css selector", "circle.point[data-arm='0']"))
        _click_pixel(driver, *damage["stray"])
        assert len(driver.find_elements("css selector", "circle.point[data-arm='0']")) == n_before - 1
        text = _wait_status(driver, "pass")
        assert text.startswith("validation passed")
        failing = driver.find_elements("css selector", "#validation tr.fail")
        assert not failing
        driver.find_element("id", "save").click()
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(driver, 20).until(
            lambda d: d.find_element("id", "saved").text.startswith("saved"))
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, severe
    finally:
        server.stop()
    folder = tmp_path / "misread"
    meta = json.loads((folder / "digitization.json").read_text())
    edits = meta["review"]["edits"]
    assert any(e.startswith("x axis recalibrated") for e in edits)
    assert "at-risk cell Observation at 24: 71 -> 17" in edits
    assert "deleted arm 'Arm 3' (2 points)" in edits
    assert "renamed arm 'Arm 1' to 'Sorafenib'" in edits
    assert meta["x_axis"]["source"] == "review"
    assert json.loads((folder / "validation.json").read_text())["passed"] is True
    # the saved curves are the good reading's (same points, same calibration)
    good = state_tables(ReviewSession(tmp_path / "good").state)["curves"]
    saved = state_tables(ReviewSession(folder).state)["curves"]
    assert len(saved) == len(good)
    np.testing.assert_allclose(saved["time"], good["time"], atol=0.01)
    np.testing.assert_allclose(saved["survival"], good["survival"], atol=1e-4)


def _drag_pixels(driver, start, end) -> None:
    """Press at the figure's pixel ``start``, move to ``end``, release."""
    from selenium.webdriver.common.action_chains import ActionChains

    svg = driver.find_element("id", "overlay")
    width = driver.execute_script("return document.getElementById('figure').naturalWidth")
    rect = svg.rect
    scale = rect["width"] / width

    def offset(p):
        return p[0] * scale - rect["width"] / 2, p[1] * scale - rect["height"] / 2

    (x0, y0), (x1, y1) = offset(start), offset(end)
    ActionChains(driver).move_to_element_with_offset(svg, x0, y0).click_and_hold() \
        .move_by_offset(x1 - x0, y1 - y0).release().perform()


def test_mouse_edits_drag_mask_and_trace(browser, tmp_path):
    """Drag a point, mask a region and trace a new arm from a clicked colour, then undo one."""
    from kmipd.digitize import digitize

    folder = tmp_path / "dig"
    digitize(RESORT / "figure.png").to_folder(folder)
    session = ReviewSession(folder, reported=RESORT / "reported.toml")
    state = session.state
    server = ReviewServer(session).start()
    try:
        driver = browser
        driver.get(server.url)
        _wait_status(driver, "pass")
        x, y = state["arms"][1]["points"][6]
        _drag_pixels(driver, (x, y), (x, y + 40))
        moved = driver.execute_script("return state.arms[1].points[6]")
        assert abs(moved[0] - x) < 1.5 and abs(moved[1] - (y + 40)) < 1.5
        driver.find_element("css selector", "input[name=mode][value=mask]").click()
        box = state["box"]
        _drag_pixels(driver, (box["right"] - 60, box["top"] + 2), (box["right"] - 2, box["top"] + 40))
        assert len(driver.execute_script("return state.masks")) == 1
        driver.find_element("css selector", "input[name=mode][value=pick]").click()
        x0, y0 = state["arms"][0]["points"][4]
        _click_pixel(driver, x0 + 0.5 * (state["arms"][0]["points"][5][0] - x0), y0)
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(driver, 10).until(lambda d: d.execute_script("return state.arms.length") == 3)
        traced = driver.execute_script("return state.arms[2].points")
        assert len(traced) > 10
        driver.find_element("id", "undo").click()  # the traced arm goes again
        assert driver.execute_script("return state.arms.length") == 2
        driver.find_element("id", "save").click()
        WebDriverWait(driver, 20).until(
            lambda d: d.find_element("id", "saved").text.startswith("saved"))
    finally:
        server.stop()
    edits = json.loads((folder / "digitization.json").read_text())["review"]["edits"]
    assert "arm 'Observation': curve points 1 removed or moved, 1 added or moved" in edits
    assert sum(e.startswith("masked the region") for e in edits) == 1
    assert not any(e.startswith("added arm") for e in edits)
