"""Admin forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice

from rec_portal.models import ROLES
from rec_portal.models.accounts import ROLE_LABELS


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
