"""Forms: the public "Refer someone" form, and the REC team's forms on a referral."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import HiddenInput

from rec_portal.admin import operations as people
from rec_portal.models.referrals import ORG_TYPES
from rec_portal.models.students import CONTACT_PREFERENCES, EMAIL, LETTER, PHONE, TEXT
from rec_portal.referrals import operations
from rec_portal.web.person_fields import (
    StaffConsentFields,
    StaffContactFields,
    optional_email_field,
    phone_field,
    postal_address_field,
)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(label: str, required: str | None = None, max_len: int = 200) -> StringField:
    validators = [Length(max=max_len, message=f"Please keep this to {max_len} characters or fewer")]
    if required:
        validators.insert(0, DataRequired(required))
    return StringField(label, validators=validators, filters=[_strip])


def _long_text(label: str, required: str | None = None, max_len: int = 2000) -> TextAreaField:
    validators = [Length(max=max_len, message=f"Please keep this to {max_len:,} characters or fewer")]
    if required:
        validators.insert(0, DataRequired(required))
    return TextAreaField(label, validators=validators, filters=[_strip])


PREFERENCE_ORDER = (PHONE, TEXT, EMAIL, LETTER)


class ReferForm(FlaskForm):
    """The public form (/refer), in page order. Rules that need more than one answer (a
    way to reach the referrer; a way to reach the person that fits their preference; the
    agreement) are ``operations.problems``, shown all at once with the field errors."""

    referrer_name = _text("Your full name", "Enter your full name")
    referrer_organisation = _text("Your organisation", "Enter the name of your organisation")
    org_type = RadioField(
        "What kind of organisation is it?",
        choices=[SelectChoice(code, label) for code, label in ORG_TYPES.items()],
        validators=[InputRequired("Select the kind of organisation you work for")],
    )
    referrer_role = _text("Your role", "Enter your role, for example care co-ordinator or PCSO")
    referrer_email = optional_email_field("Your email address")
    referrer_phone = phone_field("Your phone number")

    person_name = _text("Their full name", "Enter the full name of the person you are referring")
    person_phone = phone_field("Their phone number")
    person_email = optional_email_field("Their email address (optional)")
    person_contact_preference = RadioField(
        "How would they like the REC team to contact them?",
        choices=[SelectChoice(code, CONTACT_PREFERENCES[code]) for code in PREFERENCE_ORDER],
        validators=[InputRequired("Select how they would like the REC team to contact them")],
    )
    person_postal_address = postal_address_field("Their postal address (only for letters)")
    contact_notes = _long_text("When is it safe to contact them, and is there anything that would help?",
                               max_len=1000)
    reason = _long_text("Why are you referring them?", "Say briefly why you are referring them")
    person_agreed = BooleanField("The person agreed to be referred to the Recovery Education Centre")

    def details(self) -> operations.ReferralDetails:
        return operations.ReferralDetails(
            **{name: (self[name].data or "") for name in (
                "referrer_name", "referrer_organisation", "org_type", "referrer_role", "referrer_email",
                "referrer_phone", "person_name", "person_email", "person_phone", "person_contact_preference",
                "person_postal_address", "contact_notes", "reason")},
            person_agreed=bool(self.person_agreed.data),
        )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name, message in operations.problems(self.details()):
            if not self[name].errors:
                self[name].errors = [*self[name].errors, message]
                valid = False
        return valid


class OutcomeForm(FlaskForm):
    status = RadioField(
        "What happened?",
        choices=[SelectChoice(code, label) for code, label in operations.OUTCOMES.items()],
        validators=[InputRequired("Select what happened")],
    )
    note = _long_text("Note", "Enter a note: what happened, and what comes next")


class CreateRecordForm(StaffContactFields, StaffConsentFields, FlaskForm):
    """The person's details as they confirm them to staff (prefilled from the referral),
    and their consent: the fields of the staff "add someone" form (web/person_fields.py),
    so the page shares its fields (templates/admin/_contact_fields.html)."""

    invite = BooleanField("Email them an invitation to set up an online account")
    # Shown only when someone who may be them is already on the portal.
    not_duplicate = BooleanField("This is a different person: create a new record anyway")

    def details(self) -> people.PersonDetails:
        return people.PersonDetails(**self.person_data())


class LinkForm(FlaskForm):
    student_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
