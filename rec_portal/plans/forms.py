"""Forms for the learning plan. Business rules (positions, which courses can be added,
review dates) live in operations.py; these only read and check what was typed."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from rec_portal.models.plans import GOAL_STATUSES
from rec_portal.plans.operations import PlanRefused, check_review_dates
from rec_portal.web.fields import DateParts

WORDS_MAX = 5000
GOAL_TEXT_MAX = 500
STEPS_MAX = 5000
NOTES_MAX = 10000


def _normalise_newlines(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


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


def goal_field(goal_id: int) -> str:
    """The tutor review form's field for one goal's status."""
    return f"goal_{goal_id}"


class TutorReviewForm(ReviewForm):
    """A personal tutor's review, with the status of each of the student's goals
    (``for_goals`` adds one choice per goal, set to its status now)."""

    goal_fields: list[tuple[object, str]] = []

    @classmethod
    def for_goals(cls, goals, **kwargs) -> TutorReviewForm:
        attrs = {
            goal_field(goal.id): RadioField(
                f"Goal {n}", choices=STATUS_CHOICES, default=goal.status,
                validators=[InputRequired("Choose how this goal is going")],
            )
            for n, goal in enumerate(goals, start=1)
        }
        # Named as the form itself: a draft kept at a timeout is given back to the form of
        # that name (drafts.keeps_typing), and this is the same form with the goals.
        form_class = type(cls.__name__, (cls,), attrs)
        form = form_class(**kwargs)
        form.goal_fields = [(goal, goal_field(goal.id)) for goal in goals]
        return form

    def goal_statuses(self) -> dict[int, str]:
        return {goal.id: self[name].data for goal, name in self.goal_fields}
