"""Forms for managing courses and scheduling sessions."""

from __future__ import annotations

from datetime import date, datetime, time

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from rec_portal.scheduling.operations import DateRange, session_problems
from rec_portal.models.courses import (
    COURSE_THEMES,
    DELIVERY_LABELS,
    FACILITATOR_ROLE_LABELS,
    FACILITATOR_ROLES,
)
from rec_portal.timeutil import to_uk, uk_day_start, uk_to_utc, utcnow
from rec_portal.web.fields import parse_time

AUDIENCES = [
    SelectChoice("service_users", "People who use mental health services"),
    SelectChoice("carers", "Carers, family and friends"),
    SelectChoice("staff", "Staff"),
]
MAX_DATES = 8
SHOWN_DATES = 4  # empty rows offered on a new session (no JavaScript needed to add one)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CourseForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter a title"), Length(max=150)], filters=[_strip])
    slug = StringField("Web address (optional)", validators=[Length(max=80)], filters=[_strip])
    summary = TextAreaField(
        "Summary", validators=[DataRequired("Enter a summary of one or two sentences"), Length(max=300, message="The summary must be 300 characters or fewer")],
        filters=[_strip],
    )
    description = TextAreaField("Description", filters=[_strip])
    learning_outcomes = TextAreaField("Learning outcomes (one per line)", filters=[_strip])
    audience = SelectMultipleField(
        "Who is it for?", choices=AUDIENCES, option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    duration = StringField("Duration", validators=[Length(max=100)], filters=[_strip])
    delivery = RadioField(
        "How is it delivered?", choices=[SelectChoice(k, v) for k, v in DELIVERY_LABELS.items()],
        validators=[InputRequired("Choose how the course is delivered")],
    )
    theme = SelectField(
        "Theme",
        choices=[SelectChoice("", "Choose a theme"), *(SelectChoice(k, v) for k, v in COURSE_THEMES.items())],
        default="",
        validate_choice=False,
    )
    what_to_expect = TextAreaField("What to expect", filters=[_strip])
    accessibility = TextAreaField("Accessibility information", filters=[_strip])
    coproduction_note = TextAreaField("Co-production note", filters=[_strip])
    supporters_take_place = BooleanField("Supporters take a place")
    content_version = IntegerField(
        "Content version", default=1,
        validators=[InputRequired("Enter the content version, a whole number like 1"), NumberRange(min=1, message="The content version must be 1 or more")],
    )

    def course_fields(self) -> dict:
        chosen = set(self.audience.data or [])
        return {
            "title": self.title.data,
            "summary": self.summary.data,
            "description": self.description.data or "",
            "learning_outcomes": self.learning_outcomes.data or "",
            "for_service_users": "service_users" in chosen,
            "for_carers": "carers" in chosen,
            "for_staff": "staff" in chosen,
            "duration": self.duration.data or "",
            "delivery": self.delivery.data,
            "theme": self.theme.data or "",
            "what_to_expect": self.what_to_expect.data or "",
            "accessibility": self.accessibility.data or "",
            "coproduction_note": self.coproduction_note.data or "",
            "content_version": self.content_version.data,
            "supporters_take_place": bool(self.supporters_take_place.data),
        }

    def validate_theme(self, field):
        if (field.data or "") not in ("", *COURSE_THEMES):
            raise ValidationError("Choose a theme from the list")

    def roles(self) -> dict[str, int]:
        return {role: self[f"role_{role}"].data or 0 for role in FACILITATOR_ROLES}

    @classmethod
    def for_course(cls, course):
        data = {
            name: getattr(course, name)
            for name in ("title", "slug", "summary", "description", "learning_outcomes", "duration",
                         "delivery", "theme", "what_to_expect", "accessibility", "coproduction_note", "content_version",
                         "supporters_take_place")
        }
        data["audience"] = [
            key for key, flag in (("service_users", course.for_service_users), ("carers", course.for_carers),
                                  ("staff", course.for_staff)) if flag
        ]
        for need in course.roles_needed:
            data[f"role_{need.role}"] = need.count
        return cls(data=data)


for _role in FACILITATOR_ROLES:
    setattr(
        CourseForm,
        f"role_{_role}",
        IntegerField(
            FACILITATOR_ROLE_LABELS[_role], default=0,
            validators=[Optional(), NumberRange(min=0, max=10, message="Enter a number from 0 to 10")],
        ),
    )


def _parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValidationError("Enter a real date, like 2027-03-14")


def _parse_time(text: str) -> time:
    found = parse_time(text)
    if found is None:
        raise ValidationError("Enter a time like 10:00 or 14:30")
    return found


class DateRow(Form):
    day = StringField("Date")
    start = StringField("Starts")
    end = StringField("Ends")

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.day, self.start, self.end))

    def validate(self, extra_validators=None):
        if self.is_blank():
            return True
        ok = True
        for field, parse in ((self.day, _parse_date), (self.start, _parse_time), (self.end, _parse_time)):
            if not (field.data or "").strip():
                field.errors = ["Enter the date, start time and end time"]
                ok = False
                continue
            try:
                parse(field.data)
            except ValidationError as error:
                field.errors = [str(error)]
                ok = False
        return ok

    def as_range(self, row: int | None = None) -> DateRange | None:
        if self.is_blank():
            return None
        day = _parse_date(self.day.data)
        return DateRange(uk_to_utc(day, _parse_time(self.start.data)),
                         uk_to_utc(day, _parse_time(self.end.data)), row=row)


