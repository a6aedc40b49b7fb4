"""Time helpers, the one home for UK dates and times. The database stores naive UTC
datetimes; pages show UK time.

- Now and today: ``utcnow()``, ``uk_today()``.
- Converting: ``to_uk()``, ``uk_to_utc()``, ``uk_day_start()``, ``uk_days()``.
- Words for pages (registered as Jinja filters in rec_portal/templating.py):
  ``format_uk`` ('23 November 2026 at 2:05pm'), ``uk_date`` ('23 November 2026'),
  ``uk_weekday_date`` ('Tuesday 8 December 2026'), ``uk_clock`` ('10am', 'midday'),
  ``uk_date_and_time``, ``uk_date_span``, ``uk_short`` ('23 Nov 2026, 15:07'),
  ``uk_time`` ('15:07').
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what every DateTime column holds)."""
    return datetime.now(UTC).replace(tzinfo=None)


def uk_today(now: datetime | None = None) -> date:
    """Today's date in the UK (``now``: a naive UTC datetime, by default the current time).
    Just after midnight UK time in summer (BST) it is already tomorrow while UTC is not."""
    return to_uk(now or utcnow()).date()


def to_uk(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(UK)


def format_uk(value: datetime | date | None, with_time: bool = True) -> str:
    """'23 November 2026 at 2:05pm', '8 December 2026 at 10am' in UK time (GOV.UK style). A
    plain date (no time) is shown as it is."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value.day} {value:%B %Y}"
    local = to_uk(value)
    if local is None:
        return ""
    day = f"{local.day} {local:%B %Y}"
    if not with_time:
        return day
    return f"{day} at {uk_clock(value)}"


def uk_to_utc(day, time) -> datetime:
    """A UK wall-clock date and time as a naive UTC datetime (what the database holds)."""
    local = datetime.combine(day, time).replace(tzinfo=UK)
    return local.astimezone(UTC).replace(tzinfo=None)


def uk_day_start(day: date) -> datetime:
    """The first moment of a UK day, as a naive UTC datetime (23:00 UTC the day before in
    summer)."""
    return uk_to_utc(day, time(0))


def uk_days(first: date, last: date) -> tuple[datetime, datetime]:
    """UK days ``first`` to ``last`` (inclusive) as naive UTC datetimes [start, end)."""
    return uk_day_start(first), uk_day_start(last + timedelta(days=1))


def uk_date(value: datetime | date | None) -> str:
    """'23 November 2026' (a datetime in UK time)."""
    return format_uk(value, with_time=False)


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


def uk_short_span(starts_at: datetime, ends_at: datetime) -> str:
    """'Tue 1 Dec 2026, 10am to 3pm' (UK time; the day of the start)."""
    start = to_uk(starts_at)
    return f"{start:%a} {start.day} {start:%b %Y}, {uk_clock(starts_at)} to {uk_clock(ends_at)}"


def uk_short(value: datetime | None) -> str:
    """'23 Nov 2026 at 3:07pm' in UK time (GOV.UK style, the month short: for tables)."""
    local = to_uk(value)
    return f"{local.day} {local:%b %Y} at {uk_clock(value)}" if local else ""


def uk_time(value: datetime | None) -> str:
    """'3:07pm' in UK time (GOV.UK style)."""
    return uk_clock(value)
