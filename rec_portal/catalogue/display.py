"""Display helpers for the catalogue pages: dates and times in UK time as NHS.UK writes
them ("Tuesday 8 December 2026", "10am to 4pm"), who a course is for, plain text as
paragraphs. Registered as template filters by the blueprint."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import Blueprint
from markupsafe import Markup, escape

from rec_portal.markdown import render_markdown
from rec_portal.models.courses import (
    DELIVERY_LABELS,
    FACILITATOR_ROLE_LABELS,
    FACILITATOR_ROLES,
)
from rec_portal.timeutil import to_uk

AUDIENCE_WORDS = (
    ("for_service_users", "people who use services"),
    ("for_carers", "carers"),
    ("for_staff", "staff"),
)


def uk_weekday_date(value: datetime | date | None) -> str:
    """'Tuesday 8 December 2026' in UK time (a plain date is shown as it is)."""
    local = value if isinstance(value, date) and not isinstance(value, datetime) else to_uk(value)
    return f"{local:%A} {local.day} {local:%B %Y}" if local else ""


def uk_clock(value: datetime | None) -> str:
    """'10am', '2:30pm', 'midday', 'midnight' in UK time (NHS.UK style)."""
    local = to_uk(value)
    if local is None:
        return ""
    if local.minute == 0 and local.hour in (0, 12):
        return "midnight" if local.hour == 0 else "midday"
    hour = local.hour % 12 or 12
    minutes = "" if local.minute == 0 else f":{local:%M}"
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


def uk_date_and_time(value: datetime | None) -> str:
    """'Tuesday 8 December 2026 at 10am' in UK time."""
    return f"{uk_weekday_date(value)} at {uk_clock(value)}" if value else ""


def uk_date_span(starts_at: datetime, ends_at: datetime) -> str:
    """'Tuesday 8 December 2026, 10am to 4pm' (both ends shown in full if the days differ)."""
    start, end = to_uk(starts_at), to_uk(ends_at)
    if start.date() == end.date():
        return f"{uk_weekday_date(starts_at)}, {uk_clock(starts_at)} to {uk_clock(ends_at)}"
    return f"{uk_date_and_time(starts_at)} to {uk_date_and_time(ends_at)}"


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


def catalogue_option(choice) -> dict:
    """A WTForms choice as an item of the NHS select macro."""
    return {"value": choice.value, "text": choice.label}


def register(bp: Blueprint) -> None:
    for function in (
        uk_weekday_date,
        uk_clock,
        uk_date_and_time,
        audience_words,
        places_words,
        text_lines,
        text_paragraphs,
        facilitator_roles,
        catalogue_option,
    ):
        bp.add_app_template_filter(function)
    bp.add_app_template_filter(render_markdown)
    bp.add_app_template_global(uk_date_span)
    bp.add_app_template_global(delivery_label)
