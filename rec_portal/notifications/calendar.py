"""Calendar files (iCalendar, with the icalendar library): one per booking, and a private
feed per student. Titles are neutral unless the student chose to show course titles."""

from __future__ import annotations

from datetime import UTC

from icalendar import Calendar, Event

from rec_portal.models import Booking

NEUTRAL_TITLE = "Recovery Education Centre session"
PRODID = "-//Recovery Education Centre//REC Portal//EN"


def _title(booking: Booking) -> str:
    if booking.student.show_course_titles:
        return f"{booking.session.course.title} (Recovery Education Centre)"
    return NEUTRAL_TITLE


def _events(booking: Booking, base_url: str):
    session = booking.session
    for number, day in enumerate(session.dates, start=1):
        event = Event()
        event.add("uid", f"rec-booking-{booking.id}-date-{day.id}@rec-portal")
        event.add("summary", _title(booking))
        event.add("dtstart", day.starts_at.replace(tzinfo=UTC))
        event.add("dtend", day.ends_at.replace(tzinfo=UTC))
        event.add("dtstamp", (booking.confirmed_at or booking.queued_at).replace(tzinfo=UTC))
        event.add("location", session.venue or "Online")
        details = f"Your booking: {base_url}/my/courses"
        if len(session.dates) > 1:
            details = f"Part {number} of {len(session.dates)}. " + details
        event.add("description", details)
        if session.status == "cancelled":
            event.add("status", "CANCELLED")
        yield event


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def booking_ics(booking: Booking, base_url: str) -> str:
    cal = _calendar(NEUTRAL_TITLE)
    for event in _events(booking, base_url):
        cal.add_component(event)
    return cal.to_ical().decode()


def _roster_events(assignment, base_url: str):
    """A facilitator's rostered session (rosters.RosterAssignment), one event per date."""
    session = assignment.session
    # Neutral titles leave out the role too: a role such as "Peer specialist" can say
    # something about the person (lived experience) to anyone who sees their calendar.
    if assignment.user.show_course_titles:
        title = f"Facilitating: {session.course.title} (Recovery Education Centre)"
        role = f"Your role: {assignment.role_label}. "
    else:
        title = f"Facilitating: {NEUTRAL_TITLE}"
        role = ""
    for number, day in enumerate(session.dates, start=1):
        event = Event()
        event.add("uid", f"rec-roster-{assignment.id}-date-{day.id}@rec-portal")
        event.add("summary", title)
        event.add("dtstart", day.starts_at.replace(tzinfo=UTC))
        event.add("dtend", day.ends_at.replace(tzinfo=UTC))
        event.add("dtstamp", assignment.assigned_at.replace(tzinfo=UTC))
        event.add("location", session.venue or "Online")
        details = f"{role}Class list and register: {base_url}/facilitate"
        if len(session.dates) > 1:
            details = f"Part {number} of {len(session.dates)}. " + details
        event.add("description", details)
        yield event


def feed_ics(bookings: list[Booking], base_url: str, rostered=()) -> str:
    """The private feed: confirmed bookings, and for facilitators the sessions they are
    rostered on (``rostered``: RosterAssignments of sessions that are not cancelled)."""
    cal = _calendar("Recovery Education Centre")
    for booking in bookings:
        for event in _events(booking, base_url):
            cal.add_component(event)
    for assignment in rostered:
        for event in _roster_events(assignment, base_url):
            cal.add_component(event)
    return cal.to_ical().decode()
