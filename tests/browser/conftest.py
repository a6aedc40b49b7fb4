"""Browser tests: Playwright (Python) driving Debian's Chromium against a live server.

Every test here is marked ``browser``. Without Chromium (or when Playwright cannot start
it) the tests are skipped, unless ``REC_REQUIRE_BROWSER=1`` (CI), which turns that into a
failure.

The fixtures:

- ``live_server``: the app on its own throwaway SQLite database, served by werkzeug on a
  free port in a daemon thread (``.url``, ``.app``). Rate limits stay on; they are reset
  before each test, and every row is deleted after each test.
- ``browser``: one headless Chromium for the session.
- ``visitor``: parametrised over JavaScript on and off (ids ``js`` and ``nojs``): a fresh
  browser context and page, wrapped in :class:`Visitor`, whose ``visit`` and ``submit``
  check every page they land on with axe-core and save a full-page screenshot to
  ``test-artifacts/browser/<test>-<n>.png``.

Scanning with JavaScript off: axe-core needs timers, and Chromium runs no timers in a
context with JavaScript disabled (``page.evaluate`` itself works, but ``axe.run`` never
resolves; turning script execution back on through CDP does not revive timers either).
So :func:`axe_check` scans a no-JS page in a second, JavaScript-enabled context that is
given the *same server response* (the exact bytes of the page's document, served through
``page.route`` at the same URL with the same cookies), with a CSP of ``script-src 'none'``
so that none of the page's own scripts run: the DOM axe sees is the DOM a person without
JavaScript gets. axe itself is injected with ``page.evaluate``, which the CSP does not
govern.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import warnings
import weakref
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from rec_portal import create_app
from rec_portal.extensions import db, limiter
from rec_portal.models import OutboxMessage
from tests import factories
from tests.conftest import REQUIRE_BROWSER, csrf_from, test_config, wipe

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# REC_CHROMIUM only exists to try the skip/fail paths; CI and developers use Debian's.
CHROMIUM = os.environ.get("REC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
AXE_SOURCE = ROOT / "rec_portal" / "static" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
AXE_RUN = (
    "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
    + repr(AXE_TAGS).replace('"', "'")
    + "}, resultTypes: ['violations']})).violations"
)
# Served with a no-JS page's HTML when it is scanned in a JS-enabled context: the page's
# styles load as usual, none of its scripts run.
NO_SCRIPT_CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'"
)
TIMEOUT_MS = 10_000


# --- marking ------------------------------------------------------------------------------

def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# --- availability -------------------------------------------------------------------------

def _unavailable(reason: str):
    if REQUIRE_BROWSER:
        pytest.fail(
            f"Chromium is required (REC_REQUIRE_BROWSER=1) but unavailable: {reason}",
            pytrace=False,
        )
    pytest.skip(f"Chromium not available: {reason}")


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the environment
        _unavailable(f"Playwright for Python is not installed ({exc})")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
    except Exception as exc:  # noqa: BLE001 - Playwright raises its own Error; any failure means "cannot"
        playwright.stop()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        _unavailable(f"Playwright could not launch {CHROMIUM}: {first_line}")
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


# --- the live server ----------------------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per request is noise in test output
        pass


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser-db") / "live.sqlite3"
    app = create_app(test_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    # Links in email are built from REC_BASE_URL: point it at this server.
    app.config["REC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_live_state(request):
    """Rate limits reset before each test; every row deleted after it."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("browser")  # skip before building a server nobody can visit
    server = request.getfixturevalue("live_server")
    with server.app.app_context():
        limiter.reset()
    yield
    wipe(server.app)


# --- accessibility ------------------------------------------------------------------------

