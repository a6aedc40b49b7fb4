"""Learning pathways, as REC staff manage them. Operations flush, never commit; a refusal
is a DomainError with a message for the person (and the field it belongs to).

What a published pathway always has (so a student never sees a pathway that cannot be
completed): at least two courses, each published when it was added, and for "any of
these" a number needed no bigger than the number of courses. Course changes are not
audited (courses are not either: scheduling)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Course
from rec_portal.models.courses import PUBLISHED as COURSE_PUBLISHED
from rec_portal.models.pathways import ANY_OF, PUBLISHED, RULES, STATUSES, Pathway, PathwayCourse

MIN_COURSES = 2


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:200] or "pathway"


def _slug_taken(slug: str, except_id: int | None) -> bool:
    stmt = select(func.count()).select_from(Pathway).where(Pathway.slug == slug)
    if except_id is not None:
        stmt = stmt.where(Pathway.id != except_id)
    return db.session.execute(stmt).scalar_one() > 0


def _check_count(pathway: Pathway | None, rule: str, required_count: int | None) -> None:
    if rule != ANY_OF:
        return
    if not required_count or required_count < 1:
        raise DomainError("Enter how many of the courses complete the pathway", field="required_count")
    courses = len(pathway.steps) if pathway is not None else 0
    if courses and required_count > courses:
        raise DomainError(
            f"The pathway has {courses} courses: the number needed must be {courses} or fewer",
            field="required_count",
        )


def save_pathway(pathway: Pathway | None, *, title: str, slug: str, summary: str, rule: str,
                 required_count: int | None) -> Pathway:
    """Create (``pathway`` None, as a draft) or change a pathway's details."""
    if rule not in RULES:
        raise DomainError("Choose how the courses complete the pathway", field="rule")
    _check_count(pathway, rule, required_count)
    slug = slugify(slug or title)
    if _slug_taken(slug, pathway.id if pathway else None):
        raise DomainError(f"Another pathway already uses the name {slug}. Choose a different one", field="slug")
    if pathway is None:
        pathway = Pathway(status="draft")
        db.session.add(pathway)
    pathway.title, pathway.slug, pathway.summary, pathway.rule = title, slug, summary, rule
    pathway.required_count = required_count if rule == ANY_OF else None
    db.session.flush()
    return pathway


def add_course(pathway: Pathway, course_id: int) -> PathwayCourse:
    """Add a published course at the end of the pathway."""
    course = db.session.get(Course, course_id)
    if course is None or course.status != COURSE_PUBLISHED:
        raise DomainError("Choose a course from the list: only courses in the catalogue can be added",
                          field="course_id")
    if any(step.course_id == course_id for step in pathway.steps):
        raise DomainError(f"“{course.title}” is already in this pathway", field="course_id")
    step = PathwayCourse(course=course, position=len(pathway.steps))
    pathway.steps.append(step)
    db.session.flush()
    return step


def _step(pathway: Pathway, course_id: int) -> PathwayCourse:
    for step in pathway.steps:
        if step.course_id == course_id:
            return step
    raise DomainError("That course is not in this pathway (it may have been removed already)")


def _renumber(pathway: Pathway, steps: list[PathwayCourse]) -> None:
    for position, step in enumerate(steps):
        step.position = position
    pathway.steps[:] = steps


def remove_course(pathway: Pathway, course_id: int) -> Course:
    """Take a course out of the pathway. A published pathway keeps at least two courses,
    and at least as many as "any of these" needs."""
    step = _step(pathway, course_id)
    left = len(pathway.steps) - 1
    if pathway.status == PUBLISHED and left < MIN_COURSES:
        raise DomainError("A published pathway needs at least two courses. Add another course first, "
                          "or move the pathway back to draft")
    if pathway.status == PUBLISHED and pathway.rule == ANY_OF and left < (pathway.required_count or 0):
        raise DomainError(f"This pathway needs any {pathway.required_count} of its courses, so it cannot have "
                          f"fewer. Lower the number needed first (Change the details)")
    course = step.course
    _renumber(pathway, [s for s in pathway.steps if s is not step])
    db.session.flush()
    return course


def move_course(pathway: Pathway, course_id: int, direction: str) -> Course:
    """Move a course one place up or down the pathway's order."""
    step = _step(pathway, course_id)
    steps = list(pathway.steps)
    i = steps.index(step)
    j = i - 1 if direction == "up" else i + 1
    if direction not in ("up", "down") or not 0 <= j < len(steps):
        raise DomainError("That course cannot move further that way")
    steps[i], steps[j] = steps[j], steps[i]
    _renumber(pathway, steps)
    db.session.flush()
    return step.course


def set_status(pathway: Pathway, status: str) -> None:
    """Publish (students see it), move back to draft, or archive (no longer shown; people
    who completed it keep their certificate)."""
    if status not in STATUSES:
        raise DomainError("Unknown status")
    if status == PUBLISHED:
        if len(pathway.steps) < MIN_COURSES:
            raise DomainError("Add at least two courses before publishing the pathway")
        if not pathway.summary:
            raise DomainError("Add a summary before publishing the pathway")
        if pathway.rule == ANY_OF and (pathway.required_count or 0) > len(pathway.steps):
            raise DomainError("The number of courses needed is more than the pathway has. Change the details first")
        gone = [s.course.title for s in pathway.steps if s.course.status != COURSE_PUBLISHED]
        if gone:
            raise DomainError(f"“{gone[0]}” is no longer in the catalogue. Remove it from the pathway, "
                              "or publish the course again, first")
    pathway.status = status
    db.session.flush()

