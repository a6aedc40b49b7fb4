"""Outcome rules without a web request: small-number suppression (hand-worked tables),
the answers' checks, and months after a date."""

from __future__ import annotations

from datetime import datetime

import pytest

from rec_portal import stats
from rec_portal.outcomes import suppression as s
from rec_portal.outcomes.operations import AnswersRefused, add_months, parse_answers


# --- suppress(): groups written out by hand ------------------------------------------------------

def test_counts_of_1_to_7_are_held_back_and_0_and_8_are_not():
    values = {"a": 0, "b": 1, "c": 7, "d": 8}
    assert s.suppress(values, []) == {"b", "c"}


def test_a_lone_small_cell_takes_the_next_smallest_with_it():
    # total 30 = 3 + 12 + 15: 3 alone could be worked out as 30 - 12 - 15.
    values = {"t": 30, "a": 3, "b": 12, "c": 15}
    assert s.suppress(values, [("t", ["a", "b", "c"])]) == {"a", "b"}


def test_held_back_parts_must_come_to_8_or_more_when_the_total_is_shown():
    # 2 and 3 are both held back, but together they are 5 = 40 - 35: hold back 10 too.
    values = {"t": 45, "a": 2, "b": 3, "c": 10, "d": 30}
    assert s.suppress(values, [("t", ["a", "b", "c", "d"])]) == {"a", "b", "c"}


def test_equal_counts_hold_back_the_earliest():
    values = {"t": 23, "a": 5, "b": 9, "c": 9}
    assert s.suppress(values, [("t", ["a", "b", "c"])]) == {"a", "b"}


def test_zero_is_never_used_to_hide_a_small_number():
    values = {"t": 13, "a": 4, "b": 0, "c": 9}
    assert s.suppress(values, [("t", ["a", "b", "c"])]) == {"a", "c"}


def test_a_small_total_takes_a_part_with_it():
    # total 5 held back, but 2 + 3 are held back too (small), so nothing more.
    assert s.suppress({"t": 5, "a": 2, "b": 3}, [("t", ["a", "b"])]) == {"t", "a", "b"}
    # total 9 shown, parts 9 and 0: nothing small, nothing held.
    assert s.suppress({"t": 9, "a": 9, "b": 0}, [("t", ["a", "b"])]) == set()


def test_when_no_part_is_left_the_total_is_held_back():
    # The only part besides the held-back one is 0: the total goes instead.
    values = {"t": 6, "a": 6, "b": 0}
    assert s.suppress(values, [("t", ["a", "b"])]) == {"t", "a"}


def test_suppression_spreads_across_rows_and_columns_until_nothing_is_left_alone():
    # A 2 x 2 table with row and column totals:
    #          x    y  | row
    #   r1     3   10  |  13
    #   r2    12   20  |  32
    #   col   15   30  |  45
    values = {("r1", "x"): 3, ("r1", "y"): 10, ("r2", "x"): 12, ("r2", "y"): 20,
              ("r1", "t"): 13, ("r2", "t"): 32, ("c", "x"): 15, ("c", "y"): 30, ("c", "t"): 45}
    groups = [
        (("r1", "t"), [("r1", "x"), ("r1", "y")]),
        (("r2", "t"), [("r2", "x"), ("r2", "y")]),
        (("c", "x"), [("r1", "x"), ("r2", "x")]),
        (("c", "y"), [("r1", "y"), ("r2", "y")]),
        (("c", "t"), [("r1", "t"), ("r2", "t")]),
    ]
    held = s.suppress(values, groups)
    # 3 is small; its row takes 10, its column takes 12; then 12's row takes 20 and 10's
    # column is already paired with 20: a rectangle, every row and column has two.
    assert held == {("r1", "x"), ("r1", "y"), ("r2", "x"), ("r2", "y")}
    for total, parts in groups:
        members = [total, *parts]
        assert sum(m in held for m in members) != 1


def test_shares_round_half_up():
    assert stats.percent(1, 8) == 13  # 12.5
    assert stats.percent(1, 3) == 33
    assert stats.percent(2, 3) == 67
    assert stats.percent(0, 10) == 0
    assert stats.percent(3, 0) is None


# --- The report's table ---------------------------------------------------------------------

def _held_text(cells, held, row):
    return {col for (r, col) in held if r == row}


