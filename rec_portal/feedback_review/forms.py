"""The dashboard's filters: a plain GET form (no CSRF token), so a filtered page can be
bookmarked, shared with a colleague and opened with JavaScript off."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from rec_portal.web.fields import optional_day
from rec_portal.feedback_review.dashboard import Filters
from rec_portal.models.feedback import FOR_FACILITATORS, FOR_STUDENTS
from rec_portal.timeutil import format_uk

AUDIENCE_CHOICES = [
    SelectChoice(FOR_STUDENTS, "Students' feedback"),
    SelectChoice(FOR_FACILITATORS, "Facilitators' reflections"),
]


class DashboardFilterForm(FlaskForm):
    """Session, session dates (from / to, both included), the question whose comments to
    list, and (admins only) whose feedback: students' or facilitators'."""

    class Meta:
        csrf = False

    session = SelectField("Session", validate_choice=False)
    start = StringField("From", name="from")
    end = StringField("To", name="to")
    question = SelectField("Comments on", validate_choice=False)
    audience = RadioField("Whose feedback", choices=AUDIENCE_CHOICES, default=FOR_STUDENTS, validate_choice=False)

    def __init__(self, *args, sessions=(), questions=(), choose_audience: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not choose_audience:
            del self.audience
        self.session.choices = [SelectChoice("", "All sessions")] + [
            SelectChoice(str(s.id), f"{format_uk(s.starts_at, with_time=False)} (content version {s.version})")
            for s in sessions
        ]
        self.question.choices = [SelectChoice("", "All questions")] + [
            SelectChoice(str(q.id), q.text + (" (retired)" if q.retired_at else "")) for q in questions
        ]
        self.start_day = self.end_day = None

    @staticmethod
    def _listed(field, message: str) -> None:
        if (field.data or "") not in {choice.value for choice in field.choices}:
            raise ValidationError(message)

    def validate_session(self, field):
        self._listed(field, "Choose a session from the list")

    def validate_question(self, field):
        self._listed(field, "Choose a question from the list")

    def validate_audience(self, field):
        self._listed(field, "Choose students' feedback or facilitators' reflections")

    def validate_start(self, field):
        self.start_day = optional_day(field, "1 September 2026")

    def validate_end(self, field):
        self.end_day = optional_day(field, "30 November 2026")
        if self.start_day and self.end_day and self.end_day < self.start_day:
            raise ValidationError("To must be the same as or after From")

    def filters(self, page: int = 1) -> Filters:
        """The filters to apply (only call once the form is valid)."""
        audience = self.audience.data if "audience" in self._fields else FOR_STUDENTS
        return Filters(
            session_id=int(self.session.data) if self.session.data else None,
            start=self.start_day,
            end=self.end_day,
            question_id=int(self.question.data) if self.question.data else None,
            audience=audience or FOR_STUDENTS,
            page=page,
        )
