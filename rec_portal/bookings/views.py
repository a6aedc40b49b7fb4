"""Views for booking, cancelling and /my/courses. Thin: load, authorise, call, commit."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user

from rec_portal.web.guards import get_booking_or_404, get_published_session_or_404
from rec_portal.web.access import owner_only, public, role_required
from rec_portal.web.ratelimit import limit
from rec_portal.bookings import bp, notify, operations, queries
from rec_portal.bookings.forms import BookForm, CancelForm
from rec_portal.extensions import db
from rec_portal.web.htmx import is_htmx
from rec_portal.models import Booking, CourseSession
from rec_portal.models.accounts import STUDENT
from rec_portal.models.bookings import CANCELLED
from rec_portal.timeutil import format_uk, utcnow






def _course_url(session: CourseSession) -> str:
    return url_for("catalogue.course", slug=session.course.slug) + f"#session-{session.id}"


def _panel(session: CourseSession, message: str | None = None, error: str | None = None,
           overlap=None, status: int = 200, error_title: str = "You could not book",
           question=None, same_course: str = "", also=None):
    """The booking panel alone, for htmx requests (it is the one place on the course page
    that shows this session's places left, so nothing else needs updating)."""
    mine = queries.my_bookings(current_user.id, [session.id])
    queries.mark_places_elsewhere(current_user.id, mine.values())
    places = queries.places_left_for([session.id])[session.id]
    html = render_template(
        "bookings/_booking_panel.html", s=session, places=places, my_bookings=mine,
        panel_message=message, panel_error=error, panel_error_title=error_title, overlap=overlap,
        panel_started=session.starts_at <= utcnow(), question=question, same_course=same_course,
    )
    # A swap changed other dates of the course too: their panels come along, out of band.
    for other in also or []:
        mine = queries.my_bookings(current_user.id, [other.id])
        html += render_template(
            "bookings/_booking_panel.html", s=other, places=queries.places_left_for([other.id])[other.id],
            my_bookings=mine, panel_oob=True, panel_started=other.starts_at <= utcnow(),
        )
    return html, status


def _booked_message(result: operations.BookingResult) -> str:
    """What the person is told after booking (and, for a swap, what they gave up)."""
    if result.booking.status == "confirmed":
        message = "Your place is booked. We have emailed you the details."
    else:
        message = (f"You are on the waiting list for this date: number {result.waitlist_position} in line. "
                   "We will email you if a place frees up.")
    for other in result.places_given_up:
        message += f" Your place on {format_uk(other.session.starts_at)} is cancelled."
    for other in result.lists_left:
        message += f" You have left the waiting list for {format_uk(other.session.starts_at)}."
    return message


def _notify_booked(result: operations.BookingResult) -> None:
    # What they asked for; anyone given a place was told by the operation.
    notify.booking_made(result.booking, result.waitlist_position)
    for other in result.released:
        notify.booking_cancelled(other)


@bp.route("/sessions/<int:session_id>/book", methods=["POST"])
@role_required(STUDENT)
@limit("REC_LIMIT_BOOKING")
def book(session_id: int):
    session = get_published_session_or_404(session_id, current_user)
    form = BookForm()
    if not form.validate_on_submit():
        abort(400)
    student = current_user._get_current_object()
    same_course = form.same_course.data if form.same_course.data in (operations.SWAP, operations.KEEP) else ""
    try:
        result = operations.book_place(
            session.id, student, confirm_overlap=form.confirm_overlap.data == "yes",
            same_course=same_course or None,
        )
    except operations.SameCourseQuestion as question:
        # Nothing is booked until they choose: swap, keep both, or leave things as they are.
        db.session.rollback()
        if is_htmx():
            return _panel(session, question=question)
        return render_template("bookings/same_course.html", s=session, question=question)
    except operations.OverlapWarning as warning:
        db.session.rollback()
        if is_htmx():
            return _panel(session, overlap=warning, same_course=same_course)
        return render_template("bookings/confirm_overlap.html", s=session, warning=warning,
                               book_form=BookForm(confirm_overlap="yes"), same_course=same_course)
    except operations.BookingRefused as refusal:
        db.session.rollback()
        if is_htmx():
            return _panel(session, error=refusal.message, status=400)
        flash(refusal.message, "error")
        return redirect(_course_url(session))
    _notify_booked(result)
    db.session.commit()
    if result.booking.status == "confirmed" or same_course:
        message = _booked_message(result)
    else:
        message = (f"This session is full, so you are on the waiting list: number "
                   f"{result.waitlist_position} in line. We will email you if a place frees up.")
    if is_htmx():
        return _panel(session, message=message, also=[o.session for o in result.released])
    flash(message, "success")
    return redirect(_course_url(session))


@bp.route("/my/courses/<int:booking_id>/cancel", methods=["GET", "POST"])
@owner_only("booking")
@role_required(STUDENT)
def cancel(booking_id: int):
    booking = get_booking_or_404(booking_id, for_user=current_user)
    if booking.status == CANCELLED:
        flash("This booking is already cancelled.", "info")
        return redirect(url_for("bookings.my_courses"))
    # Once the session has started, only the REC team can cancel a place.
    refusal = operations.self_cancel_refusal(booking)
    if refusal:
        return _cancel_refused(booking, refusal)
    form = CancelForm()
    if form.validate_on_submit():
        was_waiting = booking.status == "waitlisted"
        try:
            promoted = operations.cancel_booking(booking.id, by_student=True)
        except operations.BookingRefused as refused:
            db.session.rollback()
            return _cancel_refused(booking, refused.message)
        notify.booking_cancelled(booking)  # anyone given a place was told by the operation
        db.session.commit()
        message = "You have left the waiting list." if was_waiting else "Your place has been cancelled."
        # Giving up a place can let them have a place they were waiting for on another date.
        for other in promoted:
            if other.student_id == booking.student_id:
                message += (f" You now have a place on {format_uk(other.session.starts_at)}, from its "
                            "waiting list. We have emailed you the details.")
        if is_htmx():
            return _panel(booking.session, message=message)
        flash(message, "success")
        return redirect(url_for("bookings.my_courses"))
    if is_htmx():
        return render_template("bookings/_cancel_panel.html", booking=booking)
    return render_template("bookings/cancel.html", booking=booking, form=form)


def _cancel_refused(booking: Booking, message: str):
    """The booking stays as it was: htmx gets the session's panel with the reason, a plain
    request goes back to My courses with it."""
    if is_htmx():
        return _panel(booking.session, error=message, error_title="You could not cancel", status=400)
    flash(message, "error")
    return redirect(url_for("bookings.my_courses"))


@bp.route("/my/courses/<int:booking_id>/swap", methods=["POST"])
@owner_only("booking")
@role_required(STUDENT)
@limit("REC_LIMIT_BOOKING")
def swap(booking_id: int):
    """Take a free place on a date whose waiting list they are on, giving up their place on
    another date of the same course (one transaction)."""
    booking = get_booking_or_404(booking_id, for_user=current_user)
    if not CancelForm().validate_on_submit():
        abort(400)
    try:
        result = operations.swap_to_waiting_place(booking.id, by_student=True)
    except operations.BookingRefused as refusal:
        db.session.rollback()
        if is_htmx():
            return _panel(booking.session, error=refusal.message, error_title="You could not swap", status=400)
        flash(refusal.message, "error")
        return redirect(url_for("bookings.my_courses"))
    # The operation told everyone given a place (them included); they are told here of
    # the place they gave up.
    for other in result.released:
        notify.booking_cancelled(other)
    db.session.commit()
    day = format_uk(booking.session.starts_at)
    if result.released:
        given_up = " and ".join(format_uk(o.session.starts_at) for o in result.released)
        message = f"You have swapped: you now have a place on {day}. Your place on {given_up} is cancelled."
    else:  # the place elsewhere had ended or gone: nothing to give up
        message = f"You now have a place on {day}. We have emailed you the details."
    if is_htmx():
        return _panel(booking.session, message=message, also=[o.session for o in result.released])
    flash(message, "success")
    return redirect(url_for("bookings.my_courses"))


@bp.route("/sessions/<int:session_id>/panel")
@role_required(STUDENT)
def panel(session_id: int):
    """The booking panel alone (htmx: "No, keep it" puts it back)."""
    session = get_published_session_or_404(session_id, current_user)
    if not is_htmx():
        return redirect(_course_url(session))
    return _panel(session)


@bp.route("/my/courses")
@role_required(STUDENT)
def my_courses():
    from rec_portal.notifications.outbox import undelivered_since
    from rec_portal.outcomes.operations import follow_up_prompt
    from rec_portal.models.workshops import requests_of_student as my_requests

    upcoming, waiting, past = queries.my_courses(current_user.id)
    return render_template("bookings/my_courses.html", upcoming=upcoming, waiting=waiting, past=past,
                           now=utcnow(), workshop_requests=my_requests(current_user.id),
                           follow_up=follow_up_prompt(current_user),
                           undelivered=undelivered_since(current_user))




def _ics_response(text: str, filename: str) -> Response:
    return Response(
        text, mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/my/courses/<int:booking_id>/calendar.ics")
@owner_only("booking")
@role_required(STUDENT)
def booking_calendar(booking_id: int):
    from rec_portal.notifications.calendar import booking_ics

    booking = get_booking_or_404(booking_id, for_user=current_user)
    return _ics_response(booking_ics(booking, current_app.config["REC_BASE_URL"]), "rec-session.ics")


@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    """A student's private feed: calendar apps fetch it without signing in, so the secret
    in the URL is the only key. Unknown or stopped links are 'not found'."""
    from sqlalchemy import select

    from rec_portal.models import User
    from rec_portal.notifications.calendar import feed_ics

    if len(token) < 20:
        abort(404)
    user = db.session.execute(select(User).where(User.calendar_token == token)).scalar_one_or_none()
    if user is None or not user.active:
        abort(404)
    bookings = [m.booking for m in queries.my_bookings(user.id).values() if m.booking.status == "confirmed"]
    # Facilitators also see the sessions they are rostered on (not cancelled ones).
    from rec_portal.rosters.queries import assignments_of

    rostered = [a for a in assignments_of(user.id) if a.session.status != "cancelled"
                if user.has_role("facilitator")]
    response = _ics_response(feed_ics(bookings, current_app.config["REC_BASE_URL"], rostered), "rec.ics")
    response.headers["Cache-Control"] = "no-store"
    return response
