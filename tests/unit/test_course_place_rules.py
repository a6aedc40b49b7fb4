"""One place per person per course (issue 13, part 4): booking a second date of a course
asks the person to choose; promotion never gives anyone a second place on a course."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.attendance.walk_ins import WalkInRefused, add_walk_in
from rec_portal.bookings import operations
from rec_portal.bookings.operations import (
    KEEP,
    SWAP,
    BookingRefused,
    SameCourseQuestion,
    book_place,
    cancel_booking,
    give_place_to,
    places_left,
    swap_to_waiting_place,
    waitlist_position,
)
from rec_portal.extensions import db
from rec_portal.models import Booking, OutboxMessage
from rec_portal.timeutil import utcnow
from tests import factories


def _booking(session, student, status, seconds=0):
    """A booking written directly (the state today's code can reach)."""
    queued = utcnow() - timedelta(hours=1) + timedelta(seconds=seconds)
    return factories.make_booking(session, student, status, queued_at=queued)


def _mail_to(student):
    return db.session.execute(
        select(OutboxMessage).where(OutboxMessage.to_address == student.email).order_by(OutboxMessage.id)
    ).scalars().all()


def _two_dates(capacity_a=1, capacity_b=14):
    course = factories.make_course()
    a = factories.make_session(course=course, capacity=capacity_a, starts_in_days=10)
    b = factories.make_session(course=course, capacity=capacity_b, starts_in_days=40)
    return course, a, b


def test_the_issue_scenario_waiting_on_a_with_a_place_on_b_is_not_promoted_into_a(app_ctx):
    """Waitlisted on A, holds a place on B; a place frees on A: today they are promoted into
    A and hold two places of the course. Now the place goes to the next person."""
    _, a, b = _two_dates()
    holder, student, next_person = (factories.make_user() for _ in range(3))
    held_a = _booking(a, holder, "confirmed")
    waiting = _booking(a, student, "waitlisted", seconds=1)
    behind = _booking(a, next_person, "waitlisted", seconds=2)
    _booking(b, student, "confirmed")
    db.session.commit()

    promoted = cancel_booking(held_a.id)
    db.session.commit()

    assert [p.id for p in promoted] == [behind.id]
    assert waiting.status == "waitlisted" and waitlist_position(waiting) == 1  # keeps their place in line
    places = db.session.execute(select(Booking).where(Booking.student_id == student.id,
                                                      Booking.status == "confirmed")).scalars().all()
    assert [p.session_id for p in places] == [b.id]
    # Nobody was left a free place to swap to, so nothing to tell them yet.
    assert _mail_to(student) == []


def test_a_place_nobody_else_can_take_stays_free_and_the_person_passed_over_is_told_once(app_ctx):
    _, a, b = _two_dates()
    holder, student = factories.make_user(), factories.make_user()
    held_a = _booking(a, holder, "confirmed")
    waiting = _booking(a, student, "waitlisted", seconds=1)
    _booking(b, student, "confirmed")
    db.session.commit()

    assert cancel_booking(held_a.id) == []
    db.session.commit()
    assert waiting.status == "waitlisted" and places_left(a) == 1
    mail = _mail_to(student)
    assert len(mail) == 1 and "a place is free if you want to swap" in mail[0].subject
    assert "you can swap in My courses" in mail[0].body_text and "/my/courses" in mail[0].body_text
    assert waiting.swap_offered_at is not None

    # Raising the capacity runs the promotion again: they are not told twice.
    operations.change_capacity(a.id, 2)
    db.session.commit()
    assert waiting.status == "waitlisted" and len(_mail_to(student)) == 1


def test_booking_a_second_date_asks_first_and_books_nothing(app_ctx):
    _, a, b = _two_dates(capacity_a=5)
    student = factories.make_user()
    book_place(a.id, student)
    db.session.commit()
    with pytest.raises(SameCourseQuestion) as asked:
        book_place(b.id, student)
    db.session.rollback()
    assert "You already have a place on this course" in asked.value.message
    assert [o.session_id for o in asked.value.holds_place] == [a.id] and not asked.value.full
    assert db.session.execute(select(Booking).where(Booking.session_id == b.id)).scalars().all() == []


def test_booking_a_second_date_when_on_the_waiting_list_asks_too(app_ctx):
    _, a, b = _two_dates()
    factories.fill_places(a, 1)
    student = factories.make_user()
    assert book_place(a.id, student).booking.status == "waitlisted"
    db.session.commit()
    with pytest.raises(SameCourseQuestion) as asked:
        book_place(b.id, student)
    assert "waiting list for this course" in asked.value.message and asked.value.waiting


def test_swap_from_a_place_to_a_free_date_gives_the_old_place_to_the_next_person(app_ctx):
    _, a, b = _two_dates()
    student, waiting_person = factories.make_user(), factories.make_user()
    old = book_place(a.id, student).booking
    waiting = book_place(a.id, waiting_person).booking
    db.session.commit()

    result = book_place(b.id, student, same_course=SWAP)
    db.session.commit()
    assert result.booking.status == "confirmed" and result.booking.session_id == b.id
    assert old.status == "cancelled" and [o.id for o in result.places_given_up] == [old.id]
    assert [p.id for p in result.promoted] == [waiting.id] and waiting.status == "offered"


def test_swap_to_a_full_date_is_refused_and_the_place_kept(app_ctx):
    _, a, b = _two_dates(capacity_b=1)
    factories.fill_places(b, 1)
    student = factories.make_user()
    old = book_place(a.id, student).booking
    db.session.commit()
    with pytest.raises(SameCourseQuestion) as asked:
        book_place(b.id, student, same_course=SWAP)
    db.session.rollback()
    assert asked.value.filled and "just filled up" in asked.value.message
    assert old.status == "confirmed"
    assert db.session.execute(select(Booking).where(Booking.student_id == student.id)).scalars().all() == [old]


def test_keep_my_place_and_join_a_full_date_waiting_list_then_swap_when_a_place_is_free(app_ctx):
    _, a, b = _two_dates(capacity_a=1, capacity_b=1)
    student, on_a_list = factories.make_user(), factories.make_user()
    place_a = book_place(a.id, student).booking
    a_waiter = book_place(a.id, on_a_list).booking
    (holder_b,) = factories.fill_places(b, 1)
    db.session.commit()

    waiting_b = book_place(b.id, student, same_course=KEEP).booking
    db.session.commit()
    assert waiting_b.status == "waitlisted" and place_a.status == "confirmed"

    cancel_booking(holder_b.id)  # a place frees on B: not given to them
    db.session.commit()
    assert waiting_b.status == "waitlisted" and places_left(b) == 1

    result = swap_to_waiting_place(waiting_b.id)
    db.session.commit()
    assert waiting_b.status == "confirmed" and place_a.status == "cancelled"
    assert [o.id for o in result.places_given_up] == [place_a.id]
    assert a_waiter.status == "offered"  # the place they gave up is offered to the next person


def test_swap_from_a_waiting_list_needs_a_free_place(app_ctx):
    _, a, b = _two_dates(capacity_a=1, capacity_b=1)
    student = factories.make_user()
    place_a = book_place(a.id, student).booking
    factories.fill_places(b, 1)
    waiting_b = book_place(b.id, student, same_course=KEEP).booking
    db.session.commit()
    with pytest.raises(BookingRefused, match="no free place on this date"):
        swap_to_waiting_place(waiting_b.id)
    db.session.rollback()
    assert place_a.status == "confirmed" and waiting_b.status == "waitlisted"


def test_keep_a_place_when_one_is_free_still_only_joins_the_waiting_list(app_ctx):
    """The question offered 'join the waiting list' when the date was full; a place freed
    before they answered: they still do not get a second place."""
    _, a, b = _two_dates()
    student = factories.make_user()
    book_place(a.id, student)
    result = book_place(b.id, student, same_course=KEEP)
    assert result.booking.status == "waitlisted"


def test_book_this_date_and_stay_on_the_waiting_list_for_the_other(app_ctx):
    _, a, b = _two_dates()
    (holder,) = factories.fill_places(a, 1)
    student, after = factories.make_user(), factories.make_user()
    waiting_a = book_place(a.id, student).booking
    after_a = book_place(a.id, after).booking
    db.session.commit()

    place_b = book_place(b.id, student, same_course=KEEP).booking
    db.session.commit()
    assert place_b.status == "confirmed" and waiting_a.status == "waitlisted"

    cancel_booking(holder.id)
    db.session.commit()
    assert waiting_a.status == "waitlisted" and after_a.status == "offered"


def test_book_this_date_and_leave_the_waiting_list(app_ctx):
    _, a, b = _two_dates()
    factories.fill_places(a, 1)
    student = factories.make_user()
    waiting_a = book_place(a.id, student).booking
    result = book_place(b.id, student, same_course=SWAP)
    assert result.booking.status == "confirmed"
    assert waiting_a.status == "cancelled" and [o.id for o in result.lists_left] == [waiting_a.id]


def test_giving_up_a_place_lets_them_have_a_free_place_they_were_passed_over_for(app_ctx):
    _, a, b = _two_dates()
    (holder,) = factories.fill_places(a, 1)
    student = factories.make_user()
    waiting_a = book_place(a.id, student).booking
    place_b = book_place(b.id, student, same_course=KEEP).booking
    cancel_booking(holder.id)  # passed over: the place stays free
    db.session.commit()
    assert waiting_a.status == "waitlisted"

    promoted = cancel_booking(place_b.id, by_student=True)
    db.session.commit()
    assert waiting_a.status == "offered" and waiting_a.id in [p.id for p in promoted]


def test_past_and_cancelled_dates_and_other_courses_do_not_count(app_ctx):
    course = factories.make_course()
    past = factories.make_session(course=course, starts_in_days=-30, status="completed")
    gone = factories.make_session(course=course, starts_in_days=20, status="cancelled")
    other_course = factories.make_session(starts_in_days=20)
    new = factories.make_session(course=course, starts_in_days=50)
    student = factories.make_user()
    for s in (past, gone, other_course):
        _booking(s, student, "confirmed")
    assert book_place(new.id, student).booking.status == "confirmed"


def test_an_individual_workshop_is_separate_from_the_group_dates(app_ctx):
    course = factories.make_course()
    workshop = factories.make_session(course=course, capacity=1, individual=True, starts_in_days=5)
    group = factories.make_session(course=course, starts_in_days=30)
    student = factories.make_user()
    book_place(workshop.id, student, workshop=True)
    assert book_place(group.id, student).booking.status == "confirmed"


def test_staff_cannot_give_a_second_place(app_ctx):
    _, a, b = _two_dates(capacity_b=1)
    student = factories.make_user()
    _booking(a, student, "confirmed")
    factories.fill_places(b, 1)
    waiting_b = _booking(b, student, "waitlisted", seconds=5)
    db.session.commit()
    with pytest.raises(BookingRefused, match="already has a place on this course"):
        give_place_to(waiting_b.id)
    db.session.rollback()
    assert waiting_b.status == "waitlisted"


def test_a_walk_in_is_not_given_a_second_place(app_ctx):
    _, a, b = _two_dates()
    student, admin = factories.make_user(), factories.make_user(roles=("admin",))
    _booking(a, student, "confirmed")
    db.session.commit()
    with pytest.raises(WalkInRefused, match="already has a place on this course"):
        add_walk_in(b.id, student, added_by=admin)
