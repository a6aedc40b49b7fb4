"""Content review rules. Operations flush, never commit; the caller commits once.

A review is a draft until it is completed. Completing it records the course's content
version after the review (raised by one, or unchanged) and sets the course's
``content_version``: sessions not yet completed then deliver the new version (see
``CourseSession.delivered_version``); completed sessions keep the version they recorded.
A completed review is read-only except its "You said, we did" summary (and its
publication) and whether its actions are done.

Audit rows name the review by id only, never its content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select

from rec_portal import audit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.feedback.queries import pooled_answer_ids
from rec_portal.ids import parse_id
from rec_portal.models import Course, CourseSession, User
from rec_portal.models.courses import SCHEDULED
from rec_portal.models.feedback import (
    FREE_TEXT,
    REVIEW_COMPLETED,
    REVIEW_DRAFT,
    ContentReview,
    ContentReviewAction,
    ContentReviewItem,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
)
from rec_portal.timeutil import uk_today, utcnow


def open_reviews(course_id: int) -> list[ContentReview]:
    """The course's draft reviews, newest first (the dashboard offers to add to these)."""
    return list(
        db.session.execute(
            select(ContentReview)
            .where(ContentReview.course_id == course_id, ContentReview.status == REVIEW_DRAFT)
            .order_by(ContentReview.held_on.desc(), ContentReview.id.desc())
        ).scalars()
    )


# --- Limits and refusals ------------------------------------------------------------------

PARTICIPANTS_MAX = 2000
DECISIONS_MAX = 10000
NOTE_MAX = 1000
ACTION_MAX = 1000
OWNER_MAX = 150
SUMMARY_MAX = 2000
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)

RAISE, SAME = "raise", "same"


class ReviewRefused(DomainError):
    """A content review rule refused the change."""


def _audit(event: str, actor, review: ContentReview, what: str | None = None) -> None:
    # The review's id (and for completion the version numbers), never its content.
    detail = f"content review {review.id}" + (f": {what}" if what else "")
    audit.record(event, actor=actor, detail=detail)


