"""Learning pathways as people see them: which pathways there are, which include a course,
and a student's progress through them, in a fixed number of statements whatever the number
of pathways and courses.

**When a course counts.** A course is completed by the rule of the certificate of
attendance (models/attendance.py ``courses_completed``): a confirmed place on a session of
it that is over, marked present at least once. The first time counts (its date is the last
date they were there).

**The two rules** (:func:`progress`):

- *All of these, in this order* (``IN_ORDER``): the pathway is complete when every course
  is completed. The order is the suggested order: the **next step** is the first course,
  in the pathway's order, not yet completed. A course taken out of order still counts
  (people join the course whose date suits them); the page says the suggested order and
  marks each course done or not, so nothing is lost by it.
- *Any of these* (``ANY_OF``): complete once ``required_count`` of the courses are
  completed, in any order; there is no single next step, the rest are all choices.

Only published pathways are shown to students; an archived pathway they completed keeps
its certificate (and stays on My courses), a draft never shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload, selectinload

from rec_portal.extensions import db
from rec_portal.models import Booking, Course, CourseSession
from rec_portal.models.attendance import courses_completed
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.courses import SCHEDULED
from rec_portal.models.pathways import ARCHIVED, IN_ORDER, PUBLISHED, Pathway, PathwayCourse
from rec_portal.timeutil import utcnow


@dataclass(frozen=True)
class Step:
    """One course of a pathway, for one student."""

    course: Course
    number: int  # 1 for the first course in the pathway's order
    completed_on: datetime | None = None  # None: not completed
    booked_for: datetime | None = None  # the start of their place on a date still to come

    @property
    def done(self) -> bool:
        return self.completed_on is not None


@dataclass(frozen=True)
class Progress:
    """A student's progress through one pathway (see the module's rules)."""

    pathway: Pathway
    steps: list[Step]

    @property
    def in_order(self) -> bool:
        return self.pathway.rule == IN_ORDER

    @property
    def needed(self) -> int:
        """How many courses complete it."""
        return self.pathway.needed

    @property
    def done(self) -> list[Step]:
        return [s for s in self.steps if s.done]

    @property
    def counted(self) -> int:
        """Courses done that count (never more than needed): "2 of 3 done"."""
        return min(len(self.done), self.needed)

    @property
    def complete(self) -> bool:
        return self.needed > 0 and len(self.done) >= self.needed

    @property
    def started(self) -> bool:
        return bool(self.done) or any(s.booked_for for s in self.steps)

    @property
    def next_step(self) -> Step | None:
        """In order: the first course not yet completed. Any of: None (the student
        chooses among :attr:`to_choose_from`)."""
        if self.complete or not self.in_order:
            return None
        return next((s for s in self.steps if not s.done), None)

    @property
    def to_choose_from(self) -> list[Step]:
        """Any of: the courses not yet completed, while more are needed."""
        if self.complete or self.in_order:
            return []
        return [s for s in self.steps if not s.done]

    @property
    def out_of_order(self) -> bool:
        """In order: a course was completed before an earlier one (it still counts)."""
        nxt = self.next_step
        return nxt is not None and any(s.done and s.number > nxt.number for s in self.steps)

    @property
    def completed_on(self) -> datetime | None:
        """When it was completed: the day the last course needed was completed."""
        if not self.complete:
            return None
        return sorted(s.completed_on for s in self.done)[self.needed - 1]

    @property
    def summary(self) -> str:
        """ "2 of 3 courses done", as a person reads it."""
        if self.complete:
            return "Completed"
        noun = "course" if self.needed == 1 else "courses"
        if self.in_order:
            return f"{self.counted} of {self.needed} {noun} done"
        return f"{self.counted} of the {self.needed} {noun} needed done"


def progress(pathway: Pathway, completed: dict[int, datetime], booked: dict[int, datetime] | None = None) -> Progress:
    """``pathway``'s progress for a student who completed the courses in ``completed``
    (course id: when) and has places on the courses in ``booked`` (course id: start)."""
    booked = booked or {}
    steps = [
        Step(course=entry.course, number=n, completed_on=completed.get(entry.course.id),
             booked_for=None if entry.course.id in completed else booked.get(entry.course.id))
        for n, entry in enumerate(pathway.steps, start=1)
    ]
    return Progress(pathway=pathway, steps=steps)


# --- Statements ---------------------------------------------------------------------------

def _with_courses():
    """Load each pathway's steps and their courses at once (one more statement)."""
    return selectinload(Pathway.steps).joinedload(PathwayCourse.course).lazyload(Course.roles_needed)


