"""Forms for /my/account."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from rec_portal.auth.forms import _name_validators, email_field, new_password_fields


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password")]
    )
    password, confirm_password = new_password_fields(email_field_name=None)

    def __init__(self, *args, account_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class DetailsForm(FlaskForm):
    full_name = StringField("Full name", validators=_name_validators("full name", 200))
    preferred_name = StringField(
        "What would you like us to call you? (optional)",
        validators=[Length(max=100, message="Your preferred name must be 100 characters or fewer")],
    )
    email = email_field()
    current_password = PasswordField("Current password (only needed to change your email)")