_JS_OFF_CONTEXTS: weakref.WeakSet = weakref.WeakSet()
_LAST_DOCUMENT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def new_context(browser, *, js: bool):
    """A browser context that :func:`axe_check` knows how to scan."""
    context = browser.new_context(java_script_enabled=js, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    if not js:
        _JS_OFF_CONTEXTS.add(context)
    return context


def new_page(context):
    """A page that remembers the response its current document came from."""
    page = context.new_page()

    def _remember(response):
        request = response.request
        if (
            request.is_navigation_request()
            and response.frame == page.main_frame
            and not 300 <= response.status < 400
        ):
            _LAST_DOCUMENT[page] = response

    page.on("response", _remember)
    return page


def _document_html(page) -> bytes:
    """The bytes the server sent for the page's current document."""
    response = _LAST_DOCUMENT.get(page)
    if response is not None and response.url.split("#")[0] == page.url.split("#")[0]:
        with contextlib.suppress(Exception):  # body gone: fall back to the unscripted DOM
            return response.body()
    return page.content().encode()


@lru_cache(maxsize=1)
def _axe_source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def _axe_violations(page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(AXE_RUN)


_SCANNERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# The document each scanner page is about to scan: (url, html). One route per scanner page
# stays in place for its whole life and serves that document; every other request goes on
# to the live server. (A route added and expiring per scan, ``times=1``, left the page's
# stylesheet requests hanging now and then with Chromium 150 and Playwright 1.65.)
_SCAN_DOCUMENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _scanner_page(context):
    """The JS-enabled page that scans the pages of the no-JS ``context`` (one per context).
    Its route turns off the HTTP cache, so each scan fetches the stylesheets again."""
    scan_page = _SCANNERS.get(context)
    if scan_page is None or scan_page.is_closed():
        scanner = new_context(context.browser, js=True)
        scan_page = scanner.new_page()

        def serve(route, page=scan_page):
            wanted = _SCAN_DOCUMENTS.get(page)
            request = route.request
            if wanted and request.is_navigation_request() and request.url.split("#")[0] == wanted[0]:
                route.fulfill(
                    status=200,
                    headers={
                        "content-type": "text/html; charset=utf-8",
                        "content-security-policy": NO_SCRIPT_CSP,
                    },
                    body=wanted[1],
                )
            else:
                route.continue_()

        scan_page.route("**/*", serve)
        _SCANNERS[context] = scan_page
    return scan_page


def close_context(context) -> None:
    """Close a context made by :func:`new_context`, and its scanner if it has one."""
    scan_page = _SCANNERS.pop(context, None)
    if scan_page is not None:
        scan_page.context.close()
    context.close()


def _axe_violations_without_js(page) -> list[dict]:
    html = _document_html(page)
    url = page.url.split("#")[0]
    scan_page = _scanner_page(page.context)
    scanner = scan_page.context
    scanner.clear_cookies()
    scanner.add_cookies(page.context.cookies())
    _SCAN_DOCUMENTS[scan_page] = (url, html)
    try:
        scan_page.goto(url)
    finally:
        _SCAN_DOCUMENTS.pop(scan_page, None)
    return _axe_violations(scan_page)


class AxeWaiverWarning(UserWarning):
    """A known accessibility violation caused by the app was waived on a page."""


# Violations caused by the app's own templates (not by these tests), reported to the app's
# developers. They are waived, with a warning, so that the journeys go on checking
# everything else; delete an entry once the app is fixed. REC_AXE_STRICT=1 waives nothing.
KNOWN_APP_VIOLATIONS: dict[tuple[str, str], str] = {}


def _without_waived(violations: list[dict], url: str) -> list[dict]:
    if os.environ.get("REC_AXE_STRICT") == "1":
        return violations
    kept = []
    for violation in violations:
        nodes = []
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node.get("target", []))
            why = KNOWN_APP_VIOLATIONS.get((violation["id"], target))
            if why:
                warnings.warn(
                    AxeWaiverWarning(
                        f"waived known axe violation {violation['id']} on {target} at {url}: {why}"
                    ),
                    stacklevel=3,
                )
            else:
                nodes.append(node)
        if nodes:
            kept.append({**violation, "nodes": nodes})
    return kept


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} <{v.get('helpUrl')}>")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
            html = (node.get("html") or "").replace("\n", " ")
            if html:
                lines.append(f"      {html[:200]}")
    return "\n".join(lines)


def axe_check(page) -> None:
    """Scan the current page with the vendored axe-core and assert zero violations.

    Pages from a JavaScript-disabled context (made with :func:`new_context`) are scanned
    as served, in a JS-enabled scanner context (see the module docstring)."""
    if page.context in _JS_OFF_CONTEXTS:
        violations = _axe_violations_without_js(page)
    else:
        violations = _axe_violations(page)
    violations = _without_waived(violations, page.url)
    assert not violations, (
        f"axe-core found {len(violations)} accessibility violation(s) on {page.url} "
        f"({page.title()!r}):\n{format_violations(violations)}"
    )


# --- the visitor --------------------------------------------------------------------------

