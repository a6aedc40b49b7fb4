"""rec_portal/stats/terms: UK academic terms, without a request or a database."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from rec_portal.stats.terms import (
    AUTUMN,
    SPRING,
    SUMMER,
    Term,
    parse_term,
    recent_terms,
    session_term,
    term_bounds,
    term_of,
)

PACKAGE = Path(__file__).resolve().parents[2] / "rec_portal"


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 1, 1), Term(2026, SPRING)), (date(2026, 4, 30), Term(2026, SPRING)),
    (date(2026, 5, 1), Term(2026, SUMMER)), (date(2026, 8, 31), Term(2026, SUMMER)),
    (date(2026, 9, 1), Term(2026, AUTUMN)), (date(2026, 12, 31), Term(2026, AUTUMN)),
])
def test_a_day_is_in_the_term_of_its_month(day, expected):
    assert term_of(day) == expected
    assert expected.start <= day < expected.end
    assert expected.last_day == date.fromordinal(expected.end.toordinal() - 1)


@pytest.mark.parametrize(("term", "first", "last"), [
    # winter (GMT): midnight UK time is midnight UTC
    (Term(2026, SPRING), datetime(2026, 1, 1, 0, 0), datetime(2026, 4, 30, 23, 0)),
    # summer (BST): midnight UK time is 23:00 UTC the day before, at both ends
    (Term(2026, SUMMER), datetime(2026, 4, 30, 23, 0), datetime(2026, 8, 31, 23, 0)),
    (Term(2026, AUTUMN), datetime(2026, 8, 31, 23, 0), datetime(2027, 1, 1, 0, 0)),
])
def test_a_term_runs_from_midnight_uk_time_to_midnight_uk_time(term, first, last):
    assert term_bounds(term) == (first, last)
    # the bounds are those of the terms either side: nothing falls between two terms
    assert term_bounds(term.previous())[1] == first and term_bounds(term.next())[0] == last


@pytest.mark.parametrize(("starts_at", "expected"), [
    (datetime(2025, 8, 31, 22, 59), Term(2025, SUMMER)),  # 23:59 on 31 August in London
    (datetime(2025, 8, 31, 23, 0), Term(2025, AUTUMN)),  # midnight, 1 September in London
    (datetime(2025, 12, 31, 23, 30), Term(2025, AUTUMN)),  # GMT: still 31 December
    (datetime(2026, 1, 1, 0, 0), Term(2026, SPRING)),
    (datetime(2026, 4, 30, 23, 0), Term(2026, SUMMER)),  # BST: 1 May in London
])
def test_a_session_is_in_the_term_of_the_uk_date_it_starts_on(starts_at, expected):
    assert session_term(starts_at) == expected
    first, last = term_bounds(expected)
    assert first <= starts_at < last  # the same term as the bounds used in SQL


def test_terms_read_and_follow_each_other():
    term = Term(2026, AUTUMN)
    assert term.key == "2026-autumn"
    assert term.label == "Autumn term 2026 (September to December)"
    assert term.short_label == "Autumn 2026" and term.months == "September to December"
    assert term.end == date(2027, 1, 1) and term.last_day == date(2026, 12, 31)
    assert term.next() == Term(2027, SPRING) and Term(2027, SPRING).previous() == term
    assert Term(2026, SPRING).next() == Term(2026, SUMMER) and Term(2026, SUMMER).previous() == Term(2026, SPRING)
    assert [t.key for t in recent_terms(date(2026, 11, 23), 4)] == [
        "2026-autumn", "2026-summer", "2026-spring", "2025-autumn"]


def test_parse_term_reads_a_key_and_its_own_labels_round_trip():
    assert parse_term("2026-autumn") == Term(2026, AUTUMN)
    assert parse_term(" 2026-Autumn ") == Term(2026, AUTUMN)
    for term in recent_terms(date(2026, 3, 1), 6):
        assert parse_term(term.key) == term


@pytest.mark.parametrize("value", [
    None, "", " ", "2026", "2026-", "-autumn", "26-autumn", "02026-autumn", "2026-winter", "2026 autumn",
    "2026_autumn", "abcd-spring", "1999-autumn", "2101-spring", "2026-autumn-x", "autumn-2026",
])
def test_parse_term_gives_none_for_anything_else(value):
    assert parse_term(value) is None


DEFINITIONS = re.compile(
    r"^(class Term\b|def (term_of|parse_term|recent_terms|session_term|term_bounds|bounds|next_term)\b"
    r"|(AUTUMN|SPRING|SUMMER)\s*[,=])",
    re.MULTILINE,
)


def test_terms_are_defined_only_in_stats_terms():
    """One home for academic terms: no feature keeps its own Term, term_of or bounds."""
    found = [
        f"{path.relative_to(PACKAGE.parent)}: {match.group(0)}"
        for path in sorted(PACKAGE.rglob("*.py")) if path != PACKAGE / "stats" / "terms.py"
        for match in DEFINITIONS.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
