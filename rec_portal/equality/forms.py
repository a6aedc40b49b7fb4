"""The equality questions form: one set of radios per question, all optional. Which
answers are allowed is checked by ``operations.parse`` (the one place the rule is
written); the form carries the CSRF token and puts messages beside the questions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from rec_portal.models.equality import QUESTIONS, choices


class EqualityForm(FlaskForm):
    pass


for _name, _question, _hint, _options in QUESTIONS:
    setattr(EqualityForm, _name, RadioField(_question, choices=[SelectChoice(k, v) for k, v in choices(_name).items()],
                                            validate_choice=False, description=_hint))


class ConfirmForm(FlaskForm):
    """A button with nothing to type (removing the answers): the CSRF token only."""
