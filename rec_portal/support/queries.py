"""Read-side queries for the support options guide.

The guide runs a fixed number of SQL statements whatever the number of entries: one for
the matching services and one (selectin) for what they help with. Searching and
filtering happen in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from rec_portal.extensions import db
from rec_portal.models import SupportService, SupportServiceNeed
from rec_portal.models.support import NEEDS

MAX_SEARCH_WORDS = 8

ACTIVE = "active"
RETIRED = "retired"
STATUSES = {ACTIVE: "Active", RETIRED: "Retired"}


@dataclass(frozen=True)
class GuideFilters:
    """What the person is looking for. Every field is already checked (or empty)."""

    q: str = ""
    needs: tuple[str, ...] = field(default_factory=tuple)
    emergency: bool = False

    def as_args(self) -> dict:
        """The filters as URL arguments (empty ones left out)."""
        args: dict = {}
        if self.q:
            args["q"] = self.q
        if self.needs:
            args["need"] = list(self.needs)
        if self.emergency:
            args["emergency"] = "y"
        return args

    @property
    def active(self) -> bool:
        return bool(self.q or self.needs or self.emergency)

    @property
    def need_labels(self) -> list[str]:
        return [NEEDS[code] for code in self.needs]


def _search_conditions(q: str) -> list:
    """Every word must appear in the name, description or area (any case)."""
    conditions = []
    for word in q.lower().split()[:MAX_SEARCH_WORDS]:
        conditions.append(
            or_(
                *(
                    func.lower(column).contains(word, autoescape=True)
                    for column in (SupportService.name, SupportService.description, SupportService.area)
                )
            )
        )
    return conditions


def guide_services(filters: GuideFilters) -> list[SupportService]:
    """Active entries matching ``filters``, by name. Several needs match any of them."""
    stmt = select(SupportService).where(SupportService.retired_at.is_(None))
    stmt = stmt.where(*_search_conditions(filters.q))
    if filters.needs:
        stmt = stmt.where(
            SupportService.id.in_(
                select(SupportServiceNeed.service_id).where(SupportServiceNeed.need.in_(filters.needs))
            )
        )
    if filters.emergency:
        stmt = stmt.where(SupportService.emergency.is_(True))
    stmt = stmt.order_by(func.lower(SupportService.name), SupportService.id)
    return list(db.session.execute(stmt).scalars())


def active_service(service_id: int) -> SupportService | None:
    """An entry that is in the guide (None when missing or retired)."""
    service = db.session.get(SupportService, service_id)
    if service is None or service.retired_at is not None:
        return None
    return service


def admin_services(status: str = "") -> list[SupportService]:
    """Every entry (or only active / retired ones), active first, then by name."""
    stmt = select(SupportService)
    if status == ACTIVE:
        stmt = stmt.where(SupportService.retired_at.is_(None))
    elif status == RETIRED:
        stmt = stmt.where(SupportService.retired_at.is_not(None))
    stmt = stmt.order_by(
        SupportService.retired_at.is_not(None), func.lower(SupportService.name), SupportService.id
    )
    return list(db.session.execute(stmt).scalars())


def status_counts() -> dict[str, int]:
    """How many entries are active and how many retired."""
    rows = db.session.execute(
        select(SupportService.retired_at.is_(None), func.count()).group_by(SupportService.retired_at.is_(None))
    ).all()
    counts = {ACTIVE: 0, RETIRED: 0}
    for is_active, n in rows:
        counts[ACTIVE if is_active else RETIRED] += n
    return counts
