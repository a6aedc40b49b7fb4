"""Referrals from professionals (care co-ordinators, GPs, police mental health
co-ordinators and others) through the public "Refer someone" form, and what the REC team
did about each.

The referrer is acknowledged and never told anything back about the person. A referral
that led nowhere (declined, could not contact) is deleted after
``REC_REFERRAL_RETENTION_DAYS``; one that led to enrolment keeps only its link to the
student and the organisation type (for the term report)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.timeutil import utcnow

# What kind of organisation referred (counted in the term report).
ORG_TYPES = {
    "nhs_mental_health": "NHS mental health service (care co-ordinator, community team, ward)",
    "gp": "GP practice or primary care",
    "police": "Police (for example a mental health co-ordinator)",
    "social_care": "Social care or housing",
    "victim_support": "Victim support or advocacy service",
    "voluntary": "Charity or community organisation",
    "other": "Another organisation",
}
ORG_TYPE_SHORT = {
    "nhs_mental_health": "NHS mental health",
    "gp": "GP / primary care",
    "police": "Police",
    "social_care": "Social care or housing",
    "victim_support": "Victim support",
    "voluntary": "Charity or community",
    "other": "Other",
}

NEW, CONTACTED, ENROLLED, DECLINED, NO_CONTACT = (
    "new", "contacted", "enrolled", "declined", "could_not_contact",
)
STATUSES = {
    NEW: "New",
    CONTACTED: "Contacted",
    ENROLLED: "Enrolled",
    DECLINED: "Declined",
    NO_CONTACT: "Could not contact",
}
# Referrals that led nowhere: deleted after the retention period.
LED_NOWHERE = (DECLINED, NO_CONTACT)


class Referral(db.Model):
    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(f"status IN {tuple(STATUSES)!r}", name="status_known"),
        CheckConstraint(f"org_type IN {tuple(ORG_TYPES)!r}", name="org_type_known"),
        Index("ix_referrals_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The referrer.
    referrer_name: Mapped[str] = mapped_column(String(200))
    referrer_organisation: Mapped[str] = mapped_column(String(200))
    org_type: Mapped[str] = mapped_column(String(30))
    referrer_role: Mapped[str] = mapped_column(String(200), default="", server_default="")
    referrer_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    referrer_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # The person referred, and how they would like to be contacted
    # (models.students.CONTACT_PREFERENCES).
    person_name: Mapped[str] = mapped_column(String(200))
    person_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    person_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    person_contact_preference: Mapped[str] = mapped_column(String(10), default="phone")
    person_postal_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When it is safe to contact them, anything that would help them take part.
    contact_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The referrer confirmed the person agreed to be referred (required by the form).
    person_agreed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(30), default=NEW)
    status_changed_at: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    outcome_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The student record the referral became (a record staff created after contacting the
    # person, who may then claim an online account through an account invitation, or an
    # existing student it was linked to).
    student_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    acknowledged_at: Mapped[datetime | None]

    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])
    student: Mapped[User | None] = relationship(foreign_keys=[student_id])

    @property
    def reference(self) -> str:
        """What the referrer and the REC team quote ("REF-000123")."""
        return f"REF-{self.id:06d}"

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def org_type_label(self) -> str:
        return ORG_TYPE_SHORT.get(self.org_type, self.org_type)
