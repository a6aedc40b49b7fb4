"""UK academic terms: the periods every staff report, dashboard and the prospectus count in.

- autumn: September to December; spring: January to April; summer: May to August.
- A day belongs to the term of its month (:func:`term_of`); a session to the term of the
  UK date it starts on (:func:`session_term`), so 23:30 UTC on 31 August is autumn.
- In the database a term is [midnight UK time on its first day, midnight UK time on the
  first day after it), as naive UTC datetimes (:func:`term_bounds`): 23:00 UTC the day
  before while the UK is on summer time, 00:00 UTC in winter.
- In a URL or form a term is its key, "2026-autumn" (:func:`parse_term`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rec_portal.timeutil import to_uk, uk_day_start

AUTUMN, SPRING, SUMMER = "autumn", "spring", "summer"
# (first month, first month of the next term), in the order of the year.
_TERM_MONTHS = {SPRING: (1, 5), SUMMER: (5, 9), AUTUMN: (9, 13)}
_TERM_WORDS = {
    AUTUMN: "September to December", SPRING: "January to April", SUMMER: "May to August",
}
_FIRST_YEAR, _LAST_YEAR = 2000, 2100  # the years a term key may name


@dataclass(frozen=True)
class Term:
    """One academic term."""

    year: int
    season: str  # AUTUMN, SPRING or SUMMER

    @property
    def key(self) -> str:
        """'2026-autumn', as in URLs and forms."""
        return f"{self.year}-{self.season}"

    @property
    def label(self) -> str:
        """'Autumn term 2026 (September to December)'."""
        return f"{self.season.capitalize()} term {self.year} ({self.months})"

    @property
    def short_label(self) -> str:
        """'Autumn 2026'."""
        return f"{self.season.capitalize()} {self.year}"

    @property
    def months(self) -> str:
        """'September to December'."""
        return _TERM_WORDS[self.season]

    @property
    def start(self) -> date:
        """The first day of the term."""
        return date(self.year, _TERM_MONTHS[self.season][0], 1)

    @property
    def end(self) -> date:
        """The first day after the term."""
        month = _TERM_MONTHS[self.season][1]
        return date(self.year + 1, 1, 1) if month == 13 else date(self.year, month, 1)

    @property
    def last_day(self) -> date:
        """The last day of the term."""
        return self.end - timedelta(days=1)

    def previous(self) -> Term:
        return term_of(self.start - timedelta(days=1))

    def next(self) -> Term:
        return term_of(self.end)


def term_of(day: date) -> Term:
    """The term a UK day is in."""
    for season, (first, following) in _TERM_MONTHS.items():
        if first <= day.month < following:
            return Term(day.year, season)
    raise AssertionError(day)  # every month is in a term


def session_term(starts_at: datetime) -> Term:
    """The term a session (or anything stored at a naive UTC time) belongs to: the UK
    date it starts on."""
    return term_of(to_uk(starts_at).date())


def parse_term(value: str | None) -> Term | None:
    """'2026-autumn' (any case, spaces around) -> Term(2026, 'autumn'); anything else,
    including a year before 2000 or after 2100, -> None."""
    year, _, season = (value or "").strip().lower().partition("-")
    if not (year.isdigit() and len(year) == 4 and season in _TERM_MONTHS):
        return None
    if not _FIRST_YEAR <= int(year) <= _LAST_YEAR:
        return None
    return Term(int(year), season)


def recent_terms(today: date, count: int = 9) -> list[Term]:
    """This term and the ones before it, newest first."""
    terms = [term_of(today)]
    while len(terms) < count:
        terms.append(terms[-1].previous())
    return terms


def term_bounds(term: Term) -> tuple[datetime, datetime]:
    """The term as naive UTC [first, last): midnight UK time on its first day and on the
    first day after it."""
    return uk_day_start(term.start), uk_day_start(term.end)
