"""One place per person per course (issue 13, part 4) through the real UI, with
JavaScript on and off; every page is screenshotted and scanned with axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rec_portal.bookings import operations
from rec_portal.extensions import db
from tests import factories
from tests.browser.conftest import (
    banner,
    booking_message,
    booking_panel,
    heading,
    my_courses_section,
    outbox_subjects,
    sign_in_quietly,
)

pytestmark = pytest.mark.browser


def _course_with_two_dates(live_server, *, capacity_b: int):
    with live_server.app.app_context():
        student = factories.make_user(full_name="Jo Bloggs", preferred_name="Jo")
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        a = factories.make_session(course=course, capacity=5, starts_in_days=10, at_hour=10)
        b = factories.make_session(course=course, capacity=capacity_b, starts_in_days=40, at_hour=10)
        operations.book_place(a.id, student)
        holders = factories.fill_places(b, capacity_b) if capacity_b == 1 else []
        db.session.commit()
        ids = student.email, a.id, b.id, [h.id for h in holders]
        db.session.remove()
    return ids


def _press(visitor, session_id: int, name: str) -> None:
    """Press a button in the booking panel: htmx replaces the panel with JavaScript, a new
    page comes back without."""
    page = visitor.page
    panel = booking_panel(visitor, session_id)
    button = panel.get_by_role("button", name=re.compile(rf"^{re.escape(name)}"))
    if visitor.js:
        before = panel.inner_text()
        page.evaluate("() => { window.__sameDocument = true; }")
        button.click()
        expect(panel).not_to_have_text(before)  # htmx has replaced the panel
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        visitor.check()
    else:
        with page.expect_navigation():
            button.click()
        visitor.check()


def test_booking_a_second_date_asks_then_swaps(visitor, live_server):
    page = visitor.page
    email, a, b, _ = _course_with_two_dates(live_server, capacity_b=5)
    sign_in_quietly(visitor, email)
    visitor.visit("/courses/staying-safe")
    _press(visitor, b, "Book a place")

    # Asked first, nothing booked yet.
    question = booking_panel(visitor, b) if visitor.js else page.locator("main")
    expect(question.get_by_role("heading", name="You already have a place on this course")).to_be_visible()
    if visitor.js:
        expect(question.get_by_role("heading", name="You already have a place on this course")).to_be_focused()
    expect(question.get_by_role("button", name="Swap to this date")).to_be_visible()
    expect(question.get_by_role("link", name=re.compile(r"^Keep my place on"))).to_be_visible()
    assert outbox_subjects(live_server, email) == []  # nothing booked, nobody emailed

    if visitor.js:
        _press(visitor, b, "Swap to this date")
        expect(booking_message(visitor, b)).to_contain_text("Your place is booked.")
        expect(booking_message(visitor, b)).to_contain_text("is cancelled")
    else:
        visitor.submit("Swap to this date")
        expect(banner(visitor)).to_contain_text("is cancelled")
    expect(booking_panel(visitor, b)).to_contain_text("You have a place on this date")
    expect(booking_panel(visitor, a)).not_to_contain_text("You have a place on this date")

    visitor.visit("/my/courses")
    expect(heading(visitor)).to_have_text("My courses")
    expect(my_courses_section(visitor, "Booked")).to_have_count(1)


def test_keep_my_place_join_a_full_dates_list_then_swap_from_my_courses(visitor, live_server):
    email, a, b, holders = _course_with_two_dates(live_server, capacity_b=1)
    sign_in_quietly(visitor, email)
    visitor.visit("/courses/staying-safe")
    _press(visitor, b, "Join the waiting list")
    _press(visitor, b, "Join the waiting list and keep my place") if visitor.js else visitor.submit(
        re.compile(r"^Join the waiting list and keep my place"))
    expect(booking_panel(visitor, b)).to_contain_text("Waiting list")
    expect(booking_panel(visitor, b)).to_contain_text("you will not be given a place on this date while you have it")

    with live_server.app.app_context():  # a place frees on B: it is not given to Jo
        operations.cancel_booking(holders[0])
        db.session.commit()
        db.session.remove()
    assert "Recovery Education Centre session: a place is free if you want to swap" in outbox_subjects(live_server, email)

    visitor.visit("/my/courses")
    waiting = my_courses_section(visitor, "Waiting lists")
    expect(waiting).to_contain_text("A place is free on this date")
    visitor.submit(re.compile(r"^Swap to this date"))
    expect(banner(visitor)).to_contain_text("You have swapped")
    expect(my_courses_section(visitor, "Booked")).to_have_count(1)
    expect(my_courses_section(visitor, "Waiting lists")).to_have_count(0)
