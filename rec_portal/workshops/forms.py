"""Workshop forms: they read and check what was typed. The rules (one open request,
contact details, roster rules) live in operations.py."""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from rec_portal.models.courses import FACILITATOR_ROLE_LABELS
from rec_portal.models.workshops import WORKSHOP_CONTACT_METHODS, WORKSHOP_TEXT_MAX
from rec_portal.web.fields import DateParts, parse_time
from rec_portal.timeutil import uk_to_utc
from rec_portal.workshops.operations import role_field


def _text(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _max(what: str, limit: int = WORKSHOP_TEXT_MAX):
    return Length(max=limit, message=f"{what} must be {limit:,} characters or fewer")


class RequestForm(FlaskForm):
    why_not_group = TextAreaField("Why does a group session not work for you? (optional)", filters=[_text],
                                  validators=[_max("Why a group does not work for you")])
    what_would_help = TextAreaField("What would help you take part? (optional)", filters=[_text],
                                    validators=[_max("What would help")])
    availability = TextAreaField("When are you usually available? (optional)", filters=[_text],
                                 validators=[_max("When you are available")])
    contact_method = RadioField(
        "How would you like us to contact you?",
        choices=[SelectChoice(code, label) for code, label in WORKSHOP_CONTACT_METHODS.items()],
        validators=[InputRequired("Choose how you would like us to contact you")],
        validate_choice=False,
    )
    contact_detail = StringField("Phone number or email address", filters=[_text],
                                 validators=[_max("The contact detail", 200)])

    def validate_contact_method(self, field):
        if field.data not in WORKSHOP_CONTACT_METHODS:
            raise ValidationError("Choose how you would like us to contact you")

    def validate_contact_detail(self, field):
        if self.contact_method.data in ("phone", "text") and not (field.data or "").strip():
            raise ValidationError("Enter the phone number we should use")


class ButtonForm(FlaskForm):
    """A button that only needs its CSRF token."""


class NoteForm(FlaskForm):
    text = TextAreaField("Add a note", filters=[_text],
                         validators=[InputRequired("Enter the note"), _max("The note")])


class CloseForm(FlaskForm):
    reason = TextAreaField("Why is the request being closed?", filters=[_text],
                           validators=[InputRequired("Enter why the request is being closed"), _max("The reason")])


class FilterForm(FlaskForm):
    class Meta:
        csrf = False



def _time_check(what: str):
    def check(form, field):
        if not (field.data or "").strip():
            raise ValidationError(f"Enter the {what} time, for example 10:00")
        if parse_time(field.data) is None:
            raise ValidationError(f"Enter the {what} time as hours and minutes, for example 14:30")

    return check


def _date_needed(form, field):
    if field.data is None and not field.errors and not field.process_errors:
        raise ValidationError("Enter the date of the workshop")


class ArrangeForm(FlaskForm):
    """Date, times and place; ``for_course`` adds one choice of person per roster place."""

    day = DateParts("Date", validators=[_date_needed],
                    invalid_message="Enter a real date for the workshop, for example 14 3 2027")
    start = StringField("Starts", filters=[_text], validators=[_time_check("start")])
    end = StringField("Ends", filters=[_text], validators=[_time_check("end")])
    venue = TextAreaField("Venue (address and room)", filters=[_text], validators=[_max("The venue")])
    online_details = TextAreaField("Online joining details (only the student sees them)", filters=[_text],
                                   validators=[_max("The joining details")])
    slots: list[tuple[str, int, str]] = []

    def validate_venue(self, field):
        if not field.data and not self.online_details.data:
            raise ValidationError("Give the venue or the online joining details")

    def starts_at(self) -> datetime:
        return uk_to_utc(self.day.data, parse_time(self.start.data))

    def ends_at(self) -> datetime:
        return uk_to_utc(self.day.data, parse_time(self.end.data))

    def facilitators(self) -> tuple[tuple[str, int], ...]:
        chosen = []
        for role, n, name in self.slots:
            value = self[name].data
            if value and str(value).isdigit():
                chosen.append((role, int(value)))
        return tuple(chosen)

    @classmethod
    def for_course(cls, course, people: dict[str, list], **kwargs) -> ArrangeForm:
        """``people``: role -> the active facilitators holding it (the rules are checked
        when the form is sent)."""
        attrs, slots = {}, []
        for need in course.roles_needed:
            for n in range(1, need.count + 1):
                name = role_field(need.role, n)
                label = FACILITATOR_ROLE_LABELS.get(need.role, need.role) + (f" ({n})" if need.count > 1 else "")
                attrs[name] = SelectField(
                    label, choices=[SelectChoice("", "Choose later")]
                    + [SelectChoice(str(u.id), u.full_name) for u in people.get(need.role, [])],
                    validate_choice=False, default="",
                )
                slots.append((need.role, n, name))
        # Named as the form itself: a draft kept at a timeout is given back to the form of
        # that name (drafts.keeps_typing), and this is the same form with the roster places.
        form_class = type(cls.__name__, (cls,), attrs)
        form = form_class(**kwargs)
        form.slots = slots
        return form


class AssignForm(FlaskForm):
    role = HiddenField()
    user_id = IntegerField("Facilitator", validators=[InputRequired("Choose who will cover this role")])
