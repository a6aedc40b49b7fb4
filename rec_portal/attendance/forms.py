"""Report filters (GET, so no CSRF token)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from rec_portal.stats.terms import parse_term, recent_terms, term_of

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
DEFAULT_DAYS = 91  # about three months
MAX_YEARS = 10


def parse_day(text: str) -> date | None:
    """'2026-11-23' (a date field) or '23/11/2026' (typed); None if neither or not real."""
    text = (text or "").strip()
    if match := _ISO.match(text):
        year, month, day = (int(x) for x in match.groups())
    elif match := _UK.match(text):
        day, month, year = (int(x) for x in match.groups())
    else:
        return None
    if not 2000 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def optional_day(field, example: str) -> date | None:
    """The day typed in a report filter's date ``field`` (None when empty); a clear error
    naming the field when it is not a real date."""
    if not (field.data or "").strip():
        return None
    day = parse_day(field.data)
    if day is None:
        raise ValidationError(f"{field.label.text} must be a real date, for example {example}")
    return day


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
