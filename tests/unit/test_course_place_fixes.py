"""One place per person per course (issue 13, part 4), review fixes: a stale swap tells the
student once; nobody is promoted from a waiting list after attending another date of the
course since joining it; whole-session cancellation serves its people's other waiting
lists; account deletion never offers the account being deleted a place; every path that
frees a place tells each person promoted exactly once."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.attendance.walk_ins import add_walk_in
from rec_portal.bookings import offer_notify
from rec_portal.bookings.operations import (
    KEEP,
    BookingRefused,
    book_place,
    cancel_booking,
    give_place_to,
    places_left,
    swap_to_waiting_place,
    waitlist_position,
)
from rec_portal.scheduling.operations import cancel_session
from rec_portal.extensions import db
from rec_portal.models import OutboxMessage
from rec_portal.timeutil import utcnow
from tests import factories

PLACE_IS_YOURS = "a place is yours"


def _booking(session, student, status, *, queued=None, seconds=0):
    queued = (queued or utcnow() - timedelta(hours=1)) + timedelta(seconds=seconds)
    return factories.make_booking(session, student, status, queued_at=queued)


def _mark(booking, status="present", recorded_at=None):
    for d in booking.session.dates:
        factories.make_attendance(booking, d, status, recorded_at=recorded_at or d.ends_at)


def _subjects(student):
    return [m.subject for m in db.session.execute(
        select(OutboxMessage).where(OutboxMessage.to_address == student.email).order_by(OutboxMessage.id)
    ).scalars()]


def _attended_then_waiting(*, joined_days_before_a=5, a_status="completed"):
    """The student joined B's waiting list, then attended A (now over); B is full, with
    someone behind them in line. Returns (a, b, student, waiting_b, behind, holder_b)."""
    course = factories.make_course()
    a = factories.make_session(course=course, starts_in_days=-3, status=a_status)
    b = factories.make_session(course=course, capacity=1, starts_in_days=30)
    student, behind_person = factories.make_user(), factories.make_user()
    (holder_b,) = factories.fill_places(b, 1)
    waiting_b = _booking(b, student, "waitlisted", queued=a.starts_at - timedelta(days=joined_days_before_a))
    behind = _booking(b, behind_person, "waitlisted", queued=a.starts_at - timedelta(days=joined_days_before_a),
                      seconds=60)
    place_a = _booking(a, student, "confirmed", queued=a.starts_at - timedelta(days=20))
    _mark(place_a)
    db.session.commit()
    return a, b, student, waiting_b, behind, holder_b


# --- 1. A stale "Swap" ---------------------------------------------------------------------

def test_a_stale_swap_that_promotes_the_student_lists_them_once(app_ctx):
    """Their place on A ended (it no longer counts) before they chose "Swap" on B: the
    promotion gives them B's free place, and they must be told once, not twice."""
    course = factories.make_course()
    a = factories.make_session(course=course, starts_in_days=-3, status="completed")  # not attended
    b = factories.make_session(course=course, capacity=1, starts_in_days=30)
    student = factories.make_user()
    _booking(a, student, "confirmed", queued=a.starts_at - timedelta(days=20))
    waiting_b = _booking(b, student, "waitlisted", queued=a.starts_at - timedelta(days=10))
    db.session.commit()
    assert places_left(b) == 1

    result = swap_to_waiting_place(waiting_b.id)
    db.session.commit()
    assert waiting_b.status == "confirmed" and result.booking.id == waiting_b.id
    assert result.promoted == [] and result.released == []


# --- 2. Attending another date of the course -------------------------------------------------

def test_someone_who_attended_another_date_since_joining_is_passed_over(app_ctx):
    a, b, student, waiting_b, behind, holder_b = _attended_then_waiting()
    promoted = cancel_booking(holder_b.id)
    db.session.commit()
    assert [p.id for p in promoted] == [behind.id]
    assert waiting_b.status == "waitlisted" and waitlist_position(waiting_b) == 1
    assert Counter(_subjects(student)) == Counter()  # nothing to swap, so no email either


def test_when_nobody_else_waits_the_place_stays_free_and_they_are_not_told_to_swap(app_ctx):
    a, b, student, waiting_b, behind, holder_b = _attended_then_waiting()
    cancel_booking(behind.id)
    assert cancel_booking(holder_b.id) == []
    db.session.commit()
    assert waiting_b.status == "waitlisted" and places_left(b) == 1
    assert _subjects(student) == []


def test_someone_who_attended_cannot_swap_into_the_free_place(app_ctx):
    a, b, student, waiting_b, behind, holder_b = _attended_then_waiting()
    cancel_booking(behind.id)
    cancel_booking(holder_b.id)
    db.session.commit()
    with pytest.raises(BookingRefused, match="You have already done this course: you attended on"):
        swap_to_waiting_place(waiting_b.id)
    db.session.rollback()
    assert waiting_b.status == "waitlisted" and places_left(b) == 1


