"""Admin forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from rec_portal.admin.added_people import CONSENT_WAYS, PersonDetails
from rec_portal.models import ROLES
from rec_portal.models.accounts import ROLE_LABELS
from rec_portal.models.students import (
    CONTACT_PREFERENCES,
    EMAIL,
    LETTER,
    PHONE,
    RELATIONSHIP_SHORT,
    TEXT,
)
from rec_portal.web.person_fields import (
    EMAIL_MESSAGE,
    access_needs_field,
    optional_email_field,
    phone_field,
    postal_address_field,
)


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


class ContactDetailsForm(FlaskForm):
    """A person's details as they tell them to staff (adding someone, and changing their
    contact details). Worded for staff ("their"), in page order."""

    full_name = StringField(
        "Full name",
        validators=[DataRequired("Enter their full name"),
                    Length(max=200, message="Their full name must be 200 characters or fewer")],
        filters=[_strip],
    )
    preferred_name = StringField(
        "What would they like us to call them? (optional)",
        validators=[Length(max=100, message="Their preferred name must be 100 characters or fewer")],
        filters=[_strip],
    )
    phone = phone_field("Phone number")
    email = optional_email_field("Email address (optional)")
    contact_preference = RadioField(
        "How would they like the REC to contact them?",
        choices=[SelectChoice(code, CONTACT_PREFERENCES[code]) for code in (TEXT, PHONE, EMAIL, LETTER)],
        validators=[InputRequired("Select how they would like the REC to contact them")],
    )
    postal_address = postal_address_field("Postal address (for letters)")
    relationship_to_services = RadioField(
        "How are they connected to mental health services?",
        choices=[SelectChoice(code, label) for code, label in RELATIONSHIP_SHORT.items()],
        validators=[Optional()],
    )
    access_needs = access_needs_field("Is there anything that would help them take part? (optional)")

    def details(self) -> PersonDetails:
        return PersonDetails(**{name: self[name].data or "" for name in (
            "full_name", "preferred_name", "phone", "email", "contact_preference",
            "postal_address", "relationship_to_services", "access_needs")})


class AddPersonForm(ContactDetailsForm):
    consent = BooleanField(
        "They agreed to the REC keeping these details and contacting them",
        validators=[DataRequired("Tick the box to confirm they agreed, or do not add them")],
    )
    consent_way = RadioField(
        "How did they tell you?",
        choices=[SelectChoice(code, label) for code, label in CONSENT_WAYS.items()],
        validators=[InputRequired("Select how they told you they agree")],
    )
    consent_other = StringField(
        "How they told you",
        validators=[Length(max=200, message="Please keep this to 200 characters or fewer")],
        filters=[_strip],
    )
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
