"""Browser tests: a live server on 127.0.0.1 over a migrated database, driven by Playwright in
Debian's Chromium. Screenshots go to AWARD_SCREENSHOT_DIR (the user guide's images) when set."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from award.app_db import get_database
from tests.conftest import make_test_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_app(new_migrated_database_url, tmp_path_factory):
    """Each module's own app over its own migrated database (the migrations ran once per session)."""
    url = new_migrated_database_url()
    app = make_test_app(url, WTF_CSRF_ENABLED=True, BABEL_DEFAULT_LOCALE="zh_CN",
                        FILES_ROOT=str(tmp_path_factory.mktemp("files")))
    app.instance_path = str(tmp_path_factory.mktemp("instance"))  # not the developer's instance/
    yield app
    get_database(app).engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """One Chromium per session (per xdist worker): each test's pages live in their own browser
    context (new_page, the page audit's contexts), which shares no cookies or storage with another;
    launching Chromium and Playwright's driver cost 2.5 s of CPU per module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/system-deps.sh --test` (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def make(*, mobile: bool = False):
        options = {"base_url": live_server, "locale": "zh-CN"}
        if mobile:
            options.update(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                           has_touch=True)
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """Save a screenshot for the user guide when AWARD_SCREENSHOT_DIR is set."""
    folder = os.environ.get("AWARD_SCREENSHOT_DIR")

    def take(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take
