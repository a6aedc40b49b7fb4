"""Views for giving feedback: a student's feedback on a course they attended
(/my/courses/<booking>/feedback) and a facilitator's reflection on a session they were
rostered on (/facilitate/sessions/<session>/reflection). Thin: load and authorise, parse
the form, call one operation, commit once, redirect.

Another student's booking, or a session the facilitator was not on, is "not found". What
was typed is kept when the person's session expires (``login_required_keeping``) and given
back on the form. Nothing about a student's response is audited, logged or emailed.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from rec_portal.web.guards import current_person, get_booking_or_404, get_rostered_session_or_404, is_rostered
from rec_portal.web.access import owner_only, role_required
from rec_portal.drafts import login_required_keeping, take_drafts
from rec_portal.extensions import db
from rec_portal.feedback import bp, operations
from rec_portal.feedback.bank import questions_for
from rec_portal.feedback.forms import QUESTION_FIELD, feedback_form, is_answer_field
from rec_portal.models import Booking, CourseSession
from rec_portal.models.accounts import FACILITATOR, STUDENT
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.feedback import ANSWER_TEXT_MAX, FOR_FACILITATORS, FOR_STUDENTS
from rec_portal.support_requests import operations as support_requests
from rec_portal.web.forms import add_error, done, page, run

KEPT = "We kept what you typed before you were signed out. Check it, then choose {button}."




def _student_draft(booking_id: int) -> str:
    return f"feedback.booking.{booking_id}"


def _reflection_draft(session_id: int) -> str:
    return f"feedback.reflection.{session_id}"


def _own_booking(owner, booking_id: int) -> bool:
    """Whether a draft for this booking's feedback form can be kept (it is the owner's)."""
    booking = db.session.get(Booking, booking_id)
    return booking is not None and booking.student_id == owner.id and owner.has_role(STUDENT)


def _rostered(owner, session_id: int) -> bool:
    return owner.has_role(FACILITATOR) and is_rostered(owner.id, session_id)




def _kept_draft(draft_name: str) -> MultiDict | None:
    """What the person typed before their session expired (the newest), handed back once."""
    drafts = take_drafts(current_person(), draft_name)
    if not drafts:
        return None
    db.session.commit()
    return MultiDict([(key, value) for key, values in drafts[-1].items() for value in values])


def _answers_sent() -> dict[int, str]:
    """question id -> the value sent, for every ``q-<id>`` field in the request."""
    return {int(name[2:]): value for name, value in request.form.items() if QUESTION_FIELD.fullmatch(name)}


def _concern(session: CourseSession, audience: str) -> dict:
    """A facilitator's page has its own "I am worried about someone's safety" section,
    sent on its own to the support lead (never a feedback answer): its class list."""
    if audience != FOR_FACILITATORS:
        return {}
    return {"concern_students": [{"value": str(s.id), "text": s.full_name}
                                 for s in support_requests.class_list(session.id)]}


def _feedback_page(*, audience: str, session: CourseSession, action: str, back_url: str,
                   draft_name: str, done_url: str):
    """The form (GET), or send it (POST): the same for students and facilitators."""
    me = current_person()
    for_student = audience == FOR_STUDENTS
    # A one-to-one workshop has one student: an "anonymous" answer would still be theirs.
    anonymous_choice = for_student and not session.individual
    state = operations.feedback_state(me, session, audience)
    if state != operations.OPEN:
        if request.method == "POST":
            return redirect(action, 303)  # the page says why, calmly
        if take_drafts(me, draft_name):  # nothing to give it back to
            db.session.commit()
        return render_template("feedback/closed.html", audience=audience, session=session,
                               state=state, back_url=back_url, **_concern(session, audience))
    questions = questions_for(session.course_id, audience)
    button = "Send feedback" if for_student else "Send reflection"
    if request.method in ("GET", "HEAD"):
        draft = _kept_draft(draft_name)
        if draft is not None:
            flash(KEPT.format(button=button), "info")
        form = feedback_form(questions, anonymous_choice=anonymous_choice, draft=draft)
    else:
        form = feedback_form(questions, anonymous_choice=anonymous_choice)

    def send():
        operations.submit_feedback(
            me, session, _answers_sent(),
            anonymous=bool(anonymous_choice and form.anonymous.data), audience=audience,
        )
        take_drafts(me, draft_name)  # anything left from an earlier timeout is not kept either

    def form_page():
        return page("feedback/form.html", form=form, questions=questions, audience=audience, session=session,
                    action=action, back_url=back_url, text_max=ANSWER_TEXT_MAX, **_concern(session, audience))

    def refused(error):
        if isinstance(error, operations.FeedbackClosed):
            return redirect(action, 303)  # the page says why, calmly
        for name, message in (getattr(error, "errors", None) or {error.field: error.message}).items():
            add_error(form, name, message)
        return form_page()

    if request.method in ("GET", "HEAD"):
        return form_page()
    # Nothing here for the form itself to refuse but a forged or stale post: a bad request.
    return run(form, send, done=lambda _: done(done_url), refused=refused)


# --- Students ---------------------------------------------------------------------------------

@bp.route("/my/courses/<int:booking_id>/feedback", methods=["GET", "POST"])
@owner_only("booking")
@login_required_keeping(_student_draft, is_answer_field, keep_if=_own_booking)
@role_required(STUDENT)
def give(booking_id: int):
    booking = get_booking_or_404(booking_id, for_user=current_user)
    back_url = url_for("bookings.my_courses")
    if booking.status != CONFIRMED:
        if request.method == "POST":
            return redirect(url_for("feedback.give", booking_id=booking.id), 303)
        return render_template("feedback/closed.html", audience=FOR_STUDENTS, session=booking.session,
                               state=operations.NOT_INVITED, back_url=back_url)
    return _feedback_page(
        audience=FOR_STUDENTS, session=booking.session,
        action=url_for("feedback.give", booking_id=booking.id), back_url=back_url,
        draft_name=_student_draft(booking.id),
        done_url=url_for("feedback.thanks", booking_id=booking.id),
    )


@bp.route("/my/courses/<int:booking_id>/feedback/thank-you")
@owner_only("booking")
@role_required(STUDENT)
def thanks(booking_id: int):
    booking = get_booking_or_404(booking_id, for_user=current_user)
    if booking.status != CONFIRMED or (
        operations.student_feedback_state(current_person(), booking.session) != operations.ANSWERED
    ):
        return redirect(url_for("feedback.give", booking_id=booking.id))
    return render_template("feedback/thanks.html", audience=FOR_STUDENTS, session=booking.session)


# --- Facilitators ------------------------------------------------------------------------------

@bp.route("/facilitate/sessions/<int:session_id>/reflection", methods=["GET", "POST"])
@owner_only("session")
@login_required_keeping(_reflection_draft, is_answer_field, keep_if=_rostered)
@role_required(FACILITATOR)
def reflection(session_id: int):
    session = get_rostered_session_or_404(session_id, current_person())
    return _feedback_page(
        audience=FOR_FACILITATORS, session=session,
        action=url_for("feedback.reflection", session_id=session.id),
        back_url=url_for("facilitation.index") + f"#session-{session.id}",
        draft_name=_reflection_draft(session.id),
        done_url=url_for("feedback.reflection_thanks", session_id=session.id),
    )


@bp.route("/facilitate/sessions/<int:session_id>/reflection/thank-you")
@owner_only("session")
@role_required(FACILITATOR)
def reflection_thanks(session_id: int):
    session = get_rostered_session_or_404(session_id, current_person())
    if operations.reflection_state(current_person(), session) != operations.ANSWERED:
        return redirect(url_for("feedback.reflection", session_id=session.id))
    return render_template("feedback/thanks.html", audience=FOR_FACILITATORS, session=session)
