"""Emails about bookings. Subjects are neutral: a course title can say more about a person
than they want in an inbox preview."""

from __future__ import annotations

from flask import render_template

from rec_portal.models import Booking
from rec_portal.models.bookings import CONFIRMED
from rec_portal.notifications.outbox import queue_email

SUBJECT = "Recovery Education Centre session"


def booking_made(booking: Booking, position: int | None) -> None:
    confirmed = booking.status == CONFIRMED
    queue_email(
        to=booking.student.email,
        subject=f"{SUBJECT}: {'your place is booked' if confirmed else 'you are on the waiting list'}",
        body=render_template(
            "emails/booking_confirmed.txt" if confirmed else "emails/booking_waitlisted.txt",
            booking=booking, session=booking.session, position=position,
        ),
    )


def place_offered(booking: Booking) -> None:
    queue_email(
        to=booking.student.email,
        subject=f"{SUBJECT}: a place is yours",
        body=render_template("emails/place_offered.txt", booking=booking, session=booking.session),
    )


def booking_cancelled(booking: Booking) -> None:
    queue_email(
        to=booking.student.email,
        subject=f"{SUBJECT}: cancelled",
        body=render_template("emails/booking_cancelled.txt", booking=booking, session=booking.session),
    )
