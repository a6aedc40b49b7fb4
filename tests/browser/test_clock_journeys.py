"""Issue 13, parts 5 and 6, through the real UI with JavaScript on and off: the schedule
form shows every problem at once and refuses a start in the past; a register says when it
opens; two students called Jo are told apart on the register and class list; a place with
attendance recorded offers no cancel link to the student or the REC team, and a session
with marks cannot be cancelled. Every page landed on is screenshotted and scanned with
axe-core."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from rec_portal.extensions import db
from rec_portal.timeutil import to_uk, utcnow
from tests import factories
from tests.browser.conftest import heading, sign_in_quietly

pytestmark = pytest.mark.browser


def _seed(live_server) -> dict:
    from rec_portal.attendance.operations import record_attendance

    with live_server.app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        factories.make_user(roles=("admin",), email="boss@example.org")
        fac = factories.make_user(roles=("facilitator",), email="fac@example.org", full_name="Pat Facil")
        # Started half an hour ago: two Jos and Ben have places, Jo Smith is marked present.
        now_on = factories.make_session(course=course, starts_in_days=-0.5 / 24, hours=3)
        later = factories.make_session(course=course, starts_in_days=3)
        for s in (now_on, later):
            factories.add_to_roster(s, fac, "peer_specialist")
        bookings = factories.fill_places(now_on, 3)
        for b, (preferred, full, email) in zip(bookings, [("Jo", "Jo Smith", "jo@example.org"),
                                                          ("Jo", "Jo Patel", "jp@example.org"),
                                                          ("Ben", "Ben Okafor", "ben@example.org")], strict=True):
            b.student.preferred_name, b.student.full_name, b.student.email = preferred, full, email
        factories.fill_places(later, 1)
        record_attendance(now_on.dates[0], bookings[0], "present", fac)
        db.session.commit()
        return {"course": course.id, "now": now_on.id, "date": now_on.dates[0].id, "later": later.id,
                "later_date": later.dates[0].id, "smith": bookings[0].id, "patel": bookings[1].id}


def test_registers_names_cancelling_and_the_schedule_form(visitor, live_server):
    data = _seed(live_server)
    page = visitor.page

    # The facilitator: the Jos told apart on the register and the class list.
    sign_in_quietly(visitor, "fac@example.org")
    visitor.visit(f"/facilitate/sessions/{data['now']}/dates/{data['date']}/register")
    names = page.locator(".rec-register__name")
    expect(names).to_have_text(["Ben", "Jo P.", "Jo S."])
    page.locator(f"label[for=booking-{data['patel']}-absent]").click()
    if visitor.js:
        expect(page.locator("#register-count")).to_contain_text("2 of 3 marked", timeout=10_000)
        visitor.check()
    else:
        visitor.submit("Save the register")
        expect(page.locator("#register-count")).to_contain_text("2 of 3 marked")
    visitor.visit(f"/facilitate/sessions/{data['now']}")
    expect(page.locator(".rec-fac-class-list strong")).to_have_text(["Ben", "Jo P.", "Jo S."])
    # A register that is not open yet says from when.
    visitor.visit(f"/facilitate/sessions/{data['later']}/dates/{data['later_date']}/register")
    expect(page.locator("#register-not-open")).to_contain_text("an hour before it starts")

    # Jo Smith, marked present: no cancel link, and the reason.
    sign_in_quietly(visitor, "jo@example.org")
    visitor.visit("/my/courses")
    expect(page.locator(f"#marked-{data['smith']}")).to_contain_text("Your attendance has been recorded")
    expect(page.get_by_role("link", name="Cancel my place")).to_have_count(0)

    # The REC team: no cancel button for the marked places, and the session is kept.
    sign_in_quietly(visitor, "boss@example.org")
    visitor.visit(f"/admin/courses/sessions/{data['now']}/bookings")
    expect(page.locator(f"#marked-{data['smith']}")).to_contain_text("cannot be cancelled")
    expect(page.locator(f"#marked-{data['patel']}")).to_contain_text("cannot be cancelled")
    visitor.visit(f"/admin/courses/sessions/{data['now']}/cancel")
    expect(heading(visitor)).to_have_text("This session cannot be cancelled")

    # Scheduling: every problem at once, then a start in the past next to its field.
    visitor.visit(f"/admin/courses/{data['course']}/sessions/new")
    visitor.submit("Save session")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary.locator("li")).to_have_text([
        "Add at least one date", "Give the venue or the online joining details",
        "Enter how many places there are"])
    yesterday = to_uk(utcnow() - timedelta(days=1))
    page.fill("#dates-0-day", f"{yesterday:%Y-%m-%d}")
    page.fill("#dates-0-start", "10:00")
    page.fill("#dates-0-end", "12:00")
    page.fill("#venue", "REC, Room 2")
    page.fill("#capacity", "12")
    visitor.submit("Save session")
    expect(summary.locator("li")).to_have_text(["Date 1 starts in the past. Enter a date and time from now on"])
    expect(page.locator("#dates-0-day-error")).to_contain_text("Date 1 starts in the past")
    expect(page.locator("#venue")).to_have_value("REC, Room 2")
