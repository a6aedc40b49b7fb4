"""Every message to a student about their courses goes by their contact preference
(notifications.contact.tell): email, a short neutral text, or a line on the staff call
list (a phone call, or a letter). One test per message kind and channel, the fallbacks,
and the reminder sent once by text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.bookings import notify, offer_notify
from rec_portal.bookings.operations import send_reminders
from rec_portal.extensions import db
from rec_portal.models import OutboxMessage
from rec_portal.models.contact import ContactTask
from rec_portal.notifications import contact
from rec_portal.timeutil import utcnow
from tests import factories

TITLE = "Understanding Voices"
MOBILE = "07700 900123"
LANDLINE = "01632 960123"


def _booking(person, status="confirmed", days=14):
    session = factories.make_session(course=factories.make_course(title=TITLE), starts_in_days=days)
    return factories.make_booking(session, person, status)


def _confirmed(p):
    notify.booking_made(_booking(p), None)


def _waitlisted(p):
    notify.booking_made(_booking(p, "waitlisted"), 2)


def _offered(p):
    notify.place_offered(_booking(p))


def _cancelled(p):
    notify.booking_cancelled(_booking(p, "cancelled"))


def _reminder(p):
    _booking(p, days=1)
    assert send_reminders() == 1


def _swap(p):
    notify.swap_possible(_booking(p, "waitlisted"))


def _changed(p):
    from rec_portal.scheduling.operations import DateRange, update_session

    booking = _booking(p)
    session = booking.session
    update_session(session.id, dates=[DateRange(d.starts_at + timedelta(days=1), d.ends_at + timedelta(days=1))
                                      for d in session.dates], capacity=session.capacity, venue="Room 4")


def _session_cancelled(p):
    from rec_portal.scheduling.operations import cancel_session

    cancel_session(_booking(p).session_id)


def _feedback(p):
    from rec_portal.feedback.operations import invite_for_session

    session = factories.make_attended_session([p], course=factories.make_course(title=TITLE), ended_days_ago=0.5)
    assert invite_for_session(session) == 1


def _outcome(p):
    from rec_portal.outcomes.operations import invite_due

    factories.make_attended_session([p], ended_days_ago=200)
    assert invite_due() == 1


def _offer_made(p):
    from rec_portal.bookings.operations import cancel_booking

    session = factories.make_session(course=factories.make_course(title=TITLE), starts_in_days=14, capacity=1)
    leaving = factories.make_booking(session, factories.make_user())
    waiting = factories.make_booking(session, p, "waitlisted")
    cancel_booking(leaving.id)
    assert waiting.status == "offered"


def _held(p, status="offered"):
    booking = _booking(p, status)
    booking.offered_at, booking.offer_expires_at = utcnow(), utcnow() + timedelta(hours=48)
    return booking


def _offer_lapsed(p):
    offer_notify.offer_lapsed(_held(p, "waitlisted"))


def _place_free_now(p):
    offer_notify.place_free_now(_booking(p, "waitlisted", days=0.5))


def _offer_accepted(p):
    offer_notify.place_accepted(_held(p, "confirmed"))


def _class_message(p):
    from rec_portal.class_messages.operations import send_class_message

    booking = _booking(p)
    send_class_message(booking.session_id, factories.make_user(roles=("admin",)), "Bring a pen, please.",
                       include_waiting=False, as_admin=True)


def _workshop(p):
    from rec_portal.workshops.operations import request_workshop

    request_workshop(p, factories.make_course(title=TITLE), contact_method="phone", contact_detail=LANDLINE)


KINDS = {
    "booking_confirmed": (_confirmed, "Your place is booked."),
    "booking_waitlisted": (_waitlisted, "you are on the waiting list"),
    "place_offered": (_offered, "A place"),
    "booking_cancelled": (_cancelled, "cancelled"),
    "booking_reminder": (_reminder, "A reminder"),
    "place_free_to_swap": (_swap, "A place has become free"),
    "session_changed": (_changed, "have changed"),
    "session_cancelled": (_session_cancelled, "cancelled"),
    "feedback_invitation": (_feedback, "Hello"),
    "outcome_invitation": (_outcome, "Hello"),
    "workshop_requested": (_workshop, "We have your request"),
    "offer_made": (_offer_made, "holding it for you"),
    "offer_lapsed": (_offer_lapsed, "passed on"),
    "place_free_now": (_place_free_now, "A place"),
    "offer_accepted": (_offer_accepted, "booked"),
    "class_message": (_class_message, "Bring a pen, please."),
}
# An acknowledgement of a request that is already on the REC team's own list: someone who
# prefers a call or a letter gets no call-list line for it (they are contacted about it).
NO_CALL_LINE = {"workshop_requested"}


def _sent(person_id):
    rows = db.session.execute(select(OutboxMessage).where(OutboxMessage.user_id == person_id)).scalars().all()
    tasks = db.session.execute(select(ContactTask).where(ContactTask.user_id == person_id)).scalars().all()
    return rows, tasks


@pytest.mark.parametrize("kind", KINDS)
def test_by_email(app_ctx, kind):
    person = factories.make_student_who_prefers("email", phone=MOBILE, email=True)
    KINDS[kind][0](person)
    rows, tasks = _sent(person.id)
    assert tasks == [] and [(m.channel, m.to_address) for m in rows] == [("email", person.email)]
    assert KINDS[kind][1].lower() in rows[0].body_text.lower()


@pytest.mark.parametrize("kind", KINDS)
def test_by_text_short_and_neutral(app_ctx, app, kind):
    person = factories.make_student_who_prefers("text", phone=MOBILE)
    KINDS[kind][0](person)
    rows, tasks = _sent(person.id)
    assert tasks == [] and [(m.channel, m.to_address) for m in rows] == [("text", "07700900123")]
    text = rows[0].body_text
    assert text.startswith("Recovery Education Centre") and TITLE not in text and len(text) <= 250
    for word in ("mental", "recovery college", "voices", "crime"):
        assert word not in text.lower()
    # An online account gets a link; the REC number when they would need to act. (A
    # message to a class is the sender's own words after the neutral opening.)
    if kind != "class_message":
        assert app.config["REC_BASE_URL"] in text or app.config["REC_CONTACT_PHONE"] in text


@pytest.mark.parametrize("kind", KINDS)
def test_text_shows_the_title_only_when_chosen(app_ctx, kind):
    person = factories.make_student_who_prefers("text", phone=MOBILE, show_course_titles=True)
    KINDS[kind][0](person)
    text = _sent(person.id)[0][0].body_text
    if kind not in ("feedback_invitation", "outcome_invitation"):
        assert TITLE in text
    assert len(text) <= 306


@pytest.mark.parametrize("kind", KINDS)
def test_by_phone_call_list(app_ctx, kind):
    person = factories.make_student_who_prefers("phone", phone=LANDLINE, email=False)
    KINDS[kind][0](person)
    rows, tasks = _sent(person.id)
    if kind in NO_CALL_LINE:
        assert rows == [] and tasks == []
        return
    assert rows == [] and [(t.kind, t.method, t.reason) for t in tasks] == [(kind, "phone", "Prefers a phone call")]
    assert tasks[0].message and "{{" not in tasks[0].message


@pytest.mark.parametrize("kind", KINDS)
def test_by_letter(app_ctx, kind):
    person = factories.make_student_who_prefers("letter", phone=MOBILE)
    KINDS[kind][0](person)
    rows, tasks = _sent(person.id)
    if kind in NO_CALL_LINE:
        assert rows == [] and tasks == []
        return
    assert rows == [] and [(t.kind, t.method, t.reason) for t in tasks] == [(kind, "letter", "Prefers a letter")]


def test_text_without_online_account_has_no_link_but_the_phone_number(app_ctx, app):
    person = factories.make_student_who_prefers("text", phone=MOBILE, email=False)
    _confirmed(person)
    text = _sent(person.id)[0][0].body_text
    assert app.config["REC_BASE_URL"] not in text and app.config["REC_CONTACT_PHONE"] in text


@pytest.mark.parametrize("preference, phone, email, route", [
    ("text", "", True, contact.BY_EMAIL),  # text without a mobile: email
    ("text", LANDLINE, False, contact.BY_CALL),  # a landline cannot get texts: a call
    ("email", "", False, contact.BY_LETTER),  # no email and no phone: a letter
    ("email", LANDLINE, False, contact.BY_CALL),
    ("email", MOBILE, False, contact.BY_TEXT),
    ("phone", "", True, contact.BY_EMAIL),
    ("phone", "", False, contact.BY_LETTER),
])
def test_fallbacks(app_ctx, preference, phone, email, route):
    person = factories.make_student_who_prefers(preference, phone=phone, email=email)
    assert contact.route_for(person) == route
    _confirmed(person)
    rows, tasks = _sent(person.id)
    got = [m.channel for m in rows] + [t.method for t in tasks]
    assert got == [{"email": "email", "text": "text", "call": "phone", "letter": "letter"}[route]]


def test_reminder_by_text_is_sent_once(app_ctx):
    person = factories.make_student_who_prefers("text", phone=MOBILE)
    booking = _booking(person, days=1.5)
    assert send_reminders() == 1 and send_reminders() == 0
    rows, _ = _sent(person.id)
    assert [m.channel for m in rows] == ["text"] and "a reminder" in rows[0].body_text
    assert booking.reminder_sent_at is not None


def test_reminder_on_the_call_list_is_useless_once_the_session_starts(app_ctx):
    person = factories.make_student_who_prefers("phone", phone=LANDLINE)
    booking = _booking(person, days=1)
    send_reminders()
    task = _sent(person.id)[1][0]
    assert task.useless_after == booking.session.starts_at and task.booking_id == booking.id
    assert task.session_id == booking.session_id


def test_feedback_text_waits_until_the_session_is_over(app_ctx):
    from rec_portal.feedback.operations import invite_for_session

    person = factories.make_student_who_prefers("text", phone=MOBILE)
    session = factories.make_attended_session([person], ended_days_ago=0.5)
    session.ends_at = utcnow() + timedelta(hours=1)
    invite_for_session(session, now=utcnow())
    assert _sent(person.id)[0][0].next_attempt_at == session.ends_at