def test_not_victims_cannot_be_worked_out_from_respondents_minus_victims():
    # 10 respondents, 8 victims: 8 and 10 are not small, but 10 - 8 = 2 not-victims is.
    rows = {0: {"respondents": 10, "victims": 8, "repeat": 0, "reported": 0, "said_if_reported": 0},
            1: {"respondents": 40, "victims": 12, "repeat": 0, "reported": 0, "said_if_reported": 0}}
    cells, held = s.suppress_table(rows, ())
    assert cells[(0, s.NOT_VICTIMS)] == 2
    assert (0, s.NOT_VICTIMS) in held
    # Respondents are shown, so victims must go too (else 10 - 8 gives the 2 away) ...
    assert (0, s.VICTIMS) in held and (0, s.RESPONDENTS) not in held
    # ... and the victims column's total would give quarter 0's victims as total - 12:
    # the next smallest quarter's victims are held back as well.
    assert (1, s.VICTIMS) in held
    # Quarter 1's not-victims (28) then follow, so 40 - victims is not a way in either.
    assert (1, s.NOT_VICTIMS) in held


def test_a_small_quarter_cannot_be_worked_out_from_the_total_row():
    # Hand count: quarter 0 has 5 respondents (small), quarters 1 and 2 have 20 and 30;
    # the total is 55. Quarter 0 alone could be found as 55 - 20 - 30.
    rows = {0: {"respondents": 5, "victims": 0}, 1: {"respondents": 20, "victims": 0},
            2: {"respondents": 30, "victims": 0}}
    cells, held = s.suppress_table(rows, ())
    assert cells[(s.TOTAL, s.RESPONDENTS)] == 55
    assert (0, s.RESPONDENTS) in held
    assert (1, s.RESPONDENTS) in held  # the next smallest
    assert (2, s.RESPONDENTS) not in held and (s.TOTAL, s.RESPONDENTS) not in held
    # Held back together they come to 25 (= 55 - 30): not a small number.
    assert cells[(0, s.RESPONDENTS)] + cells[(1, s.RESPONDENTS)] >= 8


def test_every_group_of_a_report_table_is_safe():
    rows = {
        0: {"respondents": 30, "victims": 9, "repeat": 3, "reported": 5, "said_if_reported": 8, "crime:theft": 4},
        1: {"respondents": 26, "victims": 6, "repeat": 2, "reported": 2, "said_if_reported": 6, "crime:theft": 3},
        2: {"respondents": 41, "victims": 8, "repeat": 1, "reported": 4, "said_if_reported": 7, "crime:theft": 8},
        3: {"respondents": 0},
    }
    cells, held = s.suppress_table(rows, ("crime:theft",))
    for key, count in cells.items():
        if stats.is_small(count):
            assert key in held, key
    for total, parts in s.table_groups(list(rows), ("crime:theft",)):
        members = [total, *parts]
        assert sum(m in held for m in members) != 1, total
        if total not in held:
            assert not stats.is_small(sum(cells[p] for p in parts if p in held)), total


# --- Answers ---------------------------------------------------------------------------------

def test_every_question_may_be_left_out():
    answers = parse_answers({})
    assert answers.victim is None and answers.times is None and answers.crime_types == []


def test_a_victims_answers_are_kept_in_the_lists_order():
    answers = parse_answers({"victim": ["yes"], "times": [" 3 "], "crime_types": ["fraud", "theft", "fraud"],
                             "reported": ["yes"], "reported_to": ["police"], "got_support": ["no"]})
    assert (answers.victim, answers.times, answers.crime_types) == (True, 3, ["theft", "fraud"])
    assert (answers.reported, answers.reported_to, answers.got_support) == (True, ["police"], False)


def test_no_with_follow_ups_filled_in_keeps_the_no_and_nothing_else():
    answers = parse_answers({"victim": ["no"], "times": ["lots"], "crime_types": ["theft", "nonsense"],
                             "reported": ["yes"], "got_support": ["yes"]})
    assert answers.victim is False
    assert (answers.times, answers.crime_types, answers.reported, answers.got_support) == (None, [], None, None)


def test_prefer_not_to_say_is_not_an_answer():
    assert parse_answers({"victim": ["prefer_not"], "times": ["2"]}).victim is None


def test_who_they_told_counts_only_if_they_said_they_reported_it():
    answers = parse_answers({"victim": ["yes"], "reported": ["no"], "reported_to": ["police", "bogus"]})
    assert answers.reported is False and answers.reported_to == []


@pytest.mark.parametrize("times", ["0", "100", "2.5", "-1", "two", "²", "1e1"])
def test_times_must_be_a_whole_number_from_1_to_99(times):
    with pytest.raises(AnswersRefused) as refused:
        parse_answers({"victim": ["yes"], "times": [times]})
    assert refused.value.errors == {"times": "Enter how many times as a whole number from 1 to 99, or leave it blank"}


