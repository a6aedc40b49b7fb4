"""Tutoring forms: they read and check what was typed. The rules (who may be a tutor, one
open conversation at a time, a date in the future) live in operations.py."""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from rec_portal.models.tutoring import DEFAULT_REVIEW_MONTHS, REVIEW_MONTHS_CHOICES, WAYS
from rec_portal.timeutil import uk_to_utc
from rec_portal.tutoring.operations import DETAILS_MAX, NOTE_MAX, WHEN_SUITS_MAX
from rec_portal.web.fields import DateParts, parse_time


def _text(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def months_label(n: int) -> str:
    return "Every month" if n == 1 else f"Every {n} months"


class AssignForm(FlaskForm):
    tutor_id = SelectField("Personal tutor", validate_choice=False,
                           validators=[InputRequired("Choose a tutor from the list")])
    review_every_months = SelectField(
        "How often is their learning plan reviewed?",
        choices=[SelectChoice(str(n), months_label(n)) for n in REVIEW_MONTHS_CHOICES],
        default=str(DEFAULT_REVIEW_MONTHS), validate_choice=False,
    )

    def validate_tutor_id(self, field):
        if not (field.data or "").isdigit():
            raise ValidationError("Choose a tutor from the list")

    def validate_review_every_months(self, field):
        if not (field.data or "").isdigit() or int(field.data) not in REVIEW_MONTHS_CHOICES:
            raise ValidationError("Choose how often their plan is reviewed")

    @classmethod
    def for_tutors(cls, tutors, **kwargs) -> AssignForm:
        form = cls(**kwargs)
        form.tutor_id.choices = [SelectChoice("", "Choose a tutor")] + [
            SelectChoice(str(t.id), t.full_name) for t in tutors]
        return form


class AskForm(FlaskForm):
    way = RadioField(
        "How would you like to talk?",
        choices=[SelectChoice(code, label) for code, label in WAYS.items()],
        validators=[InputRequired("Choose how you would like to talk")],
        validate_choice=False,
    )
    when_suits = StringField(
        "When suits you? (optional)", filters=[_text],
        validators=[Length(max=WHEN_SUITS_MAX, message=f"Please keep this to {WHEN_SUITS_MAX} characters or fewer")],
    )
    note = TextAreaField(
        "Anything you would like to talk about? (optional)", filters=[_text],
        validators=[Length(max=NOTE_MAX, message=f"Please keep this to {NOTE_MAX:,} characters or fewer")],
    )

    def validate_way(self, field):
        if field.data not in WAYS:
            raise ValidationError("Choose how you would like to talk")


def _date_needed(form, field):
    if field.data is None and not field.errors and not field.process_errors:
        raise ValidationError("Enter the date of the conversation")


def _time_needed(form, field):
    if not (field.data or "").strip():
        raise ValidationError("Enter the time, for example 10:30")
    if parse_time(field.data) is None:
        raise ValidationError("Enter the time as hours and minutes, for example 14:30")


class ArrangeForm(FlaskForm):
    day = DateParts("Date", validators=[_date_needed],
                    invalid_message="Enter a real date for the conversation, for example 14 3 2027")
    time = StringField("Time", filters=[_text], validators=[_time_needed])
    details = StringField(
        "Where, or how to join", filters=[_text],
        validators=[InputRequired("Enter where the conversation will be, or how to join it"),
                    Length(max=DETAILS_MAX, message=f"Please keep this to {DETAILS_MAX} characters or fewer")],
    )

    def when(self) -> datetime | None:
        clock = parse_time(self.time.data)
        if self.day.data is None or clock is None:
            return None
        return uk_to_utc(self.day.data, clock)


class ButtonForm(FlaskForm):
    """A button that only needs its CSRF token."""
