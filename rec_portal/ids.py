"""Record ids typed into forms and query strings.

URL ids go through the app's ``int`` converter, which is capped at ``MAX_ID``; ids that
arrive as form fields or GET arguments (a select's value, a ticked checkbox) are read with
``parse_id``, so "²", "-1", "1e3" or a number too big for the database mean "none", never
an error."""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1  # fits every database's integer column
_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(value) -> int | None:
    """``value`` as a record id, or None if it is not a whole number from 1 to MAX_ID."""
    text = str(value if value is not None else "").strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
