"""Time helpers. The database stores naive UTC datetimes; pages show UK time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what every DateTime column holds)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_uk(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(UK)


def format_uk(value: datetime | date | None, with_time: bool = True) -> str:
    """'23 November 2026 at 2:05pm' in UK time. A plain date (no time) is shown as it is."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value.day} {value:%B %Y}"
    local = to_uk(value)
    if local is None:
        return ""
    day = f"{local.day} {local:%B %Y}"
    if not with_time:
        return day
    hour = local.hour % 12 or 12
    return f"{day} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def uk_to_utc(day, time) -> datetime:
    """A UK wall-clock date and time as a naive UTC datetime (what the database holds)."""
    local = datetime.combine(day, time).replace(tzinfo=UK)
    return local.astimezone(UTC).replace(tzinfo=None)
