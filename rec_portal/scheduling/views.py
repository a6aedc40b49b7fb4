"""Views for /admin/courses. Every route checks the admin role."""

from __future__ import annotations

from datetime import time

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import case, func, select

from rec_portal.web.guards import get_course_or_404, get_session_or_404
from rec_portal.drafts import keeps_typing, kept_fields, owner_may
from rec_portal.web.access import role_required
from rec_portal.scheduling import bp, operations
from rec_portal.scheduling.forms import (
    MAX_DATES,
    CopySessionForm,
    CourseForm,
    DateRow,
    SessionForm,
    StatusForm,
)
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Booking, Course, CourseSession
from rec_portal.models.accounts import ADMIN
from rec_portal.models.bookings import CONFIRMED, WAITLISTED
from rec_portal.models.courses import ARCHIVED, DRAFT, PUBLISHED
from rec_portal.web.forms import add_error, done, form_errors, page, run
from rec_portal.timeutil import to_uk, uk_to_utc, utcnow

# What a session form keeps at a timeout: its own fields and every row of dates typed
# (``dates-0-day`` ...), so the dates come back with the venue.
SESSION_DRAFT_FIELDS = kept_fields(SessionForm) + tuple(
    f"dates-{row}-{part}" for row in range(MAX_DATES) for part in kept_fields(DateRow)
)






def _detail_url(course_id: int) -> str:
    return url_for("scheduling.detail", course_id=course_id)


def _session_page(form: SessionForm, course: Course, session: CourseSession | None):
    # A session's problems can sit in its rows of dates, so count them all.
    return page("scheduling/session_form.html", form=form, course=course, session=session,
                status=400 if form_errors(form) else 200)


def _session_refused(form: SessionForm, error: DomainError, show):
    """Every problem of a session, each at its field, then the form again."""
    for field, message in getattr(error, "problems", [(error.field or "dates", error.message)]):
        form.add_problem(field, message)
    return show()


