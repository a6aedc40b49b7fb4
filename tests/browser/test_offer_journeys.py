"""Waiting-list offers through the real UI, JavaScript on and off, axe on every page
(issue 16): an online student accepting the place held for them, and the issue's
"Done when" for a person with no email address: added and booked by phone, wait-listed,
offered a place by text, accepting on the phone through staff, attending, and their
certificate printed by staff.

With JavaScript on, the student journey runs at a phone's width (375 pixels), so the
screenshots show the offer page and My courses both on a phone and on a desktop."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.bookings import operations
from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession, OutboxMessage, User
from rec_portal.timeutil import format_uk, uk_date_and_time, utcnow
from tests import factories
from tests.browser.conftest import banner, heading, my_courses_section, outbox_subjects, sign_in_quietly

pytestmark = pytest.mark.browser

HELD = "Recovery Education Centre session: a place is being held for you"
BOOKED = "Recovery Education Centre session: your place is booked"


def _full_session(*, title: str = "Staying Safe", slug: str = "staying-safe"):
    """A one-place session in a fortnight with its place booked: (session, the booking)."""
    course = factories.make_course(title=title, slug=slug)
    session = factories.make_session(course=course, capacity=1, starts_in_days=14, at_hour=10)
    holder = operations.book_place(session.id, factories.make_user(full_name="Someone Booked")).booking
    return session, holder


def _cancel(app, booking_id: int) -> None:
    """The person booked gives up their place (through the operation, as the app does)."""
    with app.app_context():
        operations.cancel_booking(booking_id, by_student=True)
        db.session.commit()
        db.session.remove()


def test_an_online_student_accepts_the_place_held_for_them(visitor, live_server):
    page, app = visitor.page, live_server.app
    if visitor.js:
        page.set_viewport_size({"width": 375, "height": 800})
    with app.app_context():
        session, holder = _full_session()
        jo = factories.make_user(full_name="Jo Bloggs", preferred_name="Jo", email="jo@example.org")
        waiting = operations.book_place(session.id, jo).booking
        db.session.commit()
        ids = dict(session=session.id, holder=holder.id, jo=waiting.id)
        db.session.remove()
    _cancel(app, ids["holder"])
    with app.app_context():
        offered = db.session.get(Booking, ids["jo"])
        until = uk_date_and_time(offered.offer_expires_at)
        link = db.session.execute(select(OutboxMessage.body_text).where(
            OutboxMessage.to_address == "jo@example.org", OutboxMessage.subject == HELD)).scalar_one()
        db.session.remove()
    assert offered.status == "offered"
    link = re.search(r"http://\S+/offer", link)[0]

    sign_in_quietly(visitor, "jo@example.org")
    visitor.visit("/my/courses")
    card = my_courses_section(visitor, "Waiting lists")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(f"A place is being held for you until {until}.")
    expect(card.get_by_role("button", name=re.compile("^Accept the place"))).to_be_visible()

    # The link in the message opens the offer page.
    visitor.visit(link)
    expect(heading(visitor)).to_have_text("A place is being held for you")
    expect(page.locator(f"#offer-{ids['jo']}")).to_contain_text(f"until {until}")
    expect(page.get_by_role("button", name=re.compile("^Decline"))).to_be_visible()
    visitor.submit(re.compile("^Accept the place"))

    expect(heading(visitor)).to_have_text("My courses")
    expect(banner(visitor)).to_contain_text("Your place is booked. We have sent you the details.")
    booked = my_courses_section(visitor, "Booked")
    expect(booked).to_have_count(1)
    expect(booked).to_contain_text("Staying Safe")
    expect(booked).to_contain_text("A place became free")
    expect(page.locator("main")).to_contain_text("You are not on any waiting lists.")
    assert outbox_subjects(live_server, "jo@example.org") == [HELD, BOOKED]


# --- The "Done when": someone with no email address -----------------------------------

def _add_pat_and_book_them(visitor, session_id: int) -> None:
    """Staff add Pat, who phoned and has no email address, from the session's bookings page,
    then book them: the session is full, so they go on the waiting list."""
    page = visitor.page
    visitor.visit(f"/admin/courses/sessions/{session_id}/bookings?q=Pat#book")
    visitor.click_link("Add someone who is not on the portal")
    expect(heading(visitor)).to_have_text("Add someone who is not on the portal")
    page.get_by_label("Full name", exact=True).fill("Pat Jones")
    page.get_by_label("Phone number", exact=True).fill("07700 900123")
    expect(page.get_by_label("Text message", exact=True)).to_be_checked()  # the default here
    page.get_by_label("They agreed to the REC keeping these details and contacting them").check()
    page.get_by_label("By phone", exact=True).check()
    visitor.submit("Add this person")
    expect(banner(visitor)).to_contain_text("Pat Jones has been added")
    found = page.locator(".rec-found-person")
    expect(found).to_contain_text("Pat Jones (no email address)")
    visitor.submit("Book Pat Jones")
    expect(banner(visitor)).to_contain_text("Pat Jones")
    expect(page.locator("main")).to_contain_text("1 on the waiting list")


def _take_the_register(visitor, session_id: int, date_id: int, booking_id: int) -> None:
    page = visitor.page
    visitor.visit(f"/facilitate/sessions/{session_id}/dates/{date_id}/register")
    page.locator(f"label[for=booking-{booking_id}-present]").click()
    if visitor.js:
        expect(page.locator("#register-count")).to_contain_text("Everyone is marked")
        visitor.check()
    else:
        visitor.submit("Save the register")
    expect(page.locator("#register-count")).to_contain_text("This session is completed")


def test_done_when_someone_without_email_is_offered_a_place_by_text_and_accepts_on_the_phone(
        visitor, live_server):
    page, app = visitor.page, live_server.app
    with app.app_context():
        session, holder = _full_session()
        factories.make_user(roles=("admin",), full_name="Sam Staff", email="staff@example.org")
        db.session.commit()
        ids = dict(session=session.id, holder=holder.id, date=session.dates[0].id)
        db.session.remove()
    sign_in_quietly(visitor, "staff@example.org")
    _add_pat_and_book_them(visitor, ids["session"])
    with app.app_context():
        pat = db.session.execute(select(User).where(User.full_name == "Pat Jones")).scalar_one()
        assert pat.email is None and not pat.has_online_account
        pat_booking = db.session.execute(select(Booking).where(Booking.student_id == pat.id)).scalar_one()
        assert pat_booking.status == "waitlisted"
        ids.update(pat=pat.id, booking=pat_booking.id)
        db.session.remove()

    # A place frees: it is held for Pat, who is told by text to call the REC by then.
    _cancel(app, ids["holder"])
    with app.app_context():
        booking = db.session.get(Booking, ids["booking"])
        assert booking.status == "offered"
        texts = db.session.execute(select(OutboxMessage).where(
            OutboxMessage.user_id == ids["pat"]).order_by(OutboxMessage.id)).scalars().all()
        # Told by text when put on the waiting list, and now that a place is held.
        assert [(t.channel, t.to_address) for t in texts] == [("text", "07700900123")] * 2
        held = texts[-1].body_text
        assert held.startswith("Recovery Education Centre: a place on ")
        assert f"is held for you until {format_uk(booking.offer_expires_at)}." in held
        assert "call" in held and "by then" in held and "Staying Safe" not in held
        db.session.remove()

    # Pat phones and says yes: staff accept for them.
    visitor.visit(f"/admin/courses/sessions/{ids['session']}/bookings")
    held = page.locator(f"#offered-{ids['booking']}")
    expect(held).to_contain_text("Pat Jones")
    expect(held).to_contain_text("No email address")
    visitor.submit(re.compile(r"^Accept for them .*they said yes on the phone"))
    expect(banner(visitor)).to_contain_text("Pat Jones has accepted the place: it is booked")
    expect(page.locator(f"#offered-{ids['booking']}")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("1 of 1 places taken")
    with app.app_context():
        assert db.session.get(Booking, ids["booking"]).status == "confirmed"
        confirmation = db.session.execute(select(OutboxMessage).where(
            OutboxMessage.user_id == ids["pat"]).order_by(OutboxMessage.id.desc())).scalars().first()
        assert confirmation.channel == "text" and "is booked" in confirmation.body_text
        # The session has happened: it is moved into the past.
        row = db.session.get(CourseSession, ids["session"])
        start = utcnow().replace(microsecond=0) - timedelta(hours=3)
        row.dates[0].starts_at, row.dates[0].ends_at = start, start + timedelta(hours=2)
        row.starts_at, row.ends_at = start, start + timedelta(hours=2)
        db.session.commit()
        db.session.remove()

    # Pat came: marked present on the register.
    _take_the_register(visitor, ids["session"], ids["date"], ids["booking"])

    # Staff print Pat's certificate from their record.
    visitor.visit(f"/admin/people/{ids['pat']}")
    expect(heading(visitor)).to_contain_text("Pat Jones")
    link = page.get_by_role("link", name=re.compile("^print the certificate"))
    href = link.get_attribute("href")
    assert href == f"/admin/bookings/{ids['booking']}/certificate.pdf"
    response = visitor.context.request.get(visitor.url(href))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        text = " ".join(text.split())
        assert "Pat Jones" in text and "Staying Safe" in text
