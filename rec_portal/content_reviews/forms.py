"""Content review forms: they read and check what was typed. The rules (dates, lengths,
what can change once a review is completed) live in operations.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, ValidationError

from rec_portal.content_reviews.operations import RAISE, SAME
from rec_portal.web.fields import DateParts


def _text(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _date_needed(message: str):
    """Empty date boxes (a date that was typed but is not real has its own message)."""

    def check(form, field):
        if field.data is None and not field.errors and not field.process_errors:
            raise ValidationError(message)

    return check


class ReviewForm(FlaskForm):
    """Start a review (date and who took part). Presence is checked here so every missing
    answer is shown at once; operations.py checks again, with the other rules."""

    held_on = DateParts(
        "When was the review held?",
        validators=[_date_needed("Enter the date of the review")],
        invalid_message="Enter a real date for the review, for example 14 3 2026",
    )
    participants = TextAreaField("Who took part", filters=[_text],
                                 validators=[DataRequired("Enter who took part in the review")])


class EditReviewForm(ReviewForm):
    decisions = TextAreaField("Decisions", filters=[_text])


class NoteForm(FlaskForm):
    note = TextAreaField("Note (optional)", filters=[_text])


class ActionForm(FlaskForm):
    description = TextAreaField("What will be done", filters=[_text],
                                validators=[DataRequired("Enter what will be done")])
    owner = StringField("Who will do it", filters=[_text],
                        validators=[DataRequired("Enter who will do it: a person or a team")])
    due_on = DateParts(
        "When is it due?",
        validators=[_date_needed("Enter the date it is due by")],
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
