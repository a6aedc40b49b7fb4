"""Views for booking, cancelling and /my/courses. Thin: load, authorise, call, commit."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    render_template,
    url_for,
)
from flask_login import current_user

from rec_portal.web.guards import current_person, get_booking_or_404, get_published_session_or_404
from rec_portal.web.access import owner_only, public, role_required
from rec_portal.web.forms import done, page, run
from rec_portal.web.ratelimit import limit
from rec_portal.bookings import bp, operations, queries
from rec_portal.bookings.forms import BookForm, CancelForm, SupporterForm
from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession
from rec_portal.models.accounts import STUDENT
from rec_portal.models.bookings import CANCELLED, OFFERED, SUPPORTERS, WAITLISTED
from rec_portal.timeutil import format_uk, uk_date_and_time, utcnow

PANEL = "bookings/_booking_panel.html"


def _course_url(session: CourseSession) -> str:
    return url_for("catalogue.course", slug=session.course.slug) + f"#session-{session.id}"


def _panel_context(session: CourseSession, message: str | None = None, error: str | None = None,
                   overlap=None, error_title: str = "You could not book", question=None,
                   same_course: str = "", supporter: str = "") -> dict:
    """What the booking panel shows (it is the one place on the course page that shows
    this session's places left, so nothing else needs updating)."""
    mine = queries.my_bookings(current_user.id, [session.id])
    queries.mark_places_elsewhere(current_user.id, mine.values())
    return dict(
        s=session, places=queries.places_left_for([session.id])[session.id], my_bookings=mine,
        panel_message=message, panel_error=error, panel_error_title=error_title, overlap=overlap,
        panel_started=session.starts_at <= utcnow(), question=question, same_course=same_course,
        supporter=supporter,
    )


def _panel(session: CourseSession, status: int = 200, also=None, **context):
    """The booking panel alone, for htmx requests."""
    html = render_template(PANEL, **_panel_context(session, **context))
    # A swap changed other dates of the course too: their panels come along, out of band.
    for other in also or []:
        mine = queries.my_bookings(current_user.id, [other.id])
        html += render_template(
            PANEL, s=other, places=queries.places_left_for([other.id])[other.id],
            my_bookings=mine, panel_oob=True, panel_started=other.starts_at <= utcnow(),
        )
    return html, status


def _booked_message(result: operations.BookingResult, same_course: str) -> str:
    """What the person is told after booking (and, for a swap, what they gave up)."""
    # The panel below the message says where they are in line and what happens next: the
    # message only says what just happened, so nothing is said twice.
    if result.booking.status != "confirmed" and not same_course:
        return "This session is full, so you have joined the waiting list."
    if result.booking.status == "confirmed":
        message = "Your place is booked. We have sent you the details."
    else:
        message = "You have joined the waiting list for this date."
    for other in result.places_given_up:
        message += f" Your place on {format_uk(other.session.starts_at)} is cancelled."
    for other in result.lists_left:
        message += f" You have left the waiting list for {format_uk(other.session.starts_at)}."
    return message


def _book(session: CourseSession, confirm_overlap: bool, same_course: str, supporter: str) -> tuple[str, list]:
    """Book, and say what happened; with the other dates whose panels changed too."""
    result = operations.book_place(
        session.id, current_person(), confirm_overlap=confirm_overlap, same_course=same_course or None,
        supporter=supporter,
    )
    operations.tell_booked(result)  # anyone given a place was told by book_place
    return _booked_message(result, same_course), [o.session for o in result.released]


@bp.route("/sessions/<int:session_id>/book", methods=["POST"])
@role_required(STUDENT)
@limit("REC_LIMIT_BOOKING")
def book(session_id: int):
    session = get_published_session_or_404(session_id, current_user, lock=True)
    form = BookForm()
    same_course = form.same_course.data if form.same_course.data in (operations.SWAP, operations.KEEP) else ""
    supporter = (form.supporter.data or "").strip()[:20]

    # Made now, while the session and its course are loaded: after the commit they would
    # be loaded again (four statements) just for this address.
    course_url = _course_url(session)

    def refused(error):
        if isinstance(error, operations.SameCourseQuestion):
            # Nothing is booked until they choose: swap, keep both, or leave things as they are.
            return page("bookings/same_course.html", PANEL,
                        **_panel_context(session, question=error, supporter=supporter))
        if isinstance(error, operations.OverlapWarning):
            return page("bookings/confirm_overlap.html", PANEL, warning=error,
                        book_form=BookForm(confirm_overlap="yes"),
                        **_panel_context(session, overlap=error, same_course=same_course,
                                         supporter=supporter))
        return done(course_url, error.message, category="error",
                    partial=lambda: _panel(session, error=error.message, status=400))

    return run(
        form,
        lambda: _book(session, form.confirm_overlap.data == "yes", same_course, supporter),
        done=lambda answer: done(course_url, answer[0],
                                 partial=lambda: _panel(session, message=answer[0], also=answer[1])),
        refused=refused,
    )


def _cancel(booking: Booking) -> str:
    """Cancel (or leave the waiting list) and say what happened."""
    was_waiting = booking.status in (WAITLISTED, OFFERED)
    offered = operations.cancel_booking(booking.id, by_student=True)
    operations.tell_cancelled(booking)  # anyone offered a place was told by the operation
    message = "You have left the waiting list." if was_waiting else "Your place has been cancelled."
    # Giving up a place can let them be offered a place they were waiting for on another date.
    for other in offered:
        if other.student_id == booking.student_id:
            message += (f" A place on {format_uk(other.session.starts_at)} is being held for you "
                        f"until {uk_date_and_time(other.offer_expires_at)}: accept it in My courses.")
    return message


def _cancel_refused(booking: Booking, message: str):
    """The booking stays as it was: htmx gets the session's panel with the reason, a plain
    request goes back to My courses with it."""
    return done(url_for("bookings.my_courses"), message, category="error",
                partial=lambda: _panel(booking.session, error=message, error_title="You could not cancel",
                                       status=400))


@bp.route("/my/courses/<int:booking_id>/cancel", methods=["GET", "POST"])
@owner_only("booking")
@role_required(STUDENT)
def cancel(booking_id: int):
    booking = get_booking_or_404(booking_id, for_user=current_user)
    if booking.status == CANCELLED:
        return done(url_for("bookings.my_courses"), "This booking is already cancelled.", category="info")
    # Once the session has started, only the REC team can cancel a place.
    refusal = operations.self_cancel_refusal(booking)
    if refusal:
        return _cancel_refused(booking, refusal)
    form = CancelForm()
    return run(
        form,
        lambda: _cancel(booking),
        done=lambda message: done(url_for("bookings.my_courses"), message,
                                  partial=lambda: _panel(booking.session, message=message)),
        page=lambda: page("bookings/cancel.html", "bookings/_cancel_panel.html", booking=booking, form=form),
        refused=lambda error: _cancel_refused(booking, error.message),
    )


def _swap(booking: Booking) -> tuple[str, list]:
    result = operations.swap_to_waiting_place(booking.id, by_student=True)
    # The operation told everyone given a place (them included); they are told here of
    # the place they gave up.
    operations.tell_released(result)
    day = format_uk(booking.session.starts_at)
    if result.released:
        given_up = " and ".join(format_uk(o.session.starts_at) for o in result.released)
        message = f"You have swapped: you now have a place on {day}. Your place on {given_up} is cancelled."
    else:  # the place elsewhere had ended or gone: nothing to give up
        message = f"You now have a place on {day}. We have sent you the details."
    return message, [o.session for o in result.released]


@bp.route("/my/courses/<int:booking_id>/swap", methods=["POST"])
@owner_only("booking")
@role_required(STUDENT)
@limit("REC_LIMIT_BOOKING")
def swap(booking_id: int):
    """Take a free place on a date whose waiting list they are on, giving up their place on
    another date of the same course (one transaction)."""
    booking = get_booking_or_404(booking_id, for_user=current_user)
    my_courses_url = url_for("bookings.my_courses")
    return run(
        CancelForm(),
        lambda: _swap(booking),
        done=lambda answer: done(my_courses_url, answer[0],
                                 partial=lambda: _panel(booking.session, message=answer[0], also=answer[1])),
        refused=lambda error: done(
            my_courses_url, error.message, category="error",
            partial=lambda: _panel(booking.session, error=error.message, error_title="You could not swap",
                                   status=400),
        ),
    )


def _supporter_saved(booking: Booking) -> str:
    if not booking.supporter:
        return f"Saved: nobody is coming with you to {booking.session.course.title}."
    who = "someone else" if booking.supporter == "other" else f"a {SUPPORTERS[booking.supporter].lower()}"
    return f"Saved: {who} is coming with you to {booking.session.course.title}."


@bp.route("/my/courses/<int:booking_id>/supporter", methods=["POST"])
@owner_only("booking")
@role_required(STUDENT)
def change_supporter(booking_id: int):
    """Who comes with them: change or remove (operations.set_supporter)."""
    booking = get_booking_or_404(booking_id, for_user=current_user)
    form = SupporterForm()
    back = url_for("bookings.my_courses")
    return run(
        form,
        lambda: operations.set_supporter(booking.id, current_person(), (form.supporter.data or "").strip()),
        done=lambda changed: done(back, _supporter_saved(changed)),
        refused=lambda error: done(back, error.message, category="error"),
    )


@bp.route("/sessions/<int:session_id>/panel")
@role_required(STUDENT)
def panel(session_id: int):
    """The booking panel alone (htmx: "No, keep it" puts it back); without JavaScript,
    the course page it belongs to."""
    session = get_published_session_or_404(session_id, current_user)
    return done(_course_url(session), partial=lambda: _panel(session))


@bp.route("/my/courses")
@role_required(STUDENT)
def my_courses():
    from rec_portal.notifications.outbox import undelivered_since
    from rec_portal.outcomes.operations import follow_up_prompt
    from rec_portal.models.workshops import requests_of_student as my_requests
    from rec_portal.pathways.queries import my_pathways

    upcoming, waiting, past = queries.my_courses(current_user.id)
    return render_template("bookings/my_courses.html", upcoming=upcoming, waiting=waiting, past=past,
                           now=utcnow(), workshop_requests=my_requests(current_user.id),
                           follow_up=follow_up_prompt(current_user),
                           undelivered=undelivered_since(current_user),
                           my_pathways=my_pathways(current_user.id))




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


# --- A place held for them (waiting-list offers: bookings/operations.py) ------------------

def _my_courses_url() -> str:
    return url_for("bookings.my_courses")


@bp.route("/my/courses/<int:booking_id>/offer")
@owner_only("booking")
@role_required(STUDENT)
def offer(booking_id: int):
    """The place held for them, with Accept and Decline (the link in the offer message);
    a last-minute free place with "Take the place"; otherwise where they stand."""
    booking = get_booking_or_404(booking_id, for_user=current_user)
    now = utcnow()
    return render_template(
        "bookings/offer.html", booking=booking, form=CancelForm(), now=now,
        refusal=operations.offer_refusal(booking, now) if booking.status == OFFERED else None,
        last_minute=operations.last_minute_place_free(booking, now),
        position=operations.waitlist_position(booking),
    )


def _answered(booking: Booking, message: str, category: str = "success"):
    return done(_my_courses_url(), message, category=category)


@bp.route("/my/courses/<int:booking_id>/offer/accept", methods=["POST"])
@owner_only("booking")
@role_required(STUDENT)
@limit("REC_LIMIT_BOOKING")
def accept_offer(booking_id: int):
    booking = get_booking_or_404(booking_id, for_user=current_user)
    return run(
        CancelForm(),
        lambda: operations.accept_offer(booking.id, current_person()),
        done=lambda b: _answered(b, "Your place is booked. We have sent you the details."),
        refused=lambda error: _answered(booking, error.message, "error"),
    )


@bp.route("/my/courses/<int:booking_id>/offer/decline", methods=["POST"])
@owner_only("booking")
@role_required(STUDENT)
def decline_offer(booking_id: int):
    booking = get_booking_or_404(booking_id, for_user=current_user)
    return run(
        CancelForm(),
        lambda: operations.decline_offer(booking.id, current_person()),
        done=lambda _: _answered(booking, "You have said no to the place, and left the waiting "
                                          "list. The place will be offered to the next person."),
        refused=lambda error: _answered(booking, error.message, "error"),
    )


@bp.route("/my/courses/<int:booking_id>/take-place", methods=["POST"])
@owner_only("booking")
@role_required(STUDENT)
@limit("REC_LIMIT_BOOKING")
def take_place(booking_id: int):
    """A place freed in the last hours: the first person waiting to take it gets it."""
    booking = get_booking_or_404(booking_id, for_user=current_user)
    return run(
        CancelForm(),
        lambda: operations.accept_last_minute_place(booking.id, current_person()),
        done=lambda b: _answered(b, "Your place is booked. We have sent you the details."),
        refused=lambda error: _answered(booking, error.message, "error"),
    )
