"""Report filters (GET, so no CSRF token)."""

from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from rec_portal.stats.terms import parse_term, recent_terms, term_of
from rec_portal.web.fields import optional_day

DEFAULT_DAYS = 91  # about three months
MAX_YEARS = 10


class AttendanceReportForm(FlaskForm):
    """From and to dates (both included). Empty: the last three months."""

    class Meta:
        csrf = False

    start = StringField("From", name="from")
    end = StringField("To", name="to")

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.start_day: date = today - timedelta(days=DEFAULT_DAYS)
        self.end_day: date = today

    def validate_start(self, field):
        day = optional_day(field, "1 September 2026")
        if day:
            self.start_day = day

    def validate_end(self, field):
        day = optional_day(field, "30 November 2026")
        if day:
            self.end_day = day
        if self.start.errors:
            return
        if not (self.start.data or "").strip():  # three months up to "To"
            self.start_day = self.end_day - timedelta(days=DEFAULT_DAYS)
        start = self.start_day
        if start > self.end_day:
            raise ValidationError("To must be the same as or after From")
        if (self.end_day - start).days > MAX_YEARS * 366:
            raise ValidationError(f"Choose dates no more than {MAX_YEARS} years apart")

    def check(self) -> bool:
        """Validate; the fields then show the dates used (what was typed, if it was wrong)."""
        valid = self.validate()
        for field, day in ((self.start, self.start_day), (self.end, self.end_day)):
            if not field.errors:
                field.data = day.isoformat()
        return valid


class FacilitatorHoursForm(FlaskForm):
    class Meta:
        csrf = False

    # Any real term is accepted (an old bookmark, say), not only the ones listed.
    term = SelectField("Term", validate_choice=False)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        terms = recent_terms(today)
        self.term.choices = [(t.key, t.label) for t in terms]
        self.default_term = term_of(today)
        if not self.term.data:
            self.term.data = self.default_term.key

    def validate_term(self, field):
        if parse_term(field.data) is None:
            raise ValidationError("Choose a term from the list")

    def chosen(self):
        """The term to show (listed in the choices, even if older than the ones offered)."""
        term = parse_term(self.term.data)
        if term and term.key not in {value for value, _ in self.term.choices}:
            self.term.choices.append((term.key, term.label))
        return term or self.default_term
