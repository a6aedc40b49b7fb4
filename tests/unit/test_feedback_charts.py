"""The dashboard's server-rendered SVG charts, and the small-numbers rule and averages
they show (no database needed)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rec_portal.feedback_review import charts as dashboard_charts
from rec_portal.feedback_review.dashboard import (
    SUPPRESSED,
    Distribution,
    Rate,
    Score,
    TrendRow,
)
from rec_portal.stats import HELD_BACK, SMALL_NUMBER, Guard, charts, enough, hold_more, percent

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def _bars(root) -> list[float]:
    return [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("class") == "rec-fbr-chart__bar"]


def _texts(root, cls: str) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text") if t.get("class") == cls]


def test_a_chart_is_an_image_named_by_its_title_and_described_with_every_figure():
    bars = [charts.Bar("Yes", 6, "6 (75%)"), charts.Bar("No", 2, "2 (25%)")]
    root = _parse(charts.bar_chart("chart-q1", "How people answered: Recommend?", bars, maximum=8))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-q1-title chart-q1-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.get("id") == "chart-q1-title" and title.text == "How people answered: Recommend?"
    assert desc.get("id") == "chart-q1-desc" and desc.text == "Yes: 6 (75%). No: 2 (25%)."
    # Labels and figures are text in the picture, not colour.
    assert _texts(root, "rec-fbr-chart__label") == ["Yes", "No"]
    assert _texts(root, "rec-fbr-chart__figure") == ["6 (75%)", "2 (25%)"]
    assert root.get("viewBox") == f"0 0 {charts.WIDTH} {charts.height(2)}"


def test_bars_are_in_proportion_to_the_maximum():
    usable = charts.WIDTH - charts.FIGURE_SPACE
    bars = [charts.Bar("a", 8, ""), charts.Bar("b", 2, ""), charts.Bar("c", 0, ""), charts.Bar("d", 12, "")]
    root = _parse(charts.bar_chart("c", "t", bars, maximum=8))
    # A zero draws no bar (only its track); more than the maximum is drawn full length.
    assert _bars(root) == [usable, round(usable / 4, 1), usable]
    assert charts.bar_length(4, 8) == round(usable / 2, 1)
    assert charts.bar_length(None, 8) == 0 and charts.bar_length(3, 0) == 0


def test_a_held_back_row_has_words_and_no_bar():
    bars = [charts.Bar("12 March 2026 (version 1)", 4.2, "4.2"),
            charts.Bar("9 April 2026 (version 2)", None, SUPPRESSED)]
    root = _parse(charts.bar_chart("trend", "Overall", bars, maximum=5))
    assert len(_bars(root)) == 1
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "rec-fbr-chart__track"]) == 1
    assert _texts(root, "rec-fbr-chart__figure") == ["4.2", "fewer than 8 responses"]


def test_text_in_a_chart_is_escaped():
    bars = [charts.Bar('<script>alert("x")</script> & co', 1, "1")]
    markup = str(charts.bar_chart('id"><x', "<b>Title</b>", bars, maximum=1))
    assert "<script>" not in markup and "<b>" not in markup and 'id"><x' not in markup
    root = _parse(markup)  # still well-formed
    assert _texts(root, "rec-fbr-chart__label") == ['<script>alert("x")</script> & co']


def test_colours_have_enough_contrast():
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a: str, b: str) -> float:
        la, lb = sorted((luminance(a), luminance(b)), reverse=True)
        return (la + 0.05) / (lb + 0.05)

    assert contrast(charts.TEXT_COLOUR, "#ffffff") >= 4.5
    assert contrast(charts.TEXT_COLOUR, "#f0f4f5") >= 4.5  # the page background
    assert contrast(charts.BAR_COLOUR, charts.TRACK_COLOUR) >= 3  # a bar against its track
    assert contrast(charts.BAR_COLOUR, "#f0f4f5") >= 3


# --- The figures the charts draw ----------------------------------------------------------------


@dataclass
class _Question:
    id: int
    kind: str
    text: str = "Overall, how would you rate the course?"
    retired_at: datetime | None = None


def test_the_small_numbers_rule():
    assert SMALL_NUMBER == 8
    assert not enough(0) and not enough(7) and enough(8) and enough(500)
    assert Score("rating", 7, 35).text == "fewer than 8 responses" and Score("rating", 7, 35).mean is None
    assert Score("rating", 0, 0).text == "No answers"
    assert Rate(invited=10, answered=7, responses=7).text == "fewer than 8 responses"
    assert Rate(invited=10, answered=8, responses=8).text == "80%"
    assert Rate(invited=0, answered=0, responses=0).text == "Nobody invited yet"


def test_averages_are_rounded_half_up_to_one_place_and_yes_as_a_whole_per_cent():
    assert Score("rating", 8, 29).mean == Decimal("3.6")  # 3.625
    assert Score("agreement", 8, 34).mean == Decimal("4.3")  # 4.25, not banker's 4.2
    assert Score("rating", 8, 40).text == "5.0"
    assert Score("yes_no", 8, 5).text == "63% yes"  # 62.5
    assert percent(3, 8) == 38 and percent(1, 3) == 33


def test_a_distribution_lists_every_choice_in_order_with_its_share():
    dist = Distribution(_Question(1, "rating"), counts={5: 2, 4: 3, 3: 1, 2: 1, 1: 1})
    assert dist.answers == 8 and dist.shown
    assert dist.rows == [("5 - Excellent", 2, 25), ("4 - Good", 3, 38), ("3 - Okay", 1, 13),
                         ("2 - Poor", 1, 13), ("1 - Very poor", 1, 13)]
    assert dist.score.mean == Decimal("3.5")
    root = _parse(dashboard_charts.distribution_chart(dist, "chart-question-1"))
    assert root.find(f"{SVG}desc").text.startswith("8 answers. 5 - Excellent: 2 (25%).")
    assert _bars(root)[1] == charts.bar_length(3, 8)


def test_the_trend_chart_is_left_out_when_no_row_has_enough_answers():
    question = _Question(1, "yes_no", "Would you recommend the course?")
    few = TrendRow(key=1, starts_at=datetime(2026, 3, 12, 10), version=1, sessions=1, invited=9, answered=7,
                   responses=7, sums={1: [7, 5]})
    many = TrendRow(key=2, starts_at=datetime(2026, 4, 9, 10), version=2, sessions=1, invited=9, answered=8,
                    responses=8, sums={1: [8, 6]})
    assert dashboard_charts.trend_chart([few], question, "t") is None
    root = _parse(dashboard_charts.trend_chart([few, many], question, "t"))
    assert _texts(root, "rec-fbr-chart__label") == ["12 March 2026 (version 1)", "9 April 2026 (version 2)"]
    assert _texts(root, "rec-fbr-chart__figure") == ["not shown", "75% yes"]
    assert _bars(root) == [charts.bar_length(75, 100)]
    assert root.find(f"{SVG}title").text == "Per cent who said yes at each session: Would you recommend the course?"


def test_secondary_suppression_holds_back_the_next_smallest_rows_until_8_or_more():
    # 9, 9, 3: the 3 and the earlier 9 (12 together).
    assert hold_more({1: 9, 2: 9, 3: 3}, {3}) == {1, 3}
    # 9, 9, 8, 3: the 3 and the 8 (11).
    assert hold_more({1: 9, 2: 9, 3: 8, 4: 3}, {4}) == {3, 4}
    # 3 and 5 come to 8 already; nothing held back stays nothing; rows of 0 never help.
    assert hold_more({1: 3, 2: 5, 3: 9}, {1, 2}) == {1, 2}
    assert hold_more({1: 9, 2: 0}, set()) == set()
    assert hold_more({1: 2, 2: 0, 3: 1}, {1, 3}) == {1, 3}  # all there is (the total is held back too)
    # Two small rows of 1 and 2 and rows of 4 and 8: the 4 (7) is not enough, so the 8 too.
    assert hold_more({1: 1, 2: 2, 3: 4, 4: 8, 5: 20}, {1, 2}) == {1, 2, 3, 4}


def test_a_selection_is_shown_only_when_it_and_the_rest_are_safe():
    # Sessions of 8 and 2: both held back in the table (the 2, then the 8).
    rules = Guard.over({1: 8, 2: 2})
    assert rules.held == {1, 2}
    assert rules.selection({1, 2}) and not rules.selection({1}) and not rules.selection({2})
    # 8 and 9: nothing held back, each shown on its own.
    rules = Guard.over({1: 8, 2: 9})
    assert rules.held == set() and rules.selection({1}) and rules.selection({2}) and rules.row(1)
    # 9, 3, 9: the first two together (all the held-back ones), or the last alone.
    rules = Guard.over({1: 9, 2: 3, 3: 9})
    assert rules.held == {1, 2} and not rules.row(1) and rules.row(3)
    assert rules.selection({1, 2}) and rules.selection({3}) and rules.selection({1, 2, 3})
    assert not rules.selection({2, 3}) and not rules.selection({1})
    # The rest of the course with 1 to 7 (here with nothing held back in the table: 0 is fine).
    rules = Guard.over({1: 10, 2: 0, 3: 9})
    assert rules.selection({1, 2}) and rules.selection({2, 3})
    assert not Guard.over({1: 7}).selection({1})


def test_held_back_words():
    assert Rate(invited=9, answered=7, responses=7).responses_text == "fewer than 8"
    assert Rate(invited=9, answered=0, responses=0).responses_text == "0"
    assert Rate(invited=12, answered=10, responses=10).responses_text == "10"
    held = Rate(invited=12, answered=10, responses=10, allowed=False, held_text=HELD_BACK)
    assert (held.responses_text, held.text) == ("not shown", "not shown")
    assert Score("rating", 9, 36, allowed=False, held_text=HELD_BACK).text == "not shown"
    assert Score("rating", 9, 36, allowed=False).mean is None
    assert SUPPRESSED == "fewer than 8 responses"
