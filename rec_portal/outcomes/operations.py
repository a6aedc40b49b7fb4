"""The outcome questionnaire's rules: which stages a student may answer, checking and
saving their answers, deleting them, and the follow-up invitations.

Every question may be skipped. A questionnaire is kept only when the first question (were
you a victim of crime in the last 12 months?) was answered yes or no; the follow-up
questions count only for a yes (a "no" with kinds of crime ticked keeps the "no").
Operations flush, never commit.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Attendance, Booking, Course, CourseSession, User, UserRole
from rec_portal.models.accounts import STUDENT
from rec_portal.models.attendance import PRESENT
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.outcomes import (
    BASELINE,
    CRIME_TYPES,
    FOLLOW_UP_MONTHS,
    MAX_TIMES,
    OUTCOME_STAGES,
    REPORTED_TO,
    SIX_MONTHS,
    STAGE_LABELS,
    TWELVE_MONTHS,
    OutcomeCheck,
    OutcomeCrimeType,
    OutcomeInvitation,
    OutcomeQuarter,
    OutcomeQuarterFigure,
    OutcomeReportedTo,
)
from rec_portal.notifications.contact import compose, tell
from rec_portal.outcomes import queries
from rec_portal.outcomes import suppression as s
from rec_portal.timeutil import utcnow

# Stages in URLs (/my/outcomes/6-months).
STAGE_SLUGS = {BASELINE: "baseline", SIX_MONTHS: "6-months", TWELVE_MONTHS: "12-months"}
SLUG_STAGES = {slug: stage for stage, slug in STAGE_SLUGS.items()}

YES, NO, PREFER_NOT = "yes", "no", "prefer_not"
ANSWER_FIELDS = ("victim", "times", "crime_types", "reported", "reported_to", "got_support")


class StageClosed(DomainError):
    """The stage cannot be answered now (a follow-up not due yet, or already answered)."""


class AnswersRefused(DomainError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(next(iter(errors.values())), next(iter(errors)))
        self.errors = errors


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day if it is shorter)."""
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def course_slug() -> str:
    return current_app.config["REC_OUTCOME_COURSE_SLUG"]


def _attended_sessions():
    """(student id, session id, last date's end) for every confirmed booking on the
    outcome course marked present at least once."""
    return (
        select(Booking.student_id, CourseSession.id, CourseSession.ends_at)
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .join(Course, Course.id == CourseSession.course_id)
        .where(Course.slug == course_slug(), Booking.status == CONFIRMED)
        .where(select(Attendance.id).where(
            Attendance.booking_id == Booking.id, Attendance.status == PRESENT
        ).exists())
        .distinct()
    )


def attended_session(student_id: int) -> tuple[int, datetime] | None:
    """The first session of the outcome course the student attended: (id, when its last
    date ended). The follow-ups count from it."""
    row = db.session.execute(
        _attended_sessions().where(Booking.student_id == student_id)
        .order_by(CourseSession.ends_at, CourseSession.id).limit(1)
    ).first()
    return (row[1], row[2]) if row else None


@dataclass
class StageState:
    stage: str
    check: OutcomeCheck | None = None
    due_at: datetime | None = None  # follow-ups: when it opens (None: not attended)
    session_id: int | None = None
    open: bool = False  # may be answered now

    @property
    def label(self) -> str:
        return STAGE_LABELS[self.stage]

    @property
    def slug(self) -> str:
        return STAGE_SLUGS[self.stage]

    @property
    def months(self) -> int | None:
        """Follow-ups: how many months after Staying Safe they are asked."""
        return FOLLOW_UP_MONTHS.get(self.stage)

    @property
    def answered(self) -> bool:
        return self.check is not None


