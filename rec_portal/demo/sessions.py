"""Demo sessions: a timetable over the next three months in which no room is
double-booked, and the history behind it (a past run of Introduction to Recovery, Staying
Safe's runs this term and in an earlier term whose feedback has closed).

Dates are relative to today (UK time), so the catalogue always has sessions over the next
three months. Sessions are made by the scheduling feature's own ``schedule_session``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from rec_portal.stats.terms import Term, term_of
from rec_portal.extensions import db
from rec_portal.models import Course, CourseSession
from rec_portal.models.courses import COMPLETED
from rec_portal.scheduling.operations import DateRange, schedule_session
from rec_portal.timeutil import uk_to_utc, uk_today

ROOM_1 = "Recovery Education Centre, 12 Station Road, Room 1 (ground floor, step-free access, hearing loop)"
ROOM_2 = "Recovery Education Centre, 12 Station Road, Room 2 (step-free access)"
LIBRARY = "Northgate Community Library, Market Street, Meeting Room (step-free access, accessible toilet)"
LEARNING_CENTRE = "Trust Learning Centre, Park House, Seminar Room 3 (step-free access, lift to all floors)"

MON, TUE, WED, THU, FRI = range(5)


@dataclass(frozen=True)
class DemoSession:
    slug: str                    # the course
    week: int                    # weeks from this week: 1 is next week; < 0: in the past
    weekday: int                 # MON to FRI: each course has its own day, time and room
    start: time = time(10)
    end: time = time(15)
    weeks: int = 1               # weekly dates
    capacity: int = 12
    venue: str = ROOM_2          # "" for online sessions
    taken: int = 0               # demo students booked, in order; more than capacity: a waiting list
    opens_in_days: int | None = None  # booking opens later than today
    key: str = ""                # name used by DEMO_BOOKINGS
    # Set: the session is in the last term whose anonymous feedback has closed, this many
    # weeks after the term's first Monday (``week`` is then worked out: _closed_term_week).
    closed_term_week: int | None = None


HALF_DAY = {"start": time(10), "end": time(12, 30)}
AFTERNOON = {"start": time(13, 30), "end": time(15, 30)}
ONLINE_SESSION = {"venue": ""}

# A timetable over the next three months in which no room is double-booked.
SESSIONS = [
    # Staying Safe: one with places (the demo student has one), one full with a waiting list,
    # and one whose booking has not opened yet.
    DemoSession("staying-safe", 1, TUE, venue=ROOM_1, capacity=14, taken=9, key="staying-safe"),
    DemoSession("staying-safe", 6, TUE, venue=ROOM_1, capacity=14, taken=17),
    DemoSession("staying-safe", 11, TUE, venue=ROOM_1, capacity=14, opens_in_days=28),
    # A four-week course that has already run (the demo student came), and two more runs.
    DemoSession("introduction-to-recovery", -5, MON, weeks=4, taken=10, key="recovery-past", **HALF_DAY),
    DemoSession("introduction-to-recovery", 2, MON, weeks=4, taken=7, **HALF_DAY),
    DemoSession("introduction-to-recovery", 7, MON, weeks=4, taken=3, **HALF_DAY),
    # Full, and the demo student joins the waiting list (number 3 in line).
    DemoSession("understanding-anxiety", 1, THU, taken=14, key="anxiety-full"),
    DemoSession("understanding-anxiety", 6, THU, taken=6),
    DemoSession("understanding-anxiety", 11, THU, taken=1),
    DemoSession("understanding-depression", 2, WED, weeks=4, end=time(12), capacity=16, taken=9, **ONLINE_SESSION),
    DemoSession("understanding-depression", 8, WED, weeks=4, end=time(12), capacity=16, taken=2, **ONLINE_SESSION),
    DemoSession("hearing-voices", 3, THU, venue=ROOM_1, capacity=10, taken=10),  # full, nobody waiting
    DemoSession("hearing-voices", 9, THU, venue=ROOM_1, capacity=10, taken=2),
    DemoSession("living-well-with-bipolar", 3, WED, weeks=4, taken=8, **AFTERNOON),
    DemoSession("living-well-with-bipolar", 8, WED, weeks=4, **AFTERNOON),
    DemoSession("wrap", 2, MON, weeks=4, venue=ROOM_1, capacity=10, taken=12, **HALF_DAY),  # full, 2 waiting
    DemoSession("wrap", 7, MON, weeks=4, venue=ROOM_1, capacity=10, taken=4, **HALF_DAY),
    DemoSession("managing-stress", 1, FRI, capacity=16, taken=11, **HALF_DAY, **ONLINE_SESSION),
    DemoSession("managing-stress", 5, FRI, capacity=16, taken=5, **HALF_DAY, **ONLINE_SESSION),
    DemoSession("managing-stress", 10, FRI, capacity=16, **HALF_DAY, **ONLINE_SESSION),
    DemoSession("sleep-and-wellbeing", 2, THU, capacity=16, taken=6, **AFTERNOON, **ONLINE_SESSION),
    DemoSession("sleep-and-wellbeing", 7, THU, capacity=16, taken=1, **AFTERNOON, **ONLINE_SESSION),
    DemoSession("caring-for-someone-with-a-mental-health-problem", 1, TUE, weeks=4, start=time(18), end=time(20),
                taken=8, **ONLINE_SESSION),
    DemoSession("caring-for-someone-with-a-mental-health-problem", 7, TUE, weeks=4, start=time(18), end=time(20),
                taken=3, **ONLINE_SESSION),
    DemoSession("peer-support-skills", 3, FRI, weeks=4, taken=9),
    DemoSession("peer-support-skills", 9, FRI, weeks=4),
    DemoSession("mental-health-awareness-for-staff", 2, TUE, start=time(9, 30), end=time(16), venue=LEARNING_CENTRE,
                capacity=16, taken=6),
    DemoSession("mental-health-awareness-for-staff", 8, TUE, start=time(9, 30), end=time(16),
                venue=LEARNING_CENTRE, capacity=16, taken=2),
    DemoSession("mindfulness-for-wellbeing", 2, FRI, weeks=4, start=time(13, 30), end=time(15), capacity=14,
                taken=7, key="mindfulness", **ONLINE_SESSION),
    DemoSession("mindfulness-for-wellbeing", 8, FRI, weeks=4, start=time(13, 30), end=time(15), capacity=14,
                taken=1, **ONLINE_SESSION),
    DemoSession("confidence-and-self-esteem", 4, WED, venue=LIBRARY, taken=13),  # full, 1 waiting
    DemoSession("confidence-and-self-esteem", 10, WED, venue=LIBRARY, taken=2),
    # Staying Safe ran twice recently, for former students (FORMER_RUNS), and was reviewed
    # between the two runs (demo/feedback.py).
    DemoSession("staying-safe", -10, TUE, venue=ROOM_1, capacity=14, key="staying-safe-first"),
    DemoSession("staying-safe", -3, TUE, venue=ROOM_1, capacity=14, key="staying-safe-second"),
    # And twice in an earlier term whose feedback has closed, whatever the day the demo is
    # loaded, so that the feedback dashboard shows that term's pool of anonymous answers.
    DemoSession("staying-safe", 0, TUE, venue=ROOM_1, capacity=14, key="staying-safe-earlier-1",
                closed_term_week=5),
    DemoSession("staying-safe", 0, TUE, venue=ROOM_1, capacity=14, key="staying-safe-earlier-2",
                closed_term_week=9),
]


def closed_term(now: datetime) -> Term:
    """The last term whose anonymous feedback pools have closed at ``now``: the term has
    ended and feedback on a session in it can no longer be given (feedback/window.py; the
    pools of feedback/queries.py close then). The term before this one once feedback
    has closed on it (``REC_FEEDBACK_OPEN_DAYS`` after it ended), else the one before that."""
    from rec_portal.feedback import window

    term = term_of(uk_today(now)).previous()
    while now < window.closes_at(term.end - timedelta(days=1)):
        term = term.previous()
    return term


def _closed_term_week(today: date, now: datetime, weeks_in: int) -> int:
    """The week (from this week) that is ``weeks_in`` weeks after the first Monday of
    :func:`closed_term`: well inside the term (terms are four months long)."""
    start = closed_term(now).start
    first_monday = start + timedelta(days=(7 - start.weekday()) % 7)
    this_monday = today - timedelta(days=today.weekday())
    return (first_monday - this_monday).days // 7 + weeks_in


def _course_days(today: date, spec: DemoSession) -> list[date]:
    """The weekly dates of a session. The centre is closed from Christmas Eve to New Year's
    Day: a date that falls then moves on a week."""
    day = today - timedelta(days=today.weekday()) + timedelta(weeks=spec.week, days=spec.weekday)
    days = []
    while len(days) < spec.weeks:
        if not ((day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1)):
            days.append(day)
        day += timedelta(weeks=1)
    return days


def _online_details(slug: str, n: int) -> str:
    code = f"{(n * 7919) % 1000:03d} {(n * 104729) % 1000:03d}"
    return (
        f"Online on Microsoft Teams. Join with this link: https://meet.example.org/rec/{slug}-{n}\n"
        "You can join from a computer, tablet or phone, with your camera on or off. To join by "
        f"phone only, call 0113 496 0000 and enter the code {code}."
    )


def schedule_sessions(
    courses: dict[str, Course], now: datetime
) -> list[tuple[DemoSession, CourseSession]]:
    """Sessions of the courses created by this run."""
    today = uk_today(now)
    scheduled = []
    for n, spec in enumerate(SESSIONS, start=1):
        course = courses.get(spec.slug)
        if course is None:
            continue
        if spec.closed_term_week is not None:
            spec = replace(spec, week=_closed_term_week(today, now, spec.closed_term_week))
        days = _course_days(today, spec)
        opens = (
            uk_to_utc(today + timedelta(days=spec.opens_in_days), time(9))
            if spec.opens_in_days is not None else None
        )
        session = schedule_session(
            course,
            dates=[DateRange(uk_to_utc(d, spec.start), uk_to_utc(d, spec.end)) for d in days],
            capacity=spec.capacity,
            venue=spec.venue,
            online_details="" if spec.venue else _online_details(spec.slug, n),
            booking_opens_at=opens,
            # Booking closes at 5pm the day before the first date.
            booking_closes_at=uk_to_utc(days[0] - timedelta(days=1), time(17)),
            allow_past=True,  # the demo's history: sessions that ran before today
        )
        if spec.week < 0:
            session.status = COMPLETED
        scheduled.append((spec, session))
    db.session.flush()
    return scheduled
