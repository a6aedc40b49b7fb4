"""Forms for signing in, registering and resetting a password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, InputRequired

from rec_portal.web.person_fields import (
    AboutYouFields,
    ContactFields,
    CredentialFields,
    NameFields,
    email_field,
    new_password_fields,
)


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField("Password", validators=[InputRequired("Enter your password")])


class RegisterForm(NameFields, CredentialFields, AboutYouFields, ContactFields, FlaskForm):
    consent = BooleanField(
        "I have read the privacy notice and agree to the REC keeping my details",
        validators=[DataRequired("Tick the box to say you agree to the privacy notice")],
    )


class ConfirmSignupForm(FlaskForm):
    """Finishing enrolment: the password chosen when enrolling, so that only the person
    who enrolled (and can read the email) can make the account."""

    password = PasswordField(
        "The password you chose when you enrolled",
        validators=[InputRequired("Enter the password you chose when you enrolled")],
    )


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, confirm_password = new_password_fields(email_field_name=None)

    def __init__(self, *args, account_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class ClaimAccountForm(FlaskForm):
    """Setting up an online account from a staff invitation: a password (the usual rules,
    checked against the invited address) and the privacy notice."""

    password, confirm_password = new_password_fields(email_field_name=None)
    consent = BooleanField(
        "I have read the privacy notice and agree to the REC keeping my details",
        validators=[DataRequired("Tick the box to say you agree to the privacy notice")],
    )

    def __init__(self, *args, account_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email
