"""The main student pages and the staff list pages reflow at 320 CSS pixels (as at 400%
zoom on a 1280 pixel screen: WCAG 2.2, 1.4.10): nothing is wider than the screen, so
nobody scrolls sideways (a staff table becomes a card per row: macros/tables.jinja). The
accessibility statement says this is tested."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rec_portal.demo import DEMO_ADMIN, DEMO_PASSWORD, DEMO_STUDENT, load_demo_data
from rec_portal.demo.support_requests import DEMO_SUPPORT_LEAD
from rec_portal.extensions import db
from rec_portal.models import Course, CourseSession
from tests.browser.conftest import sign_in_quietly

pytestmark = pytest.mark.browser

PAGES = ["/", "/courses", "/courses/staying-safe", "/support", "/accessibility",
         f"SIGN IN {DEMO_STUDENT}", "/", "/my/courses", "/my/plan", "/my/safety-plan", "/my/account"]


WIDER_THAN_THE_SCREEN = """() => {
    const limit = document.documentElement.clientWidth;
    const over = [...document.querySelectorAll('body *')]
      .filter(e => !e.closest('.nhsuk-table-responsive thead'))  // visually hidden on a phone
      .filter(e => e.getBoundingClientRect().right > limit + 1 && e.getClientRects().length)
      .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                + (e.className && typeof e.className == 'string' ? '.' + e.className.split(' ')[0] : ''));
    return {scroll: document.documentElement.scrollWidth, limit, over: over.slice(0, 8)};
}"""


def _fits(visitor, paths) -> None:
    for path in paths:
        if path.startswith("SIGN IN "):
            visitor.context.clear_cookies()
            sign_in_quietly(visitor, path[len("SIGN IN "):], password=DEMO_PASSWORD)
            continue
        visitor.visit(path)
        wide = visitor.page.evaluate(WIDER_THAN_THE_SCREEN)
        assert wide["scroll"] <= wide["limit"], (path, wide)
        assert not wide["over"], (path, wide)


@pytest.fixture
def narrow(visitor, live_server):
    """The demo data, and a 320 pixel wide window with JavaScript on (the width is measured
    with it; layout does not depend on it)."""
    if not visitor.js:
        pytest.skip("the page's width is measured with JavaScript (layout does not depend on it)")
    with live_server.app.app_context():
        load_demo_data()
        db.session.commit()
    visitor.page.set_viewport_size({"width": 320, "height": 800})
    return visitor


def test_the_main_student_pages_fit_320_pixels(narrow):
    _fits(narrow, PAGES)


def test_the_staff_list_pages_fit_320_pixels(narrow, live_server):
    with live_server.app.app_context():
        course_id = db.session.execute(select(Course.id).where(Course.slug == "staying-safe")).scalar_one()
        session_id = db.session.execute(
            select(CourseSession.id).where(CourseSession.course_id == course_id).order_by(CourseSession.id)
        ).scalars().first()
    _fits(narrow, [f"SIGN IN {DEMO_ADMIN}", "/", "/admin/courses", f"/admin/courses/{course_id}",
                    f"/admin/courses/sessions/{session_id}/bookings", "/admin/people", "/admin/outbox",
                    "/admin/audit", "/admin/reports/attendance", "/admin/calls", "/admin/referrals",
                    "/admin/workshops", "/admin/pathways", "/admin/support", "/admin/feedback/questions",
                    f"/admin/feedback/courses/{course_id}", "/admin/reports/term", "/admin/rosters", "/admin/tutors",
                    f"SIGN IN {DEMO_SUPPORT_LEAD}", "/support-requests"])
