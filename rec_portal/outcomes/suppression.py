"""Small-number suppression for the outcomes report: pure functions, no database.

The rules themselves are rec_portal/stats/small_numbers.py (:func:`suppress`); this module
describes the outcomes tables to it (their cells and the equations between them).

The report is one table per stage: a row per quarter and a total row ("All quarters"),
with counts in columns. Some of the counts are never printed but can be worked out from
printed ones (people who were *not* victims are respondents minus victims); they are
cells here too, so that whatever can be worked out obeys the same rules.

A table is described by its cells (``key -> count``) and its **groups**: equations
``total = part + part + ...`` that anyone reading the table knows (respondents = victims
+ non-victims in a row; the total row = the sum of the quarter rows in a column).

1. Primary: every count from 1 to 7 is held back (0 is shown: it singles nobody out).
2. Complementary, per group, repeated until nothing changes:
   - a group never has exactly one held-back cell (it could be worked out from the rest);
   - when the group's total is shown, its held-back parts never add up to 1 to 7 (so
     "total minus the shown parts" never gives a small number either).
   Either way the smallest shown part with a count above 0 is held back as well (the
   earliest of equal ones); only when no part is left, the total.

So no held-back cell can be worked out from a total or from the other cells of its row
or column. Shares are shown only when both their numerator and their denominator are.

3. Over time: staff see a quarter only once it has ended, and its figures never change
   (the stored figures of rec_portal/models/outcomes.py). When a quarter closes
   (:func:`close_quarter`), what was shown before stays shown and what was held back
   stays held back; the new quarter and the new "All quarters" row are suppressed with
   every earlier one, including the equations across time ("All quarters" now =
   "All quarters" after an earlier quarter + the quarters since), so comparing this
   quarter's report with an earlier one gives no held-back figure away.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from rec_portal.stats.small_numbers import Group, suppress

# --- The report's table ---------------------------------------------------------------------

TOTAL = "total"  # the row key of the "All quarters" row

# Columns. Those marked False are never printed but can be worked out (see module docstring).
RESPONDENTS = "respondents"
VICTIMS = "victims"
NOT_VICTIMS = "not_victims"
REPEAT = "repeat"
ONCE_OR_NOT_SAID = "once_or_not_said"  # victims - repeat victims
REPORTED = "reported"
NOT_REPORTED = "not_reported"
SAID_IF_REPORTED = "said_if_reported"  # victims who answered "did you report it?"
NOT_SAID_IF_REPORTED = "not_said_if_reported"

BASE_COLUMNS = (RESPONDENTS, VICTIMS, NOT_VICTIMS, REPEAT, ONCE_OR_NOT_SAID, REPORTED,
                NOT_REPORTED, SAID_IF_REPORTED, NOT_SAID_IF_REPORTED)


def row_groups(row, crime_columns: Sequence[str] = ()) -> list[Group]:
    """The equations inside one row."""
    del crime_columns  # a person may tick several kinds: they add up to nothing known
    return [
        ((row, RESPONDENTS), [(row, VICTIMS), (row, NOT_VICTIMS)]),
        ((row, VICTIMS), [(row, REPEAT), (row, ONCE_OR_NOT_SAID)]),
        ((row, VICTIMS), [(row, SAID_IF_REPORTED), (row, NOT_SAID_IF_REPORTED)]),
        ((row, SAID_IF_REPORTED), [(row, REPORTED), (row, NOT_REPORTED)]),
    ]


def row_cells(counts: Mapping[str, int], crime_columns: Sequence[str]) -> dict[str, int]:
    """One row's cells, the worked-out ones included, from its counts: respondents,
    victims, repeat, reported, said_if_reported and one count per crime column."""
    c = {
        RESPONDENTS: counts.get(RESPONDENTS, 0),
        VICTIMS: counts.get(VICTIMS, 0),
        REPEAT: counts.get(REPEAT, 0),
        REPORTED: counts.get(REPORTED, 0),
        SAID_IF_REPORTED: counts.get(SAID_IF_REPORTED, 0),
    }
    c[NOT_VICTIMS] = c[RESPONDENTS] - c[VICTIMS]
    c[ONCE_OR_NOT_SAID] = c[VICTIMS] - c[REPEAT]
    c[NOT_REPORTED] = c[SAID_IF_REPORTED] - c[REPORTED]
    c[NOT_SAID_IF_REPORTED] = c[VICTIMS] - c[SAID_IF_REPORTED]
    for column in crime_columns:
        c[column] = counts.get(column, 0)
    return {column: c[column] for column in (*BASE_COLUMNS, *crime_columns)}


def table_cells(rows: Mapping[Hashable, Mapping[str, int]], crime_columns: Sequence[str]) -> dict:
    """Every cell of a stage's table, the worked-out ones included, and the total row.

    ``rows`` maps each quarter to its counts (see :func:`row_cells`)."""
    cells: dict = {}
    columns = (*BASE_COLUMNS, *crime_columns)
    for row, counts in rows.items():
        for column, count in row_cells(counts, crime_columns).items():
            cells[(row, column)] = count
    for column in columns:
        cells[(TOTAL, column)] = sum(cells[(row, column)] for row in rows)
    return cells


def table_groups(rows: Sequence[Hashable], crime_columns: Sequence[str]) -> list[Group]:
    groups: list[Group] = []
    for row in (*rows, TOTAL):
        groups += row_groups(row, crime_columns)
    for column in (*BASE_COLUMNS, *crime_columns):
        groups.append(((TOTAL, column), [(row, column) for row in rows]))
    return groups


def suppress_table(rows: Mapping[Hashable, Mapping[str, int]], crime_columns: Sequence[str]) -> tuple[dict, set]:
    """(cells, held back) for one stage's table (see :func:`table_cells`)."""
    cells = table_cells(rows, crime_columns)
    return cells, suppress(cells, table_groups(list(rows), crime_columns))