def _clean(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def _check_draft(review: ContentReview) -> None:
    if review.status != REVIEW_DRAFT:
        raise ReviewRefused(
            "This review is completed, so it cannot be changed. You can still change its "
            "“You said, we did” summary and mark its actions as done."
        )


def _check_held_on(held_on: date | None, today: date) -> date:
    if held_on is None:
        raise ReviewRefused("Enter the date of the review", field="held_on")
    if held_on < EARLIEST:
        raise ReviewRefused("The date of the review must be in 2000 or later", field="held_on")
    if held_on > today:
        raise ReviewRefused("The date of the review cannot be in the future", field="held_on")
    return held_on


def _check_length(text: str, limit: int, field: str, what: str) -> str:
    if len(text) > limit:
        raise ReviewRefused(f"{what} must be {limit:,} characters or fewer", field=field)
    return text


# --- Starting and editing -----------------------------------------------------------------

def start_review(course: Course, *, held_on: date | None, participants: str, by: User | None,
                 today: date | None = None) -> ContentReview:
    """A new draft review of ``course``, recording the content version it starts from."""
    held_on = _check_held_on(held_on, today or uk_today())
    participants = _check_participants(participants)
    return _new_review(course, held_on, participants, by)


def _check_participants(participants: str) -> str:
    participants = _clean(participants)
    if not participants:
        raise ReviewRefused("Enter who took part in the review", field="participants")
    return _check_length(participants, PARTICIPANTS_MAX, "participants", "Who took part")


def _new_review(course: Course, held_on: date, participants: str, by: User | None) -> ContentReview:
    review = ContentReview(
        course=course, held_on=held_on, participants=participants, status=REVIEW_DRAFT,
        version_before=course.content_version, created_by_id=getattr(by, "id", None),
    )
    db.session.add(review)
    db.session.flush()
    _audit(audit.CONTENT_REVIEW_STARTED, by, review)
    return review


def edit_review(review: ContentReview, *, held_on: date | None, participants: str, decisions: str,
                by: User | None, today: date | None = None) -> ContentReview:
    _check_draft(review)
    held_on = _check_held_on(held_on, today or uk_today())
    participants = _check_participants(participants)
    decisions = _check_length(_clean(decisions), DECISIONS_MAX, "decisions", "The decisions")
    review.held_on, review.participants, review.decisions = held_on, participants, decisions
    db.session.flush()
    _audit(audit.CONTENT_REVIEW_CHANGED, by, review, "details")
    return review


# --- Feedback considered ------------------------------------------------------------------

@dataclass
class Considered:
    review: ContentReview
    comments: int = 0  # comments added
    questions: int = 0  # questions added
    already: int = 0  # selected but already in the review
    ignored: int = 0  # not feedback about this course

    @property
    def message(self) -> str:
        added = [
            f"{n} {word}{'' if n == 1 else 's'}"
            for n, word in ((self.comments, "comment"), (self.questions, "question")) if n
        ]
        parts = []
        if added:
            parts.append(f"Added {' and '.join(added)} to the review.")
        if self.already:
            parts.append(f"{self.already} {'was' if self.already == 1 else 'were'} already in it.")
        if self.ignored:
            parts.append(f"{self.ignored} could not be added because "
                         f"{'it is' if self.ignored == 1 else 'they are'} not feedback about this course.")
        return " ".join(parts)


def _ids(values) -> list[int]:
    """Whole numbers in a sensible range (anything else is not one of ours), in order, once."""
    found: list[int] = []
    for value in values or []:
        number = parse_id(value)
        if number is not None and number not in found:
            found.append(number)
    return found


def consider(review: ContentReview | None, course: Course, answer_ids, question_ids, *,
             by: User | None, today: date | None = None, pooled_refs=()) -> Considered:
    """Add comments (free-text answers from responses to sessions of ``course``) and
    questions (asked about every course or this one) to ``review``, skipping any already
    in it and ignoring any that are not about this course. ``None`` starts a new draft
    review dated today. Refused when nothing selected can be added or kept.

    Comments given with a name are chosen by id; anonymous ones only by their pool
    reference (``pooled_refs``, see feedback/queries.py) and only from a pool that is
    shown: an anonymous answer's id is never taken, or it could be matched to its words."""
    answer_ids, question_ids = _ids(answer_ids), _ids(question_ids)
    refs = list(dict.fromkeys(v for v in (pooled_refs or []) if isinstance(v, str) and v.strip()))
    if not answer_ids and not question_ids and not refs:
        raise ReviewRefused("Select at least one comment or question to add to a review.")
    if review is not None:
        if review.course_id != course.id:
            raise ReviewRefused("That review is about another course.", field="review_id")
        _check_draft(review)

    answers = set(answer_ids and db.session.execute(
        select(FeedbackAnswer.id)
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(
            FeedbackAnswer.id.in_(answer_ids),
            FeedbackAnswer.kind == FREE_TEXT,
            FeedbackAnswer.text.is_not(None),
            FeedbackResponse.anonymous.is_(False),
            CourseSession.course_id == course.id,
        )
    ).scalars())
    pooled = pooled_answer_ids(course.id, refs)
    questions = set(question_ids and db.session.execute(
        select(FeedbackQuestion.id).where(
            FeedbackQuestion.id.in_(question_ids),
            or_(FeedbackQuestion.course_id.is_(None), FeedbackQuestion.course_id == course.id),
        )
    ).scalars())
    result = Considered(review=review)  # type: ignore[arg-type]
    result.ignored = (len(answer_ids) - len(answers) + len(question_ids) - len(questions)
                      + len(refs) - len(pooled))
    if not answers and not questions and not pooled:
        raise ReviewRefused("None of the selected feedback is about this course, so nothing was added.")

    if review is None:
        review = _new_review(course, today or uk_today(), "", by)
        result.review = review
    have_answers = {item.answer_id for item in review.items if item.answer_id}
    have_questions = {item.question_id for item in review.items if item.question_id}
    for answer_id in (a for a in answer_ids if a in answers):
        if answer_id in have_answers:
            result.already += 1
        else:
            review.items.append(ContentReviewItem(answer_id=answer_id))
            result.comments += 1
    for ref in (r for r in refs if r in pooled):
        # Equal words in the same term are the same comment to a reader: add one not in yet.
        fresh = [a for a in pooled[ref] if a not in have_answers]
        if not fresh:
            result.already += 1
        else:
            review.items.append(ContentReviewItem(answer_id=fresh[0]))
            have_answers.add(fresh[0])
            result.comments += 1
    for question_id in (q for q in question_ids if q in questions):
        if question_id in have_questions:
            result.already += 1
        else:
            review.items.append(ContentReviewItem(question_id=question_id))
            result.questions += 1
    db.session.flush()
    if result.comments or result.questions:
        _audit(audit.CONTENT_REVIEW_CHANGED, by, review, "feedback added")
    return result


def _item(review: ContentReview, item_id: int) -> ContentReviewItem:
    for item in review.items:
        if item.id == item_id:
            return item
    raise ReviewRefused("That feedback is not part of this review.")


def set_item_note(review: ContentReview, item_id: int, note: str, *, by: User | None) -> ContentReviewItem:
    _check_draft(review)
    item = _item(review, item_id)
    item.note = _check_length(_clean(note), NOTE_MAX, "note", "The note")
    db.session.flush()
    _audit(audit.CONTENT_REVIEW_CHANGED, by, review, "note")
    return item


def remove_item(review: ContentReview, item_id: int, *, by: User | None) -> None:
    _check_draft(review)
    review.items.remove(_item(review, item_id))
    db.session.flush()
    _audit(audit.CONTENT_REVIEW_CHANGED, by, review, "feedback removed")


# --- Actions ------------------------------------------------------------------------------

def add_action(review: ContentReview, *, description: str, owner: str, due_on: date | None,
               by: User | None) -> ContentReviewAction:
    _check_draft(review)
    description = _clean(description)
    owner = " ".join((owner or "").split())
    if not description:
        raise ReviewRefused("Enter what will be done", field="description")
    _check_length(description, ACTION_MAX, "description", "What will be done")
    if not owner:
        raise ReviewRefused("Enter who will do it: a person or a team", field="owner")
    _check_length(owner, OWNER_MAX, "owner", "Who will do it")
    if due_on is None:
        raise ReviewRefused("Enter the date it is due by", field="due_on")
    if not EARLIEST <= due_on <= LATEST:
        raise ReviewRefused("The due date must be between 2000 and 2100", field="due_on")
    action = ContentReviewAction(description=description, owner=owner, due_on=due_on)
    review.actions.append(action)
    db.session.flush()
    _audit(audit.CONTENT_REVIEW_CHANGED, by, review, "action added")
    return action


def _action(review: ContentReview, action_id: int) -> ContentReviewAction:
    for action in review.actions:
        if action.id == action_id:
            return action
    raise ReviewRefused("That action is not part of this review.")


def mark_action(review: ContentReview, action_id: int, done: bool, *, by: User | None,
                now: datetime | None = None) -> ContentReviewAction:
    """Done or not done: allowed on a completed review too."""
    action = _action(review, action_id)
    if done and action.done_at is None:
        action.done_at = now or utcnow()
    elif not done:
        action.done_at = None
    db.session.flush()
    _audit(audit.CONTENT_REVIEW_CHANGED, by, review, "action done" if done else "action not done")
    return action


def remove_action(review: ContentReview, action_id: int, *, by: User | None) -> None:
    _check_draft(review)
    review.actions.remove(_action(review, action_id))
    db.session.flush()
    _audit(audit.CONTENT_REVIEW_CHANGED, by, review, "action removed")


# --- Completing ---------------------------------------------------------------------------

def lock_course(course_id: int) -> Course | None:
    """The course row, locked until the transaction ends (two reviews completed at once
    cannot both raise the version from the same number)."""
    return db.session.execute(
        select(Course).where(Course.id == course_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def completion_missing(review: ContentReview) -> list[str]:
    """What must be written before the review can be completed (as the end of a sentence
    starting "Before completing the review, ...")."""
    missing = []
    if not review.participants.strip():
        missing.append("write down who took part")
    if not review.decisions.strip():
        missing.append("write down the decisions")
    return missing


def complete_review(review: ContentReview, change: str, *, by: User | None,
                    now: datetime | None = None) -> ContentReview:
    """Complete a draft: ``RAISE`` the course's content version by one, or keep it
    (``SAME``). The version before is the course's version at this moment (another review
    may have raised it since this one started)."""
    _check_draft(review)
    if change not in (RAISE, SAME):
        raise ReviewRefused("Choose whether the course content changes", field="change")
    missing = completion_missing(review)
    if missing:
        raise ReviewRefused(f"Before completing the review, {missing[0]}", field="change")
    course = lock_course(review.course_id)
    # Re-read the review under the course's lock: the same review completed twice at once
    # (a double click, two admins) must not raise the version twice.
    db.session.execute(
        select(ContentReview).where(ContentReview.id == review.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    _check_draft(review)
    before = course.content_version
    after = before + 1 if change == RAISE else before
    review.version_before, review.version_after = before, after
    review.status, review.completed_at = REVIEW_COMPLETED, now or utcnow()
    # Sessions not yet completed deliver this version from now on; completed sessions
    # keep the version they recorded.
    course.content_version = after
    db.session.flush()
    _audit(audit.CONTENT_REVIEW_COMPLETED, by, review, f"course {course.id} version {before} to {after}")
    return review


def sessions_to_come(course_id: int) -> int:
    """How many of the course's sessions are not completed or cancelled yet (they will
    deliver the new version)."""
    return db.session.execute(
        select(func.count()).select_from(CourseSession).where(
            CourseSession.course_id == course_id, CourseSession.status == SCHEDULED,
        )
    ).scalar_one()


# --- "You said, we did" -------------------------------------------------------------------

def set_summary(review: ContentReview, text: str, *, by: User | None) -> ContentReview:
    text = _check_length(_clean(text), SUMMARY_MAX, "summary", "The summary")
    if not text and review.published_at is not None:
        raise ReviewRefused(
            "Write the summary. To take it off the course page, unpublish it instead.",
            field="summary",
        )
    review.you_said_we_did = text
    db.session.flush()
    _audit(audit.CONTENT_REVIEW_CHANGED, by, review, "summary")
    return review


def publish_summary(review: ContentReview, *, by: User | None, now: datetime | None = None) -> ContentReview:
    if review.status != REVIEW_COMPLETED:
        raise ReviewRefused("Complete the review before publishing its “You said, we did” summary.")
    if not review.you_said_we_did.strip():
        raise ReviewRefused("Write the “You said, we did” summary before publishing it.")
    if review.published_at is None:
        review.published_at = now or utcnow()
        db.session.flush()
        _audit(audit.CONTENT_REVIEW_PUBLISHED, by, review)
    return review


def unpublish_summary(review: ContentReview, *, by: User | None) -> ContentReview:
    if review.published_at is not None:
        review.published_at = None
        db.session.flush()
        _audit(audit.CONTENT_REVIEW_UNPUBLISHED, by, review)
    return review
