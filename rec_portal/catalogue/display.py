"""Display helpers for the catalogue pages: who a course is for, places left, plain text as
paragraphs. Registered as template filters in rec_portal/templating.py (dates and times
in UK time are in rec_portal/timeutil.py)."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from rec_portal.models.courses import (
    DELIVERY_LABELS,
    FACILITATOR_ROLE_LABELS,
    FACILITATOR_ROLES,
)

AUDIENCE_WORDS = (
    ("for_service_users", "people who use services"),
    ("for_carers", "carers"),
    ("for_staff", "staff"),
)


def audience_words(course) -> str:
    """'People who use services, carers and staff'."""
    parts = [words for flag, words in AUDIENCE_WORDS if getattr(course, flag)]
    if not parts:
        return "Ask the REC team"
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return text[0].upper() + text[1:]


def places_words(places: int) -> str:
    """'3 places left', '1 place left', 'Full – waiting list'."""
    if places <= 0:
        return "Full – waiting list"
    return f"{places} {'place' if places == 1 else 'places'} left"


def text_lines(text: str | None) -> list[str]:
    """The non-blank lines of a text (learning outcomes: one per line)."""
    return [line.strip(" \t-*•") for line in (text or "").splitlines() if line.strip(" \t-*•")]


def text_paragraphs(text: str | None) -> Markup:
    """Plain text as escaped HTML paragraphs: a blank line starts a new paragraph, a single
    line break is kept."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n"))]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(escape(line) for line in block.split("\n")))
        for block in blocks
        if block
    )


def facilitator_roles(course) -> list[str]:
    """The labels of the facilitator roles a course needs, in the usual order."""
    needed = {need.role for need in course.roles_needed}
    return [FACILITATOR_ROLE_LABELS[role] for role in FACILITATOR_ROLES if role in needed]


def delivery_label(delivery: str) -> str:
    return DELIVERY_LABELS.get(delivery, delivery)
