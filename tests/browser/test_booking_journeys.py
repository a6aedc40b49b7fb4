"""Booking journeys through the real UI, with JavaScript on and off (issue 3).

Every page a journey lands on is screenshotted and scanned with axe-core (see
``Visitor.check`` in conftest.py). The data each journey starts from is made with the
factories in the live server's app context and committed before the browser opens.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rec_portal.bookings import operations
from rec_portal.extensions import db
from rec_portal.timeutil import format_uk, to_uk, uk_to_utc, utcnow
from tests import factories
from tests.browser.conftest import (
    banner,
    booking_message,
    booking_panel,
    header,
    heading,
    my_courses_section,
    outbox_subjects,
    sign_in_quietly,
)

pytestmark = pytest.mark.browser

SUBJECT = "Recovery Education Centre session"


# --- what a person does and sees -----------------------------------------------------------


def my_courses_text_under(visitor, title: str):
    """The paragraph straight after the heading ``title`` (the "nothing here" message)."""
    return visitor.page.locator(
        f"xpath=//main//h2[normalize-space()='{title}']/following-sibling::*[1]"
    )


def open_from_header(visitor, name: str) -> None:
    with visitor.page.expect_navigation():
        header(visitor).get_by_role("link", name=name, exact=True).click()
    visitor.check()


def press_booking_button(visitor, session_id: int, name: str) -> None:
    """Press "Book a place" / "Join the waiting list" in a session's booking panel.

    With JavaScript the panel is replaced in place (htmx) and keyboard focus moves to the
    confirmation; without it the form posts and the course page comes back with a banner."""
    page = visitor.page
    panel = booking_panel(visitor, session_id)
    button = panel.get_by_role("button", name=re.compile(rf"^{re.escape(name)}\b"))
    if visitor.js:
        page.evaluate("() => { window.__sameDocument = true; }")
        button.click()
        expect(panel.get_by_role("status")).to_be_visible()
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        visitor.check()
    else:
        with page.expect_navigation():
            button.click()
        visitor.check()
        expect(page).to_have_url(re.compile(rf"/courses/[^/#?]+#session-{session_id}$"))


# --- journeys --------------------------------------------------------------------------------

def test_find_book_and_cancel_staying_safe(visitor, live_server):
    page = visitor.page
    with live_server.app.app_context():
        student = factories.make_user(
            full_name="Jo Bloggs", preferred_name="Jo", email="jo.bloggs@example.org"
        )
        staying_safe = factories.make_course(
            title="Staying Safe", slug="staying-safe",
            summary="A one-day course on making a safety plan for times of crisis.",
        )
        session = factories.make_session(course=staying_safe, capacity=5, starts_in_days=30)
        for title, slug, days in (
            ("Sleep Well", "sleep-well", 10),
            ("Understanding Anxiety", "understanding-anxiety", 20),
        ):
            other = factories.make_course(title=title, slug=slug, summary=f"An introduction: {title}.")
            factories.make_session(course=other, starts_in_days=days)
        db.session.commit()
        email, session_id, starts = student.email, session.id, session.starts_at
        db.session.remove()

    sign_in_quietly(visitor, email)

    # Courses, from the navigation.
    visitor.visit("/")
    expect(header(visitor).get_by_role("link", name="Jo", exact=True)).to_be_visible()
    open_from_header(visitor, "Courses")
    expect(heading(visitor)).to_have_text("Courses")
    count = page.locator("#catalogue-count")
    expect(count).to_have_text("3 courses found.")

    # Find Staying Safe by searching for "staying".
    search = page.get_by_label("Search for a course", exact=True)
    if visitor.js:
        # Results update as you type, without a new page load and without pressing Search.
        page.evaluate("() => { window.__sameDocument = true; }")
        search.press_sequentially("staying", delay=40)
        expect(count).to_have_text("1 course found for “staying”.")
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        expect(page).to_have_url(re.compile(r"/courses\?(.*&)?q=staying(&|$)"))
        visitor.check()
    else:
        search.fill("staying")
        visitor.submit("Search")
        expect(count).to_have_text("1 course found for “staying”.")
    results = page.locator("#catalogue-results")
    expect(results.get_by_role("heading", level=2)).to_have_text(["Staying Safe"])
    expect(results).to_contain_text("5 places left")
    expect(results).not_to_contain_text("Sleep Well")

    # Open the course and book a place on its date.
    visitor.click_link("Staying Safe")
    expect(heading(visitor)).to_have_text("Staying Safe")
    panel = booking_panel(visitor, session_id)
    expect(panel).to_contain_text("5 places left")
    press_booking_button(visitor, session_id, "Book a place")
    expect(booking_message(visitor, session_id)).to_contain_text(
        "Your place is booked. We have sent you the details."
    )
    if visitor.js:
        # Keyboard focus moves to the confirmation, not back to the top of the page.
        expect(panel.get_by_role("status")).to_be_focused()
    expect(panel).to_contain_text("You have a place on this date")
    expect(panel.get_by_role("button")).to_have_count(0)
    expect(panel.get_by_role("link", name=re.compile(r"^Cancel my place"))).to_be_visible()

    # My courses lists it under Booked.
    open_from_header(visitor, "My courses")
    expect(heading(visitor)).to_have_text("My courses")
    booked = my_courses_section(visitor, "Booked")
    expect(booked).to_have_count(1)
    expect(booked.get_by_role("heading", level=3)).to_have_text("Staying Safe")
    expect(my_courses_text_under(visitor, "Waiting lists")).to_have_text(
        "You are not on any waiting lists."
    )

    # Download the calendar file (a download, not a page: nothing to scan).
    with page.expect_download() as download_info:
        booked.get_by_role("link", name=re.compile(r"^Add to my calendar")).click()
    download = download_info.value
    assert download.suggested_filename == "rec-session.ics"
    ics = Path(download.path()).read_text(encoding="utf-8")
    assert ics.count("BEGIN:VEVENT") == 1, ics
    assert f"DTSTART:{starts:%Y%m%dT%H%M%S}Z" in ics, ics
    # The title is neutral: this student did not choose to show course titles.
    assert "SUMMARY:Recovery Education Centre session" in ics, ics
    assert "Staying Safe" not in ics, ics
    expect(heading(visitor)).to_have_text("My courses")

    # Cancel the place, with a confirmation step.
    with page.expect_navigation():
        booked.get_by_role("link", name=re.compile(r"^Cancel my place")).click()
    visitor.check()
    expect(heading(visitor)).to_have_text("Cancel your place?")
    expect(page.locator(".nhsuk-caption-l")).to_have_text("Staying Safe")
    visitor.submit("Yes, cancel my place")
    expect(heading(visitor)).to_have_text("My courses")
    expect(banner(visitor)).to_contain_text("Your place has been cancelled.")
    expect(my_courses_section(visitor, "Booked")).to_have_count(0)
    expect(my_courses_text_under(visitor, "Booked")).to_contain_text("You have no places booked.")

    assert outbox_subjects(live_server, email) == [
        f"{SUBJECT}: your place is booked",
        f"{SUBJECT}: cancelled",
    ]


def test_join_the_waiting_list_and_accept_a_place_when_one_frees(visitor, live_server):
    page = visitor.page
    with live_server.app.app_context():
        student = factories.make_user(
            full_name="Jo Bloggs", preferred_name="Jo", email="jo.bloggs@example.org"
        )
        other = factories.make_user(
            full_name="Sam Jones", preferred_name="Sam", email="sam.jones@example.org"
        )
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        session = factories.make_session(course=course, capacity=1, starts_in_days=30)
        taken = operations.book_place(session.id, other).booking
        assert taken.status == "confirmed"
        db.session.commit()
        email, other_email = student.email, other.email
        student_id, session_id, taken_id = student.id, session.id, taken.id
        db.session.remove()

    sign_in_quietly(visitor, email)

    # The only place is taken: join the waiting list from the course page.
    visitor.visit("/courses/staying-safe")
    expect(heading(visitor)).to_have_text("Staying Safe")
    panel = booking_panel(visitor, session_id)
    expect(panel).to_contain_text("Full You can join the waiting list.")
    press_booking_button(visitor, session_id, "Join the waiting list")
    expect(booking_message(visitor, session_id)).to_contain_text(
        "This session is full, so you have joined the waiting list."
    )
    expect(panel).not_to_contain_text("waiting list: number")  # the position is said once, below
    if visitor.js:
        expect(panel.get_by_role("status")).to_be_focused()
    expect(panel).to_contain_text("You are number 1 in line.")
    expect(panel.get_by_role("link", name=re.compile(r"^Leave the waiting list"))).to_be_visible()

    # My courses shows the place in the queue.
    open_from_header(visitor, "My courses")
    expect(heading(visitor)).to_have_text("My courses")
    waiting = my_courses_section(visitor, "Waiting lists")
    expect(waiting).to_have_count(1)
    expect(waiting.get_by_role("heading", level=3)).to_have_text("Staying Safe")
    expect(waiting).to_contain_text("You are number 1 in line.")
    expect(my_courses_section(visitor, "Booked")).to_have_count(0)

    # The other student cancels. cancel_booking holds the place for the first person waiting
    # (issue 16: an offer that waits for their answer) and queues the message itself.
    with live_server.app.test_request_context():
        offered = operations.cancel_booking(taken_id)
        assert [b.student_id for b in offered] == [student_id]
        db.session.commit()
        db.session.remove()

    # The place is held for them on My courses: they accept it there.
    page.reload()
    visitor.check()
    expect(heading(visitor)).to_have_text("My courses")
    waiting = my_courses_section(visitor, "Waiting lists")
    expect(waiting).to_contain_text("A place is being held for you until")
    visitor.submit(re.compile("^Accept the place"))
    expect(banner(visitor)).to_contain_text("Your place is booked.")
    booked = my_courses_section(visitor, "Booked")
    expect(booked).to_have_count(1)
    expect(booked.get_by_role("heading", level=3)).to_have_text("Staying Safe")
    expect(booked).to_contain_text(
        "A place became free You were on the waiting list and now have a place."
    )
    expect(my_courses_section(visitor, "Waiting lists")).to_have_count(0)
    expect(my_courses_text_under(visitor, "Waiting lists")).to_have_text(
        "You are not on any waiting lists."
    )

    assert outbox_subjects(live_server, email) == [
        f"{SUBJECT}: you are on the waiting list",
        f"{SUBJECT}: a place is being held for you",
        f"{SUBJECT}: your place is booked",
    ]
    assert f"{SUBJECT}: a place is being held for you" not in outbox_subjects(live_server, other_email)


def test_admin_schedules_a_session(visitor, live_server):
    page = visitor.page
    with live_server.app.app_context():
        admin = factories.make_user(
            roles=("admin", "student"), full_name="Alex Morgan", preferred_name="Alex",
            email="alex.morgan@example.org",
        )
        factories.make_course(title="Staying Safe", slug="staying-safe")
        factories.make_course(title="Sleep Well", slug="sleep-well")
        db.session.commit()
        admin_email = admin.email
        db.session.remove()
    day = (to_uk(utcnow()) + timedelta(days=45)).date()
    starts = uk_to_utc(day, time(10, 0))

    sign_in_quietly(visitor, admin_email)

    visitor.visit("/admin")
    expect(heading(visitor)).to_have_text("Admin")
    visitor.click_link("Courses and dates")
    expect(heading(visitor)).to_have_text("Courses")
    visitor.click_link("Staying Safe")
    expect(heading(visitor)).to_have_text("Staying Safe")
    expect(page.locator("main")).to_contain_text("No sessions yet.")
    # An NHS.UK button that is a link (<a role="button">).
    with page.expect_navigation():
        page.get_by_role("button", name="Schedule a session", exact=True).click()
    visitor.check()
    expect(heading(visitor)).to_have_text("Schedule a session")

    first_row = page.locator(".rec-date-row").first
    date_box = first_row.get_by_label("Date 1", exact=True)
    expect(date_box).to_have_attribute("type", "date")
    date_box.fill(f"{day:%Y-%m-%d}")
    first_row.get_by_label("Starts", exact=True).fill("10:00")
    first_row.get_by_label("Ends", exact=True).fill("15:00")
    page.get_by_label("Venue (address and room)", exact=True).fill(
        "Recovery Education Centre\nRoom 2, 1 Station Road"
    )
    page.get_by_label("Places", exact=True).fill("12")
    visitor.submit("Save session")

    # Back on the course, which lists the new session with all 12 places free.
    expect(heading(visitor)).to_have_text("Staying Safe")
    expect(banner(visitor)).to_contain_text(
        f"The session starting {format_uk(starts)} has been scheduled."
    )
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    # On a phone each cell shows its heading first (hidden from screen readers, which read
    # the column header): Dates, Status, Booked, Waiting, Actions, Where.
    cells = rows.first.get_by_role("cell")
    expect(cells.nth(0)).to_have_text(f"Dates {day.day} {day:%b %Y} at 10am")
    expect(cells.nth(1)).to_have_text("Status Scheduled")
    expect(cells.nth(2)).to_have_text("Booked 0 of 12")
    expect(cells.nth(3)).to_have_text("Waiting 0")
    expect(cells.nth(5)).to_contain_text("Recovery Education Centre")


def test_admin_books_a_student_by_phone(visitor, live_server):
    """A student rings the REC; staff find them and book them onto a session."""
    page = visitor.page
    with live_server.app.app_context():
        admin = factories.make_user(roles=("admin", "student"), full_name="Alex Morgan",
                                    email="alex.morgan@example.org")
        factories.make_user(full_name="Priya Shah", email="priya@example.org")
        session = factories.make_session(
            course=factories.make_course(title="Staying Safe", slug="staying-safe"), capacity=6
        )
        db.session.commit()
        admin_email, session_id = admin.email, session.id
        db.session.remove()

    sign_in_quietly(visitor, admin_email)
    visitor.visit(f"/admin/courses/sessions/{session_id}/bookings")
    expect(heading(visitor)).to_contain_text("Bookings for")
    expect(page.locator("main")).to_contain_text("0 of 6 places taken")
    page.get_by_label("Name, email address, phone number or student number", exact=True).fill("priya")
    visitor.submit("Find student")
    expect(page.locator("main")).to_contain_text("Priya Shah (priya@example.org)")
    visitor.submit("Book Priya Shah")
    expect(banner(visitor)).to_contain_text("Priya Shah has a place. They have been sent an email.")
    expect(page.locator("main")).to_contain_text("1 of 6 places taken")
    booked = page.locator("main table").first
    expect(booked).to_contain_text("Priya Shah")
    expect(booked).to_contain_text("by staff")
    assert outbox_subjects(live_server, "priya@example.org") == [f"{SUBJECT}: your place is booked"]


def test_cancel_from_the_course_page(visitor, live_server):
    """With JavaScript the confirmation and the result appear in the booking panel; without
    it, the same link leads to the confirmation page and back to My courses."""
    page = visitor.page
    with live_server.app.app_context():
        student = factories.make_user(email="jo@example.org")
        session = factories.make_session(
            course=factories.make_course(title="Staying Safe", slug="staying-safe"), capacity=4
        )
        operations.book_place(session.id, student)
        db.session.commit()
        session_id = session.id
        db.session.remove()

    sign_in_quietly(visitor, "jo@example.org")
    visitor.visit("/courses/staying-safe")
    panel = booking_panel(visitor, session_id)
    expect(panel).to_contain_text("You have a place on this date")
    link = panel.get_by_role("link", name=re.compile(r"^Cancel my place"))
    if visitor.js:
        page.evaluate("() => { window.__sameDocument = true; }")
        link.click()
        expect(panel.get_by_role("heading", name="Cancel your place?")).to_be_focused()
        visitor.check()
        panel.get_by_role("button", name="Yes, cancel my place").click()
        expect(panel.get_by_role("status")).to_contain_text("Your place has been cancelled.")
        expect(panel).to_contain_text("4 places left")
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        visitor.check()
    else:
        with page.expect_navigation():
            link.click()
        visitor.check()
        expect(heading(visitor)).to_have_text("Cancel your place?")
        visitor.submit("Yes, cancel my place")
        expect(banner(visitor)).to_contain_text("Your place has been cancelled.")
    assert outbox_subjects(live_server, "jo@example.org")[-1] == f"{SUBJECT}: cancelled"
