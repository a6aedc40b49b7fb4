"""The form on each call-list line: what happened, and an optional note. The rules (which
outcomes fit a line, what closes it) live in operations.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from rec_portal.calls.operations import NOTE_MAX, outcomes_for
from rec_portal.models.contact import OUTCOMES


class OutcomeForm(FlaskForm):
    outcome = RadioField("What happened?", validators=[InputRequired("Choose what happened")],
                         validate_choice=False)
    note = StringField("Note (optional)", filters=[lambda v: v.strip() if isinstance(v, str) else v],
                       validators=[Length(max=NOTE_MAX, message=f"The note must be {NOTE_MAX} characters or fewer")])


def outcome_form(task, posted: bool = False) -> OutcomeForm:
    """The form for ``task``'s line: its fields are named ``line<id>-…`` so every line's
    ids are unique on the page. ``posted``: read what was sent, else a fresh form."""
    kwargs = {} if posted else {"formdata": None}
    form = OutcomeForm(prefix=f"line{task.id}", **kwargs)
    form.outcome.choices = [SelectChoice(code, OUTCOMES[code]) for code in outcomes_for(task)]
    return form
