"""Waiting-list offers that wait for an answer (issue 16, part 4): a freed place is held
for the first person waiting until they answer or the hold ends; nobody is offered a place
once booking has closed or the session has started; in the last hours a freed place goes
to whoever accepts first."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.bookings.operations import (
    BookingRefused,
    accept_last_minute_place,
    accept_offer,
    book_place,
    cancel_booking,
    decline_offer,
    leave_list,
    pass_on_lapsed_offers,
    places_left,
    set_supporter,
    tell_booked,
    waitlist_position,
)
from rec_portal.extensions import db
from rec_portal.models import ContactTask, OutboxMessage
from rec_portal.models.bookings import DECLINED_OFFER, LEFT_LIST
from rec_portal.timeutil import utcnow
from tests import factories

HELD = "Recovery Education Centre session: a place is being held for you"


def _full(capacity=1, waiting=2, **kw):
    session = factories.make_session(capacity=capacity, **kw)
    holders = [book_place(session.id, factories.make_user()).booking for _ in range(capacity)]
    queue = [book_place(session.id, factories.make_user()).booking for _ in range(waiting)]
    db.session.commit()
    return session, holders, queue


def _subjects(person):
    return list(db.session.execute(
        select(OutboxMessage.subject).where(OutboxMessage.to_address == person.email)).scalars())


def test_a_freed_place_is_held_for_the_first_in_line_for_the_offer_hours(app_ctx, app):
    session, (holder,), (first, second) = _full(starts_in_days=14)
    now = utcnow()
    assert cancel_booking(holder.id, now=now) == [first]
    assert first.status == "offered" and first.offered_at == now
    assert first.offer_expires_at == now + timedelta(hours=app.config["REC_OFFER_HOURS"])
    assert second.status == "waitlisted" and places_left(session) == 0
    assert HELD in _subjects(first.student)
    body = db.session.execute(select(OutboxMessage.body_text).where(
        OutboxMessage.to_address == first.student.email, OutboxMessage.subject == HELD)).scalar_one()
    assert f"/my/courses/{first.id}/offer" in body and "until" in body


def test_the_hold_is_shortened_to_end_when_booking_closes(app_ctx):
    session, (holder,), (first, _) = _full(starts_in_days=14)
    now = utcnow()
    session.booking_closes_at = now + timedelta(hours=5)
    cancel_booking(holder.id, now=now)
    assert first.status == "offered" and first.offer_expires_at == session.booking_closes_at


def test_nobody_is_offered_a_place_after_booking_closes(app_ctx):
    session, (holder,), (first, second) = _full(starts_in_days=14)
    now = utcnow()
    session.booking_closes_at = now - timedelta(hours=1)
    assert cancel_booking(holder.id, now=now) == []
    assert [first.status, second.status] == ["waitlisted", "waitlisted"]
    assert first.last_minute_told_at is None and HELD not in _subjects(first.student)


def test_an_unanswered_offer_lapses_to_the_back_of_the_line_and_the_next_is_offered(app_ctx):
    session, (holder,), (first, second, third) = _full(waiting=3, starts_in_days=14)
    cancel_booking(holder.id, now=utcnow())
    later = first.offer_expires_at
    assert pass_on_lapsed_offers(later - timedelta(seconds=1)) == 0  # not yet
    assert pass_on_lapsed_offers(later) == 1
    assert first.status == "waitlisted" and first.queued_at == later and first.offer_lapsed_at == later
    assert second.status == "offered" and third.status == "waitlisted"
    assert waitlist_position(third) == 1 and waitlist_position(first) == 2  # back of the line
    assert "Recovery Education Centre session: the place held for you has been passed on" in _subjects(first.student)
    assert pass_on_lapsed_offers(later) == 0  # safe to repeat


def test_accepting_after_the_hold_ended_is_refused_even_before_it_is_passed_on(app_ctx):
    session, (holder,), (first, _) = _full(starts_in_days=14)
    cancel_booking(holder.id, now=utcnow())
    with pytest.raises(BookingRefused, match="passed on to the next person"):
        accept_offer(first.id, now=first.offer_expires_at)
    assert first.status == "offered"


def test_accepting_confirms_and_tells_them(app_ctx):
    session, (holder,), (first, _) = _full(starts_in_days=14)
    cancel_booking(holder.id, now=utcnow())
    accept_offer(first.id, first.student, now=first.offered_at + timedelta(hours=1))
    assert first.status == "confirmed" and first.confirmed_at and first.promoted_at
    assert "Recovery Education Centre session: your place is booked" in _subjects(first.student)
    with pytest.raises(BookingRefused, match="already have this place"):
        accept_offer(first.id, first.student)


def test_declining_leaves_the_list_and_offers_the_next(app_ctx):
    session, (holder,), (first, second) = _full(starts_in_days=14)
    cancel_booking(holder.id, now=utcnow())
    assert decline_offer(first.id, first.student) == [second]
    assert first.status == "cancelled" and first.cancelled_reason == DECLINED_OFFER
    assert second.status == "offered"


def test_leaving_the_list_while_offered_passes_the_place_on(app_ctx):
    session, (holder,), (first, second) = _full(starts_in_days=14)
    cancel_booking(holder.id, now=utcnow())
    assert leave_list(first.id) == [second]
    assert first.status == "cancelled" and first.cancelled_reason == LEFT_LIST
    assert second.status == "offered"
    # Leaving while only waiting frees nothing.
    third = book_place(session.id, factories.make_user()).booking
    assert cancel_booking(third.id, by_student=True) == [] and third.cancelled_reason == LEFT_LIST


def test_an_accepted_then_cancelled_place_goes_to_the_next_in_line_not_back(app_ctx):
    session, (holder,), (first, second) = _full(starts_in_days=14)
    cancel_booking(holder.id, now=utcnow())
    accept_offer(first.id)
    assert cancel_booking(first.id, by_student=True) == [second]
    assert first.status == "cancelled" and second.status == "offered"


def test_last_minute_everyone_is_told_and_the_first_to_accept_gets_it(app_ctx, app):
    session, (holder,), (first, second) = _full(starts_in_days=0.5)  # within 24 hours
    now = utcnow()
    assert cancel_booking(holder.id, now=now) == []  # nobody is held a place
    assert first.status == second.status == "waitlisted"
    assert first.last_minute_told_at == second.last_minute_told_at == now
    assert "Recovery Education Centre session: a place is free now" in _subjects(second.student)
    accept_last_minute_place(second.id, now=now + timedelta(minutes=1))  # second answered first
    assert second.status == "confirmed"
    with pytest.raises(BookingRefused, match="The place has been taken; you are still on the waiting list"):
        accept_last_minute_place(first.id, now=now + timedelta(minutes=2))
    assert first.status == "waitlisted"


def test_last_minute_people_who_prefer_a_phone_call_are_on_the_call_list(app_ctx):
    from rec_portal.models.students import StudentProfile

    session, (holder,), (first,) = _full(waiting=1, starts_in_days=0.5)
    db.session.add(StudentProfile(user_id=first.student_id, contact_preference="phone", phone="01632 960000"))
    db.session.flush()
    db.session.expire(first.student)
    cancel_booking(holder.id, now=utcnow())
    task = db.session.execute(select(ContactTask).where(ContactTask.user_id == first.student_id)).scalar_one()
    assert task.kind == "place_free_now" and "first person on the waiting list" in task.message
    assert _subjects(first.student) == [s for s in _subjects(first.student) if "free now" not in s]


def test_a_supporter_who_takes_a_place_needs_two_free_places(app_ctx):
    course = factories.make_course(supporters_take_place=True)
    session = factories.make_session(course=course, capacity=2)
    book_place(session.id, factories.make_user())
    with_carer = book_place(session.id, factories.make_user(), supporter="carer").booking
    assert with_carer.status == "waitlisted" and places_left(session) == 1


# --- Review fixes: offers end when booking closes, never wasted, told once ------------------

FREE_NOW = "Recovery Education Centre session: a place is free now"
PASSED_ON = "Recovery Education Centre session: the place held for you has been passed on"


def _update(session, now, *, starts_at=None, closes_at=None):
    """Staff change the session: its one date moved to ``starts_at``, booking closing at
    ``closes_at``; everything else kept."""
    from rec_portal.scheduling.operations import DateRange, update_session

    starts_at = starts_at or session.starts_at
    length = session.ends_at - session.starts_at
    return update_session(session.id, dates=[DateRange(starts_at, starts_at + length)],
                          capacity=session.capacity, venue=session.venue,
                          online_details=session.online_details,
                          booking_closes_at=closes_at, now=now)


def test_an_offer_cannot_be_accepted_once_booking_has_closed(app_ctx):
    session, (holder,), (first, _) = _full(starts_in_days=14)
    now = utcnow()
    cancel_booking(holder.id, now=now)
    session.booking_closes_at = now + timedelta(hours=1)  # closed before the hold ends
    db.session.flush()
    with pytest.raises(BookingRefused, match="Booking for this session has closed"):
        accept_offer(first.id, first.student, now=now + timedelta(hours=2))
    assert first.status == "offered"


def test_moving_the_closing_time_earlier_cuts_the_hold_back(app_ctx):
    session, (holder,), (first, second) = _full(starts_in_days=14)
    now = utcnow()
    cancel_booking(holder.id, now=now)
    _update(session, now, closes_at=now + timedelta(hours=5))
    assert first.status == "offered" and first.offer_expires_at == now + timedelta(hours=5)
    assert pass_on_lapsed_offers(now + timedelta(hours=5)) == 1  # passed on when booking closes
    assert first.status == second.status == "waitlisted"  # booking closed: nobody is offered it


def test_moving_the_start_into_the_last_minute_hours_passes_the_offer_on_at_once(app_ctx):
    session, (holder,), (first, second) = _full(starts_in_days=14)
    now = utcnow()
    cancel_booking(holder.id, now=now)
    _update(session, now, starts_at=now + timedelta(hours=10))
    assert first.status == second.status == "waitlisted"
    assert first.last_minute_told_at == second.last_minute_told_at == now  # first to accept
    assert FREE_NOW in _subjects(first.student) and PASSED_ON not in _subjects(first.student)
    with pytest.raises(BookingRefused):
        accept_offer(first.id, first.student, now=now + timedelta(hours=11))  # it has started
    accept_last_minute_place(second.id, second.student, now=now + timedelta(minutes=5))
    assert second.status == "confirmed"


def test_a_hold_ends_when_the_last_minute_hours_begin_and_the_place_goes_to_everyone(app_ctx, app):
    session, (holder,), (first, second) = _full(starts_in_days=26 / 24)
    now = utcnow()
    cancel_booking(holder.id, now=now)
    window = session.starts_at - timedelta(hours=app.config["REC_LAST_MINUTE_HOURS"])
    assert first.status == "offered" and first.offer_expires_at == window
    assert pass_on_lapsed_offers(window) == 1
    assert first.status == second.status == "waitlisted"
    assert first.last_minute_told_at == second.last_minute_told_at == window
    # Only "a place is free now" for the person whose hold ended, not "passed on" too.
    assert FREE_NOW in _subjects(first.student) and PASSED_ON not in _subjects(first.student)
    assert FREE_NOW in _subjects(second.student)


def test_a_place_that_would_be_held_less_than_an_hour_goes_to_everyone_at_once(app_ctx, app):
    hours = app.config["REC_LAST_MINUTE_HOURS"]
    session, (holder,), (first, second) = _full(starts_in_days=(hours + 0.5) / 24)
    now = utcnow()
    assert cancel_booking(holder.id, now=now) == []  # not held for 30 minutes
    assert first.last_minute_told_at == second.last_minute_told_at == now
    accept_last_minute_place(second.id, second.student, now=now + timedelta(minutes=1))
    assert second.status == "confirmed"


def test_booking_closing_within_the_hour_makes_a_freed_place_first_to_accept(app_ctx):
    session, (holder,), (first, second) = _full(starts_in_days=14)
    now = utcnow()
    session.booking_closes_at = now + timedelta(minutes=30)
    assert cancel_booking(holder.id, now=now) == []
    assert first.last_minute_told_at == second.last_minute_told_at == now
    accept_last_minute_place(first.id, first.student, now=now + timedelta(minutes=10))
    assert first.status == "confirmed"


def test_last_minute_someone_new_joins_the_list_behind_those_told_a_place_is_free(app_ctx):
    session, (holder,), (first, second) = _full(starts_in_days=0.5)
    now = utcnow()
    cancel_booking(holder.id, now=now)
    newcomer = book_place(session.id, factories.make_user(), now=now)
    assert newcomer.booking.status == "waitlisted" and newcomer.waitlist_position == 3
    tell_booked(newcomer)  # what the page does: the usual waiting-list message
    assert _subjects(newcomer.booking.student) == [
        "Recovery Education Centre session: you are on the waiting list"]
    accept_last_minute_place(first.id, first.student, now=now + timedelta(minutes=1))
    assert first.status == "confirmed"


def test_last_minute_someone_new_books_a_free_place_nobody_waiting_can_take(app_ctx):
    session, (holder,), (first,) = _full(waiting=1, starts_in_days=0.5)
    now = utcnow()
    cancel_booking(holder.id, now=now)
    leave_list(first.id, now=now)  # the only person told has gone
    assert book_place(session.id, factories.make_user(), now=now).booking.status == "confirmed"


# --- Supporters who take a place: capacity kept right ------------------------------------

def test_turning_supporters_take_a_place_on_is_refused_naming_the_dates_over_capacity(app_ctx):
    from rec_portal.bookings.operations import set_supporters_take_place
    from rec_portal.timeutil import format_uk

    course = factories.make_course()
    full = factories.make_session(course=course, capacity=2, starts_in_days=7)
    roomy = factories.make_session(course=course, capacity=5, starts_in_days=14)
    book_place(full.id, factories.make_user(), supporter="carer")
    book_place(full.id, factories.make_user())
    book_place(roomy.id, factories.make_user(), supporter="carer")
    with pytest.raises(BookingRefused) as refused:
        set_supporters_take_place(course, True)
    assert format_uk(full.starts_at) in refused.value.message
    assert format_uk(roomy.starts_at) not in refused.value.message
    assert course.supporters_take_place is False
    full.capacity = 3  # with room for everyone it is allowed
    set_supporters_take_place(course, True)
    assert course.supporters_take_place is True and places_left(full) == 0


def test_turning_supporters_take_a_place_off_offers_the_places_it_frees(app_ctx):
    from rec_portal.bookings.operations import set_supporters_take_place

    course = factories.make_course(supporters_take_place=True)
    session = factories.make_session(course=course, capacity=2)
    book_place(session.id, factories.make_user(), supporter="carer")
    waiting = book_place(session.id, factories.make_user()).booking
    assert waiting.status == "waitlisted"
    assert set_supporters_take_place(course, False) == [waiting]
    assert waiting.status == "offered" and HELD in _subjects(waiting.student)


def test_removing_a_supporter_who_took_a_place_offers_it(app_ctx):
    course = factories.make_course(supporters_take_place=True)
    session = factories.make_session(course=course, capacity=2)
    with_carer = book_place(session.id, factories.make_user(), supporter="carer").booking
    waiting = book_place(session.id, factories.make_user()).booking
    set_supporter(with_carer.id, with_carer.student, "")
    assert waiting.status == "offered" and HELD in _subjects(waiting.student)
    assert places_left(session) == 0


# --- Call-list lines close when the situation changes -----------------------------------

def _phoned(name, number):
    return factories.make_person_without_account(full_name=name, contact_preference="phone",
                                                 phone=number)


def _lines(booking):
    """(kind, open?, note) for each call-list line about ``booking``, oldest first."""
    return [(t.kind, t.closed_at is None, t.outcome_note) for t in db.session.execute(
        select(ContactTask).where(ContactTask.booking_id == booking.id).order_by(ContactTask.id)).scalars()]


def _phone_offer(starts_in_days=14):
    session = factories.make_session(capacity=1, starts_in_days=starts_in_days)
    holder = book_place(session.id, factories.make_user()).booking
    queue = [book_place(session.id, _phoned(f"Person {i}", f"01632 96000{i}")).booking for i in range(2)]
    cancel_booking(holder.id)
    return session, queue


def test_accepting_closes_the_offer_line_before_they_are_told(app_ctx):
    session, (first, _) = _phone_offer()
    assert _lines(first) == [("offer_made", True, "")]
    accept_offer(first.id, first.student)  # they accepted online, not on the phone
    assert _lines(first) == [("offer_made", False, "The place was accepted"),
                             ("offer_accepted", True, "")]
    task = db.session.execute(select(ContactTask).where(ContactTask.booking_id == first.id)).scalars().first()
    assert task.outcome == "not_needed" and task.outcome_at is not None


def test_declining_and_leaving_close_their_lines(app_ctx):
    session, (first, second) = _phone_offer()
    decline_offer(first.id, first.student)
    assert _lines(first) == [("offer_made", False, "They said no to the place held for them")]
    assert _lines(second) == [("offer_made", True, "")]
    leave_list(second.id)
    assert _lines(second) == [("offer_made", False, "They left the waiting list")]


def test_cancelling_a_booking_closes_every_open_line_about_it(app_ctx):
    session, (first, _) = _phone_offer()
    admin = factories.make_user(roles=("admin",))
    accept_offer(first.id, admin)  # staff on the phone: no new line
    from rec_portal.bookings import notify

    notify.reminder(first)  # a reminder line, say
    assert [k for k, is_open, _ in _lines(first) if is_open] == ["booking_reminder"]
    cancel_booking(first.id)
    assert [(k, note) for k, is_open, note in _lines(first)][-1] == (
        "booking_reminder", "The booking was cancelled")
    assert not [k for k, is_open, _ in _lines(first) if is_open]


def test_passing_on_an_offer_closes_its_line_and_tells_them_after(app_ctx):
    session, (first, second) = _phone_offer()
    pass_on_lapsed_offers(first.offer_expires_at)
    assert _lines(first) == [("offer_made", False, "The place held for them was passed on: no answer in time"),
                             ("offer_lapsed", True, "")]
    assert _lines(second) == [("offer_made", True, "")]


def test_a_last_minute_place_taken_closes_everyone_elses_place_free_line(app_ctx):
    session, (first, second) = _phone_offer(starts_in_days=0.5)
    assert _lines(first) == _lines(second) == [("place_free_now", True, "")]
    accept_last_minute_place(second.id, second.student)
    assert _lines(first) == [("place_free_now", False, "The free place has been taken by someone else")]
    assert _lines(second)[0] == ("place_free_now", False, "The place was accepted")


def test_cancelling_a_session_closes_the_lines_about_its_bookings(app_ctx):
    from rec_portal.scheduling.operations import cancel_session

    session, (first, second) = _phone_offer()
    cancel_session(session.id)
    assert _lines(first) == [("offer_made", False, "The session was cancelled"),
                             ("session_cancelled", True, "")]
    assert _lines(second) == [("session_cancelled", True, "")]