@bp.route("")
@role_required(ADMIN)
def index():
    next_start = (
        select(CourseSession.course_id, func.min(CourseSession.starts_at).label("next_start"))
        .where(CourseSession.status == "scheduled", CourseSession.starts_at > utcnow())
        .group_by(CourseSession.course_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Course, next_start.c.next_start)
        .outerjoin(next_start, next_start.c.course_id == Course.id)
        .order_by(case((Course.status == ARCHIVED, 1), else_=0), Course.title)
    ).all()
    return render_template("scheduling/index.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@keeps_typing(CourseForm, keep_if=owner_may(ADMIN))
@role_required(ADMIN)
def new():
    form = CourseForm()
    return run(
        form,
        lambda: operations.save_course(None, slug=form.slug.data, roles=form.roles(), **form.course_fields()),
        done=lambda course: done(_detail_url(course.id),
                                 f"“{course.title}” has been created as a draft. Publish it when it is ready."),
        page=lambda: page("scheduling/form.html", form=form, course=None),
    )


def _session_rows(course: Course):
    """The course's sessions with places booked and waiting: counts only this course's
    sessions' bookings (indexed by session), never the whole bookings table."""
    counts = (
        select(
            Booking.session_id,
            func.sum(case((Booking.status == CONFIRMED, 1), else_=0)).label("booked"),
            func.sum(case((Booking.status == WAITLISTED, 1), else_=0)).label("waiting"),
        )
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(CourseSession.course_id == course.id)
        .group_by(Booking.session_id)
        .subquery()
    )
    return db.session.execute(
        select(CourseSession, func.coalesce(counts.c.booked, 0), func.coalesce(counts.c.waiting, 0))
        .outerjoin(counts, counts.c.session_id == CourseSession.id)
        .where(CourseSession.course_id == course.id)
        .order_by(CourseSession.starts_at)
    ).all()


@bp.route("/<int:course_id>")
@role_required(ADMIN)
def detail(course_id: int):
    course = get_course_or_404(course_id)
    return render_template(
        "scheduling/detail.html", course=course, sessions=_session_rows(course),
        status_form=StatusForm(), now=utcnow(),
    )


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
@keeps_typing(CourseForm, keep_if=owner_may(ADMIN, Course, 'course_id'))
@role_required(ADMIN)
def edit(course_id: int):
    course = get_course_or_404(course_id)
    form = CourseForm() if request.method == "POST" else CourseForm.for_course(course)
    return run(
        form,
        lambda: operations.save_course(course, slug=form.slug.data, roles=form.roles(), **form.course_fields()),
        done=lambda _: done(_detail_url(course.id), "The course has been saved."),
        page=lambda: page("scheduling/form.html", form=form, course=course),
    )


STATUS_MESSAGES = {
    PUBLISHED: "is published: it is in the catalogue and people can book its dates.",
    DRAFT: "is back to draft: it is no longer in the catalogue.",
    ARCHIVED: "is archived: it is no longer in the catalogue.",
}


@bp.route("/<int:course_id>/status/<status>", methods=["POST"])
@role_required(ADMIN)
def set_status(course_id: int, status: str):
    course = get_course_or_404(course_id)
    if status not in STATUS_MESSAGES:
        abort(404)
    back = _detail_url(course.id)
    return run(
        StatusForm(),
        lambda: operations.set_course_status(course, status),
        done=lambda _: done(back, f"“{course.title}” {STATUS_MESSAGES[status]}"),
        page=lambda: redirect(back),  # a stale form: back to the course, nothing changed
        refused=lambda error: done(back, error.message, category="error"),
    )


@bp.route("/<int:course_id>/sessions/new", methods=["GET", "POST"])
@keeps_typing(SessionForm, keep_if=owner_may(ADMIN, Course, 'course_id'), fields=SESSION_DRAFT_FIELDS)
@role_required(ADMIN)
def new_session(course_id: int):
    course = get_course_or_404(course_id)
    form = SessionForm()
    show = lambda: _session_page(form, course, None)  # noqa: E731
    return run(
        form,
        lambda: operations.schedule_session(course, **form.session_fields()),
        done=lambda session: done(_detail_url(course.id),
                                  f"The session starting {_when(session)} has been scheduled."),
        page=show,
        refused=lambda error: _session_refused(form, error, show),
    )


def _when(session: CourseSession) -> str:
    from rec_portal.timeutil import format_uk

    return format_uk(session.starts_at)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@keeps_typing(SessionForm, keep_if=owner_may(ADMIN, CourseSession, 'session_id'), fields=SESSION_DRAFT_FIELDS)
@role_required(ADMIN)
def edit_session(session_id: int):
    session = get_session_or_404(session_id)
    form = SessionForm() if request.method == "POST" else SessionForm.for_session(session)
    form.kept_dates = frozenset((d.starts_at, d.ends_at) for d in session.dates)
    show = lambda: _session_page(form, session.course, session)  # noqa: E731
    told = " Everyone booked or waiting has been told by email."
    return run(
        form,
        lambda: operations.update_session(session.id, **form.session_fields()),
        done=lambda changes: done(_detail_url(session.course_id),
                                  f"The session has been saved.{told if changes else ''}"),
        page=show,
        refused=lambda error: _session_refused(form, error, show),
    )


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@role_required(ADMIN)
def cancel_session(session_id: int):
    session = get_session_or_404(session_id)
    form = StatusForm()
    back = _detail_url(session.course_id)
    return run(
        form,
        lambda: operations.cancel_session(session.id),
        done=lambda told: done(back, f"The session has been cancelled. {told} "
                                     f"{'person has' if told == 1 else 'people have'} been told by email."),
        page=lambda: page("scheduling/session_cancel.html", session=session, form=form,
                          refusal=operations.session_cancel_refusal(session)),
        refused=lambda error: done(back, error.message, category="error"),
    )


@bp.route("/sessions/<int:session_id>/copy", methods=["GET", "POST"])
@keeps_typing(CopySessionForm, keep_if=owner_may(ADMIN, CourseSession, 'session_id'))
@role_required(ADMIN)
def copy_session(session_id: int):
    session = get_session_or_404(session_id)
    form = CopySessionForm()
    show = lambda: page("scheduling/session_copy.html", session=session, form=form)  # noqa: E731

    def copy():
        first = to_uk(session.starts_at)
        return operations.copy_session(session, uk_to_utc(form.first_day(), time(first.hour, first.minute)))

    def refused(error):
        add_error(form, "day", error.message)  # whatever the rule, it is about the day chosen
        return show()

    return run(
        form,
        copy,
        done=lambda copied: done(_detail_url(session.course_id),
                                 f"A copy starting {_when(copied)} has been scheduled."),
        page=show,
        refused=refused,
    )



# --- Places held for someone on the waiting list (bookings.operations offers) -------------
# Staff answer for a person on the phone: accept the place held for them, decline it, or
# take a last-minute place for them. Like "Give a place" and "Cancel", these are booking
# changes made on the session bookings page; the person is told by the operation.

def _staff_answer(booking_id: int, answer, said: str):
    from rec_portal.web.guards import current_person, get_booking_or_404

    booking = get_booking_or_404(booking_id)
    back = url_for("scheduling.session_bookings", session_id=booking.session_id)
    name = booking.student.full_name
    return run(
        StatusForm(),
        lambda: answer(booking.id, current_person()),
        done=lambda _: done(back, said.format(name=name)),
        page=lambda: redirect(back),  # a stale form: back to the lists, nothing changed
        refused=lambda error: done(back, error.message, category="error"),
    )


@bp.route("/bookings/<int:booking_id>/accept-offer", methods=["POST"])
@role_required(ADMIN)
def accept_offer_for(booking_id: int):
    """They said yes on the phone: the place held for them is theirs."""
    from rec_portal.bookings import operations as bookings

    return _staff_answer(booking_id, bookings.accept_offer,
                         "{name} has accepted the place: it is booked, and they have been told.")


@bp.route("/bookings/<int:booking_id>/decline-offer", methods=["POST"])
@role_required(ADMIN)
def decline_offer_for(booking_id: int):
    """They said no on the phone: they leave the list and the place goes to the next."""
    from rec_portal.bookings import operations as bookings

    return _staff_answer(booking_id, bookings.decline_offer,
                         "{name} has declined the place and left the waiting list. The place "
                         "has been offered to the next person waiting, if there is one.")


@bp.route("/bookings/<int:booking_id>/take-last-minute-place", methods=["POST"])
@role_required(ADMIN)
def take_last_minute_place_for(booking_id: int):
    """A last-minute place: the first person waiting to say yes (here, on the phone) gets it."""
    from rec_portal.bookings import operations as bookings

    return _staff_answer(booking_id, bookings.accept_last_minute_place,
                         "{name} has taken the free place: it is booked, and they have been told.")
