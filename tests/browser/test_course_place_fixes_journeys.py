"""One place per person per course (issue 13, part 4), review fixes through the real UI,
JavaScript on and off (every page screenshotted and scanned with axe-core): a walk-in for
someone waiting for another date names that list; once they are marked present, the staff
page of that date, My courses and the course page say they will not be given a place from
it, and there is no Swap button."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from rec_portal.extensions import db
from rec_portal.models import Booking
from rec_portal.timeutil import utcnow
from tests import factories
from tests.browser.conftest import booking_panel, heading, my_courses_section, sign_in_quietly

pytestmark = pytest.mark.browser


def test_a_walk_in_waiting_for_another_date_is_named_then_never_promoted_from_it(visitor, live_server):
    page = visitor.page
    with live_server.app.app_context():
        admin = factories.make_user(roles=("admin", "student"), full_name="Alex Morgan", preferred_name="Alex")
        jo = factories.make_user(full_name="Jo Bloggs", preferred_name="Jo")
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        today = factories.make_session(course=course, starts_in_days=-0.02, hours=3)
        later = factories.make_session(course=course, capacity=1, starts_in_days=30, at_hour=10)
        (holder,) = factories.fill_places(later, 1)
        waiting = factories.make_booking(later, jo, "waitlisted", queued_at=utcnow() - timedelta(days=2))
        db.session.commit()
        ids = admin.email, jo.email, jo.id, today.id, later.id, waiting.id, holder.id
        db.session.remove()
    admin_email, jo_email, jo_id, today_id, later_id, waiting_id, holder_id = ids

    sign_in_quietly(visitor, admin_email)
    visitor.visit(f"/admin/courses/sessions/{today_id}/bookings?walk_in_q=Jo+Bloggs")
    visitor.submit("Add Jo Bloggs to this session")
    main = page.locator("main")
    expect(main).to_contain_text("Jo Bloggs has been added to this session with a place.")
    expect(main).to_contain_text("Jo Bloggs is also on the waiting list for this course on")
    expect(main).to_contain_text("Also on the waiting list for")

    with live_server.app.app_context():  # the register: Jo is present; then a place frees later
        from rec_portal.bookings.operations import cancel_booking

        walk_in = db.session.query(Booking).filter_by(student_id=jo_id, session_id=today_id).one()
        factories.make_attendance(walk_in, walk_in.session.dates[0], "present")
        db.session.commit()
        assert cancel_booking(holder_id) == []  # Jo is passed over: nobody else waits
        db.session.commit()
        assert db.session.get(Booking, waiting_id).status == "waitlisted"
        db.session.remove()

    with page.expect_navigation():
        page.locator(".rec-other-date a").first.click()  # the date Jo is still waiting for
    visitor.check()
    expect(page.locator(f"#attended-elsewhere-{waiting_id}")).to_contain_text("Attended this course on")

    visitor.context.clear_cookies()
    sign_in_quietly(visitor, jo_email)
    visitor.visit("/my/courses")
    expect(heading(visitor)).to_have_text("My courses")
    waiting_card = my_courses_section(visitor, "Waiting lists")
    expect(waiting_card).to_contain_text("You have already done this course: you attended on")
    expect(waiting_card.get_by_role("button")).to_have_count(0)  # no Swap
    expect(waiting_card.get_by_role("link", name="Leave the waiting list", exact=False)).to_be_visible()
    visitor.visit("/courses/staying-safe")
    expect(booking_panel(visitor, later_id)).to_contain_text("you will not be given a place from this waiting list")
