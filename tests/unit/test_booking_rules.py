"""The booking rules: places, waiting list order, promotion, refusals."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.bookings.operations import (
    STARTED_CANCEL_MESSAGE,
    BookingRefused,
    accept_last_minute_place,
    accept_offer,
    OverlapWarning,
    book_place,
    cancel_booking,
    change_capacity,
    fill_free_places,
    give_place_to,
    places_left,
    self_cancel_refusal,
    waitlist_position,
)
from rec_portal.extensions import db
from rec_portal.models import Booking
from rec_portal.timeutil import utcnow
from tests import factories


def _students(n):
    return [factories.make_user() for _ in range(n)]


def test_places_then_waiting_list_in_arrival_order(app_ctx):
    session = factories.make_session(capacity=2)
    people = _students(4)
    results = [book_place(session.id, p) for p in people]
    db.session.commit()
    assert [r.booking.status for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [r.waitlist_position for r in results] == [None, None, 1, 2]
    assert places_left(session) == 0


def test_cancelling_a_place_offers_it_to_the_first_in_line(app_ctx):
    session = factories.make_session(capacity=1)
    first, second, third = _students(3)
    booked = book_place(session.id, first).booking
    waiting2 = book_place(session.id, second).booking
    waiting3 = book_place(session.id, third).booking
    db.session.commit()

    offered = cancel_booking(booked.id)
    db.session.commit()
    assert [b.id for b in offered] == [waiting2.id]
    # The place is held for them (it counts as taken) until they answer.
    assert waiting2.status == "offered" and waiting2.offer_expires_at is not None
    assert places_left(session) == 0
    accept_offer(waiting2.id, now=waiting2.offered_at + timedelta(minutes=5))
    assert waiting2.status == "confirmed" and waiting2.promoted_at is not None
    assert waiting3.status == "waitlisted" and waitlist_position(waiting3) == 1
    assert booked.status == "cancelled" and booked.cancelled_at is not None


def test_leaving_the_waiting_list_promotes_nobody(app_ctx):
    session = factories.make_session(capacity=1)
    a, b, c = _students(3)
    book_place(session.id, a)
    waiting_b = book_place(session.id, b).booking
    waiting_c = book_place(session.id, c).booking
    assert cancel_booking(waiting_b.id) == []
    assert waitlist_position(waiting_c) == 1


def test_raising_capacity_offers_places_from_the_waiting_list(app_ctx):
    session = factories.make_session(capacity=1)
    people = _students(4)
    bookings = [book_place(session.id, p).booking for p in people]
    offered = change_capacity(session.id, 3)
    assert [b.id for b in offered] == [bookings[1].id, bookings[2].id]
    assert [b.status for b in bookings] == ["confirmed", "offered", "offered", "waitlisted"]
    assert bookings[3].status == "waitlisted" and waitlist_position(bookings[3]) == 1


def test_capacity_cannot_drop_below_the_people_booked(app_ctx):
    session = factories.make_session(capacity=3)
    for p in _students(2):
        book_place(session.id, p)
    with pytest.raises(BookingRefused, match="2 places are taken"):
        change_capacity(session.id, 1)


def test_second_booking_for_the_same_session_is_refused(app_ctx):
    session = factories.make_session(capacity=1)
    a, b = _students(2)
    book_place(session.id, a)
    with pytest.raises(BookingRefused, match="You already have a place"):
        book_place(session.id, a)
    book_place(session.id, b)
    with pytest.raises(BookingRefused, match=r"already on the waiting list .*number 1 in line"):
        book_place(session.id, b)


def test_can_book_again_after_cancelling(app_ctx):
    session = factories.make_session()
    (a,) = _students(1)
    first = book_place(session.id, a).booking
    cancel_booking(first.id)
    again = book_place(session.id, a).booking
    db.session.commit()
    assert again.id != first.id and again.status == "confirmed"


@pytest.mark.parametrize(
    "setup, message",
    [
        ({"status": "cancelled"}, "This session has been cancelled"),
        ({"starts_in_days": -1}, "already started or finished"),
        ({"booking_opens_at": utcnow() + timedelta(days=2)}, "Booking for this session opens on"),
        ({"booking_closes_at": utcnow() - timedelta(hours=1)}, "Booking for this session closed on"),
    ],
)
def test_refused_outside_the_rules(app_ctx, setup, message):
    session = factories.make_session(**setup)
    (a,) = _students(1)
    with pytest.raises(BookingRefused, match=message):
        book_place(session.id, a)
    assert db.session.execute(select(Booking)).first() is None


def test_disabled_account_cannot_book(app_ctx):
    session = factories.make_session()
    person = factories.make_user(active=False)
    with pytest.raises(BookingRefused, match="This account is disabled"):
        book_place(session.id, person)


def test_overlapping_booking_needs_confirmation(app_ctx):
    morning = factories.make_session(starts_in_days=10, hours=3)
    overlapping = factories.make_session(starts_in_days=10 + 1 / 24, hours=3)
    later = factories.make_session(starts_in_days=11)
    (a,) = _students(1)
    book_place(morning.id, a)
    book_place(later.id, a)  # no overlap: no warning
    with pytest.raises(OverlapWarning) as warning:
        book_place(overlapping.id, a)
    assert [b.session_id for b in warning.value.overlaps] == [morning.id]
    assert "overlaps with another booking of yours (Staying Safe)" in warning.value.message
    assert book_place(overlapping.id, a, confirm_overlap=True).booking.status == "confirmed"


def test_admin_booking_records_who_made_it(app_ctx):
    session = factories.make_session()
    student = factories.make_user()
    admin = factories.make_user(roles=("admin",))
    booking = book_place(session.id, student, made_by=admin).booking
    assert booking.made_by == "admin" and booking.made_by_user_id == admin.id
    own = book_place(factories.make_session(starts_in_days=30).id, student).booking
    assert own.made_by == "self" and own.made_by_user_id == student.id


def test_database_refuses_two_active_bookings(app_ctx):
    import sqlalchemy.exc

    session = factories.make_session()
    (a,) = _students(1)
    book_place(session.id, a)
    db.session.commit()
    db.session.add(Booking(session_id=session.id, student_id=a.id, status="waitlisted"))
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- Once a session has started or is over ----------------------------------------------------

def _full_with_waiting(capacity=1, waiting=2, **kw):
    """A full session with people waiting (places made by hand: booking may be over)."""
    session = factories.make_session(capacity=capacity, dates=2, **kw)
    booked = factories.fill_places(session, capacity)
    queued = factories.fill_places(session, waiting, status="waitlisted")
    return session, booked, queued


def test_nobody_is_promoted_once_the_session_has_started(app_ctx):
    session, (booked,), queued = _full_with_waiting(starts_in_days=-0.1)
    assert fill_free_places(session) == []  # a free place after the start stays free
    assert cancel_booking(booked.id) == []  # staff cancelling: no promotion either
    assert [b.status for b in queued] == ["waitlisted", "waitlisted"]
    assert change_capacity(session.id, 5) == []
    assert [b.status for b in queued] == ["waitlisted", "waitlisted"]
    # A moment before the start the same place is free to whoever waiting takes it first.
    later, (kept,), (first, _) = _full_with_waiting()
    assert fill_free_places(later, now=later.starts_at) == []
    just_before = later.starts_at - timedelta(minutes=1)
    cancel_booking(kept.id, now=just_before)
    assert first.status == "waitlisted" and first.last_minute_told_at == just_before
    accept_last_minute_place(first.id, now=just_before)
    assert first.status == "confirmed"


def test_a_student_cannot_cancel_their_place_once_the_session_has_started(app_ctx):
    _, (booked,), (waiting, _) = _full_with_waiting(starts_in_days=-0.1)
    with pytest.raises(BookingRefused, match=r"^This session has already started\. If you cannot come"):
        cancel_booking(booked.id, by_student=True)
    assert booked.status == "confirmed"
    assert self_cancel_refusal(booked) == STARTED_CANCEL_MESSAGE
    # Leaving a waiting list frees nothing, so it is still allowed.
    assert self_cancel_refusal(waiting) is None
    assert cancel_booking(waiting.id, by_student=True) == []
    assert waiting.status == "cancelled"
    # Before the start the student can cancel (and the next person moves up).
    _, (mine,), (next_in_line, _) = _full_with_waiting()
    assert self_cancel_refusal(mine) is None
    assert [b.id for b in cancel_booking(mine.id, by_student=True)] == [next_in_line.id]


@pytest.mark.parametrize("status, message", [
    ("completed", "This session is completed, so nobody can be given a place on it."),
    ("cancelled", "This session has been cancelled, so nobody can be given a place on it."),
])
def test_no_place_is_given_on_a_session_that_is_not_scheduled(app_ctx, status, message):
    session, _, (waiting, _) = _full_with_waiting(starts_in_days=-10, status=status)
    with pytest.raises(BookingRefused, match=message):
        give_place_to(waiting.id)
    assert waiting.status == "waitlisted" and session.capacity == 1


# --- A place with attendance recorded is kept (issue 13, part 5) ------------------------------

def _marked_before_the_start():
    """A full session starting in 30 minutes whose register is being taken (marks are
    allowed from an hour before), with someone waiting."""
    from rec_portal.attendance.operations import record_attendance

    session, (booked, other), queued = _full_with_waiting(capacity=2, starts_in_days=0.5 / 24)
    record_attendance(session.dates[0], booked, "present", factories.make_user(roles=("facilitator",)))
    db.session.flush()
    return session, booked, other, queued


def test_nobody_can_cancel_a_place_with_an_attendance_mark(app_ctx):
    from rec_portal.models import Attendance

    session, booked, _other, queued = _marked_before_the_start()
    booked.student.full_name = "Jo Smith"
    with pytest.raises(BookingRefused, match=r"^Your attendance has been recorded for this session"):
        cancel_booking(booked.id, by_student=True)
    assert self_cancel_refusal(booked).startswith("Your attendance has been recorded")
    with pytest.raises(BookingRefused, match=r"^Jo Smith’s attendance has been recorded"):
        cancel_booking(booked.id)  # the REC team cannot either
    assert booked.status == "confirmed"
    assert db.session.execute(select(Attendance.booking_id)).scalars().all() == [booked.id]
    assert [b.status for b in queued] == ["waitlisted", "waitlisted"]


def test_nobody_is_promoted_once_the_register_has_marks(app_ctx):
    session, _booked, other, queued = _marked_before_the_start()
    # The other person (not marked yet) gives up their place before the start: it stays
    # free, since the register is already being taken.
    assert cancel_booking(other.id) == []
    assert [b.status for b in queued] == ["waitlisted", "waitlisted"]
    assert change_capacity(session.id, 5) == []
    assert fill_free_places(session) == []
    assert [b.status for b in queued] == ["waitlisted", "waitlisted"]


def test_a_session_with_marks_cannot_be_cancelled(app_ctx, app):
    from rec_portal.scheduling.operations import cancel_session
    from rec_portal.errors import DomainError

    session, booked, other, _queued = _marked_before_the_start()
    with app.test_request_context(), pytest.raises(DomainError, match="attendance has already been recorded"):
        cancel_session(session.id)
    assert session.status == "scheduled" and booked.status == other.status == "confirmed"


def test_deleting_an_account_keeps_a_place_with_marks(app_ctx, app):
    from rec_portal.data_rights.operations import anonymise

    session, booked, other, queued = _marked_before_the_start()
    with app.test_request_context():
        anonymise(booked.student)
        anonymise(other.student)
    assert booked.status == "confirmed"  # still counts as attendance, under the anonymous row
    assert other.status == "cancelled"
    assert queued[0].status == "waitlisted"  # nobody moves into a session being registered
