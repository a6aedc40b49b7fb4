"""The term chooser (the same as the facilitator-hours report's)."""

from __future__ import annotations

from rec_portal.attendance.forms import FacilitatorHoursForm


class TermForm(FacilitatorHoursForm):
    """``?term=2026-autumn``: this term and the eight before it are offered; any real term
    is accepted (an old bookmark, say). Empty: this term."""
