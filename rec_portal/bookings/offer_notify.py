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

from rec_portal.bookings.notify import subject_for
from rec_portal.models import Booking
from rec_portal.notifications.contact import BY_CALL, compose, page_link, route_for, tell
from rec_portal.timeutil import format_uk

def offer_link(booking: Booking) -> str:
    """The offer page's full address (built without a request, never from Host)."""
    return page_link("bookings.offer", booking_id=booking.id)


def _send(kind: str, booking: Booking, what: str, *, expires_at, attachment=None) -> str | None:
    person, session = booking.student, booking.session
    extra = dict(until=format_uk(booking.offer_expires_at), link=offer_link(booking),
                 my_courses=page_link("bookings.my_courses"))
    email_body = render_template(
        f"emails/{kind}.txt", person=person, booking=booking, session=session,
        title=session.course.title if person.show_course_titles else None,
        when=format_uk(session.starts_at), online=person.has_online_account,
        phone=current_app.config["REC_CONTACT_PHONE"], **extra,
    )
    return tell(person, compose(
        kind, person, subject=subject_for(booking, what), email_body=email_body,
        attachment=attachment, expires_at=expires_at, booking=booking, session=session, **extra,
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


def place_accepted(booking: Booking, *, spoken_to: bool = False) -> str | None:
    """They accepted (themselves, or staff for them on the phone): their place is booked.
    ``spoken_to``: staff accepted for them on the phone and told them then, so a person
    whose messages go to the call list gets no second line for it."""
    from rec_portal.notifications.calendar import booking_ics

    if spoken_to and route_for(booking.student) == BY_CALL:
        return None

    ics = ("rec-session.ics", "text/calendar", booking_ics(booking, current_app.config["REC_BASE_URL"]))
    return _send("offer_accepted", booking, "your place is booked",
                 expires_at=booking.session.ends_at, attachment=ics)