# --- Closing a quarter ----------------------------------------------------------------------


@dataclass
class ClosedRow:
    """A closed quarter's cells for one stage, and what staff see of them: the quarter's
    held-back cells, and the "All quarters" row's (that quarter and every earlier one
    added up) while it was the latest."""

    cells: dict[str, int]
    held: set[str]
    total_held: set[str]


def close_quarter(earlier: Sequence[ClosedRow], counts: Mapping[str, int],
                  crime_columns: Sequence[str]) -> ClosedRow:
    """Decide, once, what is held back of a quarter that has just ended, for one stage.

    Staff have already seen every earlier quarter and every earlier "All quarters" row
    (``earlier``, oldest first): those keep what they showed. So the new quarter and the
    new total are suppressed together with all of them, and with the equations a reader
    can write across time: the new total = an earlier total + the quarters since
    (otherwise "All quarters" now minus "All quarters" last quarter would give a held-back
    quarter away)."""
    k = len(earlier)
    row = row_cells(counts, crime_columns)
    columns = list(row)
    values: dict = {}
    decided: dict = {}
    for j, past in enumerate(earlier):
        for column in columns:
            values[(j, column)] = past.cells[column]
            decided[(j, column)] = column in past.held
    for column in columns:
        values[(k, column)] = row[column]
    for j in range(k + 1):
        for column in columns:
            values[((TOTAL, j), column)] = sum(values[(i, column)] for i in range(j + 1))
            if j < k:
                decided[((TOTAL, j), column)] = column in earlier[j].total_held
    groups: list[Group] = [*row_groups(k), *row_groups((TOTAL, k))]
    for column in columns:
        total = ((TOTAL, k), column)
        groups.append((total, [(i, column) for i in range(k + 1)]))
        for j in range(k):  # the total now = the total after quarter j + the quarters since
            groups.append((total, [((TOTAL, j), column), *[(i, column) for i in range(j + 1, k + 1)]]))
    hidden = suppress(values, groups, decided)
    return ClosedRow(
        cells=row,
        held={column for column in columns if (k, column) in hidden},
        total_held={column for column in columns if ((TOTAL, k), column) in hidden},
    )