class Visitor:
    """A person with a browser: every page they land on is screenshotted and scanned."""

    def __init__(self, *, page, context, js: bool, base_url: str, name: str):
        self.page = page
        self.context = context
        self.js = js
        self.base_url = base_url
        self.name = name
        self.pages_seen = 0
        self.js_errors: list[str] = []
        page.on("pageerror", lambda error: self.js_errors.append(f"uncaught: {error}"))
        page.on("console", self._on_console)
        page.on("response", self._on_response)

    def _on_console(self, msg) -> None:
        # Chromium logs "Failed to load resource" for every 4xx/5xx response, including
        # pages that rightly answer 400 (a form with errors) or 410; failed subresources
        # are caught by _on_response instead.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.js_errors.append(f"console.error: {msg.text}")

    def _on_response(self, response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.js_errors.append(
                f"{response.status} for {response.request.resource_type} {response.url}"
            )

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    def visit(self, path: str):
        response = self.page.goto(self.url(path))
        assert response is not None
        self.check()
        return response

    def click_link(self, name: str, *, exact: bool = True):
        """Follow a link to a new page."""
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=name, exact=exact).first.click()
        self.check()

    def submit(self, button: str, *, exact: bool = True):
        """Press a button that submits a form, and wait for the page that comes back."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button, exact=exact).click()
        self.check()

    def check(self) -> None:
        """Screenshot and axe-scan the page as it is now."""
        self.page.wait_for_load_state("load")
        self.pages_seen += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # caret="initial": Playwright's default (hide) injects an inline <style>, which the
        # app's CSP rightly blocks, logging a console error that is not the app's fault.
        self.page.screenshot(
            path=str(ARTIFACTS / f"{self.name}-{self.pages_seen}.png"),
            full_page=True,
            caret="initial",
        )
        axe_check(self.page)
        errors, self.js_errors[:] = list(self.js_errors), []
        assert not errors, f"JavaScript or loading errors on {self.page.url}:\n" + "\n".join(errors)


def _artifact_name(nodeid: str) -> str:
    name = nodeid.split("::")[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def visitor(request, browser, live_server):
    js = request.param
    name = _artifact_name(request.node.nodeid)
    if ARTIFACTS.exists():
        for old in ARTIFACTS.glob(f"{name}-*.png"):
            old.unlink()
    context = new_context(browser, js=js)
    page = new_page(context)
    person = Visitor(page=page, context=context, js=js, base_url=live_server.url, name=name)
    try:
        yield person
        assert not person.js_errors, (
            "JavaScript or loading errors after the last check:\n" + "\n".join(person.js_errors)
        )
    finally:
        close_context(context)


# --- What a person does and sees (shared by the journey files) -------------------------------


def heading(visitor):
    return visitor.page.get_by_role("heading", level=1)


def banner(visitor):
    """The success notification (flash message) at the top of the page."""
    return visitor.page.locator(".nhsuk-notification-banner")


def header(visitor):
    return visitor.page.locator("header")


def sign_in(visitor, email: str, password: str) -> None:
    from playwright.sync_api import expect

    page = visitor.page
    expect(heading(visitor)).to_have_text("Sign in")
    email_box = page.get_by_label("Email address", exact=True)
    password_box = page.get_by_label("Password", exact=True)
    expect(email_box).to_have_attribute("name", "email")
    expect(password_box).to_have_attribute("name", "password")
    email_box.fill(email)
    password_box.fill(password)
    visitor.submit("Sign in")


def sign_in_quietly(visitor, email: str, *, password: str = factories.PASSWORD) -> None:
    """Sign in with the real sign-in form's request (CSRF token and all), sent through the
    browser context's own cookie jar, without opening the page. Signing in through the page
    is the account journeys' job; skipping it here keeps this file within its time budget
    (every page opened costs a screenshot and an axe scan, twice over without JS)."""
    request = visitor.context.request
    token = csrf_from(request.get(visitor.url("/login")).text())
    response = request.post(
        visitor.url("/login"),
        form={"csrf_token": token, "email": email, "password": password},
    )
    assert response.ok and response.url == visitor.url("/"), (response.status, response.url)  # the home page


def booking_panel(visitor, session_id: int):
    return visitor.page.locator(f"#booking-panel-{session_id}")


def my_courses_section(visitor, title: str):
    """The cards listed under the heading ``title`` ("Booked", "Waiting lists") on My courses."""
    return visitor.page.locator(
        "xpath=//main//div[contains(concat(' ', normalize-space(@class), ' '), ' nhsuk-card ')]"
        f"[preceding-sibling::h2[1][normalize-space()='{title}']]"
    )


def booking_message(visitor, session_id: int):
    """Where the confirmation shows: in the panel with JavaScript, in the banner without."""
    if visitor.js:
        return booking_panel(visitor, session_id).get_by_role("status")
    return banner(visitor)


def outbox_subjects(live_server, email: str) -> list[str]:
    with live_server.app.app_context():
        subjects = list(
            db.session.execute(
                select(OutboxMessage.subject)
                .where(OutboxMessage.to_address == email)
                .order_by(OutboxMessage.id)
            ).scalars()
        )
        db.session.remove()
    return subjects
