"""What the workshop pages show, in a fixed number of queries."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from rec_portal.web.paging import Page
from rec_portal.extensions import db
from rec_portal.models import CourseSession, FacilitatorProfile, User
from rec_portal.models.workshops import (
    WORKSHOP_STATUSES,
    WorkshopRequest,
    WorkshopRequestNote,
)
from rec_portal.rosters.operations import person_of


def status_counts() -> dict[str, int]:
    """How many requests are in each status (one statement)."""
    counts = dict.fromkeys(WORKSHOP_STATUSES, 0)
    for status, n in db.session.execute(
        select(WorkshopRequest.status, func.count()).group_by(WorkshopRequest.status)
    ):
        counts[status] = n
    return counts


def queue_page(status: str, page: int = 1, per_page: int = 20) -> Page:
    """Requests in ``status`` (every status if ""), newest first: one statement for the
    page, with the student, course and session joined in (the caller has the counts)."""
    stmt = (
        select(WorkshopRequest)
        .options(
            joinedload(WorkshopRequest.student).options(lazyload(User.roles), lazyload(User.profile)),
            joinedload(WorkshopRequest.course),
            joinedload(WorkshopRequest.session).options(lazyload(CourseSession.dates),
                                                        lazyload(CourseSession.course)),
        )
        .order_by(WorkshopRequest.created_at.desc(), WorkshopRequest.id.desc())
    )
    if status:
        stmt = stmt.where(WorkshopRequest.status == status)
    items = list(db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars())
    return Page(items=items, page=page, per_page=per_page, total=0)


def request_for_staff(request_id: int) -> WorkshopRequest | None:
    return db.session.execute(
        select(WorkshopRequest)
        .where(WorkshopRequest.id == request_id)
        .options(
            joinedload(WorkshopRequest.student),
            joinedload(WorkshopRequest.course),
            joinedload(WorkshopRequest.session),
            selectinload(WorkshopRequest.notes).joinedload(WorkshopRequestNote.author)
            .options(lazyload(User.roles), lazyload(User.profile)),
        )
    ).unique().scalar_one_or_none()


def individual_session_ids(session_ids: list[int]) -> set[int]:
    if not session_ids:
        return set()
    return set(
        db.session.execute(
            select(CourseSession.id).where(CourseSession.id.in_(session_ids), CourseSession.individual.is_(True))
        ).scalars()
    )


def people_for(course) -> dict[str, list[User]]:
    """Active facilitators holding each role the course needs (one statement), by name."""
    roles = {n.role for n in course.roles_needed}
    people: dict[str, list[User]] = {r: [] for r in roles}
    for profile in db.session.execute(
        select(FacilitatorProfile).where(FacilitatorProfile.active.is_(True))
        .options(person_of(FacilitatorProfile.user))
    ).scalars():
        if not profile.user.active:
            continue
        for role in roles & set(profile.role_codes):
            people[role].append(profile.user)
    for users in people.values():
        users.sort(key=lambda u: (u.full_name.lower(), u.id))
    return people
