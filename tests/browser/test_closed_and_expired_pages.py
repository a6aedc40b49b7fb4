"""Pages that say something is over, opened in a real browser with JavaScript on and off
and scanned with axe: feedback on a session whose feedback has closed (issue 13: feedback
closes REC_FEEDBACK_OPEN_DAYS after a session), and an enrolment link that has expired or
was already used."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import Booking
from tests import factories
from tests.browser.conftest import heading, sign_in

pytestmark = pytest.mark.browser


def test_feedback_closed_and_an_expired_enrolment_link(visitor, live_server):
    page = visitor.page
    with live_server.app.app_context():
        student = factories.make_user(email="closed.feedback@example.org", preferred_name="Robin")
        session = factories.make_attended_session([student], ended_days_ago=60)
        booking_id = db.session.execute(
            select(Booking.id).where(Booking.session_id == session.id, Booking.student_id == student.id)
        ).scalar_one()
        db.session.commit()

    # An enrolment link that does not work (expired, used, or not the newest) says so calmly.
    response = visitor.visit("/register/confirm/not-a-link-we-sent")
    assert response.status == 410
    expect(heading(visitor)).to_have_text("This link has expired or has already been used")
    visitor.click_link("sign in")  # (the page's own link, not the header's "Sign in")

    # Feedback 60 days after the session: closed, and the page says so; nothing to fill in.
    sign_in(visitor, "closed.feedback@example.org", factories.PASSWORD)
    response = visitor.visit(f"/my/courses/{booking_id}/feedback")
    assert response.status == 200
    expect(heading(visitor)).to_have_text("Feedback for this session has closed")
    expect(page.locator("textarea")).to_have_count(0)
    expect(page.get_by_role("link", name="Back to my courses")).to_be_visible()
