"""Accessible horizontal bar charts, drawn on the server as SVG (no JavaScript).

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its
``<desc>`` (through ``aria-labelledby``), so a screen reader reads one sentence with every
figure; the pictures inside are hidden from it. Every bar has its label above it and its
figure after it in text, so nothing depends on colour. Bars are NHS blue (#005eb8, 6.9:1
against white; text is #212b32). Pages show the same figures in a table as well.

A row whose value is ``None`` was held back (small numbers): it gets no bar, only its
words (for example "fewer than 8 responses").

Used by the feedback dashboard (rec_portal/feedback_review/charts.py) and the outcomes
report.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360  # viewBox units; the chart scales to the width of its container
LABEL_FONT = 15
FIGURE_FONT = 15
BAR_HEIGHT = 20
LABEL_GAP = 6  # between a label's baseline and its bar
ROW_GAP = 14  # between one bar and the next label
FIGURE_SPACE = 100  # room kept right of the longest bar for its figure ("12 (100%)")
TOP = 4

BAR_COLOUR = "#005eb8"
TRACK_COLOUR = "#e8edee"
TEXT_COLOUR = "#212b32"


@dataclass(frozen=True)
class Bar:
    label: str  # what the bar is ("Strongly agree", "12 March 2026")
    value: float | None  # None: held back, no bar drawn
    figure: str  # the figure in words, after the bar ("12 (40%)", "4.2", "fewer than 8 responses")


def _row_height() -> int:
    return LABEL_FONT + LABEL_GAP + BAR_HEIGHT + ROW_GAP


def height(rows: int) -> int:
    return TOP + rows * _row_height()


def bar_length(value: float | None, maximum: float) -> float:
    """The length of a bar in viewBox units (0 for no value or a zero maximum)."""
    if value is None or maximum <= 0:
        return 0.0
    usable = WIDTH - FIGURE_SPACE
    return round(usable * max(0.0, min(value, maximum)) / maximum, 1)


def describe(bars: list[Bar]) -> str:
    """One sentence per bar: 'Strongly agree: 12 (40%).'"""
    return " ".join(f"{bar.label}: {bar.figure}." for bar in bars)


def bar_chart(chart_id: str, title: str, bars: list[Bar], maximum: float, description: str | None = None) -> Markup:
    """An SVG horizontal bar chart. ``chart_id`` must be unique on the page (it prefixes the
    ids of the title and the description); ``maximum`` is the value of a full-length bar."""
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    total_height = height(len(bars))
    parts = [
        (f'<svg class="rec-fbr-chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
        f'viewBox="0 0 {WIDTH} {total_height}" width="{WIDTH}" height="{total_height}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'),
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description or describe(bars))}</desc>',
    ]
    usable = WIDTH - FIGURE_SPACE
    y = TOP
    for bar in bars:
        label_y = y + LABEL_FONT
        bar_y = label_y + LABEL_GAP
        parts.append(
            f'<text x="0" y="{label_y}" font-size="{LABEL_FONT}" fill="{TEXT_COLOUR}" '
            f'class="rec-fbr-chart__label">{escape(bar.label)}</text>'
        )
        if bar.value is None:
            figure_x = 0.0
        else:
            length = bar_length(bar.value, maximum)
            parts.append(
                f'<rect x="0" y="{bar_y}" width="{usable}" height="{BAR_HEIGHT}" fill="{TRACK_COLOUR}" '
                f'class="rec-fbr-chart__track"/>'
            )
            if length > 0:
                parts.append(
                    f'<rect x="0" y="{bar_y}" width="{length}" height="{BAR_HEIGHT}" fill="{BAR_COLOUR}" '
                    f'class="rec-fbr-chart__bar"/>'
                )
            figure_x = usable + 8
        parts.append(
            f'<text x="{figure_x}" y="{bar_y + BAR_HEIGHT - 5}" font-size="{FIGURE_FONT}" '
            f'fill="{TEXT_COLOUR}" font-weight="bold" class="rec-fbr-chart__figure">{escape(bar.figure)}</text>'
        )
        y += _row_height()
    parts.append("</svg>")
    return Markup("".join(parts))
