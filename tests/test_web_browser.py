"""The web app in a real browser: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright for Python.

The browser is launched by path (Playwright downloads nothing) and headless; without Chromium every test
here is skipped with a message saying so and how to install it (``make test`` installs it when it can).
Screenshots go to a temporary folder, or to ``COACHGEN_SCREENSHOTS`` when set (that is how ``docs/`` is made).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from web_fixtures import PASSWORD, app_for, make_home

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="BROWSER TESTS SKIPPED: /usr/bin/chromium is missing; install it with "
                       "'apt-get install -y chromium' (make test does this where apt is usable)"),
]


@pytest.fixture(scope="module")
def server(sample_home, tmp_path_factory, embedder):
    """The app on a loopback port, served by uvicorn in a thread."""
    import uvicorn

    home = make_home(sample_home, tmp_path_factory.mktemp("browser") / "home")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app_for(home, embedder, inline_wait=1.0), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("COACHGEN_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(chromium, server):
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server + "/login")
    return page


def login(page, name):
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def tab_to(page, name: str, limit: int = 60) -> None:
    """Press Tab until the focused element is the button or link named ``name`` (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement && (document.activeElement.innerText || document.activeElement.value || '')")
        if focused.strip() == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_a_rep_plays_a_two_turn_drill_with_the_keyboard_only(chromium, server, shots):
    page = open_page(chromium, server)
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'name'")  # autofocus, no click
    page.keyboard.type("dana")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/drills$"))
    page.screenshot(path=str(shots / "rep-drills.png"), full_page=True)
    tab_to(page, "Start drill")
    page.keyboard.press("Enter")
    page.wait_for_selector("textarea#answer")
    assert page.evaluate("() => document.activeElement.id") == "answer"  # the answer box has focus on arrival
    page.keyboard.type("Too high compared to what: another quote, or the budget you set for this year?")
    tab_to(page, "Answer")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=(2 of 2)")
    assert page.locator(".transcript li.buyer").count() == 2
    page.keyboard.type("Could we book Thursday at 10 with your finance lead to walk through the numbers?")
    tab_to(page, "Answer")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Scored feedback")
    assert page.locator(".feedback tbody tr").count() >= 5 and page.locator(".feedback q").count() >= 1
    page.screenshot(path=str(shots / "rep-drill-feedback.png"), full_page=True)
    page.goto(server + "/drills/history")
    chart = page.locator("svg.chart").first.bounding_box()
    assert chart and chart["width"] > 300 and chart["height"] > 100
    page.screenshot(path=str(shots / "rep-history.png"), full_page=True)
    page.context.close()


def test_a_manager_prepares_a_call_and_records_a_debrief(chromium, server, shots):
    page = open_page(chromium, server)
    login(page, "sarah")
    page.wait_for_url(re.compile(r"/team$"))
    page.screenshot(path=str(shots / "manager-team.png"), full_page=True)
    page.click("a[href='/deals/D-1001']")
    page.click("text=Prepare call")
    page.wait_for_url(re.compile(r"/deals/D-1001/plan$"))
    assert page.locator("ol.sources a").count() >= 1
    page.screenshot(path=str(shots / "manager-plan.png"), full_page=True)
    page.click("text=Back")
    page.fill("#notes", "The CFO asked for 20% off; our champion confirmed the budget and the timeline.")
    page.click("text=Debrief >> nth=-1")
    page.wait_for_url(re.compile(r"/deals/D-1001/debrief$"))
    page.fill("#answer_1", "She signs; procurement runs the paper.")
    page.screenshot(path=str(shots / "manager-debrief.png"), full_page=True)
    page.click("text=Record the answers")
    page.wait_for_selector("text=The answers are recorded")
    assert "She signs; procurement runs the paper." in page.inner_text("main")
    page.context.close()


def test_charts_render_without_javascript(chromium, server, shots):
    context = chromium.new_context(viewport={"width": 1100, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/login")
    login(page, "sarah")
    page.goto(server + "/pipeline")
    boxes = [page.locator("svg.chart").nth(i).bounding_box() for i in range(page.locator("svg.chart").count())]
    assert len(boxes) >= 2 and all(box and box["width"] > 300 for box in boxes)
    assert page.locator("svg.chart rect").count() >= 2
    page.screenshot(path=str(shots / "manager-pipeline.png"), full_page=True)
    page.goto(server + "/cadence")
    page.screenshot(path=str(shots / "manager-cadence.png"), full_page=True)
    context.close()
    page = open_page(chromium, server)
    login(page, "eve")
    page.goto(server + "/kb/search?q=the+buyer+says+we+are+too+expensive")
    assert page.locator(".why").count() >= 1
    page.screenshot(path=str(shots / "enablement-search.png"), full_page=True)
    page.context.close()
