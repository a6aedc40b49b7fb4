"""Support request forms: they read and check what was typed. The rules live in
operations.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from rec_portal.models.support_requests import HOW, STATUSES
from rec_portal.support_requests.operations import CONCERN_MAX, CONTACT_MAX, DETAILS_MAX, NOTE_MAX, SAFE_TIMES_MAX

YES_NO = {"yes": "Yes", "no": "No"}


def _text(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _max(what: str, limit: int):
    return Length(max=limit, message=f"{what} must be {limit:,} characters or fewer")


class AskForm(FlaskForm):
    came_from = HiddenField()
    how = RadioField(
        "How would you like us to contact you?",
        choices=[SelectChoice(code, label) for code, label in HOW.items()],
        validators=[InputRequired("Choose how you would like us to contact you")], validate_choice=False,
    )
    contact_detail = StringField("The phone number or email address to use", filters=[_text],
                                 validators=[_max("The phone number or email address", CONTACT_MAX)])
    safe_times = StringField("When is it safe to contact you? (optional)", filters=[_text],
                             validators=[_max("When it is safe to contact you", SAFE_TIMES_MAX)])
    may_leave_message = RadioField(
        "If you do not answer, may we leave a message?",
        choices=[SelectChoice(code, label) for code, label in YES_NO.items()],
        validators=[InputRequired("Say whether we may leave a message")], validate_choice=False,
    )
    details = TextAreaField("Anything you want us to know (optional)", filters=[_text],
                            validators=[_max("What you want us to know", DETAILS_MAX)])

    def validate_how(self, field):
        if field.data not in HOW:
            raise ValidationError("Choose how you would like us to contact you")

    def validate_may_leave_message(self, field):
        if field.data not in YES_NO:
            raise ValidationError("Say whether we may leave a message")

    def validate_contact_detail(self, field):
        if not field.data:
            raise ValidationError("Enter the email address we should use" if self.how.data == "email"
                                  else "Enter the phone number we should use")

    def leave_message(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.may_leave_message.data)


class ConcernForm(FlaskForm):
    person_id = SelectField("Who are you worried about?", choices=[], validate_choice=False,
                            validators=[InputRequired("Choose the student you are worried about")])
    details = TextAreaField("What are you worried about?", filters=[_text],
                            validators=[InputRequired("Enter what you are worried about"),
                                        _max("Your concern", CONCERN_MAX)])

    def student_id(self) -> int | None:
        value = self.person_id.data
        return int(value) if value and str(value).isdigit() else None

    def validate_person_id(self, field):
        if self.student_id() is None:
            raise ValidationError("Choose the student you are worried about")


class NoteForm(FlaskForm):
    body = TextAreaField("Add a note", filters=[_text],
                         validators=[InputRequired("Enter the note: what was done, or why the state is changing"),
                                     _max("The note", NOTE_MAX)])
    status_to = SelectField("Move the request to", choices=[SelectChoice("", "Leave the state as it is")]
                            + [SelectChoice(code, label) for code, label in STATUSES.items()],
                            validate_choice=False, default="")

    def validate_status_to(self, field):
        if field.data and field.data not in STATUSES:
            raise ValidationError("Choose what state the request is in")
