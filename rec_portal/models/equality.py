"""Equality monitoring: optional answers to the standard NHS equality questions
(special-category data). One row per person who chose to answer; every answer may be
"prefer not to say" or left out, and the person can remove them all at any time (the row
is deleted). Used only as counts by group in the term report, with small numbers held
back: never shown per person, never to facilitators or tutors.

A term's counts are worked out once, after the term has ended, and stored
(``EqualityTerm``, ``EqualityTermFigure``: counts only, nothing about any person); the
term report shows only these, so answers saved, changed or removed later, or accounts
deleted later, never change a figure an admin has seen (nothing to work out by
subtraction)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.timeutil import utcnow

PREFER_NOT = "prefer_not"
PREFER_NOT_LABEL = "Prefer not to say"

# Each question: (field, question, plain-words hint, {code: label}) in page order. The
# categories follow the NHS Data Dictionary (ethnic category, sexual orientation) and the
# 2021 Census wording used across the NHS.
QUESTIONS = (
    ("age_band", "How old are you?", "", {
        "under_18": "Under 18", "18_24": "18 to 24", "25_34": "25 to 34", "35_44": "35 to 44", "45_54": "45 to 54",
        "55_64": "55 to 64", "65_74": "65 to 74", "75_plus": "75 or over",
    }),
    ("sex", "What is your sex?", "", {"female": "Female", "male": "Male"}),
    ("gender_identity", "Is the gender you identify with the same as your sex registered at birth?",
     "", {"same": "Yes", "not_same": "No"}),
    ("ethnicity", "What is your ethnic group?", "", {
        "white_british": "White: English, Welsh, Scottish, Northern Irish or British",
        "white_irish": "White: Irish",
        "white_other": "White: any other White background (including Gypsy or Irish Traveller)",
        "mixed_white_black_caribbean": "Mixed: White and Black Caribbean",
        "mixed_white_black_african": "Mixed: White and Black African",
        "mixed_white_asian": "Mixed: White and Asian",
        "mixed_other": "Mixed: any other mixed or multiple background",
        "asian_indian": "Asian or Asian British: Indian",
        "asian_pakistani": "Asian or Asian British: Pakistani",
        "asian_bangladeshi": "Asian or Asian British: Bangladeshi",
        "asian_chinese": "Asian or Asian British: Chinese",
        "asian_other": "Asian or Asian British: any other Asian background",
        "black_caribbean": "Black or Black British: Caribbean",
        "black_african": "Black or Black British: African",
        "black_other": "Black or Black British: any other Black background",
        "other_arab": "Other ethnic group: Arab",
        "other_any": "Any other ethnic group",
    }),
    ("disability", "Do you consider yourself to have a disability or a long-term health condition?",
     "This includes mental health conditions that have lasted, or are likely to last, 12 months or more.",
     {"yes": "Yes", "no": "No"}),
    ("sexual_orientation", "Which of these best describes your sexual orientation?", "", {
        "heterosexual": "Heterosexual or straight", "gay_lesbian": "Gay or lesbian",
        "bisexual": "Bisexual", "other": "Another sexual orientation", "not_sure": "Not sure",
    }),
    ("religion", "What is your religion or belief?", "", {
        "none": "No religion", "buddhist": "Buddhist", "christian": "Christian", "hindu": "Hindu",
        "jewish": "Jewish", "muslim": "Muslim", "sikh": "Sikh", "other": "Any other religion or belief",
    }),
)
FIELDS = tuple(q[0] for q in QUESTIONS)


def choices(field: str) -> dict[str, str]:
    """{code: label} for ``field``, "prefer not to say" last."""
    for name, _, _, options in QUESTIONS:
        if name == field:
            return {**options, PREFER_NOT: PREFER_NOT_LABEL}
    raise KeyError(field)


class EqualityAnswers(db.Model):
    __tablename__ = "equality_answers"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # "" = not answered; PREFER_NOT = prefer not to say; otherwise a code of QUESTIONS.
    age_band: Mapped[str] = mapped_column(String(40), default="", server_default="")
    sex: Mapped[str] = mapped_column(String(40), default="", server_default="")
    gender_identity: Mapped[str] = mapped_column(String(40), default="", server_default="")
    ethnicity: Mapped[str] = mapped_column(String(40), default="", server_default="")
    disability: Mapped[str] = mapped_column(String(40), default="", server_default="")
    sexual_orientation: Mapped[str] = mapped_column(String(40), default="", server_default="")
    religion: Mapped[str] = mapped_column(String(40), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()


class EqualityTerm(db.Model):
    """A term whose equality counts are fixed: stored once, after it ended
    (``equality.operations.close_term``). Its primary key stops a second run storing it
    again. Holds no personal data: answers or accounts deleted later leave it as it is."""

    __tablename__ = "equality_terms"

    term_key: Mapped[str] = mapped_column(String(20), primary_key=True)  # "2026-spring"
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)

    figures: Mapped[list[EqualityTermFigure]] = relationship(
        back_populates="term", cascade="all, delete-orphan", passive_deletes=True
    )


class EqualityTermFigure(db.Model):
    """One group's count in one question's table of a closed term: the number of students
    active in the term who gave that answer (``code``; "" for not answered), and whether
    the report holds it back (decided once, with the small-numbers rule)."""

    __tablename__ = "equality_term_figures"
    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)

    term_key: Mapped[str] = mapped_column(
        ForeignKey("equality_terms.term_key", ondelete="CASCADE"), primary_key=True
    )
    question: Mapped[str] = mapped_column(String(40), primary_key=True)  # a field of QUESTIONS
    code: Mapped[str] = mapped_column(String(40), primary_key=True)  # a code of the question, or ""
    position: Mapped[int]  # the row's place in the question's table when it was stored
    count: Mapped[int]
    held: Mapped[bool]

    term: Mapped[EqualityTerm] = relationship(back_populates="figures")
