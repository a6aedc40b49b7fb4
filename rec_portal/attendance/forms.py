"""Report filters (GET, so no CSRF token)."""

from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from rec_portal.web.fields import TermChoiceForm, optional_day

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


class FacilitatorHoursForm(TermChoiceForm):
    """The facilitator-hours report's term (the term chooser every termly report shares)."""
