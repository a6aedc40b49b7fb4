"""Read-side queries for the public catalogue.

Each page runs a fixed number of SQL statements, whatever the number of courses, sessions
and bookings: the next session of every course is found with a window function, and the
places taken on each session with a grouped count, both as subqueries of one statement.

An *upcoming* session is a scheduled session that has not started yet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.orm import raiseload

from rec_portal.bookings.queries import places_taken_by
from rec_portal.extensions import db
from rec_portal.models import Booking, Course, CourseSession
from rec_portal.models.courses import IN_PERSON, ONLINE, PUBLISHED, SCHEDULED, course_search_text
from rec_portal.timeutil import UK, to_uk, utcnow
from rec_portal.web.paging import Page

AUDIENCES = {
    "service_users": Course.for_service_users,
    "carers": Course.for_carers,
    "staff": Course.for_staff,
}
DELIVERIES = (IN_PERSON, ONLINE)
MONTHS_OFFERED = 6
MAX_SEARCH_WORDS = 8

# Booking window, as the course page describes it.


@dataclass(frozen=True)
class Filters:
    """What the person is looking for. Every field is already checked (or empty)."""

    q: str = ""
    audience: str = ""
    month: str = ""  # "YYYY-MM"
    delivery: str = ""

    def as_args(self) -> dict[str, str]:
        """The filters as URL arguments (empty ones left out), for pagination links."""
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class CatalogueEntry:
    course: Course
    next_starts_at: datetime | None  # None: no upcoming session
    places_left: int | None


@dataclass(frozen=True)
class UpcomingSession:
    session: CourseSession
    places_left: int
    booking: str  # models.courses BOOKING_OPEN, BOOKING_NOT_YET_OPEN or BOOKING_CLOSED


def month_choices(now: datetime | None = None) -> list[tuple[str, str]]:
    """This month and the next five (UK time) as ("2026-11", "November 2026")."""
    local = to_uk(now or utcnow())
    year, month = local.year, local.month
    choices = []
    for _ in range(MONTHS_OFFERED):
        choices.append((f"{year:04d}-{month:02d}", f"{datetime(year, month, 1):%B %Y}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return choices


def month_bounds(value: str) -> tuple[datetime, datetime]:
    """The start of the month "YYYY-MM" and of the next one, UK midnight as naive UTC."""
    year, month = (int(part) for part in value.split("-"))
    following = (year + 1, 1) if month == 12 else (year, month + 1)

    def uk_midnight(y: int, m: int) -> datetime:
        return datetime(y, m, 1, tzinfo=UK).astimezone(UTC).replace(tzinfo=None)

    return uk_midnight(year, month), uk_midnight(*following)


def _upcoming(now: datetime):
    """Upcoming group sessions: an individual workshop is never in the public catalogue."""
    return and_(CourseSession.status == SCHEDULED, CourseSession.starts_at > now,
                CourseSession.individual.is_(False))


def _confirmed_counts(now: datetime, course_id: int | None = None):
    """Places taken on each upcoming session: (session_id, taken). Places held for someone
    offered one count as taken (bookings.queries.places_taken_by, the one rule)."""
    conditions = [_upcoming(now)]
    if course_id is not None:
        conditions.append(CourseSession.course_id == course_id)
    return places_taken_by(*conditions).subquery("taken")


def _next_sessions(now: datetime, month: str):
    """Every upcoming session (in ``month``, if given), numbered per course in date order;
    ``position == 1`` is a course's next session."""
    conditions = [_upcoming(now)]
    if month:
        start, end = month_bounds(month)
        conditions += [CourseSession.starts_at >= start, CourseSession.starts_at < end]
    return (
        select(
            CourseSession.id,
            CourseSession.course_id,
            CourseSession.starts_at,
            CourseSession.capacity,
            func.row_number()
            .over(
                partition_by=CourseSession.course_id,
                order_by=(CourseSession.starts_at, CourseSession.id),
            )
            .label("position"),
        )
        .where(*conditions)
        .subquery("next_session")
    )


def _course_conditions(filters: Filters) -> list:
    conditions = [Course.status == PUBLISHED]
    # Each word somewhere in the title, summary or description (a trigram index serves
    # this on PostgreSQL: models.courses.course_search_text, migration 0017).
    for word in filters.q.lower().split()[:MAX_SEARCH_WORDS]:
        conditions.append(course_search_text().contains(word, autoescape=True))
    if filters.audience in AUDIENCES:
        conditions.append(AUDIENCES[filters.audience].is_(True))
    if filters.delivery in DELIVERIES:
        conditions.append(Course.delivery == filters.delivery)
    return conditions


def _listing_order(nxt) -> tuple:
    """Soonest next session first, then by title; courses with no upcoming session last."""
    return (case((nxt.c.starts_at.is_(None), 1), else_=0), nxt.c.starts_at, func.lower(Course.title), Course.id)


