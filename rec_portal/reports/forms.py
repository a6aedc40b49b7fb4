"""The term chooser (web.fields.TermChoiceForm, the same as the facilitator-hours report's)."""

from __future__ import annotations

from rec_portal.web.fields import TermChoiceForm


class TermForm(TermChoiceForm):
    """``?term=2026-autumn``: this term and the eight before it are offered; any real term
    is accepted (an old bookmark, say). Empty: this term."""
