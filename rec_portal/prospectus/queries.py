"""What the prospectus lists (two statements, plus one to choose the default term)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from rec_portal.extensions import db
from rec_portal.models import Course, CourseSession
from rec_portal.models.courses import COURSE_THEMES, NO_THEME_LABEL, PUBLISHED, SCHEDULED
from rec_portal.stats.terms import Term, term_bounds, term_of
from rec_portal.timeutil import uk_today, utcnow

TERMS_OFFERED = 3  # this term and the next two


def terms_offered(today: date) -> list[Term]:
    terms = [term_of(today)]
    while len(terms) < TERMS_OFFERED:
        terms.append(terms[-1].next())
    return terms


def _listed(first: datetime, last: datetime, now: datetime) -> list:
    """Group sessions (never individual workshops) still to come in [first, last), not
    cancelled or completed, of published courses."""
    return [
        CourseSession.status == SCHEDULED,
        CourseSession.individual.is_(False),
        CourseSession.starts_at >= max(first, now),
        CourseSession.starts_at < last,
        Course.status == PUBLISHED,
    ]


def default_term(now: datetime | None = None) -> Term:
    """This term, or the next one when this term has no dates left (one statement)."""
    now = now or utcnow()
    from rec_portal.timeutil import to_uk

    current = term_of(uk_today(now))
    first, last = term_bounds(current)
    left = db.session.execute(
        select(func.count(CourseSession.id))
        .join(Course, Course.id == CourseSession.course_id)
        .where(*_listed(first, last, now))
    ).scalar_one()
    return current if left else current.next()


@dataclass
class Entry:
    course: Course
    sessions: list[CourseSession] = field(default_factory=list)


@dataclass
class Theme:
    code: str
    label: str
    entries: list[Entry]

    @property
    def anchor(self) -> str:
        return f"theme-{self.code or 'other'}"


@dataclass
class Prospectus:
    term: Term
    themes: list[Theme]  # only themes with at least one course

    @property
    def dates(self) -> int:
        return sum(len(e.sessions) for t in self.themes for e in t.entries)


def prospectus(term: Term, now: datetime | None = None) -> Prospectus:
    """Every published course by theme (COURSE_THEMES order, then "Other courses"), each
    with its group dates still to come in the term. Two statements (the sessions' dates
    load with them in one more)."""
    now = now or utcnow()
    first, last = term_bounds(term)
    courses = db.session.execute(
        select(Course).where(Course.status == PUBLISHED).order_by(func.lower(Course.title), Course.id)
    ).scalars().all()
    sessions = db.session.execute(
        select(CourseSession)
        .join(Course, Course.id == CourseSession.course_id)
        .where(*_listed(first, last, now))
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).scalars().all()
    entries = {c.id: Entry(c) for c in courses}
    for s in sessions:
        entries[s.course_id].sessions.append(s)
    themes = []
    for code, label in [*COURSE_THEMES.items(), ("", NO_THEME_LABEL)]:
        chosen = [e for e in entries.values() if (e.course.theme if e.course.theme in COURSE_THEMES else "") == code]
        if chosen:
            themes.append(Theme(code, label, chosen))
    return Prospectus(term, themes)


def shown(p: Prospectus) -> tuple:
    """Everything the prospectus shows, as plain values: the cache key is a digest of it
    (web/cache.py), so any change to a listed course, one of its dates, a venue or a
    status gives a new key and so a new PDF at once. Places left are not printed."""
    return (
        p.term.key,
        tuple(
            (theme.code, tuple(_entry_shown(e) for e in theme.entries))
            for theme in p.themes
        ),
    )


def _entry_shown(entry: Entry) -> tuple:
    c = entry.course
    return (
        c.id, c.updated_at, c.content_version, c.slug, c.title, c.summary, c.theme,
        c.for_service_users, c.for_carers, c.for_staff, c.duration, c.delivery,
        tuple(
            (s.id, s.status, s.venue, tuple((d.starts_at, d.ends_at) for d in s.dates))
            for s in entry.sessions
        ),
    )
