"""Forms for data rights."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, InputRequired


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[InputRequired("Enter your password")])
    understood = BooleanField(
        "I understand that my account and everything in it will be deleted, and that this "
        "cannot be undone",
        validators=[DataRequired("Tick the box to confirm that you want to delete your account")],
    )


class ConfirmForm(FlaskForm):
    """A button-only form (CSRF token only): staff confirm deleting a person's record."""