def catalogue_page(
    filters: Filters, page: int = 1, per_page: int = 10, now: datetime | None = None
) -> Page:
    """Published courses matching ``filters``, soonest next session first, then by title;
    courses with no upcoming session come last. With a month filter, only courses with a
    session starting that month, and the date shown is their first one in that month.

    Two statements: the count, and the page (with next session and places left, counted
    for the listed sessions only)."""
    now = now or utcnow()
    nxt = _next_sessions(now, filters.month)
    on_next = and_(nxt.c.course_id == Course.id, nxt.c.position == 1)
    # A month filter keeps only the courses with a session that month (inner join).
    must_have_session = bool(filters.month)
    conditions = _course_conditions(filters)

    # Without a month filter every matching course is listed once (with or without a next
    # session), so the count needs no sessions at all.
    counted = select(func.count()).select_from(Course)
    if must_have_session:
        counted = counted.join(nxt, on_next)
    total = db.session.execute(counted.where(*conditions)).scalar_one()

    # The page first (courses with their next session), then the places taken on those
    # sessions only: counting every upcoming session's bookings for ten lines made the
    # planner rescan or aggregate them all.
    listed = (
        select(Course.id.label("course_id"), nxt.c.id.label("session_id"), nxt.c.starts_at,
               nxt.c.capacity, func.row_number().over(order_by=_listing_order(nxt)).label("line"))
        .select_from(Course)
        .join(nxt, on_next, isouter=not must_have_session)
        .where(*conditions)
        .order_by(*_listing_order(nxt))
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("listed")
    )
    taken = places_taken_by(Booking.session_id.in_(select(listed.c.session_id))).subquery("taken")
    rows = db.session.execute(
        select(Course, listed.c.starts_at, listed.c.capacity, func.coalesce(taken.c.taken, 0))
        .join(listed, listed.c.course_id == Course.id)
        .outerjoin(taken, taken.c.session_id == listed.c.session_id)
        .order_by(listed.c.line)
        .options(raiseload(Course.roles_needed), raiseload(Course.sessions))
    ).all()
    items = [
        CatalogueEntry(
            course=course,
            next_starts_at=starts_at,
            places_left=max(capacity - taken_count, 0) if starts_at is not None else None,
        )
        for course, starts_at, capacity, taken_count in rows
    ]
    return Page(items=items, page=page, per_page=per_page, total=total)


def published_course(slug: str) -> Course | None:
    """The published course with this slug (its facilitator roles come with it)."""
    return db.session.execute(
        select(Course)
        .where(Course.slug == slug, Course.status == PUBLISHED)
        .options(raiseload(Course.sessions))
    ).scalar_one_or_none()


def upcoming_sessions(course: Course, now: datetime | None = None) -> list[UpcomingSession]:
    """The course's upcoming sessions in date order, with places left (their dates come
    with them: one more statement, whatever their number)."""
    now = now or utcnow()
    taken = _confirmed_counts(now, course_id=course.id)
    rows = db.session.execute(
        select(CourseSession, func.coalesce(taken.c.taken, 0))
        .outerjoin(taken, taken.c.session_id == CourseSession.id)
        .where(CourseSession.course_id == course.id, _upcoming(now))
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).all()
    return [
        UpcomingSession(
            session=session,
            places_left=max(session.capacity - taken_count, 0),
            booking=session.booking_state(now),
        )
        for session, taken_count in rows
    ]


@dataclass(frozen=True)
class SessionFacilitator:
    """Who delivers an upcoming session, as the course page shows them."""

    preferred_name: str
    role_label: str
    bio: str


def facilitators_for(session_ids: list[int]) -> dict[int, list[SessionFacilitator]]:
    """The facilitators on each session's roster (active profiles and accounts only),
    by session id: one statement, whatever the number of sessions."""
    from rec_portal.models import FacilitatorProfile, RosterAssignment, User
    from rec_portal.models.courses import FACILITATOR_ROLE_LABELS

    if not session_ids:
        return {}
    rows = db.session.execute(
        select(RosterAssignment.session_id, RosterAssignment.role, User.preferred_name, User.full_name,
               FacilitatorProfile.bio)
        .join(User, User.id == RosterAssignment.user_id)
        .join(FacilitatorProfile, FacilitatorProfile.user_id == User.id)
        .where(
            RosterAssignment.session_id.in_(session_ids),
            FacilitatorProfile.active.is_(True),
            User.active.is_(True),
            User.anonymised_at.is_(None),
        )
        .order_by(RosterAssignment.session_id, RosterAssignment.role, func.lower(User.preferred_name))
    ).all()
    found: dict[int, list[SessionFacilitator]] = {}
    for session_id, role, preferred, full_name, bio in rows:
        found.setdefault(session_id, []).append(
            SessionFacilitator(
                preferred_name=preferred or full_name.split(" ")[0],
                role_label=FACILITATOR_ROLE_LABELS.get(role, role),
                bio=(bio or "").strip(),
            )
        )
    return found


# --- the signed-out course page's cache key: one statement -----------------------------------

# Constants written into the statement, not sent as parameters: the statement stays
# under psycopg's limits for caching its conversion (4,096 bytes and 50 parameters).
_BAR, _EMPTY, _SEMICOLON = literal_column("'|'"), literal_column("''"), literal_column("';'")


