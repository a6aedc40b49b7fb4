"""Content review forms: they read and check what was typed. The rules (dates, lengths,
what can change once a review is completed) live in operations.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from rec_portal.content_reviews.operations import RAISE, SAME
from rec_portal.plans.forms import DateParts


def _text(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class ReviewForm(FlaskForm):
    """Start a review (date and who took part)."""

    held_on = DateParts(
        "When was the review held?",
        invalid_message="Enter a real date for the review, for example 14 3 2026",
    )
    participants = TextAreaField("Who took part", filters=[_text])


class EditReviewForm(ReviewForm):
    decisions = TextAreaField("Decisions", filters=[_text])


class NoteForm(FlaskForm):
    note = TextAreaField("Note (optional)", filters=[_text])


class ActionForm(FlaskForm):
    description = TextAreaField("What will be done", filters=[_text])
    owner = StringField("Who will do it", filters=[_text])
    due_on = DateParts(
        "When is it due?",
        invalid_message="Enter a real due date, for example 30 4 2026",
    )


class DoneForm(FlaskForm):
    done = HiddenField(default="yes")

    @property
    def is_done(self) -> bool:
        return self.done.data == "yes"


class CompleteForm(FlaskForm):
    change = RadioField(
        "Does the course content change?",
        choices=[SelectChoice(RAISE, "Raise the content version"), SelectChoice(SAME, "No change")],
        default=RAISE,
        validators=[InputRequired("Choose whether the course content changes")],
        validate_choice=False,
    )

    def __init__(self, *args, version: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.change.choices = [
            SelectChoice(RAISE, f"Yes: raise the content version to {version + 1}"),
            SelectChoice(SAME, f"No change to the content: it stays at version {version}"),
        ]


class SummaryForm(FlaskForm):
    summary = TextAreaField("You said, we did", filters=[_text])


class ButtonForm(FlaskForm):
    """A button with a CSRF token (remove, publish, unpublish)."""
