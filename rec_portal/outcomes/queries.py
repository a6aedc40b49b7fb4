"""The outcomes report's figures.

Staff see only quarters (UK calendar quarters) that have ended. When a quarter ends its
figures are worked out once in SQL (GROUP BY stage and quarter, :func:`grouped_counts`),
suppressed (rec_portal/outcomes/suppression.py) and stored
(``operations.close_quarters``); the report only reads the stored figures (two
statements whatever the number of answers). So no answer given, or deleted, later
changes a figure staff have seen, and answers given in the current quarter are seen by
nobody until it ends.

The report always works over every closed quarter, and the filters only choose which of
its rows and stages are shown: every figure comes from one table with one set of
held-back cells, so comparing two filtered views gives nothing away."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, select

from markupsafe import Markup

from rec_portal.extensions import db
from rec_portal.models.outcomes import (
    CRIME_TYPES,
    OUTCOME_STAGES,
    STAGE_LABELS,
    OutcomeCheck,
    OutcomeCrimeType,
    OutcomeQuarter,
    OutcomeQuarterFigure,
)
from rec_portal.outcomes import suppression as s
from rec_portal.stats import HELD_BACK, as_percent, charts, percent
from rec_portal.timeutil import format_uk, to_uk, uk_day_start

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CRIME_COLUMNS = tuple(f"crime:{code}" for code in CRIME_TYPES)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1: Jan to Mar ... 4: Oct to Dec

    @classmethod
    def of(cls, moment: datetime) -> Quarter:
        local = to_uk(moment)
        return cls(local.year, (local.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter | None:
        """'2026-3' as a quarter; None for anything else."""
        year, _, number = (text or "").partition("-")
        if not (year.isascii() and year.isdigit() and len(year) == 4 and number in ("1", "2", "3", "4")):
            return None
        return cls(int(year), int(number))

    @property
    def key(self) -> str:
        return f"{self.year}-{self.number}"

    @property
    def label(self) -> str:
        first = 3 * (self.number - 1)
        return f"{MONTHS[first]} to {MONTHS[first + 2]} {self.year}"

    def next(self) -> Quarter:
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def last_day(self) -> date:
        """Its last day (UK calendar)."""
        return (to_uk(self.next().starts_at()) - timedelta(days=1)).date()

    def starts_at(self) -> datetime:
        """Midnight UK time on its first day, as naive UTC."""
        return uk_day_start(date(self.year, 3 * (self.number - 1) + 1, 1))


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    out, q = [], first
    while q <= last:
        out.append(q)
        q = q.next()
    return out


@dataclass
class Figure:
    """One cell as shown: its count, or why it is held back."""

    count: int
    held: bool

    @property
    def shown(self) -> bool:
        return not self.held

    @property
    def text(self) -> str:
        if not self.held:
            return str(self.count)
        # One label for every held cell: "fewer than 8" on some and "not shown" on others
        # would say the others are 8 or more, and with a total that can give a count away.
        return HELD_BACK


@dataclass
class Share:
    percent: int | None  # None: not shown (held back, or nothing to divide by)
    text: str


def _share(numerator: Figure, denominator: Figure) -> Share:
    if numerator.held or denominator.held:
        return Share(None, HELD_BACK)
    value = percent(numerator.count, denominator.count)
    return Share(value, as_percent(value, empty="No answers"))


@dataclass
class Row:
    key: str  # a quarter's key, or "total"
    label: str
    figures: dict[str, Figure]

    def __getitem__(self, column: str) -> Figure:
        return self.figures[column]

    @property
    def victim_share(self) -> Share:
        return _share(self.figures[s.VICTIMS], self.figures[s.RESPONDENTS])

    @property
    def repeat_share(self) -> Share:
        return _share(self.figures[s.REPEAT], self.figures[s.RESPONDENTS])

    @property
    def reported_share(self) -> Share:
        return _share(self.figures[s.REPORTED], self.figures[s.SAID_IF_REPORTED])

    def crime(self, code: str) -> Figure:
        return self.figures[f"crime:{code}"]


@dataclass
class StageTable:
    stage: str
    rows: list[Row]  # the quarters shown, oldest first
    total: Row | None  # "All quarters" (only when every quarter is shown)

    @property
    def label(self) -> str:
        return STAGE_LABELS[self.stage]

    @property
    def respondents(self) -> int:
        return sum(r[s.RESPONDENTS].count for r in self.rows)


@dataclass
class Report:
    quarters: list[Quarter]  # every closed quarter (the filter's choices)
    tables: list[StageTable] = field(default_factory=list)
    first: Quarter | None = None
    last: Quarter | None = None

    @property
    def has_figures(self) -> bool:
        return bool(self.quarters)


def first_answer() -> datetime | None:
    return db.session.execute(select(func.min(OutcomeCheck.answered_at))).scalar_one()


def report_quarters() -> list[Quarter]:
    """Every closed quarter, oldest first (none before the first quarter ends)."""
    return [Quarter(year, number) for year, number in db.session.execute(
        select(OutcomeQuarter.year, OutcomeQuarter.number).order_by(OutcomeQuarter.year, OutcomeQuarter.number)
    )]


def stored_rows() -> dict[str, dict[Quarter, s.ClosedRow]]:
    """stage -> closed quarter -> its stored figures (one statement)."""
    out: dict[str, dict[Quarter, s.ClosedRow]] = {stage: {} for stage in OUTCOME_STAGES}
    for f in db.session.execute(select(OutcomeQuarterFigure)).scalars():
        row = out.setdefault(f.stage, {}).setdefault(Quarter(f.year, f.number), s.ClosedRow({}, set(), set()))
        row.cells[f.measure] = f.count
        if f.held:
            row.held.add(f.measure)
        if f.total_held:
            row.total_held.add(f.measure)
    return out


def _quarter_case(quarters: list[Quarter]):
    """A CASE giving each answer its quarter's index (answers are within the range)."""
    whens = [(OutcomeCheck.answered_at < q.next().starts_at(), i) for i, q in enumerate(quarters)]
    return case(*whens, else_=len(quarters) - 1)


