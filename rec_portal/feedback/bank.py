"""The question bank: which questions are asked, of whom, about which course, in what
order. Answers keep the wording they were given under (``FeedbackAnswer.question_text``),
so a question that has answers is retired, never deleted, and its wording is never
changed in place: "replace" retires it and adds the new wording at the same position.
A question with no answers yet (a mistake just made) may be changed freely or deleted.

Operations flush, never commit; the caller commits once. Every change is audited with the
question's id only, never its wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, lazyload

from rec_portal import audit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.feedback.queries import counted
from rec_portal.ids import parse_id
from rec_portal.models import Course, CourseSession
from rec_portal.models.courses import ARCHIVED
from rec_portal.models.feedback import (
    AUDIENCES,
    QUESTION_KINDS,
    QUESTION_TEXT_MAX,
    ContentReviewItem,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
)
from rec_portal.timeutil import utcnow

STEP = 10  # gap between positions, so a question can be put between two others

ADDED, EDITED, REPLACED, RETIRED, REINSTATED, MOVED, DELETED = (
    "added", "edited", "replaced", "retired", "reinstated", "moved", "deleted",
)


class QuestionRefused(DomainError):
    """A question bank rule refused the change."""


# The questions a new REC starts with (migration 0008 seeds the same list, keeping its own
# copy, as a migration must not change when the app does; except the last facilitator
# question: 0008's "Do you have any concerns?" was retired by 0015, since worries about
# someone's safety have their own section of the reflection and never go into feedback).
DEFAULT_QUESTIONS = [
    # (audience, kind, text, hint)
    ("student", "rating", "Overall, how would you rate the course?", ""),
    ("student", "agreement", "The course met my expectations.", ""),
    ("student", "agreement", "Having a peer trainer co-deliver the course helped me.",
     "A peer trainer is someone with their own lived experience of mental health problems."),
    ("student", "yes_no", "Would you recommend the course to someone else?", ""),
    ("student", "text", "What was most helpful?", ""),
    ("student", "text", "What would you change?", ""),
    ("facilitator", "text", "What worked well?", ""),
    ("facilitator", "text", "What did not work so well?", ""),
    ("facilitator", "text", "Is there any content you would change?", "Say which part of the course, and how."),
    ("facilitator", "text", "Anything else about the session or the venue?",
     ("For example the room, the equipment or the timings. If you are worried about someone's safety, "
      "use the separate \"I am worried about someone's safety\" section instead: it goes to the "
      "support lead, not into feedback.")),
]


def ensure_default_questions() -> int:
    """Add the default questions for any audience whose bank is empty (none at all, not even
    retired ones), as on a database emptied by hand; returns how many were added."""
    have = set(db.session.execute(select(FeedbackQuestion.audience).distinct()).scalars())
    added = 0
    for n, (audience, kind, text, hint) in enumerate(DEFAULT_QUESTIONS):
        if audience not in have:
            db.session.add(FeedbackQuestion(audience=audience, kind=kind, text=text, hint=hint,
                                            position=STEP * (n + 1)))
            added += 1
    db.session.flush()
    return added


def questions_for(course_id: int, audience: str) -> list[FeedbackQuestion]:
    """The questions in use (not retired) for ``audience`` about the course: those for
    every course and those for this one, in their order."""
    return list(
        db.session.execute(
            select(FeedbackQuestion)
            .where(
                FeedbackQuestion.audience == audience,
                FeedbackQuestion.retired_at.is_(None),
                or_(FeedbackQuestion.course_id.is_(None), FeedbackQuestion.course_id == course_id),
            )
            .order_by(FeedbackQuestion.position, FeedbackQuestion.id)
        ).scalars()
    )


# --- reading the bank ------------------------------------------------------------------------

@dataclass
class Bank:
    """Everything the bank page shows, from a fixed number of queries."""

    active: dict[str, list[FeedbackQuestion]]  # audience -> questions in use, in order
    retired: list[FeedbackQuestion]  # most recently retired first
    answer_counts: dict[int, int]  # question id -> answers given under it (as staff may see them)
    asked: set[int]  # ids of questions already asked after a session (bank.has_been_asked)
    replaced_by: dict[int, FeedbackQuestion]  # question id -> the question that replaced it
    by_id: dict[int, FeedbackQuestion]


def answer_counts() -> dict[int, int]:
    """How many answers each question has, as staff may see them: answers given with a
    name, and anonymous ones only in shown pools (feedback/queries.py), so that the
    count minus the named answers never tells how many answered anonymously, nor when.
    Two statements."""
    return dict(
        db.session.execute(
            select(FeedbackAnswer.question_id, func.count())
            .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
            .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
            .where(counted())
            .group_by(FeedbackAnswer.question_id)
        ).all()
    )


def shown_answer_count(question: FeedbackQuestion) -> int:
    """:func:`answer_counts` for one question (what pages show)."""
    return db.session.execute(
        select(func.count())
        .select_from(FeedbackAnswer)
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(FeedbackAnswer.question_id == question.id, counted(question.course_id))
    ).scalar_one()


def answer_count(question: FeedbackQuestion) -> int:
    return db.session.execute(
        select(func.count()).select_from(FeedbackAnswer).where(FeedbackAnswer.question_id == question.id)
    ).scalar_one()


def _latest_completed_ends() -> dict[int | None, datetime]:
    """When the latest completed session of each course ended (None: of any course)."""
    from rec_portal.models.courses import COMPLETED

    latest = dict(db.session.execute(
        select(CourseSession.course_id, func.max(CourseSession.ends_at))
        .where(CourseSession.status == COMPLETED)
        .group_by(CourseSession.course_id)
    ).all())
    latest[None] = max(latest.values(), default=None)
    return latest


def _asked(question: FeedbackQuestion, latest: dict[int | None, datetime]) -> bool:
    from rec_portal.feedback.window import open_days

    ended = latest.get(question.course_id)
    return ended is not None and ended >= question.created_at - timedelta(days=open_days() + 2)


def has_been_asked(question: FeedbackQuestion) -> bool:
    """Whether the question has been on a feedback form someone could answer: a completed
    session it is asked about whose feedback was still open after the question was added.
    From then on it is treated as answered (its wording is kept, it cannot be deleted),
    whether or not anyone did answer: so the moment the first answer arrives, which may be
    an anonymous one, never shows on the question bank."""
    return _asked(question, _latest_completed_ends()) or bool(answer_count(question))


def _asked_about(course_id: int | None):
    """Questions asked about the course (every-course ones and its own); all when None."""
    if course_id is None:
        return True
    return or_(FeedbackQuestion.course_id.is_(None), FeedbackQuestion.course_id == course_id)


def load_bank(course_id: int | None = None) -> Bank:
    """The whole bank, or only the questions asked about one course."""
    questions = list(
        db.session.execute(
            select(FeedbackQuestion)
            .options(joinedload(FeedbackQuestion.course).lazyload(Course.roles_needed))
            .where(_asked_about(course_id))
            .order_by(FeedbackQuestion.position, FeedbackQuestion.id)
        ).scalars()
    )
    active: dict[str, list[FeedbackQuestion]] = {audience: [] for audience in AUDIENCES}
    retired = []
    for question in questions:
        if question.retired_at is None:
            active[question.audience].append(question)
        else:
            retired.append(question)
    retired.sort(key=lambda q: (q.retired_at, q.id), reverse=True)
    latest = _latest_completed_ends()
    return Bank(
        active=active,
        retired=retired,
        answer_counts=answer_counts(),
        asked={q.id for q in questions if _asked(q, latest)},
        replaced_by={q.replaces_id: q for q in questions if q.replaces_id is not None},
        by_id={q.id: q for q in questions},
    )


def courses_to_choose() -> list[Course]:
    """Courses a new question can be about: every course that is not archived."""
    return list(
        db.session.execute(
            select(Course).options(lazyload(Course.roles_needed))
            .where(Course.status != ARCHIVED).order_by(Course.title, Course.id)
        ).scalars()
    )


def courses_in_filter() -> list[Course]:
    """Courses to filter the bank by: those not archived, and any a question is about."""
    with_questions = select(FeedbackQuestion.course_id).where(FeedbackQuestion.course_id.is_not(None))
    return list(
        db.session.execute(
            select(Course)
            .options(lazyload(Course.roles_needed))
            .where(or_(Course.status != ARCHIVED, Course.id.in_(with_questions)))
            .order_by(Course.title, Course.id)
        ).scalars()
    )


# --- the rules for a question's fields ------------------------------------------------------

FIELD_ORDER = ("audience", "kind", "text", "hint", "course_id")


def clean_question_fields(
    *, audience: str | None = None, kind: str = "", text: str = "", hint: str = "",
    course_id: int | str | None = None, course_was: int | None = None,
) -> tuple[dict, dict[str, str]]:
    """The fields tidied up, and the problems found (field -> message, in form order).
    ``audience`` None means "not asked" (an edit); ``course_was`` is the course a question
    already has, which stays choosable even if that course is archived now."""
    fields = {
        "kind": (kind or "").strip(),
        "text": " ".join((text or "").split()),
        "hint": " ".join((hint or "").split()),
        "course_id": None,
    }
    errors: dict[str, str] = {}
    if audience is not None:
        fields["audience"] = (audience or "").strip()
        if fields["audience"] not in AUDIENCES:
            errors["audience"] = "Choose who the question is for"
    if fields["kind"] not in QUESTION_KINDS:
        errors["kind"] = "Choose the kind of question"
    if not fields["text"]:
        errors["text"] = "Enter the wording of the question"
    elif len(fields["text"]) > QUESTION_TEXT_MAX:
        errors["text"] = f"The wording must be {QUESTION_TEXT_MAX} characters or fewer"
    if len(fields["hint"]) > QUESTION_TEXT_MAX:
        errors["hint"] = f"The hint must be {QUESTION_TEXT_MAX} characters or fewer"
    raw_course = str(course_id).strip() if course_id is not None else ""
    if raw_course:
        wanted = parse_id(raw_course)
        course = db.session.get(Course, wanted) if wanted is not None else None
        if course is None or (course.status == ARCHIVED and course.id != course_was):
            errors["course_id"] = "Choose a course from the list, or all courses"
        else:
            fields["course_id"] = course.id
    return fields, {key: errors[key] for key in FIELD_ORDER if key in errors}


def _checked(audience: str | None, exclude_id: int | None = None, course_was: int | None = None,
             **raw) -> dict:
    fields, errors = clean_question_fields(audience=audience, course_was=course_was, **raw)
    if errors:
        key, message = next(iter(errors.items()))
        raise QuestionRefused(message, field=key)
    same = db.session.execute(
        select(FeedbackQuestion.id).where(
            FeedbackQuestion.audience == (fields.get("audience") or audience),
            FeedbackQuestion.retired_at.is_(None),
            func.lower(FeedbackQuestion.text) == fields["text"].lower(),
            FeedbackQuestion.id != (exclude_id or -1),
        )
    ).first()
    if same:
        raise QuestionRefused(
            "There is already a question with this wording for the same people. "
            "Change the wording, or edit the question that is already there.",
            field="text",
        )
    return fields


def _audit(actor, action: str, question: FeedbackQuestion, extra: str = "") -> None:
    audit.record(
        audit.FEEDBACK_QUESTION_CHANGED, actor=actor,
        detail=f"{action} question {question.id}{extra}",
    )


def _active(audience: str) -> list[FeedbackQuestion]:
    return list(
        db.session.execute(
            select(FeedbackQuestion)
            .where(FeedbackQuestion.audience == audience, FeedbackQuestion.retired_at.is_(None))
            .order_by(FeedbackQuestion.position, FeedbackQuestion.id)
            .with_for_update()
        ).scalars()
    )


def _next_position(audience: str) -> int:
    last = db.session.execute(
        select(func.max(FeedbackQuestion.position)).where(
            FeedbackQuestion.audience == audience, FeedbackQuestion.retired_at.is_(None)
        )
    ).scalar()
    return (last or 0) + STEP


# --- changes ---------------------------------------------------------------------------------

def add_question(actor, *, audience: str, kind: str, text: str, hint: str = "",
                 course_id: int | str | None = None) -> FeedbackQuestion:
    """Add a question at the end of its audience's list."""
    fields = _checked(audience, kind=kind, text=text, hint=hint, course_id=course_id)
    question = FeedbackQuestion(
        **fields, position=_next_position(fields["audience"]), created_by_id=getattr(actor, "id", None)
    )
    db.session.add(question)
    db.session.flush()
    _audit(actor, ADDED, question)
    return question


