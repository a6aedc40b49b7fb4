"""Messages about bookings, by each person's contact preference (email, text or the staff
call list: notifications.contact). Subjects are neutral: a course title can say more about a person
than they want in an inbox preview.

Who queues which (bookings/operations.py says why): ``place_offered`` and ``swap_possible``
are queued by the operations themselves, never by a caller; ``booking_made`` and
``booking_cancelled`` by the caller, for what the person acting asked for."""

from __future__ import annotations

from flask import current_app, render_template

from rec_portal.models import Booking
from rec_portal.models.bookings import CONFIRMED
from rec_portal.notifications.contact import compose, page_link, tell

SUBJECT = "Recovery Education Centre session"


def subject_for(booking: Booking, what: str) -> str:
    """Neutral, unless the student chose to see course titles."""
    if booking.student.show_course_titles:
        return f"{booking.session.course.title}: {what}"
    return f"{SUBJECT}: {what}"


def _useless_after(booking: Booking):
    """A waiting-list, swap or reminder message is no use once the session has started
    (nobody is given a place from a list after that): it expires then instead of arriving
    late. A cancellation has no expiry: it is still worth knowing."""
    return booking.session.starts_at


def _place_useless_after(booking: Booking):
    """A place that is the person's ("your place is booked", "a place is yours") is worth
    telling them until the session is over: staff add walk-ins to a session under way and
    give places on a course after its first date (session.ends_at is the end of the last
    date)."""
    return booking.session.ends_at


def _ics(booking: Booking) -> tuple[str, str, str]:
    from rec_portal.notifications.calendar import booking_ics

    return ("rec-session.ics", "text/calendar", booking_ics(booking, current_app.config["REC_BASE_URL"]))


def _tell(kind: str, booking: Booking, *, what: str, email: str, attachment=None,
          expires_at=None, **context) -> None:
    """Tell the student by their contact preference (notifications.contact)."""
    person = booking.student
    tell(person, compose(
        kind, person, subject=subject_for(booking, what),
        email_body=render_template(f"emails/{email}.txt", booking=booking, session=booking.session,
                                   **context),
        attachment=attachment, expires_at=expires_at, booking=booking,
        link=page_link("bookings.my_courses"), **context,
    ))


def booking_made(booking: Booking, position: int | None) -> None:
    if booking.status == CONFIRMED:
        _tell("booking_confirmed", booking, what="your place is booked", email="booking_confirmed",
              attachment=_ics(booking), expires_at=_place_useless_after(booking), position=position)
    else:
        _tell("booking_waitlisted", booking, what="you are on the waiting list",
              email="booking_waitlisted", expires_at=_useless_after(booking), position=position)


def place_offered(booking: Booking) -> None:
    _tell("place_offered", booking, what="a place is yours", email="place_offered",
          attachment=_ics(booking), expires_at=_place_useless_after(booking))


def booking_cancelled(booking: Booking) -> None:
    _tell("booking_cancelled", booking, what="cancelled", email="booking_cancelled")


def reminder(booking: Booking) -> None:
    _tell("booking_reminder", booking, what="reminder", email="booking_reminder",
          attachment=_ics(booking), expires_at=_useless_after(booking))


def swap_possible(booking: Booking) -> None:
    """A place is free on a date whose waiting list ``booking`` is on, but they hold a place
    on another date of the same course, so it was not given to them."""
    _tell("place_free_to_swap", booking, what="a place is free if you want to swap",
          email="place_free_to_swap", expires_at=_useless_after(booking))
