"""Forms for the question bank. The rules for a question live in
``bank.clean_question_fields``; the forms run the same function, so they are written once."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from rec_portal.feedback.bank import clean_question_fields
from rec_portal.models.feedback import (
    AUDIENCES,
    FOR_FACILITATORS,
    FOR_STUDENTS,
    KIND_LABELS,
    QUESTION_KINDS,
)

AUDIENCE_CHOICES = [
    SelectChoice(FOR_STUDENTS, "Students, after their course"),
    SelectChoice(FOR_FACILITATORS, "Facilitators, as their reflection on a session"),
]
KIND_CHOICES = [SelectChoice(kind, KIND_LABELS[kind]) for kind in QUESTION_KINDS]
ALL_COURSES = ""


class _Radios(RadioField):
    """Radios whose value is checked by ``clean_question_fields`` (one message, in words)."""

    def pre_validate(self, form) -> None:
        return None


class _Select(SelectField):
    def pre_validate(self, form) -> None:
        return None


class QuestionForm(FlaskForm):
    """Add a question, change one with no answers yet, or replace one with a new wording.
    ``audience`` is only asked when adding (set ``ask_audience``)."""

    audience = _Radios("Who is the question for?", choices=AUDIENCE_CHOICES)
    kind = _Radios("What kind of question is it?", choices=KIND_CHOICES)
    text = TextAreaField("Wording of the question")
    hint = StringField("Hint (optional)")
    course_id = _Select("Which course is it asked about?", choices=[])

    def __init__(self, *args, courses=(), ask_audience: bool = True, fixed: tuple[str, str] | None = None,
                 course_was: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ask_audience = ask_audience
        self.fixed = fixed  # (text, kind) that cannot change, nor the course: only the hint is asked
        self.course_was = course_was
        self.course_id.choices = [SelectChoice(ALL_COURSES, "All courses")] + [
            SelectChoice(str(course.id), course.title + (" (archived)" if course.status == "archived" else ""))
            for course in courses
        ]
        if not ask_audience:
            del self.audience
        if fixed:
            del self.text
            del self.kind
            del self.course_id

    def question_fields(self) -> dict:
        text, kind = self.fixed or (self.text.data, self.kind.data)
        return {
            "kind": kind or "",
            "text": text or "",
            "hint": self.hint.data or "",
            "course_id": self.course_was if self.fixed else (self.course_id.data or None),
        }

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        audience = self.audience.data or "" if self.ask_audience else None
        _, problems = clean_question_fields(audience=audience, course_was=self.course_was,
                                            **self.question_fields())
        for key, message in problems.items():
            if key in self:
                self[key].errors = [*self[key].errors, message]
        return valid and not problems

    @classmethod
    def for_question(cls, question, **kwargs):
        return cls(
            data={
                "kind": question.kind,
                "text": question.text,
                "hint": question.hint,
                "course_id": str(question.course_id) if question.course_id else ALL_COURSES,
            },
            **{"course_was": question.course_id, **kwargs},
        )


class MoveForm(FlaskForm):
    direction = HiddenField()
    course = HiddenField()  # the course the list was filtered by, if any

    def validate_direction(self, field):
        if field.data not in ("up", "down"):
            raise ValidationError("Choose up or down")

    def course_filter(self) -> int | None:
        return int(self.course.data) if (self.course.data or "").isdigit() else None


class ConfirmForm(FlaskForm):
    """A button-only form (retire, reinstate, delete): the CSRF token only."""


def audience_choice(value: str | None) -> str:
    return value if value in AUDIENCES else ""
