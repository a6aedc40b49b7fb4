"""Forms for facilitator profiles, the roster filters and the roster buttons."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from rec_portal.models.courses import FACILITATOR_ROLE_LABELS, FACILITATOR_ROLES
from rec_portal.models.rosters import BIO_MAX


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ProfileForm(FlaskForm):
    organisation = StringField(
        "Organisation",
        validators=[
            DataRequired("Enter the organisation they work or volunteer for"),
            Length(max=200, message="The organisation must be 200 characters or fewer"),
        ],
        filters=[_strip],
    )
    roles = SelectMultipleField(
        "Facilitator roles",
        choices=[SelectChoice(r, FACILITATOR_ROLE_LABELS[r]) for r in FACILITATOR_ROLES],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validate_choice=False,
    )
    bio = TextAreaField(
        "Short bio",
        validators=[Length(max=BIO_MAX, message=f"The bio must be {BIO_MAX:,} characters or fewer")],
        filters=[_strip],
    )
    active = BooleanField("Active: they can be put on rosters", default=True)

    def validate_roles(self, field):
        chosen = field.data or []
        if not chosen:
            raise ValidationError("Choose at least one facilitator role")
        if any(r not in FACILITATOR_ROLES for r in chosen):
            raise ValidationError("Choose facilitator roles from the list")


class ButtonForm(FlaskForm):
    """A button-only form (CSRF token only): remove, confirm, decline, deactivate."""


class AssignForm(FlaskForm):
    role = HiddenField()
    user_id = IntegerField(
        "Facilitator", validators=[InputRequired("Choose who will cover this role")],
    )


FIRST_YEAR, LAST_YEAR = 2000, 2100


def _parse_day(text: str) -> date:
    """A day typed as 2027-03-14 or 14/03/2027, in the years 2000 to 2100 (the roster has
    nothing outside them, and dates near the end of the calendar cannot be counted on from)."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValidationError(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}, like 2027-03-14")
        return day
    raise ValidationError("Enter a real date, like 2027-03-14")


MAX_RANGE_DAYS = 366
DEFAULT_WEEKS = 8


class RangeForm(Form):
    """The date range of the roster page and PDF (a GET form: no CSRF token)."""

    date_from = StringField("From", name="from", filters=[_strip])
    date_to = StringField("To", name="to", filters=[_strip])
    gaps = BooleanField("Only sessions with gaps")

    def days(self, today: date) -> tuple[date, date] | None:
        """The chosen (first, last) days, or None with errors on the fields."""
        first, last = today, today + timedelta(weeks=DEFAULT_WEEKS)
        ok = True
        if self.date_from.data:
            try:
                first = _parse_day(self.date_from.data)
            except ValidationError as error:
                self.date_from.errors = [str(error)]
                ok = False
        if self.date_to.data:
            try:
                last = _parse_day(self.date_to.data)
            except ValidationError as error:
                self.date_to.errors = [str(error)]
                ok = False
        elif self.date_from.data and ok:
            last = first + timedelta(weeks=DEFAULT_WEEKS)
        if not ok:
            return None
        if last < first:
            self.date_to.errors = ["The end date must be the same as or after the start date"]
            return None
        if (last - first).days > MAX_RANGE_DAYS:
            self.date_to.errors = ["Choose a range of a year or less"]
            return None
        return first, last
