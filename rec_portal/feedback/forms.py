"""The feedback form: one field per question in use (named ``q-<id>``), built for the
questions of the course and audience. The answers are checked by
``operations.submit_feedback`` (the one place the rules are written); the form carries the
CSRF token, keeps what was typed, and shows the messages beside the fields."""

from __future__ import annotations

import re
from typing import ClassVar

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice

from rec_portal.feedback.operations import field_name
from rec_portal.models.feedback import FREE_TEXT, FeedbackQuestion

QUESTION_FIELD = re.compile(r"q-\d{1,9}")


def is_answer_field(name: str) -> bool:
    """The fields a half-finished form keeps when the person's session expires."""
    return name == "anonymous" or QUESTION_FIELD.fullmatch(name) is not None


class _FeedbackForm(FlaskForm):
    questions: ClassVar[list[FeedbackQuestion]] = []

    def question_fields(self):
        """(question, field) in the questions' order."""
        return [(q, self[field_name(q)]) for q in self.questions]


def feedback_form(questions: list[FeedbackQuestion], *, anonymous_choice: bool, draft=None):
    """A form for ``questions``, filled from the request on POST, or from ``draft`` (a
    MultiDict of what was kept when the person's session expired)."""

    class FeedbackForm(_FeedbackForm):
        pass

    FeedbackForm.questions = list(questions)
    for q in questions:
        if q.kind == FREE_TEXT:
            field = TextAreaField(q.text)
        else:
            # Any value is accepted here: the operation checks it and says what is wrong.
            field = RadioField(q.text, choices=[SelectChoice(str(v), words) for v, words in q.choices],
                               validate_choice=False)
        setattr(FeedbackForm, field_name(q), field)
    if anonymous_choice:
        FeedbackForm.anonymous = BooleanField("Answer anonymously")
    return FeedbackForm(formdata=draft) if draft is not None else FeedbackForm()
