"""Safety plan forms. The rules themselves live in operations (``section_problem``,
``person_problems``); the forms only collect every problem at once for the page."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from rec_portal.models.safety import SECTIONS
from rec_portal.safety_plans.operations import (
    clean_text,
    person_problems,
    section_problem,
)

# Field names of the trusted person form (also what a kept draft holds).
PERSON_FIELDS = ("person_name", "person_relationship", "person_phone")


def _single_line(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class PlanForm(FlaskForm):
    """All five text sections (the whole page form; autosave posts one of them)."""

    unsafe_situations = TextAreaField(SECTIONS["unsafe_situations"], filters=[clean_text])
    warning_signs = TextAreaField(SECTIONS["warning_signs"], filters=[clean_text])
    keeping_safe = TextAreaField(SECTIONS["keeping_safe"], filters=[clean_text])
    safe_places = TextAreaField(SECTIONS["safe_places"], filters=[clean_text])
    reporting = TextAreaField(SECTIONS["reporting"], filters=[clean_text])

    def validate_sections(self, names=tuple(SECTIONS)) -> bool:
        """Check ``names`` only (autosave sends one section). CSRF is checked for every
        POST before the view runs."""
        ok = True
        for name in names:
            problem = section_problem(name, self[name].data or "")
            if problem:
                self[name].errors = [problem]
                ok = False
        return ok

    def values(self, names=tuple(SECTIONS)) -> dict[str, str]:
        """The sections that were sent (a section missing from the request is left as it
        is, never emptied)."""
        return {name: self[name].data or "" for name in names if name in request.form}


class PersonForm(FlaskForm):
    person_name = StringField("Name", filters=[_single_line])
    person_relationship = StringField("Who they are to you (optional)", filters=[_single_line])
    person_phone = StringField("Phone number (optional)", filters=[_single_line])

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        for key, message in person_problems(
            self.person_name.data or "", self.person_relationship.data or "", self.person_phone.data or ""
        ).items():
            self[f"person_{key}"].errors = [message]
        return not self.errors
