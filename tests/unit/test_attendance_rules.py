"""Attendance rules: who can be marked, from when, and when a session is completed."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select

from rec_portal.attendance.operations import (
    AttendanceRefused,
    complete_if_done,
    record_attendance,
    register_is_open,
)
from rec_portal.attendance.queries import (
    attendance_summaries,
    attendance_summary,
    register_rows,
)
from rec_portal.extensions import db
from rec_portal.models import Attendance, CourseSession, SessionDate
from tests import factories

# 12 July 2027, 10am to 3pm UK time (British Summer Time, so 9am to 2pm UTC).
DAY_ONE = datetime(2027, 7, 12, 9, 0)


def _session(dates: int = 1, capacity: int = 12, **kwargs) -> CourseSession:
    """A session whose dates are fixed (weekly from DAY_ONE), so tests can pick 'now'."""
    session = factories.make_session(dates=dates, capacity=capacity, **kwargs)
    for i, d in enumerate(session.dates):
        d.starts_at = DAY_ONE + timedelta(weeks=i)
        d.ends_at = d.starts_at + timedelta(hours=5)
    session.starts_at, session.ends_at = session.dates[0].starts_at, session.dates[-1].ends_at
    db.session.flush()
    return session


ON_THE_DAY = DAY_ONE + timedelta(hours=1)
AFTER_LAST = DAY_ONE + timedelta(weeks=3)


@pytest.fixture
def facilitator(app_ctx):
    return factories.make_facilitator(profile=False)


def test_marks_present_and_absent_and_a_second_mark_replaces_the_first(facilitator):
    session = _session()
    booking = factories.fill_places(session, 1)[0]
    day = session.dates[0]
    first = record_attendance(day, booking, "present", facilitator, now=ON_THE_DAY)
    again = record_attendance(day, booking, "absent", facilitator, now=ON_THE_DAY + timedelta(minutes=5))
    rows = db.session.execute(select(Attendance)).scalars().all()
    assert first.id == again.id and len(rows) == 1
    assert rows[0].status == "absent" and rows[0].recorded_by_id == facilitator.id
    assert rows[0].recorded_at == ON_THE_DAY + timedelta(minutes=5)


def test_only_present_or_absent(facilitator):
    session = _session()
    booking = factories.fill_places(session, 1)[0]
    with pytest.raises(AttendanceRefused, match="Choose present or absent"):
        record_attendance(session.dates[0], booking, "late", facilitator, now=ON_THE_DAY)


@pytest.mark.parametrize("status", ["waitlisted", "cancelled"])
def test_only_confirmed_places_can_be_marked(facilitator, status):
    session = _session()
    booking = factories.fill_places(session, 1, status=status)[0]
    with pytest.raises(AttendanceRefused, match="Only people with a confirmed place"):
        record_attendance(session.dates[0], booking, "present", facilitator, now=ON_THE_DAY)
    assert db.session.execute(select(Attendance)).first() is None


def test_a_booking_on_another_session_is_refused(facilitator):
    session, other = _session(), _session()
    booking = factories.fill_places(other, 1)[0]
    with pytest.raises(AttendanceRefused, match="not booked on this session"):
        record_attendance(session.dates[0], booking, "present", facilitator, now=ON_THE_DAY)


def test_a_cancelled_session_has_no_register(facilitator):
    session = _session()
    booking = factories.fill_places(session, 1)[0]
    session.status = "cancelled"
    with pytest.raises(AttendanceRefused, match="cancelled"):
        record_attendance(session.dates[0], booking, "present", facilitator, now=ON_THE_DAY)


def test_marks_from_one_hour_before_the_start_and_not_earlier(facilitator):
    """Issue 13 (5): a register could be taken from midnight (UK) on the day, hours
    before the session started; now only from an hour before its start."""
    session = _session()
    booking = factories.fill_places(session, 1)[0]
    day = session.dates[0]  # 12 July 2027, 10am UK time (9am UTC)
    early_morning = datetime(2027, 7, 12, 6, 0)  # 7am in the UK: the same day, 3 hours early
    with pytest.raises(AttendanceRefused,
                       match="You can take this register from 12 July 2027 at 9am, an hour before it starts"):
        record_attendance(day, booking, "present", facilitator, now=early_morning)
    assert not register_is_open(day, early_morning)
    assert not register_is_open(day, DAY_ONE - timedelta(hours=1, seconds=1))
    assert register_is_open(day, DAY_ONE - timedelta(hours=1))
    record_attendance(day, booking, "present", facilitator, now=DAY_ONE - timedelta(minutes=30))
    # Later days are fine too (registers taken after the event).
    record_attendance(day, booking, "absent", facilitator, now=DAY_ONE + timedelta(days=30))
    assert db.session.execute(select(Attendance.status)).scalar_one() == "absent"


def test_second_date_cannot_be_marked_on_the_first_day(facilitator):
    session = _session(dates=2)
    booking = factories.fill_places(session, 1)[0]
    with pytest.raises(AttendanceRefused, match="19 July 2027"):
        record_attendance(session.dates[1], booking, "present", facilitator, now=ON_THE_DAY)


def test_session_completes_when_everyone_is_marked_for_the_last_date(facilitator):
    session = _session(dates=2)
    first, second = factories.fill_places(session, 2)
    factories.fill_places(session, 1, status="waitlisted")  # not on the register
    last = session.dates[-1]
    # Every mark on the first date is not enough.
    for booking in (first, second):
        record_attendance(session.dates[0], booking, "present", facilitator, now=AFTER_LAST)
    assert complete_if_done(session, now=AFTER_LAST) is False
    record_attendance(last, first, "present", facilitator, now=AFTER_LAST)
    assert complete_if_done(session, now=AFTER_LAST) is False and session.status == "scheduled"
    record_attendance(last, second, "absent", facilitator, now=AFTER_LAST)
    assert complete_if_done(session, now=AFTER_LAST) is True
    assert session.status == "completed" and session.completed_at == AFTER_LAST
    # Already completed: nothing changes.
    assert complete_if_done(session, now=AFTER_LAST + timedelta(days=1)) is False
    assert session.completed_at == AFTER_LAST


def test_marks_of_a_cancelled_booking_do_not_hold_completion_back(facilitator):
    session = _session()
    stays, leaves = factories.fill_places(session, 2)
    record_attendance(session.dates[0], stays, "present", facilitator, now=ON_THE_DAY)
    leaves.status = "cancelled"
    db.session.flush()
    assert complete_if_done(session, now=AFTER_LAST) is True


def test_a_register_taken_before_the_end_does_not_complete_the_session(facilitator):
    """Issue 13 (5): a full register taken before the session had even started
    completed it and sent the feedback invitations. Now completion waits for the end of
    its last date; ``rec feedback-invitations`` (complete_due_sessions) completes it then."""
    from rec_portal.models import FeedbackInvitation

    session = _session(dates=2)
    booking = factories.fill_places(session, 1)[0]
    last = session.dates[-1]
    before_start = last.starts_at - timedelta(minutes=30)
    record_attendance(session.dates[0], booking, "present", facilitator, now=before_start)
    record_attendance(last, booking, "present", facilitator, now=before_start)
    for when in (before_start, last.starts_at + timedelta(hours=1), last.ends_at - timedelta(seconds=1)):
        assert complete_if_done(session, now=when) is False
    from rec_portal.attendance.operations import complete_due_sessions

    for when in (before_start, last.starts_at + timedelta(hours=1), last.ends_at - timedelta(seconds=1)):
        assert complete_due_sessions(now=when) == 0
    assert session.status == "scheduled"
    assert db.session.execute(select(FeedbackInvitation)).first() is None
    # Once the last date is over, the daily command completes it and invites.
    assert complete_due_sessions(now=last.ends_at) == 1
    assert session.status == "completed" and session.completed_at == last.ends_at
    invited = db.session.execute(select(FeedbackInvitation.user_id)).scalars().all()
    assert invited == [booking.student_id]
    assert complete_due_sessions(now=last.ends_at + timedelta(days=1)) == 0  # safe to repeat


def test_complete_due_sessions_leaves_sessions_with_registers_not_taken(facilitator):
    from rec_portal.attendance.operations import complete_due_sessions

    half = _session()
    marked, unmarked = factories.fill_places(half, 2)
    record_attendance(half.dates[0], marked, "present", facilitator, now=ON_THE_DAY)
    nobody = _session()  # nobody booked: no register to take
    running = _session()  # under way at AFTER_LAST, everyone marked
    running.dates[0].starts_at, running.dates[0].ends_at = AFTER_LAST - timedelta(hours=1), AFTER_LAST + timedelta(hours=4)
    running.starts_at, running.ends_at = running.dates[0].starts_at, running.dates[0].ends_at
    record_attendance(running.dates[0], factories.fill_places(running, 1)[0], "present", facilitator,
                      now=AFTER_LAST)
    assert complete_due_sessions(now=AFTER_LAST) == 0
    assert {half.status, nobody.status, running.status} == {"scheduled"}
    record_attendance(half.dates[0], unmarked, "absent", facilitator, now=AFTER_LAST)
    assert complete_due_sessions(now=AFTER_LAST) == 1 and half.status == "completed"


def test_a_session_nobody_booked_is_not_completed(facilitator):
    session = _session()
    assert complete_if_done(session, now=AFTER_LAST) is False
    cancelled = _session()
    factories.fill_places(cancelled, 1)
    cancelled.status = "cancelled"
    assert complete_if_done(cancelled, now=AFTER_LAST) is False


def test_register_rows_and_summary(facilitator):
    session = _session(dates=2)
    bookings = factories.fill_places(session, 3)
    names = ["Zara", "aisha", "Mo"]
    for booking, name in zip(bookings, names, strict=True):
        booking.student.preferred_name = name
    factories.fill_places(session, 1, status="waitlisted")
    day = session.dates[0]
    record_attendance(day, bookings[0], "present", facilitator, now=ON_THE_DAY)
    record_attendance(day, bookings[1], "absent", facilitator, now=ON_THE_DAY)
    rows = register_rows(day)
    assert [(r.student.preferred_name, r.status) for r in rows] == [("aisha", "absent"), ("Mo", None), ("Zara", "present")]
    summary = attendance_summary(session)
    assert summary.booked == 3 and not summary.recorded and summary.started
    first = summary.for_date(day.id)
    assert (first.total, first.marked, first.present, first.absent) == (3, 2, 1, 1)
    assert first.words() == "2 of 3 marked: 1 present, 1 absent"
    assert summary.for_date(session.dates[1].id).marked == 0


def test_summaries_take_a_fixed_number_of_queries(facilitator, app):
    def count_for(n_sessions: int) -> int:
        sessions = [_session(dates=2) for _ in range(n_sessions)]
        for s in sessions:
            for booking in factories.fill_places(s, 3):
                record_attendance(s.dates[0], booking, "present", facilitator, now=ON_THE_DAY)
        db.session.flush()
        statements = []

        def _count(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", _count)
        try:
            result = attendance_summaries(sessions)
        finally:
            event.remove(db.engine, "before_cursor_execute", _count)
        assert all(r.for_date(s.dates[0].id).present == 3 for s, r in zip(sessions, result.values(), strict=True))
        return len(statements)

    assert count_for(1) == count_for(6) == 2


def test_register_rows_take_a_fixed_number_of_queries(facilitator):
    def count_for(n_people: int) -> int:
        session = _session()
        factories.fill_places(session, n_people)
        db.session.flush()
        db.session.expire_all()
        day = db.session.get(SessionDate, session.dates[0].id)
        statements = []

        def _count(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", _count)
        try:
            rows = register_rows(day)
            [r.student.profile for r in rows]
        finally:
            event.remove(db.engine, "before_cursor_execute", _count)
        assert len(rows) == n_people
        return len(statements)

    assert count_for(2) == count_for(9)


def test_register_rows_tell_apart_people_with_the_same_preferred_name(facilitator):
    """Issue 13 (6): two students called Jo were both just "Jo" on the register."""
    session = _session()
    people = [("Jo", "Jo Smith"), ("jo", "Joanna Patel"), ("Jo", "Joseph Smith"), ("Ben", "Ben Okafor"),
              ("Sam", "Sam")]
    bookings = factories.fill_places(session, len(people))
    for booking, (preferred, full) in zip(bookings, people, strict=True):
        booking.student.preferred_name, booking.student.full_name = preferred, full
    db.session.flush()
    names = {r.booking.id: r.name for r in register_rows(session.dates[0])}
    smith, patel, other_smith, ben, sam = (b.id for b in bookings)
    assert names[patel] == "jo P."
    assert names[smith] == f"Jo S. ({bookings[0].student.student_number})"
    assert names[other_smith] == f"Jo S. ({bookings[2].student.student_number})"
    assert (names[ben], names[sam]) == ("Ben", "Sam")  # nobody else has their name: unchanged


def test_people_without_a_family_name_are_told_apart_by_number(app_ctx):
    from rec_portal.models.accounts import distinct_names

    a = factories.make_user(full_name="Jo", preferred_name="Jo")
    b = factories.make_user(full_name="Jo", preferred_name="Jo")
    assert distinct_names([a, b, a]) == {a.id: f"Jo ({a.student_number})", b.id: f"Jo ({b.student_number})"}
