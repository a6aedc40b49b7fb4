"""The fields that describe a person, shared by the forms that enrol someone and the forms
that change their details (auth/ and account/): name, email, a new password, about you, and
how to contact them."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from rec_portal.passwords import password_problem
from rec_portal.models.accounts import CONSENT_WAYS
from rec_portal.models.students import (
    CONTACT_PREFERENCES,
    EMAIL,
    LETTER,
    PHONE,
    REFERRAL_SOURCES,
    RELATIONSHIP_SHORT,
    RELATIONSHIPS,
    STAFF,
    TEXT,
)

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


def optional_email_field(label: str = "Email address (optional)") -> EmailField:
    """An email address that may be left empty (staff adding someone without one)."""
    return EmailField(
        label,
        validators=[
            Optional(),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(EMAIL_MESSAGE, check_deliverability=False),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


def phone_field(label: str = "Phone number") -> StringField:
    """A phone number: digits, spaces and + ( ) only, up to 40 characters."""
    return StringField(
        label,
        validators=[
            Length(max=40, message="Phone number must be 40 characters or fewer"),
            Regexp(r"^[0-9+() -]*$", message="Enter a phone number using numbers, spaces and + ( ) only"),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


def postal_address_field(label: str) -> TextAreaField:
    """Where to write to someone who asked for letters."""
    return TextAreaField(
        label,
        validators=[Length(max=500, message="Please keep the address to 500 characters or fewer")],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


def access_needs_field(label: str) -> TextAreaField:
    """What would help the person take part (admins and their facilitators see it)."""
    return TextAreaField(
        label,
        validators=[Length(max=2000, message="Please keep this to 2,000 characters or fewer")],
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


class CredentialFields:
    """Email and a new password (registration). Declared here, after the names and before
    the enrolment fields: WTForms orders a form's fields by when they were declared, and
    the error summary lists problems in that order, which must be the order the
    registration page shows them in."""

    email = email_field()
    password, confirm_password = new_password_fields()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AboutYouFields:
    """Enrolment: pronouns, relationship to services, team, how they heard about the REC."""

    pronouns = StringField(
        "Your pronouns (optional)",
        validators=[Length(max=60, message="Pronouns must be 60 characters or fewer")],
        filters=[_strip],
    )
    relationship_to_services = RadioField(
        "How are you connected to mental health services?",
        choices=[SelectChoice(code, label) for code, label in RELATIONSHIPS.items()],
        validators=[InputRequired("Select how you are connected to mental health services")],
    )
    team = StringField(
        "Your team or organisation (staff only)",
        validators=[Length(max=200, message="Team must be 200 characters or fewer")],
        filters=[_strip],
    )
    referral_source = RadioField(
        "How did you hear about the REC? (optional)",
        choices=[SelectChoice(code, label) for code, label in REFERRAL_SOURCES.items()],
        validators=[Optional()],
    )
    referral_detail = StringField(
        "Who referred you, or where did you hear about us? (optional)",
        validators=[Length(max=200, message="Please keep this to 200 characters or fewer")],
        filters=[_strip],
    )

    def validate_team(self, field):
        if self.relationship_to_services.data == STAFF and not field.data:
            raise ValidationError("Enter your team or organisation")


class ContactFields:
    """Enrolment: phone, how they prefer to be contacted, what would help them take part."""

    phone = phone_field("Phone number (optional)")
    contact_preference = RadioField(
        "How would you like us to contact you?",
        choices=[SelectChoice(code, label) for code, label in CONTACT_PREFERENCES.items()],
        default="email",
        validators=[InputRequired("Select how you would like us to contact you")],
    )
    postal_address = postal_address_field("Postal address (only if you would like letters)")
    access_needs = access_needs_field("Is there anything that would help you take part? (optional)")

    def validate_contact_preference(self, field):
        if field.data in ("phone", "text") and not (self.phone.data or "").strip():
            raise ValidationError(
                "Enter a phone number, or choose email, so that we can contact you"
            )
        if field.data == "letter" and not (self.postal_address.data or "").strip():
            raise ValidationError(
                "Enter your postal address, or choose another way, so that we can write to you"
            )


# --- A person's details as they tell them to staff ("their", not "your") ----------------

STAFF_PERSON_FIELDS = ("full_name", "preferred_name", "phone", "email", "contact_preference",
                       "postal_address", "relationship_to_services", "access_needs")


class StaffContactFields:
    """Adding someone, changing their contact details (admin/) and creating a referred
    person's record (referrals/): the person's details as staff write them down, in page
    order (templates/admin/_contact_fields.html shows them)."""

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

    def person_data(self) -> dict[str, str]:
        """The details, by name, for the staff "add someone" operations."""
        return {name: self[name].data or "" for name in STAFF_PERSON_FIELDS}


class StaffConsentFields:
    """Consent as the person told it to staff (who took it and when are stored too)."""

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
