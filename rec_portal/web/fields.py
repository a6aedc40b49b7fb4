"""Form fields and parsing that several features' forms share: dates typed into three
boxes (the NHS.UK date input), a day typed into one box of a report filter, and the term
chooser of the termly reports."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from flask_wtf import FlaskForm
from wtforms import Field, SelectField
from wtforms.utils import unset_value
from wtforms.validators import ValidationError

from rec_portal.stats.terms import parse_term, recent_terms, term_of

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")


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


def parse_time(text: str) -> time | None:
    """A clock time typed as '14:30', '14.30' or '1430'; None when it is not one
    ('123' is not: it could be 1:23 or 12:03)."""
    text = (text or "").strip()
    for fmt in ("%H:%M", "%H.%M", "%H%M"):
        if fmt == "%H%M" and not (len(text) == 4 and text.isdigit()):
            continue
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
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


class TermChoiceForm(FlaskForm):
    """``?term=2026-autumn`` (GET, so no CSRF token): this term and the eight before it are
    offered; any real term is accepted (an old bookmark, say). Empty: this term."""

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
