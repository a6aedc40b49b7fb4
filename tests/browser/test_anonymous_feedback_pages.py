"""Anonymous feedback pooled per course and term, with JavaScript on and off: the
dashboard shows a term's pool of 8 (by the words, no session or date) and holds back a
term's pool of fewer, and the pages pass axe (the visitor scans every page it lands on)."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect

from rec_portal.extensions import db
from rec_portal.timeutil import utcnow
from tests import factories
from tests.browser.conftest import sign_in_quietly
from tests.factories import make_feedback_response as _respond
from tests.feedback import question_bank as _bank

pytestmark = pytest.mark.browser


def _session_on(course, when: datetime):
    days = (when - utcnow()).total_seconds() / 86400
    return factories.make_session(course=course, starts_in_days=days, status="completed", completed_at=when)


def test_the_dashboard_shows_a_pool_of_8_and_holds_back_a_smaller_one(visitor, live_server):
    with live_server.app.app_context():
        factories.make_user(roles=("admin",), email="boss@example.org")
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        bank = _bank()
        autumn = _session_on(course, datetime(2025, 10, 7, 10))
        spring = _session_on(course, datetime(2026, 2, 3, 10))
        for i, words in enumerate(["Warmer room", "A quieter venue", "More breaks", "Slower pace",
                                   "Tea, please", "Handouts in large print", "Nothing", "Longer lunch"]):
            _respond(autumn.id, {bank.rating: 3 + i % 3, bank.change: words}, anonymous=True)
            _respond(autumn.id, {bank.rating: 5, bank.change: f"Named remark {i}"})
        for _ in range(3):
            _respond(spring.id, {bank.rating: 2, bank.change: "Held back words"}, anonymous=True)
        # A session ten days ago: its term's feedback is still open, whatever it holds.
        recent = factories.make_session(course=course, starts_in_days=-10, status="completed")
        for _ in range(9):
            _respond(recent.id, {bank.rating: 1, bank.change: "Open pool words"}, anonymous=True)
        db.session.commit()
        from rec_portal.feedback.queries import session_term

        recent_key = session_term(recent.starts_at).key
        course_id = course.id
    sign_in_quietly(visitor, "boss@example.org")
    visitor.visit(f"/admin/feedback/courses/{course_id}")
    page = visitor.page
    pool = page.locator("#pool-2025-autumn")
    expect(pool).to_contain_text("8 anonymous responses this term")
    expect(pool.locator(".rec-fbr-comment__text").first).to_have_text("A quieter venue")
    expect(pool).not_to_contain_text("Session on")
    held = page.locator("#pool-2026-spring")
    expect(held).to_contain_text("Held back")
    expect(page.locator("main")).not_to_contain_text("Held back words")
    still_open = page.locator(f"#pool-{recent_key}")
    expect(still_open).to_contain_text("are shown after feedback closes on")
    expect(page.locator("main")).not_to_contain_text("Open pool words")
