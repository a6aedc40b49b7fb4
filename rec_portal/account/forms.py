"""Forms for /my/account."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Regexp

from rec_portal.auth.forms import NameFields, email_field, new_password_fields


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password")]
    )
    password, confirm_password = new_password_fields(email_field_name=None)

    def __init__(self, *args, account_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class DetailsForm(NameFields, FlaskForm):
    email = email_field()
    current_password = PasswordField("Current password (only needed to change your email)")


class CalendarForm(FlaskForm):
    show_course_titles = RadioField(
        "What should emails and calendar entries call your sessions?",
        choices=[
            SelectChoice("no", "“Recovery Education Centre session” (more private)"),
            SelectChoice("yes", "The course title, for example “Staying Safe”"),
        ],
        default="no",
    )


class SupportForm(FlaskForm):
    phone = StringField(
        "Phone number (optional)",
        validators=[
            Length(max=40, message="Phone number must be 40 characters or fewer"),
            Regexp(r"^[0-9+() -]*$", message="Enter a phone number using numbers, spaces and + ( ) only"),
        ],
    )
    access_needs = TextAreaField(
        "Is there anything that would help you take part? (optional)",
        validators=[Length(max=2000, message="Please keep this to 2,000 characters or fewer")],
    )