def update_question(actor, question: FeedbackQuestion, *, kind: str, text: str, hint: str = "",
                    course_id: int | str | None = None) -> FeedbackQuestion:
    """Change a question in place. Once it has been asked after a session only the hint may
    change: the wording, kind and course answers were given under must stay as they were."""
    if question.retired_at is not None:
        raise QuestionRefused("This question is retired. Reinstate it before changing it.")
    fields = _checked(question.audience, exclude_id=question.id, course_was=question.course_id,
                      kind=kind, text=text, hint=hint, course_id=course_id)
    changed = [name for name in ("text", "kind", "course_id") if fields[name] != getattr(question, name)]
    if changed and has_been_asked(question):
        # The course is fixed too: moved to a course that has not run, whether the question
        # is still locked would tell whether it had been answered, perhaps anonymously.
        raise QuestionRefused(
            "This question has already been asked after a session, so its wording, kind and "
            "course cannot be changed. Replace it with a new question instead.",
            field=changed[0],
        )
    for key, value in fields.items():
        setattr(question, key, value)
    db.session.flush()
    _audit(actor, EDITED, question)
    return question


def replace_question(actor, old: FeedbackQuestion, *, kind: str, text: str, hint: str = "",
                     course_id: int | str | None = None) -> FeedbackQuestion:
    """Retire ``old`` and add the new wording in its place (same audience and position).
    Answers already given keep the old wording."""
    if old.retired_at is not None:
        raise QuestionRefused("This question is already retired, so it cannot be replaced.")
    fields = _checked(old.audience, exclude_id=old.id, course_was=old.course_id,
                      kind=kind, text=text, hint=hint, course_id=course_id)
    if fields["text"] == old.text and fields["kind"] == old.kind:
        raise QuestionRefused(
            "The new wording is the same as the old one. Change the wording or the kind of "
            "question, or change the hint and course without replacing it.",
            field="text",
        )
    old.retired_at = utcnow()
    new = FeedbackQuestion(
        **fields, position=old.position, replaces_id=old.id,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(new)
    db.session.flush()
    _audit(actor, REPLACED, old, extra=f" with question {new.id}")
    return new


def retire_question(actor, question: FeedbackQuestion) -> None:
    """Stop asking a question. It and its answers are kept."""
    if question.retired_at is not None:
        raise QuestionRefused("This question is already retired.")
    question.retired_at = utcnow()
    db.session.flush()
    _audit(actor, RETIRED, question)


def replacement_in_use(question: FeedbackQuestion) -> FeedbackQuestion | None:
    return db.session.execute(
        select(FeedbackQuestion).where(
            FeedbackQuestion.replaces_id == question.id, FeedbackQuestion.retired_at.is_(None)
        )
    ).scalars().first()


def reinstate_question(actor, question: FeedbackQuestion) -> None:
    """Ask a retired question again, at the end of its audience's list."""
    if question.retired_at is None:
        raise QuestionRefused("This question is already being asked.")
    newer = replacement_in_use(question)
    if newer is not None:
        raise QuestionRefused(
            f"This question was replaced by “{newer.text}”, which is still being asked. "
            "Retire that one first if you want this wording back."
        )
    _checked(question.audience, exclude_id=question.id, course_was=question.course_id,
             kind=question.kind, text=question.text, hint=question.hint, course_id=question.course_id)
    question.position = _next_position(question.audience)
    question.retired_at = None
    db.session.flush()
    _audit(actor, REINSTATED, question)


def move_question(actor, question: FeedbackQuestion, direction: str,
                  course_id: int | None = None) -> bool:
    """Swap the question with the one before ("up") or after ("down") it, among the
    questions in use for its audience (only those asked about ``course_id`` when given,
    so the order a course's students see is the one changed). False: already at the end."""
    if direction not in ("up", "down"):
        raise QuestionRefused("Choose whether to move the question up or down")
    if question.retired_at is not None:
        raise QuestionRefused("This question is retired, so it has no place in the order.")
    questions = _active(question.audience)
    for number, each in enumerate(questions, start=1):  # even gaps, no ties
        each.position = number * STEP
    shown = [q for q in questions
             if course_id is None or q.course_id is None or q.course_id == course_id or q.id == question.id]
    index = next(i for i, q in enumerate(shown) if q.id == question.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(shown):
        db.session.flush()
        return False
    neighbour = shown[other]
    question.position, neighbour.position = neighbour.position, question.position
    db.session.flush()
    _audit(actor, MOVED, question, extra=f" {direction}")
    return True


def deletion_refusal(question: FeedbackQuestion) -> str | None:
    """Why the question cannot be deleted, or None. Only a question nobody has answered,
    and nothing else refers to, may be deleted."""
    if has_been_asked(question):
        return ("This question has already been asked after a session, so it cannot be "
                "deleted: any answers keep the wording they were given under. You can retire "
                "it instead.")
    used = db.session.execute(
        select(FeedbackQuestion.id).where(FeedbackQuestion.replaces_id == question.id).limit(1)
    ).first() or db.session.execute(
        select(ContentReviewItem.id).where(ContentReviewItem.question_id == question.id).limit(1)
    ).first()
    if used:
        return ("Another question or a content review refers to this question, so it cannot be "
                "deleted. You can retire it instead.")
    return None


def delete_question(actor, question: FeedbackQuestion) -> None:
    """Delete a question nobody has answered (a mistake just made)."""
    refusal = deletion_refusal(question)
    if refusal:
        raise QuestionRefused(refusal)
    _audit(actor, DELETED, question)
    db.session.delete(question)
    db.session.flush()
