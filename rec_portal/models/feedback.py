"""Post-course feedback and the content reviews it feeds.

- ``FeedbackQuestion``: the question bank admins manage. Questions are retired, never
  deleted; an answer keeps the wording (and kind) it was given under.
- ``FeedbackInvitation``: who may answer for a session (attendees, rostered facilitators)
  and *whether* they answered. For an anonymous answer this is the only thing kept about
  the person: the invitation has no time of answering and no link to the response.
- ``FeedbackResponse`` + ``FeedbackAnswer``: one response per invitation. An anonymous
  response has no respondent and no time of its own (it is dated by the session's last day).
- ``ContentReview`` with the feedback considered (``ContentReviewItem``) and actions
  (``ContentReviewAction``); completing one can raise the course's content version.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.courses import Course, CourseSession
from rec_portal.timeutil import utcnow

# Who a question (and a response) is for.
FOR_STUDENTS, FOR_FACILITATORS = "student", "facilitator"
AUDIENCES = (FOR_STUDENTS, FOR_FACILITATORS)
AUDIENCE_LABELS = {FOR_STUDENTS: "Students", FOR_FACILITATORS: "Facilitators (reflection)"}

# Kinds of question. Rating and agreement store 1-5, yes/no stores 1 (yes) or 0 (no).
RATING, AGREEMENT, YES_NO, FREE_TEXT = "rating", "agreement", "yes_no", "text"
QUESTION_KINDS = (RATING, AGREEMENT, YES_NO, FREE_TEXT)
KIND_LABELS = {
    RATING: "Rating from 1 to 5",
    AGREEMENT: "Agreement (strongly disagree to strongly agree)",
    YES_NO: "Yes or no",
    FREE_TEXT: "Free text",
}
# The choices each scored kind offers, as (stored value, words shown), in display order.
CHOICES = {
    RATING: [(5, "5 - Excellent"), (4, "4 - Good"), (3, "3 - Okay"), (2, "2 - Poor"), (1, "1 - Very poor")],
    AGREEMENT: [
        (5, "Strongly agree"), (4, "Agree"), (3, "Neither agree nor disagree"),
        (2, "Disagree"), (1, "Strongly disagree"),
    ],
    YES_NO: [(1, "Yes"), (0, "No")],
}
SCORED_KINDS = (RATING, AGREEMENT, YES_NO)

QUESTION_TEXT_MAX = 300
ANSWER_TEXT_MAX = 2000


class FeedbackQuestion(db.Model):
    __tablename__ = "feedback_questions"
    __table_args__ = (
        CheckConstraint(f"audience IN {AUDIENCES!r}", name="audience_known"),
        CheckConstraint(f"kind IN {QUESTION_KINDS!r}", name="kind_known"),
        Index("ix_feedback_questions_bank", "audience", "retired_at", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(QUESTION_TEXT_MAX))
    hint: Mapped[str] = mapped_column(String(QUESTION_TEXT_MAX), default="")
    # None: asked about every course; otherwise only about this one.
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    retired_at: Mapped[datetime | None]
    # Set when this question was added to replace the wording of another.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_questions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    course: Mapped[Course | None] = relationship()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def choices(self) -> list[tuple[int, str]]:
        return CHOICES.get(self.kind, [])


class FeedbackInvitation(db.Model):
    """One per person who may give feedback on a session. ``answered`` is all that is kept
    of an anonymous answer (no time: the response cannot be matched to it)."""

    __tablename__ = "feedback_invitations"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id", "audience"),
        CheckConstraint(f"audience IN {AUDIENCES!r}", name="audience_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the email invitation was queued (None: not sent, e.g. made when answering).
    emailed_at: Mapped[datetime | None]
    answered: Mapped[bool] = mapped_column(default=False, server_default=false())

    session: Mapped[CourseSession] = relationship()
    user: Mapped[User] = relationship()


class FeedbackResponse(db.Model):
    __tablename__ = "feedback_responses"
    __table_args__ = (
        CheckConstraint(f"audience IN {AUDIENCES!r}", name="audience_known"),
        # Anonymous responses have no respondent; named ones always have one.
        CheckConstraint("(anonymous AND respondent_id IS NULL) OR NOT anonymous", name="anonymous_unlinked"),
        Index("ix_feedback_responses_session_audience", "session_id", "audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(20))
    respondent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    anonymous: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The day only; for an anonymous response the session's last day, not the day it was
    # given, so it cannot be matched by time to anything else.
    given_on: Mapped[date]

    session: Mapped[CourseSession] = relationship()
    respondent: Mapped[User | None] = relationship()
    answers: Mapped[list[FeedbackAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="FeedbackAnswer.id"
    )


class FeedbackAnswer(db.Model):
    __tablename__ = "feedback_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        Index("ix_feedback_answers_question_value", "question_id", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("feedback_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("feedback_questions.id"))
    # The wording and kind the answer was given under (the question may be retired later).
    question_text: Mapped[str] = mapped_column(String(QUESTION_TEXT_MAX))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[int | None]  # rating / agreement 1-5, yes 1 / no 0
    text: Mapped[str | None] = mapped_column(Text)  # free text

    response: Mapped[FeedbackResponse] = relationship(back_populates="answers")
    question: Mapped[FeedbackQuestion] = relationship()


# --- Content reviews -------------------------------------------------------------------------

REVIEW_DRAFT, REVIEW_COMPLETED = "draft", "completed"
REVIEW_STATUSES = (REVIEW_DRAFT, REVIEW_COMPLETED)


class ContentReview(db.Model):
    __tablename__ = "content_reviews"
    __table_args__ = (CheckConstraint(f"status IN {REVIEW_STATUSES!r}", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    held_on: Mapped[date]
    participants: Mapped[str] = mapped_column(Text, default="")  # who took part
    decisions: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=REVIEW_DRAFT)
    version_before: Mapped[int]
    version_after: Mapped[int | None]  # set when completed
    completed_at: Mapped[datetime | None]
    # "You said, we did": written by admins, shown on the course page once published.
    you_said_we_did: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    course: Mapped[Course] = relationship()
    items: Mapped[list[ContentReviewItem]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ContentReviewItem.id"
    )
    actions: Mapped[list[ContentReviewAction]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ContentReviewAction.id"
    )


class ContentReviewItem(db.Model):
    """A piece of feedback the review considered: a comment (an answer) or a question."""

    __tablename__ = "content_review_items"
    __table_args__ = (
        CheckConstraint(
            "(answer_id IS NULL) <> (question_id IS NULL)", name="answer_or_question"
        ),
        UniqueConstraint("answer_id", "review_id"),
        UniqueConstraint("question_id", "review_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("content_reviews.id", ondelete="CASCADE"), index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_answers.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_questions.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[ContentReview] = relationship(back_populates="items")
    answer: Mapped[FeedbackAnswer | None] = relationship()
    question: Mapped[FeedbackQuestion | None] = relationship()


class ContentReviewAction(db.Model):
    __tablename__ = "content_review_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("content_reviews.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(150))  # a person's name or a team
    due_on: Mapped[date | None]
    done_at: Mapped[datetime | None]

    review: Mapped[ContentReview] = relationship(back_populates="actions")
