"""rec_portal/stats: the small-numbers rule and the one rounding rule, without a request."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rec_portal import stats


@pytest.mark.parametrize(("count", "small", "enough"), [(0, False, False), (1, True, False), (7, True, False),
                                                        (8, False, True), (9, False, True)])
def test_counts_from_1_to_7_are_held_back_and_0_and_8_or_more_shown(count, small, enough):
    assert stats.SMALL_NUMBER == 8
    assert stats.is_small(count) is small
    assert stats.enough(count) is enough  # figures worked out from the count (rates, averages)


def test_held_counts_are_the_rows_of_1_to_7():
    assert stats.held_counts({"a": 0, "b": 1, "c": 7, "d": 8}) == {"b", "c"}


def test_a_table_holds_back_the_next_smallest_rows_until_the_held_ones_come_to_0_or_8_or_more():
    assert stats.hold_more({1: 9, 2: 9, 3: 3}, {3}) == {1, 3}
    assert stats.hold_more({1: 4, 2: 4, 3: 20}, {1, 2}) == {1, 2}  # 8 together: enough
    assert stats.hold_more({1: 9, 2: 0, 3: 1}, {3}) == {1, 3}  # a 0 row would not help


def test_suppress_never_leaves_one_held_cell_in_an_equation():
    values = {"total": 20, "a": 3, "b": 17}
    assert stats.suppress(values, [("total", ["a", "b"])]) == {"a", "b"}
    values = {"total": 20, "a": 0, "b": 20}
    assert stats.suppress(values, [("total", ["a", "b"])]) == set()
    # already seen cells keep what staff saw
    assert stats.suppress({"total": 20, "a": 10, "b": 10}, [("total", ["a", "b"])], {"a": True}) == {"a", "b"}


@pytest.mark.parametrize(("part", "whole", "expected"), [
    (1, 8, 13),  # 12.5: half up, not to even (round() gives 12)
    (3, 8, 38),  # 37.5
    (5, 8, 63),  # 62.5
    (1, 200, 1),  # 0.5
    (1, 3, 33), (2, 3, 67), (0, 10, 0), (8, 8, 100),
])
def test_percent_rounds_halves_up(part, whole, expected):
    assert stats.percent(part, whole) == expected
    assert stats.percent_text(part, whole) == f"{expected}%"


def test_percent_of_nothing_is_none():
    assert stats.percent(0, 0) is None and stats.percent(3, 0) is None
    assert stats.percent_text(3, 0) == "" and stats.percent_text(3, 0, empty="–") == "–"


def test_averages_to_one_place_half_up():
    assert stats.average(29, 8) == Decimal("3.6")  # 3.625
    assert stats.average(34, 8) == Decimal("4.3")  # 4.25, not 4.2
    assert stats.average(5, 0) is None
    assert stats.half_up(Decimal("12.5")) == Decimal("13")
