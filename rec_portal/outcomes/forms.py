"""The questionnaire form and the report's filters. The questionnaire's answers are
checked by ``operations.parse_answers`` (the one place the rules are written); the form
carries the CSRF token, keeps what was typed and shows the messages beside the fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from rec_portal.models.outcomes import CRIME_TYPES, OUTCOME_STAGES, REPORTED_TO, STAGE_LABELS
from rec_portal.outcomes.operations import ANSWER_FIELDS, NO, PREFER_NOT, YES


def is_answer_field(name: str) -> bool:
    """The fields a half-finished questionnaire keeps when the person's session expires."""
    return name in ANSWER_FIELDS


class OutcomeForm(FlaskForm):
    victim = RadioField(
        "In the last 12 months, has anyone committed a crime against you?",
        choices=[SelectChoice(YES, "Yes"), SelectChoice(NO, "No"), SelectChoice(PREFER_NOT, "I would prefer not to say")],
        validate_choice=False,
    )
    times = StringField("How many times has this happened in the last 12 months?")
    crime_types = SelectMultipleField(
        "What kind of crime was it?", choices=[SelectChoice(k, v) for k, v in CRIME_TYPES.items()], validate_choice=False
    )
    reported = RadioField(
        "Did you report it to anyone?", choices=[SelectChoice(YES, "Yes"), SelectChoice(NO, "No")],
        validate_choice=False,
    )
    reported_to = SelectMultipleField(
        "Who did you tell?", choices=[SelectChoice(k, v) for k, v in REPORTED_TO.items()], validate_choice=False
    )
    got_support = RadioField(
        "Did you get support afterwards, for example from a support service, family or friends?",
        choices=[SelectChoice(YES, "Yes"), SelectChoice(NO, "No")], validate_choice=False,
    )


class ReportFilterForm(FlaskForm):
    """Stage and quarters (from / to, both included): a plain GET form, bookmarkable."""

    class Meta:
        csrf = False

    stage = SelectField("Stage", validate_choice=False)
    start = SelectField("From", name="from", validate_choice=False)
    end = SelectField("To", name="to", validate_choice=False)

    def __init__(self, *args, quarters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.stage.choices = [SelectChoice("", "All stages")] + [
            SelectChoice(stage, STAGE_LABELS[stage]) for stage in OUTCOME_STAGES
        ]
        quarter_choices = [SelectChoice(q.key, q.label) for q in quarters]
        self.start.choices = [SelectChoice("", "The first quarter")] + quarter_choices
        self.end.choices = [SelectChoice("", "The latest quarter")] + quarter_choices

    @staticmethod
    def _listed(field, message: str) -> None:
        if (field.data or "") not in {choice.value for choice in field.choices}:
            raise ValidationError(message)

    def validate_stage(self, field):
        self._listed(field, "Choose a stage from the list")

    def validate_start(self, field):
        self._listed(field, "Choose a quarter from the list")

    def validate_end(self, field):
        self._listed(field, "Choose a quarter from the list")