def stages_for(student: User, now: datetime | None = None) -> dict[str, StageState]:
    """Each stage's state for ``student``: two queries."""
    now = now or utcnow()
    checks = {
        c.stage: c for c in db.session.execute(
            select(OutcomeCheck).where(OutcomeCheck.student_id == student.id)
            .options(selectinload(OutcomeCheck.crime_types), selectinload(OutcomeCheck.reported_to))
        ).scalars()
    }
    attended = attended_session(student.id)
    states = {}
    for stage in OUTCOME_STAGES:
        state = StageState(stage, check=checks.get(stage))
        if stage == BASELINE:
            state.open = state.check is None
        elif attended is not None:
            state.session_id, ended = attended
            state.due_at = add_months(ended, FOLLOW_UP_MONTHS[stage])
            state.open = state.check is None and state.due_at <= now
        states[stage] = state
    return states


# My courses mentions a due follow-up for about three months after it opens; after that it
# is only listed on /my/outcomes, so nobody who chose not to answer is asked again and again.
PROMPT_WINDOW = timedelta(days=91)


def follow_up_prompt(student: User, now: datetime | None = None,
                     states: dict[str, StageState] | None = None) -> StageState | None:
    """The follow-up stage to mention on My courses, if any: the latest stage that is
    due, while it is unanswered and opened less than PROMPT_WINDOW ago (two queries, or
    none given ``states``, from :func:`stages_for` at ``now``)."""
    now = now or utcnow()
    states = states if states is not None else stages_for(student, now)
    for stage in (TWELVE_MONTHS, SIX_MONTHS):
        state = states[stage]
        if state.due_at is not None and state.due_at <= now:
            return state if state.open and now - state.due_at <= PROMPT_WINDOW else None
    return None


def describe(check: OutcomeCheck) -> list[tuple[str, str]]:
    """The student's answers in words: (question, answer) rows."""
    def yes_no(value):
        return "Not answered" if value is None else ("Yes" if value else "No")

    rows = [("Victim of crime in the last 12 months", yes_no(check.victim))]
    ticked = {c.crime_type for c in check.crime_types}
    if check.victim:
        rows += [
            ("How many times", str(check.times) if check.times is not None else "Not answered"),
            ("Kind of crime", ", ".join(words for code, words in CRIME_TYPES.items() if code in ticked)
             or "Not answered"),
            ("Reported it", yes_no(check.reported)),
        ]
        if check.reported:
            told = {r.body for r in check.reported_to}
            rows.append(("Who you told", ", ".join(words for code, words in REPORTED_TO.items() if code in told)
                         or "Not answered"))
        rows.append(("Got support afterwards", yes_no(check.got_support)))
    return rows


# --- Answering -----------------------------------------------------------------------------------


@dataclass
class Answers:
    victim: bool | None = None
    times: int | None = None
    crime_types: list[str] = field(default_factory=list)
    reported: bool | None = None
    reported_to: list[str] = field(default_factory=list)
    got_support: bool | None = None


def _one(raw: Mapping[str, Sequence[str]], name: str) -> str:
    values = raw.get(name) or []
    return str(values[-1]).strip() if values else ""


def _yes_no(raw, name: str, errors: dict, message: str, allow_prefer_not=False) -> bool | None:
    value = _one(raw, name)
    if value == "" or (allow_prefer_not and value == PREFER_NOT):
        return None
    if value in (YES, NO):
        return value == YES
    errors[name] = message
    return None


def _ticked(raw, name: str, allowed: Mapping[str, str], errors: dict, message: str) -> list[str]:
    values = [str(v).strip() for v in raw.get(name) or [] if str(v).strip()]
    if any(v not in allowed for v in values):
        errors[name] = message
        return []
    return [code for code in allowed if code in values]  # in the list's order, once each


