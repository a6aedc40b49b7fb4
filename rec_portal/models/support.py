"""The support options guide: organisations that help people affected by crime and
mental health problems."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.timeutil import utcnow

NEEDS = {
    "victims_of_crime": "Victims of crime",
    "hate_crime": "Hate crime",
    "domestic_abuse": "Domestic abuse",
    "sexual_violence": "Sexual violence",
    "mental_health_crisis": "Mental health crisis",
    "housing": "Housing",
    "advocacy": "Advocacy",
}


class SupportService(db.Model):
    __tablename__ = "support_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(60), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    opening_hours: Mapped[str] = mapped_column(String(300), default="")
    area: Mapped[str] = mapped_column(String(200), default="")
    emergency: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Retired entries stay (a safety plan may still list them) but leave the guide.
    retired_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    needs: Mapped[list[SupportServiceNeed]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin",
        order_by="SupportServiceNeed.need",
    )

    @property
    def need_codes(self) -> list[str]:
        return [n.need for n in self.needs]

    @property
    def need_labels(self) -> list[str]:
        return [NEEDS[code] for code in NEEDS if code in self.need_codes]


class SupportServiceNeed(db.Model):
    """What a service helps with (one row per need, so the guide filters in SQL)."""

    __tablename__ = "support_service_needs"
    __table_args__ = (CheckConstraint(f"need IN {tuple(NEEDS)!r}", name="need_known"),)

    service_id: Mapped[int] = mapped_column(
        ForeignKey("support_services.id", ondelete="CASCADE"), primary_key=True
    )
    need: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)

    service: Mapped[SupportService] = relationship(back_populates="needs")