def _text(*parts):
    """The parts as one text, '|' between them (NULL as '')."""
    from sqlalchemy import String, cast

    pieces = []
    for part in parts:
        if pieces:
            pieces.append(_BAR)
        pieces.append(func.coalesce(cast(part, String), _EMPTY))
    out = pieces[0]
    for piece in pieces[1:]:
        out = out.op("||")(piece)
    return out


def _course_page_fingerprint_statement():
    """Built once: everything a signed-out course page shows, as a few texts, for the
    course with slug ``:slug`` at ``:now``. Each part is what the page's own statements
    read (published_course, upcoming_sessions, facilitators_for, published_summaries,
    pathways_with_course), so any change to what the page shows changes it."""
    from sqlalchemy import bindparam

    from rec_portal.models import (
        ContentReview,
        CourseRoleNeed,
        FacilitatorProfile,
        Pathway,
        PathwayCourse,
        RosterAssignment,
        SessionDate,
        User,
    )
    from rec_portal.models.feedback import REVIEW_COMPLETED
    from rec_portal.models.pathways import PUBLISHED as PATHWAY_PUBLISHED

    now = bindparam("now")
    course = (select(Course.id, Course.updated_at, Course.content_version)
              .where(Course.slug == bindparam("slug"), Course.status == PUBLISHED).subquery("c"))
    upcoming = and_(CourseSession.course_id == course.c.id, _upcoming(now))

    roles = (select(func.aggregate_strings(_text(CourseRoleNeed.role, CourseRoleNeed.count), _SEMICOLON))
             .where(CourseRoleNeed.course_id == course.c.id).scalar_subquery())
    # By slug, not by the outer course: a derived table cannot see the outer query.
    taken = places_taken_by(Course.slug == bindparam("slug"), _upcoming(now)).subquery("t")
    window = case(
        (and_(CourseSession.booking_opens_at.is_not(None), CourseSession.booking_opens_at > now), "n"),
        (and_(CourseSession.booking_closes_at.is_not(None), CourseSession.booking_closes_at <= now), "c"),
        else_="o",
    )
    sessions = (
        select(func.aggregate_strings(_text(
            CourseSession.id, CourseSession.starts_at, CourseSession.ends_at, CourseSession.venue,
            CourseSession.capacity, func.coalesce(taken.c.taken, 0), CourseSession.booking_opens_at,
            CourseSession.booking_closes_at, window,
        ), _SEMICOLON))
        .select_from(CourseSession)
        .outerjoin(taken, taken.c.session_id == CourseSession.id)
        .where(upcoming).scalar_subquery()
    )
    dates = (
        select(func.aggregate_strings(_text(SessionDate.session_id, SessionDate.starts_at, SessionDate.ends_at), _SEMICOLON))
        .select_from(SessionDate)
        .join(CourseSession, CourseSession.id == SessionDate.session_id)
        .where(upcoming).scalar_subquery()
    )
    team = (
        select(func.aggregate_strings(_text(
            RosterAssignment.session_id, RosterAssignment.role, User.id, User.preferred_name,
            User.full_name, FacilitatorProfile.bio,
        ), _SEMICOLON))
        .select_from(RosterAssignment)
        .join(CourseSession, CourseSession.id == RosterAssignment.session_id)
        .join(User, User.id == RosterAssignment.user_id)
        .join(FacilitatorProfile, FacilitatorProfile.user_id == User.id)
        .where(upcoming, FacilitatorProfile.active.is_(True), User.active.is_(True), User.anonymised_at.is_(None))
        .scalar_subquery()
    )
    reviews = (
        select(func.aggregate_strings(_text(ContentReview.id, ContentReview.held_on, ContentReview.you_said_we_did), _SEMICOLON))
        .where(ContentReview.course_id == course.c.id, ContentReview.status == REVIEW_COMPLETED,
               ContentReview.published_at.is_not(None))
        .scalar_subquery()
    )
    pathways = (
        select(func.aggregate_strings(_text(Pathway.id, Pathway.slug, Pathway.title), _SEMICOLON))
        .select_from(Pathway)
        .join(PathwayCourse, PathwayCourse.pathway_id == Pathway.id)
        .where(PathwayCourse.course_id == course.c.id, Pathway.status == PATHWAY_PUBLISHED)
        .scalar_subquery()
    )
    return select(course.c.id, course.c.updated_at, course.c.content_version,
                  roles, sessions, dates, team, reviews, pathways)


_FINGERPRINT = None


def course_page_fingerprint(slug: str, now: datetime | None = None) -> tuple | None:
    """What a signed-out course page shows, as a tuple of texts to make its cache key
    from (None: no published course with that slug). One statement: on a cache hit it is
    the only one the page runs. The parts' order within each text is not fixed: another
    order only means a cache miss, never a wrong page."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        _FINGERPRINT = _course_page_fingerprint_statement()
    row = db.session.execute(_FINGERPRINT, {"slug": slug, "now": now or utcnow()}).first()
    return None if row is None else tuple(row)
