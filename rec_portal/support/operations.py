"""Rules for the support options guide. Operations flush, never commit; the caller commits.

Every change is audited with what happened and the entry's id, never the entry's text.
The rules for a valid entry live in :func:`clean_service_fields`; the admin form runs the
same function, so they are written once.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import func, select

from rec_portal import audit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import SupportService, SupportServiceNeed
from rec_portal.models.support import NEEDS
from rec_portal.timeutil import utcnow

# Within the column sizes (description is TEXT, but a guide entry should stay short).
LIMITS = {
    "name": 200,
    "description": 2000,
    "phone": 60,
    "website": 300,
    "opening_hours": 300,
    "area": 200,
}
LABELS = {
    "name": "The name",
    "description": "The description",
    "phone": "The phone number",
    "website": "The web address",
    "opening_hours": "The opening hours",
    "area": "The area",
}
TEXT_FIELDS = tuple(LIMITS)
PHONE_RE = re.compile(r"[0-9 +()]+")
HOST_RE = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")

ADDED = "added"
EDITED = "edited"
RETIRED = "retired"
REINSTATED = "reinstated"


def normalise_website(text: str) -> str:
    """'www.example.org' -> 'https://www.example.org'; anything with a scheme is kept."""
    text = (text or "").strip()
    if text and "://" not in text:
        return "https://" + text
    return text


def _website_problem(url: str) -> str | None:
    example = "Enter a web address like https://www.example.org"
    if any(ch.isspace() for ch in url):
        return "A web address cannot contain spaces. " + example
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return "Enter a web address that starts with https:// or http://"
    try:
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return example
    if parts.username or parts.password or not HOST_RE.fullmatch(host):
        return example
    return None


def clean_service_fields(
    *,
    name: str = "",
    description: str = "",
    phone: str = "",
    website: str = "",
    opening_hours: str = "",
    area: str = "",
    emergency: bool = False,
    needs=(),
) -> tuple[dict, dict[str, str]]:
    """The entry's fields tidied up, and the problems found (field name -> message, in
    the order of the form)."""
    fields = {
        "name": " ".join((name or "").split()),
        "description": (description or "").strip().replace("\r\n", "\n"),
        "phone": " ".join((phone or "").split()),
        "website": normalise_website(website),
        "opening_hours": " ".join((opening_hours or "").split()),
        "area": " ".join((area or "").split()),
        "emergency": bool(emergency),
    }
    codes = list(dict.fromkeys(needs or ()))
    errors: dict[str, str] = {}

    if not fields["name"]:
        errors["name"] = "Enter the name of the service"
    if codes and any(code not in NEEDS for code in codes):
        errors["needs"] = "Choose what the service helps with from the list"
    elif not codes:
        errors["needs"] = "Choose at least one thing the service helps with"
    if fields["phone"]:
        if not PHONE_RE.fullmatch(fields["phone"]):
            errors["phone"] = "A phone number can only contain numbers, spaces and the symbols + ( )"
        elif sum(ch.isdigit() for ch in fields["phone"]) < 3:
            errors["phone"] = "Enter a full phone number, like 101 or 0808 800 4444"
    if fields["website"]:
        problem = _website_problem(fields["website"])
        if problem:
            errors["website"] = problem
    for key, limit in LIMITS.items():
        if key not in errors and len(fields[key]) > limit:
            errors[key] = f"{LABELS[key]} must be {limit:,} characters or fewer"

    fields["needs"] = [code for code in NEEDS if code in codes]  # the guide's usual order
    order = ["name", "needs", "description", "phone", "website", "opening_hours", "area"]
    return fields, {key: errors[key] for key in order if key in errors}


def _checked(fields: dict, service: SupportService | None) -> dict:
    cleaned, errors = clean_service_fields(**fields)
    if errors:
        key, message = next(iter(errors.items()))
        raise DomainError(message, field=key)
    taken = db.session.execute(
        select(SupportService.id).where(
            func.lower(SupportService.name) == cleaned["name"].lower(),
            SupportService.id != (service.id if service else -1),
        )
    ).first()
    if taken:
        raise DomainError(
            f"There is already an entry called “{cleaned['name']}”. Edit that entry instead, "
            "or give this one a different name.",
            field="name",
        )
    return cleaned


def _set_needs(service: SupportService, codes: list[str]) -> None:
    keep = [row for row in service.needs if row.need in codes]
    have = {row.need for row in keep}
    service.needs = keep + [SupportServiceNeed(need=code) for code in codes if code not in have]


def _audit(actor, action: str, service: SupportService) -> None:
    audit.record(audit.SUPPORT_SERVICE_CHANGED, actor=actor, detail=f"{action} service {service.id}")


def create_service(actor, **fields) -> SupportService:
    """Add an entry to the guide."""
    cleaned = _checked(fields, None)
    codes = cleaned.pop("needs")
    service = SupportService(**cleaned)
    _set_needs(service, codes)
    db.session.add(service)
    db.session.flush()
    _audit(actor, ADDED, service)
    return service


def update_service(actor, service: SupportService, **fields) -> SupportService:
    """Change an entry (active or retired)."""
    cleaned = _checked(fields, service)
    codes = cleaned.pop("needs")
    for key, value in cleaned.items():
        setattr(service, key, value)
    _set_needs(service, codes)
    db.session.flush()
    _audit(actor, EDITED, service)
    return service


def retire_service(actor, service: SupportService) -> None:
    """Take an entry out of the guide. It is kept, so safety plans that list it still can."""
    if service.retired_at is not None:
        raise DomainError("This entry is already retired")
    service.retired_at = utcnow()
    db.session.flush()
    _audit(actor, RETIRED, service)


def reinstate_service(actor, service: SupportService) -> None:
    """Put a retired entry back in the guide."""
    if service.retired_at is None:
        raise DomainError("This entry is already in the guide")
    service.retired_at = None
    db.session.flush()
    _audit(actor, REINSTATED, service)
