"""Forms for /my/account."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from rec_portal.web.person_fields import (
    AboutYouFields,
    ContactFields,
    NameFields,
    email_field,
    new_password_fields,
)


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


class SupportForm(ContactFields, FlaskForm):
    """Phone, contact preference and what would help them take part."""


class AboutYouForm(AboutYouFields, FlaskForm):
    """Pronouns, relationship to services, team, referral."""
