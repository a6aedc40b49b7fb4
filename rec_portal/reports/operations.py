"""The term report's one write: fixing an ended term's equality counts. Flushes, never
commits.

The equality section never counts live (an admin comparing two downloads would learn what
one person saved or removed in between). Like the crime report's quarters
(outcomes.operations.close_quarters), a term's counts are worked out once, the first time
the report (page, PDF or CSV) is asked for the term after it has ended, and stored; the
report then only reads them."""

from __future__ import annotations

from datetime import datetime

from rec_portal.equality import operations as equality_operations
from rec_portal.reports.queries import active_students, term_ended
from rec_portal.stats.terms import Term
from rec_portal.timeutil import utcnow


def close_equality(term: Term, now: datetime | None = None) -> bool:
    """Store the term's equality counts if it has ended and they are not stored yet (cheap
    otherwise: at most one statement). Whether they were stored now."""
    now = now or utcnow()
    if not term_ended(term, now):
        return False
    return equality_operations.close_term(term.key, active_students(term), now)
