"""Outcome evidence: an optional self-report about being a victim of crime in the last 12
months, taken at enrolment (baseline) and 6 and 12 months after attending Staying Safe.

Every question may be skipped: a ``None`` answer means "not answered". The student can see
and delete their own answers. Staff only ever see aggregates (``/admin/outcomes``) with
small numbers suppressed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.courses import CourseSession
from rec_portal.timeutil import utcnow

BASELINE, SIX_MONTHS, TWELVE_MONTHS = "baseline", "6_months", "12_months"
OUTCOME_STAGES = (BASELINE, SIX_MONTHS, TWELVE_MONTHS)
STAGE_LABELS = {
    BASELINE: "At enrolment",
    SIX_MONTHS: "6 months after Staying Safe",
    TWELVE_MONTHS: "12 months after Staying Safe",
}
# Months after the session for each follow-up stage.
FOLLOW_UP_MONTHS = {SIX_MONTHS: 6, TWELVE_MONTHS: 12}

# The fixed list of kinds of crime (stored code, words shown).
CRIME_TYPES = {
    "theft": "Theft or burglary",
    "assault": "Physical assault",
    "harassment": "Harassment, threats or stalking",
    "hate_crime": "Hate crime",
    "fraud": "Fraud or a scam",
    "domestic_abuse": "Domestic abuse",
    "sexual_offence": "Sexual offence",
    "other": "Something else",
}
# Who it was reported to.
REPORTED_TO = {
    "police": "The police",
    "third_party": "A third-party reporting centre or Crimestoppers",
    "support_service": "A support service, such as Victim Support",
    "care_team": "My care team or another health worker",
    "other": "Someone else",
}
# Most times a person can say it happened (the form asks for a number).
MAX_TIMES = 99


class OutcomeCheck(db.Model):
    """One questionnaire a student answered, at one stage."""

    __tablename__ = "outcome_checks"
    __table_args__ = (
        UniqueConstraint("student_id", "stage"),
        CheckConstraint(f"stage IN {OUTCOME_STAGES!r}", name="stage_known"),
        CheckConstraint(f"times IS NULL OR (times >= 1 AND times <= {MAX_TIMES})", name="times_in_range"),
        Index("ix_outcome_checks_stage_answered_at", "stage", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(20))
    # The Staying Safe session a follow-up counts from (None for the baseline).
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_sessions.id", ondelete="SET NULL"), index=True
    )
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None wherever the question was skipped.
    victim: Mapped[bool | None]  # a victim of crime in the last 12 months?
    times: Mapped[int | None]  # how many times
    reported: Mapped[bool | None]  # reported it (any of the times)?
    got_support: Mapped[bool | None]

    student: Mapped[User] = relationship()
    session: Mapped[CourseSession | None] = relationship()
    crime_types: Mapped[list[OutcomeCrimeType]] = relationship(
        back_populates="check", cascade="all, delete-orphan", order_by="OutcomeCrimeType.crime_type"
    )
    reported_to: Mapped[list[OutcomeReportedTo]] = relationship(
        back_populates="check", cascade="all, delete-orphan", order_by="OutcomeReportedTo.body"
    )


class OutcomeCrimeType(db.Model):
    __tablename__ = "outcome_crime_types"
    __table_args__ = (CheckConstraint(f"crime_type IN {tuple(CRIME_TYPES)!r}", name="crime_type_known"),)

    check_id: Mapped[int] = mapped_column(ForeignKey("outcome_checks.id", ondelete="CASCADE"), primary_key=True)
    crime_type: Mapped[str] = mapped_column(String(30), primary_key=True)

    check: Mapped[OutcomeCheck] = relationship(back_populates="crime_types")


class OutcomeReportedTo(db.Model):
    __tablename__ = "outcome_reported_to"
    __table_args__ = (CheckConstraint(f"body IN {tuple(REPORTED_TO)!r}", name="body_known"),)

    check_id: Mapped[int] = mapped_column(ForeignKey("outcome_checks.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(String(30), primary_key=True)

    check: Mapped[OutcomeCheck] = relationship(back_populates="reported_to")


class OutcomeInvitation(db.Model):
    """A follow-up invitation, queued once per student and stage
    (``rec outcome-invitations`` is safe to repeat)."""

    __tablename__ = "outcome_invitations"
    __table_args__ = (
        UniqueConstraint("student_id", "stage"),
        CheckConstraint(f"stage IN {OUTCOME_STAGES!r}", name="stage_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(20))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_sessions.id", ondelete="SET NULL"), index=True
    )
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    student: Mapped[User] = relationship()


class OutcomeQuarter(db.Model):
    """A UK calendar quarter whose figures are fixed: stored once, after it ended
    (``operations.close_quarters``). Its primary key stops a second run storing it again.
    Holds no personal data: deleting answers or accounts leaves it as it is."""

    __tablename__ = "outcome_quarters"
    __table_args__ = (CheckConstraint("number >= 1 AND number <= 4", name="number_in_range"),)

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 1: Jan to Mar ... 4: Oct to Dec
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)

    figures: Mapped[list[OutcomeQuarterFigure]] = relationship(
        back_populates="quarter", cascade="all, delete-orphan", passive_deletes=True
    )


class OutcomeQuarterFigure(db.Model):
    """One count of a closed quarter, for one stage: a measure (respondents, victims,
    ...; a kind of crime as ``crime:<code>``). ``held`` says whether the quarter's figure
    is held back; ``total_held`` whether the "All quarters" figure (this quarter and every
    earlier one added up) is, while this is the latest closed quarter. Both are decided
    once, when the quarter closes, knowing what staff have already seen."""

    __tablename__ = "outcome_quarter_figures"
    __table_args__ = (
        ForeignKeyConstraint(["year", "number"], ["outcome_quarters.year", "outcome_quarters.number"],
                             ondelete="CASCADE"),
        CheckConstraint(f"stage IN {OUTCOME_STAGES!r}", name="stage_known"),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    measure: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int]
    held: Mapped[bool]
    total_held: Mapped[bool]

    quarter: Mapped[OutcomeQuarter] = relationship(back_populates="figures")