class SessionForm(FlaskForm):
    dates = FieldList(FormField(DateRow), min_entries=SHOWN_DATES, max_entries=MAX_DATES)
    venue = TextAreaField("Venue (address and room)", filters=[_strip])
    online_details = TextAreaField("Online joining details (only booked students see them)", filters=[_strip])
    capacity = IntegerField(
        "Places", validators=[InputRequired("Enter how many places there are"), NumberRange(min=1, max=500, message="Enter a number of places from 1 to 500")],
    )
    booking_opens = StringField("Booking opens (optional)", filters=[_strip])
    booking_closes = StringField("Booking closes (optional)", filters=[_strip])

    # The (start, end) pairs the session being changed already has: they may be in the
    # past (a course that has begun). Empty for a new session.
    kept_dates: frozenset = frozenset()

    def validate_booking_opens(self, field):
        if field.data:
            _parse_date(field.data)

    def validate_booking_closes(self, field):
        if field.data:
            _parse_date(field.data)

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks, then the session rules (scheduling.operations.
        session_problems) on whatever could be read, so every problem is shown at once."""
        ok = super().validate(extra_validators)
        dates = [
            row.form.as_range(row=i) for i, row in enumerate(self.dates)
            if not row.form.is_blank() and not any(f.errors for f in row.form)
        ]
        # A row that could not be read has said why: "add at least one date" is only for
        # a form whose rows are all empty.
        unreadable = any(
            not row.form.is_blank() and any(f.errors for f in row.form) for row in self.dates
        )
        opens = closes = None
        if not self.booking_opens.errors and not self.booking_closes.errors:
            opens, closes = self.window()
        problems = session_problems(
            dates,
            capacity=None if self.capacity.errors else self.capacity.data,
            venue=self.venue.data or "",
            online_details=self.online_details.data or "",
            booking_opens_at=opens,
            booking_closes_at=closes,
            now=utcnow(),
            kept=self.kept_dates,
        )
        for field, message in problems:
            if field == "dates" and unreadable:
                continue
            self.add_problem(field, message)
        return ok and not problems

    def add_problem(self, field: str, message: str) -> None:
        """Show a session rule's problem (scheduling.operations.SessionRefused) at its field."""
        target = self._problem_field(field)
        if message not in target.errors:
            target.errors = [*target.errors, message]

    def _problem_field(self, field: str):
        if field.startswith("dates-"):
            _, row, part = field.split("-")
            if int(row) < len(self.dates.entries):
                return self.dates.entries[int(row)].form[part]
        if field in ("venue", "capacity", "booking_closes", "booking_opens"):
            return self[field]
        return self.dates.entries[0].form.day

    def date_ranges(self) -> list[DateRange]:
        return [r for r in (row.form.as_range(row=i) for i, row in enumerate(self.dates)) if r is not None]

    def window(self):
        opens = uk_day_start(_parse_date(self.booking_opens.data)) if self.booking_opens.data else None
        closes = uk_to_utc(_parse_date(self.booking_closes.data), time(23, 59)) if self.booking_closes.data else None
        return opens, closes

    def session_fields(self) -> dict:
        opens, closes = self.window()
        return {
            "dates": self.date_ranges(),
            "capacity": self.capacity.data,
            "venue": self.venue.data or "",
            "online_details": self.online_details.data or "",
            "booking_opens_at": opens,
            "booking_closes_at": closes,
        }

    @classmethod
    def for_session(cls, session):
        rows = []
        for d in session.dates:
            start, end = to_uk(d.starts_at), to_uk(d.ends_at)
            rows.append({"day": f"{start:%Y-%m-%d}", "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"})
        return cls(data={
            "dates": rows + [{}] * max(min(MAX_DATES - len(rows), 1), SHOWN_DATES - len(rows)),
            "venue": session.venue,
            "online_details": session.online_details,
            "capacity": session.capacity,
            "booking_opens": f"{to_uk(session.booking_opens_at):%Y-%m-%d}" if session.booking_opens_at else "",
            "booking_closes": f"{to_uk(session.booking_closes_at):%Y-%m-%d}" if session.booking_closes_at else "",
        })


class CopySessionForm(FlaskForm):
    day = StringField("Date of the first day of the copy", validators=[DataRequired("Enter the date of the new first day")], filters=[_strip])

    def validate_day(self, field):
        _parse_date(field.data)

    def first_day(self) -> date:
        return _parse_date(self.day.data)


class StatusForm(FlaskForm):
    """Publish / unpublish / archive buttons (CSRF token only; the status is in the URL)."""
