"""Individual workshop rules: one open request per student per course, contact details,
arranging (an individual session, a confirmed booking, the roster rules), the status
transitions, and completion and cancellation through the session's own life."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.attendance.operations import complete_if_done, record_attendance
from rec_portal.bookings.operations import BookingRefused, book_place, cancel_booking
from rec_portal.scheduling.operations import cancel_session
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import (
    Booking,
    FeedbackInvitation,
    OutboxMessage,
    RosterAssignment,
    WorkshopRequest,
)
from rec_portal.models.workshops import ARRANGED, CLOSED, COMPLETED, NEW, session_cancelled, session_completed
from rec_portal.timeutil import to_uk
from rec_portal.workshops import operations
from rec_portal.workshops.operations import Arrangement
from tests import factories
from tests.factories import make_course_needing as make_course
from tests.factories import make_session_at, soon, staying_safe_team


_n = itertools.count(1)


def _request(student=None, course=None, **answers):
    student = student or factories.make_user()
    course = course or make_course(slug=f"staying-safe-{next(_n)}")
    answers.setdefault("contact_method", "email")
    return operations.request_workshop(student, course, **answers)


def _plan(team=(), days=10, hours=2, **kwargs):
    start = soon(days, hour=10)
    return Arrangement(starts_at=start, ends_at=start + timedelta(hours=hours),
                       venue=kwargs.pop("venue", "Recovery Education Centre, Quiet room"), facilitators=tuple(team),
                       **kwargs)


def _team_roles(police, social, peer):
    return [("police_mh_coordinator", police.id), ("social_worker", social.id), ("peer_specialist", peer.id)]


def _mail():
    return [(m.to_address, m.subject, m.body_text, m.attachment_filename)
            for m in db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


# --- Asking -------------------------------------------------------------------------------

def test_a_request_is_new_and_tells_the_student_and_each_admin_without_personal_details(app_ctx):
    admin = factories.make_user(roles=("admin",), email="boss@example.org")
    factories.make_user(roles=("admin",), email="gone@example.org", active=False)
    student = factories.make_user(email="sam@example.org")
    req = _request(student, why_not_group="Groups make me anxious", availability="Mornings")
    assert req.status == NEW and req.contact_detail == "sam@example.org"
    mail = _mail()
    assert [m[0] for m in mail] == ["sam@example.org", admin.email]
    assert "we have your request" in mail[0][1] and "Staying Safe" not in mail[0][1]
    assert "anxious" not in mail[1][2] and f"/admin/workshops/{req.id}" in mail[1][2]


def test_one_open_request_per_student_per_course(app_ctx):
    student = factories.make_user()
    course = make_course(slug="staying-safe")
    first = _request(student, course)
    with pytest.raises(DomainError, match="already asked"):
        _request(student, course)
    other = make_course(title="Hearing Voices", slug="voices", roles={})
    assert _request(student, other).status == NEW  # another course is fine
    operations.withdraw_request(first, student)
    assert first.status == CLOSED and "withdrew" in first.notes[-1].text
    assert _request(student, course).status == NEW  # closed ones do not count


def test_a_phone_call_or_text_needs_a_number_and_long_answers_are_refused(app_ctx):
    with pytest.raises(DomainError) as caught:
        _request(contact_method="phone")
    assert caught.value.field == "contact_detail"
    with pytest.raises(DomainError) as caught:
        _request(contact_method="pigeon")
    assert caught.value.field == "contact_method"
    with pytest.raises(DomainError) as caught:
        _request(what_would_help="x" * 2001)
    assert caught.value.field == "what_would_help"
    assert _request(contact_method="text", contact_detail="07700 900123").contact_detail == "07700 900123"


def test_an_unpublished_course_takes_no_requests(app_ctx):
    with pytest.raises(DomainError, match="not open"):
        _request(course=make_course(slug="draft", status="draft"))


def test_only_a_new_request_can_be_withdrawn_and_only_by_its_student(app_ctx):
    req = _request()
    with pytest.raises(DomainError):
        operations.withdraw_request(req, factories.make_user())
    req.status = ARRANGED
    with pytest.raises(DomainError, match="already been arranged"):
        operations.withdraw_request(req, req.student)


# --- The queue ----------------------------------------------------------------------------

def test_notes_close_with_a_reason_and_reopen(app_ctx):
    admin = factories.make_user(roles=("admin",))
    req = _request()
    with pytest.raises(DomainError):
        operations.add_note(req, "   ", admin)
    operations.add_note(req, "Left a voicemail", admin)
    with pytest.raises(DomainError) as caught:
        operations.close_request(req, "", admin)
    assert caught.value.field == "reason"
    operations.close_request(req, "Joined the April group instead", admin)
    assert req.status == CLOSED and req.closed_at is not None
    assert [n.text for n in req.notes] == ["Left a voicemail", "Closed: Joined the April group instead"]
    with pytest.raises(DomainError, match="already closed"):
        operations.close_request(req, "again", admin)
    operations.reopen_request(req, admin)
    assert req.status == NEW and req.closed_at is None and req.notes[-1].text == "Reopened."
    with pytest.raises(DomainError, match="Only a closed"):
        operations.reopen_request(req, admin)


def test_a_closed_request_cannot_be_reopened_while_the_student_has_asked_again(app_ctx):
    admin = factories.make_user(roles=("admin",))
    student = factories.make_user()
    course = make_course(slug="staying-safe")
    old = _request(student, course)
    operations.close_request(old, "No reply", admin)
    _request(student, course)
    with pytest.raises(DomainError, match="another open request"):
        operations.reopen_request(old, admin)


# --- Arranging ----------------------------------------------------------------------------

def test_arranging_creates_an_individual_session_a_booking_and_a_roster(app_ctx):
    admin = factories.make_user(roles=("admin",))
    police, social, peer = staying_safe_team()
    req = _request(factories.make_user(email="sam@example.org"))
    db.session.execute(OutboxMessage.__table__.delete())
    session = operations.arrange(req, _plan(_team_roles(police, social, peer)), admin)
    assert session.individual and session.capacity == 1 and len(session.dates) == 1
    assert session.booking_closes_at is not None and session.booking_closes_at <= session.starts_at
    assert req.status == ARRANGED and req.session_id == session.id and req.arranged_at is not None
    booking = db.session.execute(select(Booking).where(Booking.session_id == session.id)).scalar_one()
    assert (booking.student_id, booking.status, booking.made_by, booking.made_by_user_id) == (
        req.student_id, "confirmed", "admin", admin.id)
    assert sorted(a.role for a in db.session.execute(select(RosterAssignment)).scalars()) == [
        "peer_specialist", "police_mh_coordinator", "social_worker"]
    mail = _mail()
    confirmation = [m for m in mail if m[0] == "sam@example.org"]
    assert len(confirmation) == 1 and "your place is booked" in confirmation[0][1]
    assert confirmation[0][3] == "rec-session.ics"
    assert {m[0] for m in mail} == {"sam@example.org", police.email, social.email, peer.email}
    assert "Arranged for" in req.notes[-1].text


def test_nobody_else_can_book_an_individual_session(app_ctx):
    admin = factories.make_user(roles=("admin",))
    req = _request()
    session = operations.arrange(req, _plan(), admin)
    other = factories.make_user()
    for made_by in (None, admin):  # booking themselves, or an admin booking someone else
        with pytest.raises(BookingRefused, match="individual workshop"):
            book_place(session.id, other, made_by=made_by)


@pytest.mark.parametrize("why", ["role", "day_off", "overlap"])
def test_the_roster_rules_refuse_and_nothing_is_saved(app_ctx, why):
    admin = factories.make_user(roles=("admin",))
    police, social, peer = staying_safe_team()
    req = _request()
    plan = _plan([("peer_specialist", police.id if why == "role" else peer.id)])
    if why == "day_off":
        factories.make_unavailability(peer, to_uk(plan.starts_at).date())
    if why == "overlap":
        from rec_portal.rosters.operations import assign_facilitator

        other = make_session_at(make_course(title="Hearing Voices", slug="voices"), plan.starts_at - timedelta(hours=1),
                                hours=3)
        assign_facilitator(other, peer, "peer_specialist", admin)
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        operations.arrange(req, plan, admin)
    assert caught.value.field == "role_peer_specialist_1"
    assert {"role": "does not hold", "day_off": "cannot work", "overlap": "Hearing Voices"}[why] in caught.value.message
    db.session.rollback()
    req = db.session.get(WorkshopRequest, req.id)
    assert req.status == NEW and req.session_id is None


def test_arranging_is_refused_in_the_past_for_a_closed_request_and_over_a_student_booking(app_ctx):
    admin = factories.make_user(roles=("admin",))
    req = _request()
    with pytest.raises(DomainError) as caught:
        operations.arrange(req, _plan(days=-1), admin)
    assert caught.value.field == "day"
    group = make_session_at(make_course(title="Hearing Voices", slug="voices", roles={}), soon(10, hour=9), hours=4)
    book_place(group.id, req.student)
    with pytest.raises(DomainError, match="already has a booking at that time"):
        operations.arrange(req, _plan(), admin)
    operations.close_request(req, "No reply", admin)
    with pytest.raises(DomainError, match="closed"):
        operations.arrange(req, _plan(), admin)


def test_a_student_cannot_cancel_their_individual_workshop_themselves(app_ctx):
    admin = factories.make_user(roles=("admin",))
    req = _request()
    session = operations.arrange(req, _plan(), admin)
    booking = db.session.execute(select(Booking).where(Booking.session_id == session.id)).scalar_one()
    with pytest.raises(BookingRefused, match="contact the REC team"):
        cancel_booking(booking.id, by_student=True)


# --- Completion and cancelling ------------------------------------------------------------

def test_taking_the_register_completes_the_request_and_invites_feedback(app_ctx):
    admin = factories.make_user(roles=("admin",))
    police, social, peer = staying_safe_team()
    req = _request()
    session = operations.arrange(req, _plan(_team_roles(police, social, peer), days=1), admin)
    # The day comes: the facilitator takes the register.
    booking = db.session.execute(select(Booking).where(Booking.session_id == session.id)).scalar_one()
    later = session.ends_at + timedelta(minutes=5)
    record_attendance(session.dates[0], booking, "present", peer, now=later)
    assert complete_if_done(session, now=later)
    assert session.status == "completed"
    assert req.status == COMPLETED and req.completed_at == later
    invited = {i.user_id for i in db.session.execute(select(FeedbackInvitation)).scalars()}
    assert req.student_id in invited and peer.id in invited
    from rec_portal.attendance.certificates import may_have_certificate

    assert may_have_certificate(booking, later + timedelta(hours=1))
    # Feedback on a one-to-one workshop is always named: asked to be anonymous, it still
    # keeps the student (an anonymous answer from the only student would point at them).
    from rec_portal.feedback import operations as feedback_ops
    from rec_portal.feedback.bank import ensure_default_questions, questions_for

    ensure_default_questions()
    rating = next(q for q in questions_for(session.course_id, "student") if q.kind == "rating")
    response = feedback_ops.submit_feedback(req.student, session, {rating.id: "4"}, anonymous=True,
                                            now=later + timedelta(days=1))
    assert response.anonymous is False and response.respondent_id == req.student_id


def test_cancelling_the_session_puts_the_request_back_as_new(app_ctx):
    admin = factories.make_user(roles=("admin",))
    req = _request()
    session = operations.arrange(req, _plan(), admin)
    cancel_session(session.id)
    assert req.status == NEW and req.session_id is None and req.arranged_at is None
    assert "was cancelled" in req.notes[-1].text
    # and it can be arranged again
    again = operations.arrange(req, _plan(days=12), admin)
    assert req.status == ARRANGED and req.session_id == again.id


def test_a_group_session_is_untouched_by_the_workshop_hooks(app_ctx):
    course = make_course(slug="staying-safe", roles={})
    group = make_session_at(course, soon(3))
    assert session_completed(group) is None
    assert session_cancelled(group) is None


def test_contact_defaults_come_from_the_profile(app_ctx, app):
    from rec_portal.workshops.views import _prefilled

    student = factories.make_user(email="kim@example.org")
    factories.make_student_profile(student, phone="07700 900456", contact_preference="text")
    db.session.expire(student)
    with app.test_request_context("/"):
        form = _prefilled(student)
    assert (form.contact_method.data, form.contact_detail.data) == ("text", "07700 900456")