def test_attending_a_date_that_was_under_way_when_they_joined_counts_too(app_ctx):
    """They joined B's list during A (after its first date), choosing to keep both."""
    course = factories.make_course()
    a = factories.make_session(course=course, starts_in_days=-22, dates=3, status="completed")
    b = factories.make_session(course=course, capacity=1, starts_in_days=30)
    student = factories.make_user()
    (holder_b,) = factories.fill_places(b, 1)
    place_a = _booking(a, student, "confirmed", queued=a.starts_at - timedelta(days=20))
    _mark(place_a)
    waiting_b = _booking(b, student, "waitlisted", queued=a.dates[0].ends_at + timedelta(days=1))
    db.session.commit()
    assert cancel_booking(holder_b.id) == [] and waiting_b.status == "waitlisted"


def test_a_mark_recorded_after_they_joined_counts_even_for_a_date_already_over(app_ctx):
    """The register of A was taken late, after they joined B's list."""
    course = factories.make_course()
    a = factories.make_session(course=course, starts_in_days=-5, status="completed")
    b = factories.make_session(course=course, capacity=1, starts_in_days=30)
    student = factories.make_user()
    (holder_b,) = factories.fill_places(b, 1)
    place_a = _booking(a, student, "confirmed", queued=a.starts_at - timedelta(days=20))
    waiting_b = _booking(b, student, "waitlisted", queued=a.ends_at + timedelta(days=1))
    _mark(place_a, recorded_at=a.ends_at + timedelta(days=2))
    db.session.commit()
    assert cancel_booking(holder_b.id) == [] and waiting_b.status == "waitlisted"


def test_a_place_on_a_date_over_but_not_yet_registered_still_counts(app_ctx):
    """Found by review: A was over with its register not taken, so the place on A no
    longer counted; promoted into B, then marked present on A, they held two places of the
    course. Now the place counts until the register says they were absent (or A is
    completed: attending it then counts for good)."""
    course = factories.make_course()
    a = factories.make_session(course=course, starts_in_days=-2)  # over, still "scheduled"
    b = factories.make_session(course=course, capacity=1, starts_in_days=30)
    student, behind_person = factories.make_user(), factories.make_user()
    (holder_b,) = factories.fill_places(b, 1)
    place_a = _booking(a, student, "confirmed", queued=a.starts_at - timedelta(days=20))
    waiting_b = _booking(b, student, "waitlisted", queued=a.starts_at - timedelta(days=10))
    behind = _booking(b, behind_person, "waitlisted", queued=a.starts_at - timedelta(days=10), seconds=60)
    db.session.commit()
    assert [p.id for p in cancel_booking(holder_b.id)] == [behind.id]
    assert waiting_b.status == "waitlisted" and waitlist_position(waiting_b) == 1
    # The register of A says they were absent: they are free to take B's next free place.
    _mark(place_a, status="absent")
    db.session.commit()
    assert [p.id for p in cancel_booking(behind.id)] == [waiting_b.id]


def test_joining_after_doing_the_course_is_choosing_to_do_it_again(app_ctx):
    a, b, student, waiting_b, behind, holder_b = _attended_then_waiting()
    waiting_b.queued_at = a.ends_at + timedelta(days=1)  # joined after A was over
    behind.queued_at = a.ends_at + timedelta(days=2)
    db.session.commit()
    assert [p.id for p in cancel_booking(holder_b.id)] == [waiting_b.id]


def test_absent_marks_and_individual_workshops_do_not_count(app_ctx):
    course = factories.make_course()
    missed = factories.make_session(course=course, starts_in_days=-3, status="completed")
    workshop = factories.make_session(course=course, starts_in_days=-2, status="completed", individual=True)
    b = factories.make_session(course=course, capacity=1, starts_in_days=30)
    student = factories.make_user()
    (holder_b,) = factories.fill_places(b, 1)
    waiting_b = _booking(b, student, "waitlisted", queued=missed.starts_at - timedelta(days=5))
    _mark(_booking(missed, student, "confirmed", queued=missed.starts_at - timedelta(days=20)), status="absent")
    _mark(_booking(workshop, student, "confirmed", queued=workshop.starts_at - timedelta(days=20)))
    db.session.commit()
    from rec_portal.bookings.operations import attended_other_dates

    assert attended_other_dates([waiting_b.id]) == {}
    assert [p.id for p in cancel_booking(holder_b.id)] == [waiting_b.id]


def test_a_walk_in_marked_present_is_never_promoted_from_their_other_waiting_list(app_ctx):
    """The review's scenario: a walk-in on A, waiting for B; once A is over their place
    there no longer counts, but they attended, so B's place goes to the next person."""
    course = factories.make_course()
    a = factories.make_session(course=course, starts_in_days=-0.05, hours=3)  # under way
    b = factories.make_session(course=course, capacity=1, starts_in_days=30)
    student, after, admin = factories.make_user(), factories.make_user(), factories.make_user(roles=("admin",))
    (holder_b,) = factories.fill_places(b, 1)
    waiting_b = book_place(b.id, student).booking
    behind = book_place(b.id, after).booking
    db.session.commit()

    walk_in = add_walk_in(a.id, student, added_by=admin)
    _mark(walk_in, recorded_at=utcnow())
    db.session.commit()

    later = a.ends_at + timedelta(days=1)  # A is over: the place there no longer counts
    promoted = cancel_booking(holder_b.id, now=later)
    db.session.commit()
    assert [p.id for p in promoted] == [behind.id] and waiting_b.status == "waitlisted"


