"""Referrals: what the queue, the admin home and the term report read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from rec_portal.extensions import db
from rec_portal.models.referrals import CONTACTED, ENROLLED, NEW, ORG_TYPES, STATUSES, Referral

# The queue's filters, in order.
FILTERS = tuple(STATUSES)
# New and contacted referrals are work to do: the oldest first. The others are a record:
# the most recently decided first.
TO_DO = (NEW, CONTACTED)


def status_counts() -> dict[str, int]:
    counts = dict(db.session.execute(
        select(Referral.status, func.count()).group_by(Referral.status)
    ).all())
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def queue_page(status: str, *, page: int, per_page: int) -> list[Referral]:
    """One page of referrals in ``status`` (oldest first for work still to do)."""
    stmt = select(Referral).where(Referral.status == status).options(selectinload(Referral.student))
    if status in TO_DO:
        stmt = stmt.order_by(Referral.created_at, Referral.id)
    else:
        stmt = stmt.order_by(Referral.status_changed_at.desc(), Referral.id.desc())
    return list(db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars())


def referral(referral_id: int) -> Referral | None:
    return db.session.execute(
        select(Referral).where(Referral.id == referral_id)
        .options(selectinload(Referral.student), selectinload(Referral.handled_by))
    ).scalar_one_or_none()


def new_count() -> int:
    """Referrals nobody has acted on yet (the admin home card)."""
    return db.session.execute(
        select(func.count()).select_from(Referral).where(Referral.status == NEW)
    ).scalar_one()


def by_org_type(first: datetime, last: datetime) -> dict[str, tuple[int, int]]:
    """For referrals received from ``first`` to ``last`` (not included): org type ->
    (received, led to enrolment so far), every type listed (one statement)."""
    rows = db.session.execute(
        select(Referral.org_type, func.count(Referral.id),
               func.sum(case((Referral.status == ENROLLED, 1), else_=0)))
        .where(Referral.created_at >= first, Referral.created_at < last)
        .group_by(Referral.org_type)
    ).all()
    found = {org: (int(n), int(enrolled or 0)) for org, n, enrolled in rows}
    return {org: found.get(org, (0, 0)) for org in ORG_TYPES}
