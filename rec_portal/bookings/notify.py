"""Emails about bookings. Subjects are neutral: a course title can say more about a person
than they want in an inbox preview.

Who queues which (bookings/operations.py says why): ``place_offered`` and ``swap_possible``
are queued by the operations themselves, never by a caller; ``booking_made`` and
``booking_cancelled`` by the caller, for what the person acting asked for."""

from __future__ import annotations

from flask import current_app, render_template

from rec_portal.models import Booking
from rec_portal.models.bookings import CONFIRMED
from rec_portal.notifications.outbox import queue_email

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


def booking_made(booking: Booking, position: int | None) -> None:
    confirmed = booking.status == CONFIRMED
    queue_email(
        to=booking.student.email,
        user=booking.student,
        subject=subject_for(booking, "your place is booked" if confirmed else "you are on the waiting list"),
        body=render_template(
            "emails/booking_confirmed.txt" if confirmed else "emails/booking_waitlisted.txt",
            booking=booking, session=booking.session, position=position,
        ),
        attachment=_ics(booking) if confirmed else None,
        expires_at=_place_useless_after(booking) if confirmed else _useless_after(booking),
    )


def place_offered(booking: Booking) -> None:
    queue_email(
        to=booking.student.email,
        user=booking.student,
        subject=subject_for(booking, "a place is yours"),
        body=render_template("emails/place_offered.txt", booking=booking, session=booking.session),
        attachment=_ics(booking),
        expires_at=_place_useless_after(booking),
    )


def booking_cancelled(booking: Booking) -> None:
    queue_email(
        to=booking.student.email,
        user=booking.student,
        subject=subject_for(booking, "cancelled"),
        body=render_template("emails/booking_cancelled.txt", booking=booking, session=booking.session),
    )


def reminder(booking: Booking) -> None:
    queue_email(
        to=booking.student.email,
        user=booking.student,
        subject=subject_for(booking, "reminder"),
        body=render_template("emails/booking_reminder.txt", booking=booking, session=booking.session),
        attachment=_ics(booking),
        expires_at=_useless_after(booking),
    )


def swap_possible(booking: Booking) -> None:
    """A place is free on a date whose waiting list ``booking`` is on, but they hold a place
    on another date of the same course, so it was not given to them."""
    queue_email(
        to=booking.student.email,
        user=booking.student,
        subject=subject_for(booking, "a place is free if you want to swap"),
        body=render_template("emails/place_free_to_swap.txt", booking=booking, session=booking.session),
        expires_at=_useless_after(booking),
    )
