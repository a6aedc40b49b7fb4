"""Operations tell people themselves (issue 15, part 3): every operation that gives someone a
place (or, since issue 16, offers one: "a place is being held for you") queues the message itself, once per person given a place, and nobody else gets
one. Each operation is called directly, with no view around it, so a caller that forgets (or
tells twice) cannot hide a missing or doubled message."""

from collections import Counter

import pytest
from sqlalchemy import select

from rec_portal.bookings.operations import (
    KEEP,
    SWAP,
    book_place,
    cancel_booking,
    change_capacity,
    fill_free_places,
    give_place_to,
    lock_session,
    serve_other_waiting_lists,
    swap_to_waiting_place,
)
from rec_portal.extensions import db
from rec_portal.models import OutboxMessage
from rec_portal.timeutil import utcnow
from tests import factories

PLACE_IS_YOURS = "Recovery Education Centre session: a place is yours"
# A freed place is held for the first person waiting (an offer that waits for an answer,
# issue 16); staff giving a place and a swap still give it outright.
PLACE_HELD = "Recovery Education Centre session: a place is being held for you"


def _waiting_behind_one_place(waiting=2):
    """A session of one place, held, and ``waiting`` people on its waiting list (in line
    order). Returns (session, holder, [waiting bookings])."""
    session = factories.make_session(capacity=1, starts_in_days=10)
    holder = book_place(session.id, factories.make_user()).booking
    queue = [book_place(session.id, factories.make_user()).booking for _ in range(waiting)]
    db.session.commit()
    assert holder.status == "confirmed" and {b.status for b in queue} == {"waitlisted"}
    return session, holder, queue


def _kept_both():
    """The student has a place on A and waits for B, where a place is free (they were
    passed over for it because of A); someone else waits for A."""
    course = factories.make_course()
    a = factories.make_session(course=course, capacity=1, starts_in_days=10)
    b = factories.make_session(course=course, capacity=1, starts_in_days=40)
    student = factories.make_user()
    place_a = book_place(a.id, student).booking
    a_waiter = book_place(a.id, factories.make_user()).booking
    (holder_b,) = factories.fill_places(b, 1)
    waiting_b = book_place(b.id, student, same_course=KEEP).booking
    cancel_booking(holder_b.id)  # passed over: the place on B stays free
    db.session.commit()
    assert waiting_b.status == "waitlisted"
    return a, b, student, place_a, waiting_b, a_waiter


def _places_told_since(last_id: int) -> Counter:
    """Who was sent "a place is yours" or "a place is being held for you" since outbox
    message ``last_id`` (address: count)."""
    return Counter(db.session.execute(
        select(OutboxMessage.to_address)
        .where(OutboxMessage.id > last_id, OutboxMessage.subject.in_((PLACE_IS_YOURS, PLACE_HELD)))
    ).scalars())


def _last_message_id() -> int:
    db.session.flush()
    return db.session.execute(select(db.func.max(OutboxMessage.id))).scalar() or 0


def _fill_free_places():
    session, holder, (first, second) = _waiting_behind_one_place()
    session.capacity = 2
    db.session.flush()
    before = _last_message_id()
    assert fill_free_places(lock_session(session.id)) == [first]
    return before, [first], [holder, second]


def _cancel_booking():
    session, holder, (first, second) = _waiting_behind_one_place()
    before = _last_message_id()
    assert cancel_booking(holder.id) == [first]
    return before, [first], [holder, second]


def _cancel_booking_serves_their_other_list():
    a, b, student, place_a, waiting_b, a_waiter = _kept_both()
    before = _last_message_id()
    promoted = cancel_booking(place_a.id, by_student=True)
    assert {p.id for p in promoted} == {a_waiter.id, waiting_b.id}
    return before, [a_waiter, waiting_b], []


def _serve_other_waiting_lists():
    a, b, student, place_a, waiting_b, a_waiter = _kept_both()
    place_a.status = "cancelled"  # given up some other way (as when a session is cancelled)
    db.session.flush()
    before = _last_message_id()
    assert serve_other_waiting_lists(place_a, utcnow()) == [waiting_b]
    return before, [waiting_b], [a_waiter]


def _change_capacity():
    session, holder, (first, second, third) = _waiting_behind_one_place(waiting=3)
    before = _last_message_id()
    assert change_capacity(session.id, 3) == [first, second]
    return before, [first, second], [holder, third]


def _give_place_to():
    session, holder, (first, second) = _waiting_behind_one_place()
    before = _last_message_id()
    assert give_place_to(second.id) is second and second.status == "confirmed"
    return before, [second], [holder, first]


def _swap_to_waiting_place():
    a, b, student, place_a, waiting_b, a_waiter = _kept_both()
    before = _last_message_id()
    result = swap_to_waiting_place(waiting_b.id)
    assert result.booking.status == "confirmed" and result.promoted == [a_waiter]
    return before, [waiting_b, a_waiter], []


def _book_place_swap():
    """Booking a third date with "swap" gives up the place on A (and leaves B's list): the
    person waiting for A gets it; the student is told of their booking by the caller."""
    a, b, student, place_a, waiting_b, a_waiter = _kept_both()
    c = factories.make_session(course=a.course, starts_in_days=60)
    before = _last_message_id()
    result = book_place(c.id, student, same_course=SWAP)
    assert result.booking.status == "confirmed" and result.promoted == [a_waiter]
    return before, [a_waiter], [result.booking]


def _cancel_session():
    from rec_portal.scheduling.operations import cancel_session

    a, b, student, place_a, waiting_b, a_waiter = _kept_both()
    before = _last_message_id()
    cancel_session(a.id)
    return before, [waiting_b], [a_waiter]


def _delete_account():
    from rec_portal.data_rights.operations import anonymise

    session, holder, (first, second) = _waiting_behind_one_place()
    before = _last_message_id()
    anonymise(holder.student)
    return before, [first], [second]


@pytest.mark.parametrize("operation", [
    _fill_free_places, _cancel_booking, _cancel_booking_serves_their_other_list,
    _serve_other_waiting_lists, _change_capacity, _give_place_to, _swap_to_waiting_place,
    _book_place_swap, _cancel_session, _delete_account,
], ids=lambda f: f.__name__.strip("_"))
def test_each_operation_that_gives_a_place_tells_that_person_once(app_ctx, operation):
    before, given, not_given = operation()
    db.session.commit()
    told = _places_told_since(before)
    assert told == Counter({b.student.email: 1 for b in given})
    for booking in not_given:
        assert told[booking.student.email] == 0
