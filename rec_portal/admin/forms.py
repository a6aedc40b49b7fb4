"""Admin forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from rec_portal.admin.added_people import PersonDetails
from rec_portal.models import ROLES
from rec_portal.models.accounts import ROLE_LABELS
from rec_portal.web.person_fields import EMAIL_MESSAGE, StaffConsentFields, StaffContactFields


class RolesForm(FlaskForm):
    roles = SelectMultipleField(
        "Roles",
        choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validate_choice=True,
    )


class ConfirmForm(FlaskForm):
    """A button-only form (CSRF token only)."""


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ContactDetailsForm(StaffContactFields, FlaskForm):
    """A person's details as they tell them to staff (adding someone, and changing their
    contact details)."""

    def details(self) -> PersonDetails:
        return PersonDetails(**self.person_data())


class AddPersonForm(ContactDetailsForm, StaffConsentFields):
    # Shown only when someone with the same name and phone number is already on the portal.
    not_duplicate = BooleanField("This is a different person: add them anyway")
    session_id = HiddenField()
    then = HiddenField()


class InviteForm(FlaskForm):
    email = EmailField(
        "Their email address",
        validators=[
            DataRequired("Enter their email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(EMAIL_MESSAGE, check_deliverability=False),
        ],
        filters=[_strip],
    )
