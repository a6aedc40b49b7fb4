"""The catalogue's filter form (GET, so no CSRF token)."""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from rec_portal.catalogue.queries import Filters, month_choices

MAX_QUERY_LENGTH = 100

AUDIENCE_CHOICES = [
    SelectChoice("", "Anyone"),
    SelectChoice("service_users", "People who use services"),
    SelectChoice("carers", "Carers, family and friends"),
    SelectChoice("staff", "Staff"),
]
DELIVERY_CHOICES = [
    SelectChoice("", "In person or online"),
    SelectChoice("in_person", "In person"),
    SelectChoice("online", "Online"),
]


class CatalogueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search for a course", default="")
    audience = SelectField("Who it is for", choices=AUDIENCE_CHOICES, default="")
    month = SelectField("Month", default="")
    delivery = SelectField("How it is delivered", choices=DELIVERY_CHOICES, default="")

    def __init__(self, *args, now: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.month.choices = [
            SelectChoice("", "Any month"),
            *(SelectChoice(value, label) for value, label in month_choices(now)),
        ]

    def filters(self) -> Filters:
        """The filters to apply. A value that is not one of the choices is ignored."""
        self.validate()

        def clean(field) -> str:
            return "" if field.errors or not field.data else field.data

        return Filters(
            q=" ".join((self.q.data or "").split())[:MAX_QUERY_LENGTH],
            audience=clean(self.audience),
            month=clean(self.month),
            delivery=clean(self.delivery),
        )
