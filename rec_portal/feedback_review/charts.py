"""The feedback dashboard's charts: how a question was answered, and its trend over sessions.

The charts themselves (accessible SVG bars, drawn on the server) are rec_portal/stats/charts.py.
"""

from __future__ import annotations

from markupsafe import Markup

from rec_portal.stats import as_percent
from rec_portal.stats.charts import Bar, bar_chart, describe
from rec_portal.timeutil import format_uk


def distribution_chart(distribution, chart_id: str) -> Markup:
    """How one scored question was answered: a bar per choice, as a share of the answers."""
    bars = [Bar(words, n, f"{n} ({as_percent(pct)})") for words, n, pct in distribution.rows]
    question = distribution.question.text
    return bar_chart(
        chart_id,
        f"How people answered: {question}",
        bars,
        maximum=distribution.answers,
        description=f"{distribution.answers} answers. " + describe(bars),
    )


def row_label(row) -> str:
    """A session as its date and content version, a content version as its number."""
    if row.starts_at is not None:
        return f"{format_uk(row.starts_at, with_time=False)} (version {row.version})"
    return f"Version {row.version}"


def trend_chart(rows, question, chart_id: str) -> Markup | None:
    """The average answer to ``question`` at each session (``rows``: TrendRows);
    rows with too few answers get words instead of a bar. None when no row has a figure."""
    scores = [(row, row.score(question)) for row in rows]
    if not any(score.shown for _row, score in scores):
        return None
    yes_no = question.kind == "yes_no"
    bars = []
    for row, score in scores:
        value = score.yes_percent if yes_no else (float(score.mean) if score.mean is not None else None)
        bars.append(Bar(row_label(row), value, score.text))
    scale = "Per cent who said yes" if yes_no else "Average answer (out of 5)"
    return bar_chart(chart_id, f"{scale} at each session: {question.text}", bars, maximum=100 if yes_no else 5)
