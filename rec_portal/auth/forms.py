"""Forms for signing in, registering and resetting a password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

from rec_portal.auth.passwords import password_problem

EMAIL_MESSAGE = "Enter an email address in the correct format, like name@example.com"


def email_field(label: str = "Email address") -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired("Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(EMAIL_MESSAGE, check_deliverability=False),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


class NewPassword:
    """The password rules, checked against the email field of the same form (if any)."""

    def __init__(self, email_field_name: str | None = "email"):
        self.email_field_name = email_field_name

    def __call__(self, form, field):
        email = None
        if self.email_field_name and self.email_field_name in form:
            email = form[self.email_field_name].data
        elif getattr(form, "account_email", None):
            email = form.account_email
        problem = password_problem(field.data or "", email)
        if problem:
            raise ValidationError(problem)


def new_password_fields(email_field_name: str | None = "email"):
    password = PasswordField(
        "Create a password",
        validators=[InputRequired("Enter a password"), NewPassword(email_field_name)],
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[
            InputRequired("Type your password again"),
            EqualTo("password", "The passwords do not match. Type the same password twice"),
        ],
    )
    return password, confirm


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField("Password", validators=[InputRequired("Enter your password")])


def _name_validators(what: str, max_len: int):
    return [
        DataRequired(f"Enter your {what}"),
        Length(max=max_len, message=f"Your {what} must be {max_len} characters or fewer"),
    ]


class NameFields:
    """Full and preferred name, shared by registration and /my/account."""

    full_name = StringField("Full name", validators=_name_validators("full name", 200))
    preferred_name = StringField(
        "What would you like us to call you? (optional)",
        validators=[Length(max=100, message="Your preferred name must be 100 characters or fewer")],
    )


class RegisterForm(NameFields, FlaskForm):
    email = email_field()
    password, confirm_password = new_password_fields()
    consent = BooleanField(
        "I have read the privacy notice and agree to the REC keeping my details",
        validators=[DataRequired("Tick the box to say you agree to the privacy notice")],
    )


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, confirm_password = new_password_fields(email_field_name=None)

    def __init__(self, *args, account_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email
