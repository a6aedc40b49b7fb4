"""/admin/courses/sessions/<id>/bookings: who is booked and waiting; phone bookings."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from rec_portal.web.forms import done, page, run
from rec_portal.web.guards import current_person, get_booking_or_404, get_session_or_404
from rec_portal import audit
from rec_portal.admin.operations import people_query
from rec_portal.web.access import role_required
from rec_portal.attendance import operations as attendance
from rec_portal.bookings import operations, queries
from rec_portal.class_messages import queries as class_messages
from rec_portal.scheduling import bp
from rec_portal.scheduling.forms import StatusForm
from rec_portal.csvsafe import to_csv
from rec_portal.notifications.contact import (
    BY_CALL, BY_EMAIL, BY_LETTER, BY_TEXT, preference_label, route_for,
)
from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession, User
from rec_portal.models.accounts import ADMIN, STUDENT
from rec_portal.models.bookings import CONFIRMED, OFFERED, WAITLISTED
from rec_portal.timeutil import format_uk, utcnow




def _student_from_form() -> User | None:
    """The person chosen in a search result (``student_id``), or None if the id is missing,
    not a number or out of range (a huge number would overflow the database's integer)."""
    student_id = request.form.get("student_id", type=int)
    if student_id is None or not 0 < student_id < 2**31:
        return None
    return db.session.get(User, student_id)


def _lists(session: CourseSession):
    """(booked, places held for someone offered one, waiting) in line order."""
    rows = db.session.execute(
        select(Booking)
        .where(Booking.session_id == session.id, Booking.status.in_((CONFIRMED, OFFERED, WAITLISTED)))
        .options(selectinload(Booking.student))
        .order_by(Booking.queued_at, Booking.id)
    ).scalars().all()
    return ([b for b in rows if b.status == CONFIRMED], [b for b in rows if b.status == OFFERED],
            [b for b in rows if b.status == WAITLISTED])


def _last_minute_calls(session: CourseSession, waiting: list[Booking]) -> list[Booking]:
    """In the last hours before the start, with a place free and booking open: the people
    on the waiting list told of it, to phone (the first to say yes gets it)."""
    now = utcnow()
    if (operations.offers_closed(session, now) or not operations.last_minute(session, now)
            or operations.places_left(session) <= 0):
        return []
    return [b for b in waiting if b.last_minute_told_at is not None]


@bp.route("/sessions/<int:session_id>/bookings")
@role_required(ADMIN)
def session_bookings(session_id: int):
    session = get_session_or_404(session_id)
    booked, offered, waiting = _lists(session)
    q = request.args.get("q", "").strip()[:100]
    found = []
    if q:
        already = {b.student_id for b in booked + offered + waiting}
        found = [
            p for p in db.session.execute(
                people_query(q, STUDENT).limit(10)
            ).scalars() if p.id not in already
        ]
    # "Add a walk-in or late booking" has its own search (rec_portal/attendance/walk_ins.py).
    walk_in_q = request.args.get("walk_in_q", "").strip()[:100]
    walk_in_found = []
    if walk_in_q:
        already = {b.student_id for b in booked + offered + waiting}
        walk_in_found = [
            p for p in db.session.execute(people_query(walk_in_q, STUDENT).limit(10)).scalars()
            if p.id not in already and p.active
        ]
    page = render_template(
        "scheduling/session_bookings.html", session=session, booked=booked, waiting=waiting,
        offered=offered, calls=_last_minute_calls(session, waiting),
        places_taken=operations.places_taken(session.id),
        # Places with attendance recorded cannot be cancelled (bookings.operations).
        marked=operations.marked_bookings([b.id for b in booked]),
        # One place per course: their other dates, and who has since attended another date.
        elsewhere=queries.other_dates_of_course(session, [b.student_id for b in booked + offered + waiting]),
        attended=operations.attended_other_dates([b.id for b in waiting]),
        q=q, found=found, form=StatusForm(), walk_in_q=walk_in_q, walk_in_found=walk_in_found,
        class_messages=class_messages.messages_sent(session.id),
    )
    # Rendered first, then recorded: committing expires every loaded row, and rendering
    # after it would reload each booking and person one by one. If rendering fails,
    # nothing is recorded as viewed.
    audit.record(audit.BOOKINGS_VIEWED, actor=current_user, detail=f"session {session.id}")
    db.session.commit()
    return page


def _bookings_url(session_id: int) -> str:
    return url_for("scheduling.session_bookings", session_id=session_id)


def _add_walk_in(session: CourseSession, student: User | None):
    booking = attendance.add_walk_in(session.id, student, added_by=current_person())
    # Someone joining a session still to come (or still running) gets the details.
    emailed = session.ends_at > utcnow()
    if emailed:
        operations.tell_booking_made(booking, None)
    return booking, emailed, attendance.waiting_lists_elsewhere(booking)


# How the person is told (notifications.contact.tell): staff should not say "we emailed you"
# to someone who gets a text, or forget to phone someone on the call list.
_TOLD = {
    BY_EMAIL: "They have been sent an email{details}.",
    BY_TEXT: "They will get a text message{details}.",
    BY_CALL: "They are on the call list to be phoned{details}.",
    BY_LETTER: "They are on the call list to be sent a letter{details}.",
}


def _told(student: User, details: str = "") -> str:
    how = _TOLD.get(route_for(student))
    return f" {how.format(details=details)}" if how else ""


def _walk_in_added(session: CourseSession, added):
    booking, emailed, still_waiting = added
    told = _told(booking.student, " with the details") if emailed else ""
    answer = done(_bookings_url(session.id),
                  f"{booking.student.full_name} has been added to this session with a place.{told}")
    for other in still_waiting:
        flash(f"{booking.student.full_name} is also on the waiting list for this course on "
              f"{format_uk(other.session.starts_at)}. Once they have attended this session, they "
              "will not be given a place from that list. To take them off it, follow the date "
              "next to their name below.",
              "warning")
    return answer


@bp.route("/sessions/<int:session_id>/walk-ins", methods=["POST"])
@role_required(ADMIN)
def add_walk_in(session_id: int):
    """A walk-in or late booking: a confirmed place even if the session is full or has
    started (the rules are in rec_portal/attendance/walk_ins.py)."""
    session = get_session_or_404(session_id)
    form = StatusForm()
    return run(
        form,
        lambda: _add_walk_in(session, _student_from_form()),
        done=lambda added: _walk_in_added(session, added),
        refused=lambda error: done(_bookings_url(session.id), error.message, category="error"),
    )


def _book_for(session: CourseSession, student: User, same_course: str, supporter: str):
    result = operations.book_place(
        session.id, student, made_by=current_person(), confirm_overlap=True,
        same_course=same_course if same_course in (operations.SWAP, operations.KEEP) else None,
        supporter=supporter,
    )
    operations.tell_booked(result)  # anyone given a place was told by the operation
    where = ("has a place" if result.booking.status == CONFIRMED
             else f"is on the waiting list, number {result.waitlist_position}")
    gave_up = "".join(f" Their place on {format_uk(o.session.starts_at)} is cancelled."
                      for o in result.places_given_up)
    gave_up += "".join(f" They have left the waiting list for {format_uk(o.session.starts_at)}."
                       for o in result.lists_left)
    return f"{student.full_name} {where}.{gave_up}{_told(student)}"


@bp.route("/sessions/<int:session_id>/bookings", methods=["POST"])
@role_required(ADMIN)
def book_for_student(session_id: int):
    session = get_session_or_404(session_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    student = _student_from_form()
    if student is None or not student.has_role(STUDENT):
        abort(404)
    supporter = request.form.get("supporter", "").strip()[:20]

    def refused(error):
        if isinstance(error, operations.SameCourseQuestion):
            # One place per person per course: staff choose with the person, as they would.
            return page("scheduling/same_course.html", session=session, s=session, question=error,
                        student=student, supporter=supporter)
        return done(_bookings_url(session.id), _third_person(error.message, student.full_name),
                    category="error")

    return run(
        form,
        lambda: _book_for(session, student, request.form.get("same_course", ""), supporter),
        done=lambda message: done(_bookings_url(session.id), message),
        refused=refused,
    )


def _third_person(message: str, name: str) -> str:
    """The booking rules speak to the student; staff need the same message about them."""
    return (
        message.replace("You already have", f"{name} already has")
        .replace("You are already", f"{name} is already")
    )


def _cancel_for(booking: Booking) -> str:
    promoted = operations.cancel_booking(booking.id)
    operations.tell_cancelled(booking)  # anyone given a place was told by the operation
    return f"{booking.student.full_name}’s booking is cancelled.{_moved_up(booking, promoted)}"


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@role_required(ADMIN)
def cancel_for_student(booking_id: int):
    booking = get_booking_or_404(booking_id)
    back = _bookings_url(booking.session_id)
    return run(
        StatusForm(),
        lambda: _cancel_for(booking),
        done=lambda message: done(back, message),
        page=lambda: redirect(back),  # a stale form: back to the lists, nothing changed
        refused=lambda error: done(back, error.message, category="error"),
    )


def _moved_up(cancelled: Booking, promoted: list[Booking]) -> str:
    """Who was offered a place because of a cancellation: on this date, and (for the person
    whose place was cancelled) on another date of the course they were waiting for."""
    here = [p for p in promoted if p.session_id == cancelled.session_id]
    text = ""
    if here:
        until = format_uk(here[0].offer_expires_at)
        text = (f" The place is being held for {' and '.join(p.student.full_name for p in here)} "
                f"from the waiting list, until {until}.")
    for other in promoted:
        if other.session_id != cancelled.session_id:
            text += (f" A place on {format_uk(other.session.starts_at)} is being held for "
                     f"{other.student.full_name}, from its waiting list, until "
                     f"{format_uk(other.offer_expires_at)}.")
    return text + (" Everyone offered a place has been told." if promoted else "")


@bp.route("/bookings/<int:booking_id>/give-place", methods=["POST"])
@role_required(ADMIN)
def give_place(booking_id: int):
    booking = get_booking_or_404(booking_id)
    back = _bookings_url(booking.session_id)
    return run(
        StatusForm(),
        lambda: operations.give_place_to(booking.id),  # and tells them
        done=lambda _: done(back, f"{booking.student.full_name} now has a place."),
        page=lambda: redirect(back),  # a stale form: back to the lists, nothing changed
        refused=lambda error: done(back, error.message, category="error"),
    )


@bp.route("/sessions/<int:session_id>/bookings.csv")
@role_required(ADMIN)
def session_bookings_csv(session_id: int):
    session = get_session_or_404(session_id)
    booked, offered, waiting = _lists(session)
    rows = [
        (b.student.full_name, b.student.preferred_name,
         b.student.profile.pronouns if b.student.profile else "", b.student.email or "No email address",
         b.student.profile.phone if b.student.profile else "",
         b.student.profile.access_needs if b.student.profile else "",
         "Booked" if b.status == CONFIRMED
         else f"Place held until {format_uk(b.offer_expires_at)}" if b.status == OFFERED
         else f"Waiting ({n})",
         format_uk(b.queued_at), "Staff" if b.made_by == "admin" else "Self", preference_label(b.student),
         b.supporter_label)
        for n, b in [(None, b) for b in booked + offered] + list(enumerate(waiting, start=1))
    ]
    audit.record(audit.EXPORTED, actor=current_user, detail=f"session {session.id} bookings CSV")
    db.session.commit()
    body = to_csv(
        ["Full name", "Preferred name", "Pronouns", "Email", "Phone", "Support needs", "Status", "Booked on",
         "Booked by", "Contact preference", "Coming with them"],
        rows,
    )
    filename = f"{session.course.slug}-{session.starts_at:%Y-%m-%d}-bookings.csv"
    return Response(
        body, mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


