"""rec_portal/stats: the small-numbers rule and the one rounding rule, without a request."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

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


# --- Every staff figure goes through rec_portal/stats -----------------------------------------

PACKAGE = Path(__file__).resolve().parents[2] / "rec_portal"
STATS = PACKAGE / "stats"
# Comparisons with 7 or 8 that are not about small numbers: (file, line's text).
NOT_SMALL_NUMBERS = {
    # how much fits on a certificate's one page: more than 8 dates listed shrinks the type
    ("attendance/certificates.py", "len(self.dates_attended) > 8"),
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if STATS not in path.parents:
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PACKAGE)}:{node.lineno} {ast.unparse(node)}"


def _figure_code(path: Path, tree: ast.AST) -> list[str]:
    """What works out or words a figure by hand: round(), x * 100 or x / 100, a comparison
    with 7 or 8, an f-string putting '%' after a value ('{rate}%')."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "round":
            found.append(_where(path, node))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div, ast.FloorDiv)) and any(
                isinstance(side, ast.Constant) and side.value in (100, 100.0) for side in (node.left, node.right)):
            found.append(_where(path, node))
        elif isinstance(node, ast.Compare) and any(
                isinstance(side, ast.Constant) and type(side.value) is int and side.value in (7, 8)
                for side in (node.left, *node.comparators)):
            key = (str(path.relative_to(PACKAGE)), ast.unparse(node))
            if key not in NOT_SMALL_NUMBERS:
                found.append(_where(path, node))
        elif isinstance(node, ast.JoinedStr) and not (  # a SQL LIKE pattern, '%words%', is no figure
                isinstance(node.values[0], ast.Constant) and str(node.values[0].value).startswith("%")):
            for before, after in zip(node.values, node.values[1:]):
                if (isinstance(before, ast.FormattedValue) and isinstance(after, ast.Constant)
                        and str(after.value).startswith("%")):
                    found.append(_where(path, node))
    return found


def test_figures_are_worked_out_and_worded_only_in_stats():
    """A percentage, a rounding or the small number written out anywhere else would drift
    from the one rule (rec_portal/stats): use stats.percent, as_percent, percent_text,
    average, to_places, decimal_text, SMALL_NUMBER, enough, is_small, count_text."""
    found = [where for path, tree in _modules() for where in _figure_code(path, tree)]
    assert found == []


@pytest.mark.parametrize("source", [
    "def _rate(value):\n    return '' if value is None else f'{value}%'\n",
    "x = round(hours, 2)\n",
    "share = 100 * part / whole\n",
    "held = 0 < count < 8\n",
    "shown = n >= 8\n",
    "text = f'{n} ({pct}%)'\n",
])
def test_the_check_sees_a_figure_worked_out_by_hand(source):
    assert _figure_code(PACKAGE / "example.py", ast.parse(source))


TEMPLATE_FIGURES = re.compile(
    r"\b100\s*\*|\*\s*100\b|/\s*100\b|\bround\b|[<>]=?\s*(small_number|[78])\b|\b(small_number|[78])\s*[<>]=?"
    r"|~\s*[\"']%")


def test_templates_only_show_figures():
    found = [
        f"{path.relative_to(PACKAGE)}:{number} {line.strip()}"
        for path in sorted((PACKAGE / "templates").rglob("*.htm*")) + sorted((PACKAGE / "templates").rglob("*.jinja"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for tag in [*re.findall(r"{[{%](.*?)[%}]}", line), *re.findall(r"}}%", line)]
        if TEMPLATE_FIGURES.search(tag) or tag == "}}%"  # '{{ rate }}%': use the as_percent filter
    ]
    assert found == []


@pytest.mark.parametrize(("count", "text"), [(0, "No answers yet"), (1, "Fewer than 8 answers"),
                                             (7, "Fewer than 8 answers"), (8, "8 answers"), (1234, "1,234 answers")])
def test_count_text_holds_back_1_to_7(count, text):
    assert stats.count_text(count, "answers", "No answers yet") == text


@pytest.mark.parametrize(("value", "text"), [(7.5, "7.5"), (6.0, "6"), (1.3333, "1.33"), (0, "0"), (10.0, "10"),
                                             (7.4999999999, "7.5"), (2.675, "2.68"), (0.125, "0.13")])
def test_measured_figures_to_two_places_halves_up(value, text):
    assert stats.decimal_text(value) == text
    assert stats.to_places(value) == float(text)


def test_as_percent_words_a_percent():
    assert stats.as_percent(13) == "13%" and stats.as_percent(None) == "" and stats.as_percent(None, "–") == "–"


def test_guard_holds_back_rows_and_selections_that_would_give_a_small_number_away():
    rules = stats.Guard.over({1: 9, 2: 3, 3: 9})
    assert rules.held == {1, 2} and not rules.row(2) and rules.row(3)  # 3 alone would be total - rows
    assert rules.selection({1, 2}) and rules.selection({3})
    assert not rules.selection({1}) and not rules.selection({2, 3})  # would split the held-back rows
