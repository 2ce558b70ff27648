"""The browser tier: the portal served by pytest-django's live server, driven by Chromium.

Fixtures (helpers such as ``axe_check`` and ``totp_code`` are in ``support.py``):

- ``browser``: one headless Debian Chromium for the session (Playwright, sync API);
- ``page`` / ``phone_page``: a fresh browser context (own cookies and storage) per test,
  at desktop (1366x900) or phone (390x844) size, with the live server as base URL, and
  JavaScript errors and Content-Security-Policy violations collected; ``open_page()``
  opens one more (another person's browser) in the same test;
- ``portal``: the live server's URL, with the portal's absolute links pointing at it;
- ``smtp``: a real SMTP server on localhost that collects every message the portal sends,
  with the live server's mail going to it over SMTP (through the outbox and Celery, eager);
- ``screenshot(page, name)``: a full-page PNG under ``test-artifacts/screenshots/<test>/``;
- ``review(page, name)``: what every page of a journey gets: the axe check and a
  screenshot at desktop and at phone width, no sideways scrolling at either, and no
  script error or CSP violation.

Tests touch the database between steps only once the page has settled (after an
``expect`` on the page a step leads to): on SQLite in memory the live server's thread
shares the test's connection.

Browser tests are moved to the end of the run: Playwright's sync API keeps an event loop
running in the main thread while the browser is open, and the ORM refuses to run beside a
running loop unless told it is safe (it is here: the loop only drives the browser).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import services
from tests.browser.support import SmtpSink, axe_check
from tests.conftest_mail import free_port, smtp_server

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What the portal's pages must live with: nothing inline, everything from the portal itself.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests last, so the browser's event loop never meets other tests;
    those that start Playwright themselves run before those sharing the session's browser
    (two sync Playwrights cannot run at once)."""

    def order(item: pytest.Item) -> tuple[bool, bool]:
        in_browser = item.get_closest_marker("browser") is not None
        return in_browser, "browser" in getattr(item, "fixturenames", ())

    items.sort(key=order)


# --- Chromium ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=services.CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def portal(live_server: Any, settings: Any) -> str:
    """The live server's address; links the portal writes into mail and texts point there."""
    settings.PORTAL_BASE_URL = live_server.url
    return str(live_server.url)


@dataclass
class PageProblems:
    """What went wrong inside the page: script errors and CSP violations."""

    errors: list[str] = field(default_factory=list)


def _with_strict_csp(route: Any) -> None:
    """Serve every page of the portal under the strict policy the portal promises."""
    if route.request.resource_type != "document":
        route.continue_()
        return
    response = route.fetch(max_redirects=0)
    headers = dict(response.headers)
    if headers.get("content-type", "").startswith("text/html"):
        headers["content-security-policy"] = STRICT_CSP
    route.fulfill(response=response, headers=headers)


def _open_page(browser: Any, base_url: str, viewport: dict[str, int], **options: Any) -> Any:
    context = browser.new_context(
        base_url=base_url,
        viewport=viewport,
        locale="en-GB",
        timezone_id="UTC",
        color_scheme="light",
        reduced_motion="reduce",
        **options,
    )
    context.set_default_timeout(10_000)
    context.route(f"{base_url}/**", _with_strict_csp)
    page = context.new_page()
    problems = PageProblems()
    page.on("pageerror", lambda exc: problems.errors.append(f"script error: {exc}"))

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        # A page answered with an error status (a 404 the test expects) is not a problem
        # of the page; a missing stylesheet or script it asks for is.
        if (
            message.text.startswith("Failed to load resource")
            and message.location.get("url") == page.url
        ):
            return
        problems.errors.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    page.problems = problems  # read by review()
    return page


@pytest.fixture
def page(browser: Any, portal: str) -> Iterator[Any]:
    """A desktop-sized page in a fresh context (nothing shared with other tests)."""
    page = _open_page(browser, portal, DESKTOP)
    yield page
    page.context.close()


@pytest.fixture
def open_page(browser: Any, portal: str) -> Iterator[Callable[..., Any]]:
    """``open_page()``: another person's browser (a fresh context), desktop-sized."""
    opened: list[Any] = []

    def open_one(**options: Any) -> Any:
        page = _open_page(browser, portal, DESKTOP, **options)
        opened.append(page)
        return page

    yield open_one
    for page in opened:
        page.context.close()


@pytest.fixture
def phone_page(browser: Any, portal: str) -> Iterator[Any]:
    """A phone-sized page (touch, mobile viewport) in a fresh context."""
    page = _open_page(browser, portal, PHONE, is_mobile=True, has_touch=True)
    yield page
    page.context.close()


# --- Screenshots, accessibility, page problems -----------------------------------------


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``screenshot(page, name)``: a full-page PNG, numbered in the order taken."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    counter = iter(range(1, 1000))
    if folder.exists():
        for old in folder.glob("*.png"):
            old.unlink()

    def take(page: Any, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = folder / f"{next(counter):02d}-{slug}-{width}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return take


@pytest.fixture
def review(screenshot: Callable[[Any, str], Path]) -> Callable[[Any, str], None]:
    """``review(page, name)``: axe at desktop and phone width, a screenshot at each, no
    sideways scrolling at either, and no script error or CSP violation so far on the page."""

    def check(page: Any, name: str) -> None:
        page.wait_for_load_state("load")
        original = dict(page.viewport_size)
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            axe_check(page)
            screenshot(page, name)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                pytest.fail(
                    f"the page {page.url} is {overflow}px wider than the screen at "
                    f"{size['width']}px: it scrolls sideways",
                    pytrace=False,
                )
        page.set_viewport_size(original)
        problems = page.problems.errors
        if problems:
            pytest.fail(
                f"the page {page.url} reported problems:\n" + "\n".join(problems), pytrace=False
            )

    return check


# --- Mail over SMTP ----------------------------------------------------------------------


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server on localhost; the portal's mail is sent to it over SMTP.

    Settings are process-wide, so the live server's thread (where the outbox delivers
    after commit, through the eager Celery task) uses the SMTP backend too.
    """
    sink = SmtpSink()
    with smtp_server(sink, settings, free_port()):
        yield sink