def pathways(*statuses: str) -> list[Pathway]:
    """Pathways with these statuses (all if none), with their courses, by title: two
    statements."""
    stmt = select(Pathway).options(_with_courses()).order_by(func.lower(Pathway.title), Pathway.id)
    if statuses:
        stmt = stmt.where(Pathway.status.in_(statuses))
    return list(db.session.execute(stmt).scalars())


def pathway(pathway_id: int) -> Pathway | None:
    return db.session.execute(
        select(Pathway).where(Pathway.id == pathway_id).options(_with_courses())
    ).scalar_one_or_none()


def pathways_with_course(course_id: int) -> list[Pathway]:
    """The published pathways that include this course (the course page): one statement."""
    return list(db.session.execute(
        select(Pathway)
        .join(PathwayCourse, PathwayCourse.pathway_id == Pathway.id)
        .where(PathwayCourse.course_id == course_id, Pathway.status == PUBLISHED)
        .order_by(func.lower(Pathway.title), Pathway.id)
        .options(lazyload(Pathway.steps))
    ).scalars())


def completed_courses(student_id: int, now: datetime | None = None) -> dict[int, datetime]:
    """The courses the student has completed (course id: when, the first time), by the
    certificate's rule: one statement."""
    places = courses_completed(now or utcnow(), Booking.student_id == student_id).subquery()
    rows = db.session.execute(
        select(places.c.course_id, func.min(places.c.completed_on)).group_by(places.c.course_id)
    ).all()
    return {course_id: when for course_id, when in rows}


def booked_courses(student_id: int, now: datetime | None = None) -> dict[int, datetime]:
    """The student's confirmed places on dates still to come or under way (course id:
    the earliest start): one statement."""
    rows = db.session.execute(
        select(CourseSession.course_id, func.min(CourseSession.starts_at))
        .join(Booking, Booking.session_id == CourseSession.id)
        .where(Booking.student_id == student_id, Booking.status == CONFIRMED,
               CourseSession.status == SCHEDULED, CourseSession.ends_at > (now or utcnow()))
        .group_by(CourseSession.course_id)
    ).all()
    return {course_id: starts for course_id, starts in rows}


def my_pathways(student_id: int, now: datetime | None = None) -> list[Progress]:
    """The pathways a student is on (My courses, the learning plan): published ones where
    they completed or booked a course, and archived ones they completed. Four statements
    whatever the number of pathways."""
    now = now or utcnow()
    completed = completed_courses(student_id, now)
    booked = booked_courses(student_id, now)
    found = []
    for p in pathways(PUBLISHED, ARCHIVED):
        mine = progress(p, completed, booked)
        if (p.status == PUBLISHED and mine.started) or mine.complete:
            found.append(mine)
    # Completed ones last: what is still to do comes first.
    return sorted(found, key=lambda m: m.complete)


def everyone_progress(student_id: int | None, now: datetime | None = None) -> list[Progress]:
    """Every published pathway (the public pathways page), with the signed-in student's
    progress (none for anyone else): two statements, four for a student."""
    now = now or utcnow()
    completed = completed_courses(student_id, now) if student_id else {}
    booked = booked_courses(student_id, now) if student_id else {}
    return [progress(p, completed, booked) for p in pathways(PUBLISHED)]


@dataclass(frozen=True)
class PathwayCertificate:
    """Everything printed on a pathway certificate."""

    progress: Progress
    student: object  # models.User
    issued_on: datetime

    @property
    def pathway(self) -> Pathway:
        return self.progress.pathway

    @property
    def courses(self) -> list[Step]:
        """The courses completed, in the pathway's order."""
        return self.progress.done


def certificate_for(student, pathway_id: int, issued_on: datetime) -> PathwayCertificate | None:
    """The student's certificate for this pathway, or None: it is a draft (never shown),
    or they have not completed it. Three statements."""
    found = pathway(pathway_id)
    if found is None or found.status not in (PUBLISHED, ARCHIVED):
        return None
    mine = progress(found, completed_courses(student.id, issued_on))
    if not mine.complete:
        return None
    return PathwayCertificate(progress=mine, student=student, issued_on=issued_on)

