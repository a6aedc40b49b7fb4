""""Leave this page quickly" must really leave (issue 13, part 1), in Chromium.

A student signs in, writes their safety plan, saves it twice (and, with JavaScript, lets a
section autosave), then leaves quickly by the button or (with JavaScript) the Escape key,
and presses Back three times: no step shows plan text or a signed-in page, and the session
has ended on the server. The neutral site is played by a page served on this machine at
another origin, as the real one (a weather site) would be. Also: a page brought back from
the back/forward cache is blanked and reloaded, and the bar is low on a 320px screen with
the Escape hint hidden on touch screens. Every page of the portal landed on is scanned
with axe-core."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import UserSession
from tests import factories
from tests.browser.conftest import header, heading, sign_in
from tests.browser.conftest import ARTIFACTS, axe_check, close_context, new_context, new_page

pytestmark = pytest.mark.browser

NEUTRAL_PAGE = (
    "<!doctype html><html lang='en'><head><title>Weather</title></head>"
    "<body><h1>Weather forecast</h1><p>Sunny spells.</p></body></html>"
)
SECRETS = (
    "The man from the flat upstairs asks for money",
    "I stop answering the door",
    "Text my cousin Alex before I go out",
)


class _NeutralSite(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server calls
        body = NEUTRAL_PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def neutral_site():
    """A neutral page on another origin (as the real weather site is), on this machine."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NeutralSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/forecast"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def exit_url(live_server, neutral_site):
    """REC_QUICK_EXIT_URL points at the neutral page."""
    old = live_server.app.config["REC_QUICK_EXIT_URL"]
    live_server.app.config["REC_QUICK_EXIT_URL"] = neutral_site
    try:
        yield neutral_site
    finally:
        live_server.app.config["REC_QUICK_EXIT_URL"] = old


def _student(live_server) -> tuple[int, str]:
    with live_server.app.app_context():
        user = factories.make_user(email="jordan.quick@example.org", preferred_name="Jordan")
        db.session.commit()
        return user.id, user.email


def _open_sessions(live_server, user_id: int) -> int:
    with live_server.app.app_context():
        try:
            return len(db.session.execute(
                select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            ).scalars().all())
        finally:
            db.session.remove()


def _history_length(visitor) -> int:
    return visitor.page.evaluate("() => history.length")


def _save(visitor, section: str) -> None:
    """Press that section's "Save my plan" button."""
    page = visitor.page
    button = page.get_by_role("button", name=f"Save my plan ({section})")
    if visitor.js:
        status = button.locator("xpath=preceding-sibling::p[contains(@class,'rec-save-status')][1]")
        with page.expect_response(
            lambda r: r.url == visitor.url("/my/safety-plan") and r.request.method == "POST"
        ) as saved:
            button.click()
        assert saved.value.status in (200, 302)  # (302: a new page, which history checks below)
        page.wait_for_load_state("load")
        # Leaving the text box also autosaves it: either answer may be the last one shown.
        expect(status).to_contain_text(re.compile(r"Your safety plan has been saved|Saved at"))
        visitor.check()
    else:
        visitor.submit(f"Save my plan ({section})")
        expect(page.locator("main")).to_contain_text("Your safety plan has been saved.")


def _write_and_save_twice(visitor) -> None:
    page = visitor.page
    visitor.visit("/my/safety-plan")
    expect(heading(visitor)).to_have_text("My safety plan")
    before = _history_length(visitor)
    page.get_by_label("Situations where I feel unsafe").fill(SECRETS[0])
    _save(visitor, "Situations where I feel unsafe")
    page.get_by_label("My warning signs").fill(SECRETS[1])
    _save(visitor, "My warning signs")
    if visitor.js:
        # A section also saves itself a moment after typing stops.
        page.get_by_label("Things I can do to keep myself safe").fill(SECRETS[2])
        expect(page.locator("#save-status-keeping_safe")).to_contain_text("Saved at", timeout=8000)
        # Neither saving nor autosaving adds a history entry Back could return to.
        assert _history_length(visitor) == before


def _leave(visitor, how: str, exit_url: str) -> None:
    page = visitor.page
    with page.expect_navigation(url=exit_url):
        if how == "button":
            name = "Leave this page quickly"
            page.get_by_role("button", name=name).or_(page.get_by_role("link", name=name)).click()
        else:
            page.get_by_label("My warning signs").focus()  # even while writing
            page.keyboard.press("Escape")
    expect(page.get_by_role("heading", level=1)).to_have_text("Weather forecast")