def parse_answers(raw: Mapping[str, Sequence[str]]) -> Answers:
    """Check what was sent (``field -> values``); raises AnswersRefused with a message per
    field. Follow-up answers are dropped unless the person said they were a victim."""
    errors: dict[str, str] = {}
    answers = Answers()
    answers.victim = _yes_no(raw, "victim", errors, "Choose yes, no or prefer not to say, or leave this question out",
                             allow_prefer_not=True)
    times = _one(raw, "times")
    if times:
        if not times.isascii() or not times.isdigit() or not 1 <= int(times) <= MAX_TIMES:
            errors["times"] = f"Enter how many times as a whole number from 1 to {MAX_TIMES}, or leave it blank"
        else:
            answers.times = int(times)
    answers.crime_types = _ticked(raw, "crime_types", CRIME_TYPES, errors,
                                  "Choose kinds of crime from the list, or leave this question out")
    answers.reported = _yes_no(raw, "reported", errors, "Choose yes or no, or leave this question out")
    answers.reported_to = _ticked(raw, "reported_to", REPORTED_TO, errors,
                                  "Choose who you told from the list, or leave this question out")
    answers.got_support = _yes_no(raw, "got_support", errors, "Choose yes or no, or leave this question out")
    if answers.victim is not True:
        # Only the first question counts: a "no" (or no answer) with follow-ups filled in
        # keeps the "no", and nothing typed below it is checked or kept.
        errors = {k: v for k, v in errors.items() if k == "victim"}
        answers = Answers(victim=answers.victim)
    elif answers.reported is not True:
        answers.reported_to = []
        errors.pop("reported_to", None)
    if errors:
        raise AnswersRefused(errors)
    return answers


def save_answers(student: User, stage: str, raw: Mapping[str, Sequence[str]],
                 now: datetime | None = None) -> OutcomeCheck | None:
    """Check and keep the student's answers for ``stage``. Returns None (nothing kept)
    when the first question was not answered yes or no."""
    now = now or utcnow()
    state = stages_for(student, now)[stage]
    if state.answered:
        raise StageClosed("You have already answered these questions. You can delete your answers and answer again.")
    if not state.open:
        raise StageClosed("These questions are not open to you yet.")
    answers = parse_answers(raw)
    if answers.victim is None:
        return None
    check = OutcomeCheck(
        student_id=student.id, stage=stage, session_id=state.session_id, answered_at=now,
        victim=answers.victim, times=answers.times, reported=answers.reported,
        got_support=answers.got_support,
    )
    check.crime_types = [OutcomeCrimeType(crime_type=c) for c in answers.crime_types]
    check.reported_to = [OutcomeReportedTo(body=b) for b in answers.reported_to]
    try:
        with db.session.begin_nested():
            db.session.add(check)
    except IntegrityError:  # the same form sent twice at once: the first one counts
        raise StageClosed(
            "You have already answered these questions. You can delete your answers and answer again."
        ) from None
    return check


def delete_answers(student: User, stage: str) -> bool:
    """Delete the student's own answers for ``stage`` (their kinds of crime and who they
    told go with them). Returns whether there were any."""
    check_id = db.session.execute(
        select(OutcomeCheck.id).where(OutcomeCheck.student_id == student.id, OutcomeCheck.stage == stage)
    ).scalar_one_or_none()
    if check_id is None:
        return False
    db.session.execute(delete(OutcomeCrimeType).where(OutcomeCrimeType.check_id == check_id))
    db.session.execute(delete(OutcomeReportedTo).where(OutcomeReportedTo.check_id == check_id))
    db.session.execute(delete(OutcomeCheck).where(OutcomeCheck.id == check_id))
    db.session.expire_all()
    return True


# --- Follow-up invitations --------------------------------------------------------------------


