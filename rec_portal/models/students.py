"""What a student tells the REC about themselves at enrolment (and can change at
/my/account)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.timeutil import utcnow

SERVICE_USER = "service_user"
CARER = "carer"
STAFF = "staff"
OTHER = "other"
RELATIONSHIPS = {
    SERVICE_USER: "I use mental health services (or have done)",
    CARER: "I am a carer, family member or friend of someone who does",
    STAFF: "I work for the trust or a partner organisation",
    OTHER: "Something else",
}
RELATIONSHIP_SHORT = {
    SERVICE_USER: "Service user",
    CARER: "Carer",
    STAFF: "Staff",
    OTHER: "Other",
}

EMAIL, TEXT, PHONE, LETTER = "email", "text", "phone", "letter"
CONTACT_PREFERENCES = {
    EMAIL: "Email",
    PHONE: "Phone call",
    TEXT: "Text message",
    LETTER: "Letter",
}

REFERRAL_SOURCES = {
    "self": "I found the REC myself (website, leaflet, poster)",
    "care_team": "My care team, care co-ordinator or key worker",
    "gp": "My GP",
    "police": "The police or a victim support service",
    "voluntary": "A charity or community organisation",
    "friend": "A friend, family member or another student",
    "other": "Somewhere else",
}

# What enrolment asks (registration and /my/account), in page order.
PROFILE_FIELDS = (
    "pronouns", "relationship_to_services", "team", "referral_source", "referral_detail",
    "phone", "contact_preference", "postal_address", "access_needs",
)


class StudentProfile(db.Model):
    __tablename__ = "student_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    pronouns: Mapped[str] = mapped_column(String(60), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    relationship_to_services: Mapped[str] = mapped_column(String(20), default="", server_default="")
    team: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_preference: Mapped[str] = mapped_column(String(10), default="email", server_default="email")
    # Where to write to someone who asked for letters (needed for that preference only).
    postal_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What would help them take part; shown to admins and to the facilitators of
    # sessions they book.
    access_needs: Mapped[str] = mapped_column(Text, default="")
    referral_source: Mapped[str] = mapped_column(String(20), default="", server_default="")
    referral_detail: Mapped[str] = mapped_column(String(200), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(
        backref=db.backref("profile", uselist=False, lazy="selectin", cascade="all, delete-orphan")
    )

    @property
    def relationship_label(self) -> str:
        return RELATIONSHIP_SHORT.get(self.relationship_to_services, "Not given")

    @property
    def contact_label(self) -> str:
        return CONTACT_PREFERENCES.get(self.contact_preference, "Email")

    @property
    def referral_label(self) -> str:
        return REFERRAL_SOURCES.get(self.referral_source, "Not given")