def _wait_until_signed_out_on_the_server(live_server, user_id: int) -> None:
    deadline = time.monotonic() + 5
    while _open_sessions(live_server, user_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _open_sessions(live_server, user_id) == 0, "the quick exit did not end the session"


def _back_three_times(visitor, live_server) -> list[str]:
    """Press Back three times; after each, nothing private and nobody signed in."""
    page = visitor.page
    seen = []
    for step in range(1, 4):
        page.go_back()
        page.wait_for_load_state("load")
        seen.append(page.url)
        text = page.content()
        for secret in SECRETS:
            assert secret not in text, f"Back {step} ({page.url}) shows the plan"
        if page.url.startswith(live_server.url):
            expect(header(visitor).get_by_role("button", name="Sign out")).to_have_count(0)
            assert "Jordan" not in page.locator("header").inner_text(), f"Back {step} ({page.url}) is signed in"
            visitor.check()
    return seen


@pytest.mark.parametrize("how", ["button", "escape"])
def test_after_a_quick_exit_back_never_shows_the_plan_or_a_signed_in_page(visitor, live_server, exit_url, how):
    if how == "escape" and not visitor.js:
        # The Escape key needs JavaScript, so without it the hint does not offer it.
        visitor.visit("/support")
        expect(visitor.page.get_by_role("button", name="Leave this page quickly")).to_be_visible()
        expect(visitor.page.locator(".rec-quick-exit__hint")).to_be_hidden()
        return
    user_id, email = _student(live_server)
    visitor.visit("/login")
    sign_in(visitor, email, factories.PASSWORD)
    expect(header(visitor).get_by_role("button", name="Sign out")).to_be_visible()
    _write_and_save_twice(visitor)

    _leave(visitor, how, exit_url)
    _wait_until_signed_out_on_the_server(live_server, user_id)
    seen = _back_three_times(visitor, live_server)
    assert any(url.startswith(live_server.url) for url in seen)  # Back did reach the portal

    # What was written is kept: signing in again shows it.
    visitor.visit("/login")
    sign_in(visitor, email, factories.PASSWORD)
    visitor.visit("/my/safety-plan")
    expect(visitor.page.get_by_label("Situations where I feel unsafe")).to_have_value(SECRETS[0])


def test_a_private_page_brought_back_from_the_back_forward_cache_is_reloaded(browser, live_server):
    """Playwright's Chromium keeps no back/forward cache, so the browser's ``pageshow``
    with ``persisted`` is played here: the page hides itself and asks the server again."""
    user_id, email = _student(live_server)
    context = new_context(browser, js=True)
    page = new_page(context)
    try:
        page.goto(f"{live_server.url}/login")
        page.get_by_label("Email address", exact=True).fill(email)
        page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/my/safety-plan")
        axe_check(page)
        with page.expect_navigation():  # a reload: the server decides what is shown now
            page.evaluate(
                "() => window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))"
            )
        page.wait_for_load_state("load")
        expect(page.get_by_role("heading", level=1)).to_have_text("My safety plan")
        # Restored from memory, it was hidden before the reload was even asked for.
        page.evaluate("() => window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: true}))")
        assert page.evaluate("() => document.documentElement.classList.contains('rec-leaving')")
        assert not page.locator("main").is_visible()
        # A public page seen while signed out is left alone.
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/courses")
        page.evaluate("() => window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
        page.wait_for_timeout(300)
        assert page.locator("main").is_visible()
    finally:
        close_context(context)


@pytest.mark.parametrize("touch", [False, True], ids=["keyboard", "touch"])
def test_the_bar_is_low_on_a_small_screen_and_the_escape_hint_is_for_keyboards(browser, live_server, touch):
    context = browser.new_context(
        viewport={"width": 320, "height": 640},
        has_touch=touch,
        is_mobile=touch,
        device_scale_factor=2 if touch else 1,
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/support")
        bar = page.locator(".rec-quick-exit")
        name = "Leave this page quickly"
        expect(bar.get_by_role("button", name=name).or_(bar.get_by_role("link", name=name))).to_be_visible()
        box = bar.bounding_box()
        assert box is not None and box["height"] <= 56, box
        hint = bar.locator(".rec-quick-exit__hint")
        if touch:
            expect(hint).to_be_hidden()
        else:
            expect(hint).to_be_visible()
            assert hint.inner_text().strip() == "Or press Esc."  # the long one is for wide screens
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"quick-exit-bar-320-{'touch' if touch else 'keyboard'}.png"), caret="initial")
        axe_check(page)
    finally:
        context.close()
