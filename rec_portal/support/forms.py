"""Forms for the support options guide: the public search (GET, no CSRF token) and the
admin form for an entry (whose rules live in operations.clean_service_fields)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice

from rec_portal.models.support import NEEDS
from rec_portal.support.operations import clean_service_fields
from rec_portal.support.queries import GuideFilters

MAX_QUERY_LENGTH = 100
NEED_CHOICES = [SelectChoice(code, label) for code, label in NEEDS.items()]


class _Checkboxes(SelectMultipleField):
    """Checkboxes whose values are checked by the caller (unknown ones are not an error
    here: the search ignores them, the admin form reports them in words)."""

    option_widget = widgets.CheckboxInput()
    widget = widgets.ListWidget(prefix_label=False)

    def pre_validate(self, form) -> None:
        return None


class GuideSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search by name, place or what they do", default="")
    need = _Checkboxes("What do you need help with?", choices=NEED_CHOICES)
    emergency = BooleanField("Only services for emergencies")

    def filters(self) -> GuideFilters:
        chosen = set(self.need.data or [])
        return GuideFilters(
            q=" ".join((self.q.data or "").split())[:MAX_QUERY_LENGTH],
            needs=tuple(code for code in NEEDS if code in chosen),
            emergency=bool(self.emergency.data),
        )


class ServiceForm(FlaskForm):
    name = StringField("Name of the service")
    needs = _Checkboxes("What does the service help with?", choices=NEED_CHOICES)
    description = TextAreaField("Description (optional)")
    phone = StringField("Phone number (optional)")
    website = StringField("Website (optional)")
    opening_hours = StringField("Opening hours (optional)")
    area = StringField("Area it covers (optional)")
    emergency = BooleanField("This service is for emergencies")

    def service_fields(self) -> dict:
        return {
            "name": self.name.data or "",
            "needs": list(self.needs.data or []),
            "description": self.description.data or "",
            "phone": self.phone.data or "",
            "website": self.website.data or "",
            "opening_hours": self.opening_hours.data or "",
            "area": self.area.data or "",
            "emergency": bool(self.emergency.data),
        }

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        _, problems = clean_service_fields(**self.service_fields())
        for key, message in problems.items():
            self[key].errors = [*self[key].errors, message]
        return valid and not problems

    @classmethod
    def for_service(cls, service):
        return cls(
            data={
                "name": service.name,
                "needs": service.need_codes,
                "description": service.description,
                "phone": service.phone,
                "website": service.website,
                "opening_hours": service.opening_hours,
                "area": service.area,
                "emergency": service.emergency,
            }
        )


class ConfirmForm(FlaskForm):
    """A button-only form (retire, reinstate): the CSRF token only."""