def test_kinds_of_crime_only_from_the_list():
    with pytest.raises(AnswersRefused) as refused:
        parse_answers({"victim": ["yes"], "crime_types": ["theft", "jaywalking"]})
    assert "crime_types" in refused.value.errors


def test_an_unknown_first_answer_is_refused():
    with pytest.raises(AnswersRefused) as refused:
        parse_answers({"victim": ["maybe"]})
    assert list(refused.value.errors) == ["victim"]


def test_months_after_a_date_keep_the_day_or_use_the_months_last():
    assert add_months(datetime(2026, 3, 14, 16), 6) == datetime(2026, 9, 14, 16)
    assert add_months(datetime(2026, 8, 31, 9), 6) == datetime(2027, 2, 28, 9)
    assert add_months(datetime(2026, 12, 1), 12) == datetime(2027, 12, 1)


def test_every_held_cell_reads_the_same_so_none_can_be_told_apart():
    """1, 8 and 20 with a total of 29: both 1 and 8 are held. If the 1 read "fewer than 8"
    and the 8 "not shown" (so 8 or more), the hidden 9 would give both away."""
    from rec_portal.outcomes.queries import Figure

    counts, held = s.suppress_table({0: {"respondents": 1}, 1: {"respondents": 8}, 2: {"respondents": 20}}, ())
    assert {(0, "respondents"), (1, "respondents")} <= held and (2, "respondents") not in held
    texts = {Figure(counts[cell], cell in held).text for cell in [(0, "respondents"), (1, "respondents")]}
    assert texts == {"not shown"}
    assert Figure(20, False).text == "20"


# --- Closing quarters: what staff saw stays, and no two reports give a figure away --------------


def _close_all(quarters, crime_columns=()):
    closed = []
    for counts in quarters:
        before = [s.ClosedRow(dict(c.cells), set(c.held), set(c.total_held)) for c in closed]
        closed.append(s.close_quarter(closed, counts, crime_columns))
        assert [(c.cells, c.held, c.total_held) for c in closed[:-1]] == \
            [(c.cells, c.held, c.total_held) for c in before]  # earlier quarters are never changed
    return closed


def test_a_small_new_quarter_cannot_be_worked_out_from_two_all_quarters_rows():
    """40 respondents last quarter ("All quarters": 40); 3 this quarter. Shown "All
    quarters" rows of 40 and then 43 would give the 3 away, so the new total is held back
    (the quarter staff already saw stays shown)."""
    first, second = _close_all([{"respondents": 40, "victims": 16}, {"respondents": 3, "victims": 1}])
    assert "respondents" not in first.held and "respondents" not in first.total_held
    assert "respondents" in second.held and "respondents" in second.total_held
    assert "victims" in second.held and "victims" in second.total_held


def _readable(closed, column):
    """Whether any held-back quarter can be worked out, or narrowed to 1 to 7, from two
    "All quarters" rows staff saw (an earlier one, or 0 before the first, and a later one)."""
    totals = [0]
    shown = [True]
    for c in closed:
        totals.append(totals[-1] + c.cells[column])
        shown.append(column not in c.total_held)
    for j in range(len(closed) + 1):
        for k in range(j + 1, len(closed) + 1):
            if not (shown[j] and shown[k]):
                continue
            held = [c.cells[column] for c in closed[j:k] if column in c.held]
            if len(held) == 1 and held[0] > 0 or 0 < sum(held) < stats.SMALL_NUMBER:
                return True
    return False


def test_no_held_back_quarter_can_be_worked_out_from_reports_over_time():
    import random

    rng = random.Random(13)
    for _ in range(40):
        quarters = []
        for _ in range(rng.randint(2, 9)):
            respondents = rng.choice([0, 1, 3, 6, 8, 9, 12, 25, 40])
            victims = rng.randint(0, respondents)
            quarters.append({"respondents": respondents, "victims": victims, "repeat": rng.randint(0, victims),
                             "crime:theft": rng.randint(0, victims)})
        closed = _close_all(quarters, ("crime:theft",))
        for column in (*s.BASE_COLUMNS, "crime:theft"):
            assert not _readable(closed, column), (quarters, column)
        for c in closed:  # and no quarter's own row gives a small number away
            assert all(column in c.held for column, count in c.cells.items() if stats.is_small(count))
