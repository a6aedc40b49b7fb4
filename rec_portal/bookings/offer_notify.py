"""Messages about waiting-list offers, by each person's contact preference
(notifications.contact.tell): a place held for them until a time (``offer_made``), the
offer lapsed and passed on (``offer_lapsed``), a last-minute place free to whoever accepts
first (``place_free_now``), and a place accepted (``offer_accepted``).

Each kind has its email (templates/emails/<kind>.txt, with a link to the offer page for
people who can sign in), its text (templates/texts/<kind>.txt: short and neutral, no course
title unless the person chose to see titles) and what staff say on the phone
(templates/calls/<kind>.txt). People without an online account are asked to call the REC
(REC_CONTACT_PHONE) by the time the place is held until. Queued by the operations in
bookings/operations.py, never by a caller."""

from __future__ import annotations

from flask import current_app, render_template

from rec_portal.models import Booking
from rec_portal.notifications.contact import Message, tell
from rec_portal.timeutil import format_uk

SUBJECT = "Recovery Education Centre session"


def _subject(booking: Booking, what: str) -> str:
    """Neutral, unless the student chose to see course titles."""
    if booking.student.show_course_titles:
        return f"{booking.session.course.title}: {what}"
    return f"{SUBJECT}: {what}"


def offer_link(booking: Booking) -> str:
    """The offer page's full address (built without a request, never from Host)."""
    path = current_app.url_map.bind("localhost").build("bookings.offer", {"booking_id": booking.id})
    return current_app.config["REC_BASE_URL"].rstrip("/") + path


def _send(kind: str, booking: Booking, what: str, *, expires_at, attachment=None) -> str | None:
    person, session = booking.student, booking.session
    values = dict(
        person=person, booking=booking, session=session,
        title=session.course.title if person.show_course_titles else None,
        when=format_uk(session.starts_at), until=format_uk(booking.offer_expires_at),
        online=person.has_online_account, phone=current_app.config["REC_CONTACT_PHONE"],
        link=offer_link(booking),
        my_courses=current_app.config["REC_BASE_URL"].rstrip("/") + "/my/courses",
    )
    return tell(person, Message(
        kind=kind,
        subject=_subject(booking, what),
        email_body=render_template(f"emails/{kind}.txt", **values),
        text=" ".join(render_template(f"texts/{kind}.txt", **values).split()),
        call=render_template(f"calls/{kind}.txt", **values).strip(),
        attachment=attachment, expires_at=expires_at, booking=booking, session=session,
    ))


def place_offered(booking: Booking) -> str | None:
    """A place is held for them until ``booking.offer_expires_at``: accept or decline."""
    return _send("offer_made", booking, "a place is being held for you",
                 expires_at=booking.offer_expires_at)


def offer_lapsed(booking: Booking) -> str | None:
    """The offer ended unanswered: the place was passed on; they are still waiting."""
    return _send("offer_lapsed", booking, "the place held for you has been passed on",
                 expires_at=booking.session.starts_at)


def place_free_now(booking: Booking) -> str | None:
    """Last minute: a place is free and the first person on the list to accept gets it."""
    session = booking.session
    return _send("place_free_now", booking, "a place is free now",
                 expires_at=session.booking_closes_at or session.starts_at)


def place_accepted(booking: Booking) -> str | None:
    """They accepted (themselves, or staff for them on the phone): their place is booked."""
    from rec_portal.notifications.calendar import booking_ics

    ics = ("rec-session.ics", "text/calendar", booking_ics(booking, current_app.config["REC_BASE_URL"]))
    return _send("offer_accepted", booking, "your place is booked",
                 expires_at=booking.session.ends_at, attachment=ics)