def test_staff_can_still_give_a_place_to_someone_who_wants_to_do_it_again(app_ctx):
    a, b, student, waiting_b, behind, holder_b = _attended_then_waiting()
    give_place_to(waiting_b.id)
    db.session.commit()
    assert waiting_b.status == "confirmed"


# --- 3. Every path that frees a place ---------------------------------------------------------

def _kept_both(capacity_b=1):
    """The student has a place on A and waits for B, where a place is free (they were
    passed over for it and told they could swap); someone waits for A."""
    course = factories.make_course()
    a = factories.make_session(course=course, capacity=1, starts_in_days=10)
    b = factories.make_session(course=course, capacity=capacity_b, starts_in_days=40)
    student, on_a_list = factories.make_user(), factories.make_user()
    place_a = book_place(a.id, student).booking
    a_waiter = book_place(a.id, on_a_list).booking
    holders = factories.fill_places(b, capacity_b)
    waiting_b = book_place(b.id, student, same_course=KEEP).booking
    for h in holders:
        cancel_booking(h.id)
    db.session.commit()
    assert waiting_b.status == "waitlisted" and places_left(b) == capacity_b
    return a, b, student, place_a, waiting_b, on_a_list, a_waiter


def test_cancelling_a_whole_session_serves_its_peoples_other_waiting_lists(app_ctx):
    a, b, student, place_a, waiting_b, on_a_list, a_waiter = _kept_both()
    told = cancel_session(a.id)
    db.session.commit()
    assert told == 2 and place_a.status == "cancelled" and a_waiter.status == "cancelled"
    # The place on B is held for them (offered) until they answer.
    assert waiting_b.status == "offered" and waiting_b.offered_at is not None
    assert Counter(_subjects(student))["Recovery Education Centre session: a place is being held for you"] == 1


def test_cancelling_a_session_leaves_waiting_lists_of_people_who_only_waited_there(app_ctx):
    """Someone only on A's waiting list held nothing: their other lists are as they were."""
    course = factories.make_course()
    a = factories.make_session(course=course, capacity=1, starts_in_days=10)
    b = factories.make_session(course=course, capacity=1, starts_in_days=40)
    factories.fill_places(a, 1)
    student = factories.make_user()
    (holder_b,) = factories.fill_places(b, 1)
    waiting_a = _booking(a, student, "waitlisted", seconds=10)
    waiting_b = _booking(b, student, "waitlisted", seconds=10)
    db.session.commit()
    cancel_session(a.id)
    db.session.commit()
    assert waiting_a.status == "cancelled" and waiting_b.status == "waitlisted"


@pytest.mark.parametrize("path", ["student", "staff", "swap_from_my_courses", "book_swap"])
def test_each_path_that_frees_a_place_tells_each_person_promoted_once(app_ctx, path):
    a, b, student, place_a, waiting_b, on_a_list, a_waiter = _kept_both()
    before = Counter(_subjects(student))
    if path == "student":
        promoted = cancel_booking(place_a.id, by_student=True)
    elif path == "staff":
        promoted = cancel_booking(place_a.id)
    elif path == "swap_from_my_courses":
        result = swap_to_waiting_place(waiting_b.id)
        promoted = [result.booking] + result.promoted
    else:
        c = factories.make_session(course=a.course, starts_in_days=60)
        result = book_place(c.id, student, same_course="swap")
        promoted = result.promoted
    ids = [p.id for p in promoted]
    assert len(ids) == len(set(ids))  # nobody listed twice, so nobody told twice
    assert a_waiter.id in ids
    if path in ("student", "staff", "swap_from_my_courses"):
        # Swapping from My courses takes the place; otherwise it is held for them.
        assert waiting_b.id in ids
        assert waiting_b.status == ("confirmed" if path == "swap_from_my_courses" else "offered")
    else:  # a swap to a third date leaves B's list first: nobody offers them B
        assert waiting_b.status == "cancelled" and waiting_b.id not in ids
        assert Counter(_subjects(student)) == before


def test_deleting_an_account_never_offers_it_a_place_on_the_way(app_ctx, monkeypatch):
    """Giving up their place on A used to serve their waiting list for B first: the
    account being deleted was promoted into B (a row that says they had a place) before
    that place was given up too."""
    from rec_portal.data_rights.operations import anonymise

    a, b, student, place_a, waiting_b, on_a_list, a_waiter = _kept_both()
    offered = []
    original = offer_notify.place_offered
    monkeypatch.setattr(offer_notify, "place_offered",
                        lambda booking: (offered.append(booking.id), original(booking)))
    anonymise(student)
    db.session.commit()
    assert offered == [a_waiter.id]
    assert waiting_b.status == "cancelled" and waiting_b.confirmed_at is None and waiting_b.offered_at is None