def grouped_counts(quarters: list[Quarter]) -> dict[str, dict[int, dict[str, int]]]:
    """stage -> quarter index -> counts (two statements)."""
    counts: dict[str, dict[int, dict[str, int]]] = {stage: {} for stage in OUTCOME_STAGES}
    if not quarters:
        return counts
    q = _quarter_case(quarters).label("q")
    victim = OutcomeCheck.victim.is_(True)

    def n(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    within = and_(OutcomeCheck.answered_at >= quarters[0].starts_at(),
                  OutcomeCheck.answered_at < quarters[-1].next().starts_at(),
                  OutcomeCheck.victim.is_not(None))
    rows = db.session.execute(
        select(
            OutcomeCheck.stage, q,
            func.count().label("respondents"),
            n(victim).label("victims"),
            n(and_(victim, OutcomeCheck.times >= 2)).label("repeat"),
            n(and_(victim, OutcomeCheck.reported.is_(True))).label("reported"),
            n(and_(victim, OutcomeCheck.reported.is_not(None))).label("said_if_reported"),
        ).where(within).group_by(OutcomeCheck.stage, q)
    ).all()
    for row in rows:
        counts[row.stage][row.q] = {
            s.RESPONDENTS: row.respondents, s.VICTIMS: row.victims, s.REPEAT: row.repeat,
            s.REPORTED: row.reported, s.SAID_IF_REPORTED: row.said_if_reported,
        }
    crimes = db.session.execute(
        select(OutcomeCheck.stage, q, OutcomeCrimeType.crime_type, func.count())
        .join(OutcomeCrimeType, OutcomeCrimeType.check_id == OutcomeCheck.id)
        .where(within, OutcomeCheck.victim.is_(True))
        .group_by(OutcomeCheck.stage, q, OutcomeCrimeType.crime_type)
    ).all()
    for stage, index, crime_type, count in crimes:
        counts[stage].setdefault(index, {})[f"crime:{crime_type}"] = count
    return counts


def build_report(*, stage: str | None = None, first: Quarter | None = None, last: Quarter | None = None) -> Report:
    """The report from the stored figures of the closed quarters: every stage's table
    over every closed quarter (each cell shown or held back as decided when its quarter
    closed), then only the chosen stage and quarters kept. Two statements."""
    quarters = report_quarters()
    report = Report(quarters=quarters)
    if not quarters:
        return report
    first = first if first in quarters else quarters[0]
    last = last if last in quarters else quarters[-1]
    if last < first:
        first, last = last, first
    report.first, report.last = first, last
    whole = first == quarters[0] and last == quarters[-1]
    stored = stored_rows()
    columns = (*s.BASE_COLUMNS, *CRIME_COLUMNS)
    for table_stage in OUTCOME_STAGES:
        if stage and table_stage != stage:
            continue
        closed = stored[table_stage]
        empty = s.ClosedRow({}, set(), set())

        def row(q: Quarter) -> Row:
            c = closed.get(q, empty)
            return Row(key=q.key, label=q.label,
                       figures={col: Figure(c.cells.get(col, 0), col in c.held) for col in columns})

        rows = [row(q) for q in quarters if first <= q <= last]
        total = None
        if whole:
            latest = closed.get(quarters[-1], empty)
            total = Row(key=s.TOTAL, label="All quarters", figures={
                col: Figure(sum(c.cells.get(col, 0) for c in closed.values()), col in latest.total_held)
                for col in columns
            })
        report.tables.append(StageTable(stage=table_stage, rows=rows, total=total))
    return report


# --- CSV ------------------------------------------------------------------------------------


def csv_header() -> list[str]:
    return [
    "Stage", "Quarter", "Respondents", "Victims of crime", "Share who were victims", "Repeat victims",
    "Share who were repeat victims", "Victims who reported it", "Share of victims who reported it",
    *[f"Kind of crime: {words}" for words in CRIME_TYPES.values()],
    ]


def csv_rows(report: Report):
    for table in report.tables:
        for row in [*table.rows, *([table.total] if table.total else [])]:
            yield [
                table.label, row.label, row[s.RESPONDENTS].text, row[s.VICTIMS].text, row.victim_share.text,
                row[s.REPEAT].text, row.repeat_share.text, row[s.REPORTED].text, row.reported_share.text,
                *[row.crime(code).text for code in CRIME_TYPES],
            ]


# --- Pages --------------------------------------------------------------------------------------


def format_day(moment: datetime) -> str:
    return format_uk(moment, with_time=False)


def victim_chart(table: StageTable) -> Markup:
    """The share of respondents who were victims, per quarter shown and for all quarters
    (held-back figures get words, no bar)."""
    bars = []
    for row in [*table.rows, *([table.total] if table.total else [])]:
        share_ = row.victim_share
        if share_.percent is None:
            figure = share_.text if share_.text != "No answers" else "no answers"
        else:
            figure = as_percent(share_.percent)
        bars.append(charts.Bar(row.label, share_.percent, figure))
    return charts.bar_chart(
        f"victims-chart-{table.stage}",
        f"Share of respondents who were victims of crime, by quarter: {table.label.lower()}",
        bars, maximum=100,
    )
