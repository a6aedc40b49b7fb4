"""Forms for the learning plan. Business rules (positions, which courses can be added,
review dates) live in operations.py; these only read and check what was typed."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from rec_portal.models.plans import GOAL_STATUSES
from rec_portal.plans.operations import PlanRefused, check_review_dates

WORDS_MAX = 5000
GOAL_TEXT_MAX = 500
STEPS_MAX = 5000
NOTES_MAX = 10000


def _normalise_newlines(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


DATE_PARTS = ("day", "month", "year")


class DateParts(Field):
    """A date typed into three boxes (the NHS.UK date input), posted as ``<name>-day``,
    ``<name>-month`` and ``<name>-year``. Empty boxes mean "no date". What was typed is
    kept (``parts``) when it is not a real date, so the person can put it right."""

    def __init__(self, label=None, validators=None, invalid_message="Enter a real date", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message
        self.parts = dict.fromkeys(DATE_PARTS, "")

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.raw_data = None
        self.data = data if isinstance(data, date) else None
        self.parts = (
            {"day": str(data.day), "month": str(data.month), "year": str(data.year)}
            if isinstance(data, date)
            else dict.fromkeys(DATE_PARTS, "")
        )
        if formdata is None or not any(f"{self.name}-{part}" in formdata for part in DATE_PARTS):
            return
        self.parts = {part: (formdata.get(f"{self.name}-{part}") or "").strip()[:10] for part in DATE_PARTS}
        self.raw_data = [" ".join(value for value in self.parts.values() if value)]
        self.data = None
        if any(self.parts.values()):
            try:
                self.data = self.parse(**self.parts)
            except (ValueError, OverflowError):
                self.process_errors.append(self.invalid_message)

    @staticmethod
    def parse(day: str, month: str, year: str) -> date:
        if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4
                and len(day) <= 2 and len(month) <= 2):
            raise ValueError("not a date")
        return date(int(year), int(month), int(day))

    def _value(self) -> str:
        return " ".join(value for value in self.parts.values() if value)


class OwnWordsForm(FlaskForm):
    hopes = TextAreaField(
        "What I hope to get from the REC",
        validators=[Length(max=WORDS_MAX, message="Please keep this to 5,000 characters or fewer")],
        filters=[_normalise_newlines],
    )
    strengths = TextAreaField(
        "My strengths",
        validators=[Length(max=WORDS_MAX, message="Please keep this to 5,000 characters or fewer")],
        filters=[_normalise_newlines],
    )
    support = TextAreaField(
        "What support helps me learn",
        validators=[Length(max=WORDS_MAX, message="Please keep this to 5,000 characters or fewer")],
        filters=[_normalise_newlines],
    )


STATUS_CHOICES = [SelectChoice(value, label) for value, label in GOAL_STATUSES.items()]


class GoalForm(FlaskForm):
    """A new goal (its status starts as 'not started')."""

    text = TextAreaField(
        "My goal",
        validators=[
            DataRequired("Enter your goal"),
            Length(max=GOAL_TEXT_MAX, message="Your goal must be 500 characters or fewer. You can add the details as steps"),
        ],
        filters=[_normalise_newlines],
    )
    steps = TextAreaField(
        "Steps towards it (optional)",
        validators=[Length(max=STEPS_MAX, message="Please keep the steps to 5,000 characters or fewer")],
        filters=[_normalise_newlines],
    )
    target_date = DateParts(
        "When would you like to reach it? (optional)",
        invalid_message="Enter a real date for when you would like to reach your goal, for example 14 3 2027",
    )


class EditGoalForm(GoalForm):
    status = RadioField(
        "How is it going?",
        choices=STATUS_CHOICES,
        validators=[InputRequired("Choose how your goal is going")],
    )


class GoalStatusForm(FlaskForm):
    status = RadioField(
        "Status", choices=STATUS_CHOICES, validators=[InputRequired("Choose a status")]
    )


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired()])

    def validate_direction(self, field):
        if field.data not in ("up", "down"):
            raise ValidationError("Choose up or down")


class ConfirmForm(FlaskForm):
    """A confirmation button (CSRF token only)."""


class CourseBackForm(FlaskForm):
    # Where the control was used ("course" page or the plan), to send the person back.
    back = HiddenField()


class PlanCourseForm(CourseBackForm):
    course_id = IntegerField(validators=[InputRequired()])


class ReviewForm(FlaskForm):
    review_date = DateParts(
        "Date of the review",
        validators=[InputRequired("Enter the date of the review")],
        invalid_message="Enter a real date for the review, for example 14 3 2027",
    )
    notes = TextAreaField(
        "Notes",
        validators=[
            DataRequired("Enter notes about the review"),
            Length(max=NOTES_MAX, message="Please keep the notes to 10,000 characters or fewer"),
        ],
        filters=[_normalise_newlines],
    )
    next_review_date = DateParts(
        "Next review (optional)",
        invalid_message="Enter a real date for the next review, for example 14 6 2027",
    )

    def validate_next_review_date(self, field):
        try:
            check_review_dates(self.review_date.data, field.data)
        except PlanRefused as refused:
            raise ValidationError(refused.message) from refused