def _path(endpoint: str, **values) -> str:
    """A page's path, with or without a request (the CLI has none)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def invite_due(now: datetime | None = None) -> int:
    """``rec outcome-invitations``: one email per student and follow-up stage that is due
    (6 and 12 months after the last date of the first outcome-course session they
    attended), unless they already answered it or were invited. Only the latest due stage
    is offered (someone 13 months on is asked once, about the 12 months). Skips disabled
    and anonymised accounts. Safe to repeat, and to run twice at once: the invitation row
    is inserted first, and its unique key stops a second one (and so a second email)."""
    now = now or utcnow()
    first: dict[int, tuple[int, datetime]] = {}
    for student_id, session_id, ended in db.session.execute(
        _attended_sessions().order_by(CourseSession.ends_at, CourseSession.id)
    ):
        first.setdefault(student_id, (session_id, ended))
    if not first:
        return 0
    ids = list(first)
    people = {
        u.id: u for u in db.session.execute(
            select(User).join(UserRole, UserRole.user_id == User.id)
            .where(User.id.in_(ids), User.active.is_(True), User.anonymised_at.is_(None), UserRole.role == STUDENT)
        ).scalars()
    }
    done = {
        (s, stage) for s, stage in db.session.execute(
            select(OutcomeCheck.student_id, OutcomeCheck.stage).where(OutcomeCheck.student_id.in_(ids))
        )
    } | {
        (s, stage) for s, stage in db.session.execute(
            select(OutcomeInvitation.student_id, OutcomeInvitation.stage).where(OutcomeInvitation.student_id.in_(ids))
        )
    }
    base = current_app.config["REC_BASE_URL"].rstrip("/")
    made = 0
    for student_id in sorted(people):
        session_id, ended = first[student_id]
        due = [(stage, add_months(ended, FOLLOW_UP_MONTHS[stage])) for stage in (TWELVE_MONTHS, SIX_MONTHS)]
        due = [(stage, at) for stage, at in due if at <= now]
        if not due:
            continue
        stage, due_at = due[0]  # the latest due stage only
        if (student_id, stage) in done or (student_id, TWELVE_MONTHS) in done:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(OutcomeInvitation(
                    student_id=student_id, stage=stage, session_id=session_id, due_at=due_at, sent_at=now,
                ))
        except IntegrityError:  # another run invited them a moment ago
            continue
        person = people[student_id]
        link = base + _path("outcomes.answer", slug=STAGE_SLUGS[stage])
        tell(person, compose(
            "outcome_invitation", person,
            subject="Recovery Education Centre: a few optional questions",
            email_body=render_template(
                "emails/outcome_invitation.txt", person=person, months=FOLLOW_UP_MONTHS[stage],
                link=link,
            ),
            link=link, months=FOLLOW_UP_MONTHS[stage],
        ))
        made += 1
    db.session.flush()
    return made


# --- Closing quarters -------------------------------------------------------------------------


def close_quarters(now: datetime | None = None) -> int:
    """Work out and store, once, the figures of every quarter that has ended and is not
    stored yet (UK calendar quarters; the report shows only these). Returns how many
    were stored.

    A quarter's figures count the answers recorded in it (``answered_at``), as they are at
    closing; they never change after, whatever is answered or deleted later. Quarters are
    closed in order, each one's small-number suppression decided knowing what staff saw of
    the earlier ones (``suppression.close_quarter``). Answers recorded in a quarter that is
    already closed (only backdated data can be) are never counted.

    Cheap when there is nothing to close (one statement). Safe to repeat and to run twice
    at once: the quarter's row is inserted first, and its primary key stops a second run,
    which then leaves the rest to the first."""
    now = now or utcnow()
    last = db.session.execute(
        select(OutcomeQuarter.year, OutcomeQuarter.number)
        .order_by(OutcomeQuarter.year.desc(), OutcomeQuarter.number.desc()).limit(1)
    ).first()
    if last is not None:
        start = queries.Quarter(*last).next()
    else:
        first = queries.first_answer()
        if first is None:
            return 0
        start = queries.Quarter.of(first)
    ended = queries.quarters_between(start, queries.Quarter.of(now).previous())
    if not ended:
        return 0
    counts = queries.grouped_counts(ended)
    stored = queries.stored_rows()
    history = {stage: [stored[stage][q] for q in sorted(stored[stage])] for stage in OUTCOME_STAGES}
    made = 0
    for index, quarter in enumerate(ended):
        try:
            with db.session.begin_nested():
                db.session.add(OutcomeQuarter(year=quarter.year, number=quarter.number, closed_at=now))
        except IntegrityError:  # another run is closing it: it closes the rest too
            break
        figures = []
        for stage in OUTCOME_STAGES:
            closed = s.close_quarter(history[stage], counts[stage].get(index, {}), queries.CRIME_COLUMNS)
            history[stage].append(closed)
            figures += [
                {"year": quarter.year, "number": quarter.number, "stage": stage, "measure": measure,
                 "count": count, "held": measure in closed.held, "total_held": measure in closed.total_held}
                for measure, count in closed.cells.items()
            ]
        db.session.execute(insert(OutcomeQuarterFigure), figures)
        made += 1
    db.session.flush()
    return made
