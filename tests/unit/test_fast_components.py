"""templates/components/fast.jinja writes the same HTML as the NHS.UK frontend macros it
stands in for (whitespace aside), for every option the portal uses."""

import re

import pytest
from markupsafe import Markup

PAGER = {
    "items": [{"number": 1, "href": "/c", "current": False}, {"ellipsis": True},
              {"number": 4, "href": "/c?page=4", "current": True}, {"number": 5, "href": "/c?page=5", "current": False}],
    "ariaLabel": "Pages of results", "previous": {"href": "/c?page=3"}, "next": {"href": "/c?page=5"},
}

# (NHS.UK call, our call) pairs, each rendered with the same context.
CASES = {
    "summary list, text and html values, a row left out": (
        '{% from "nhsuk/components/summary-list/macro.jinja" import summaryList %}'
        '{{ summaryList({"classes": "nhsuk-summary-list--no-border x", "rows": ['
        '{"key": {"text": "Who <it> is for"}, "value": {"text": plain}},'
        '{"key": {"text": "Dates"}, "value": {"html": html}}, none,'
        '{"key": {"text": "Booking"}, "value": {"text": html}}]}) }}',
        '{% from "components/fast.jinja" import summary_list %}'
        '{{ summary_list([("Who <it> is for", plain), ("Dates", html), none, ("Booking", html)],'
        ' "nhsuk-summary-list--no-border x") }}',
    ),
    "summary list, no classes": (
        '{% from "nhsuk/components/summary-list/macro.jinja" import summaryList %}'
        '{{ summaryList({"rows": [{"key": {"text": "Cost"}, "value": {"text": "Free"}}]}) }}',
        '{% from "components/fast.jinja" import summary_list %}{{ summary_list([("Cost", "Free")]) }}',
    ),
    "card with a link and a body": (
        '{% from "nhsuk/components/card/macro.jinja" import card %}'
        '{% call card({"heading": plain, "headingLevel": 2, "headingClasses": "nhsuk-heading-m", "href": "/c?a=1&b=2"}) %}'
        '<p>body</p>{% endcall %}',
        '{% from "components/fast.jinja" import card %}'
        '{% call card(plain, 2, "nhsuk-heading-m", "/c?a=1&b=2") %}<p>body</p>{% endcall %}',
    ),
    "card without a link": (
        '{% from "nhsuk/components/card/macro.jinja" import card %}'
        '{% call card({"heading": plain, "headingLevel": 3, "headingClasses": "nhsuk-heading-s"}) %}<p>b</p>{% endcall %}',
        '{% from "components/fast.jinja" import card %}{% call card(plain, 3, "nhsuk-heading-s") %}<p>b</p>{% endcall %}',
    ),
    "details": (
        '{% from "nhsuk/components/details/macro.jinja" import details %}'
        '{{ details({"summaryText": plain, "html": html, "classes": "rec-att-bios", "attributes": {"id": "f-3"}}) }}',
        '{% from "components/fast.jinja" import details %}{{ details(plain, html, "rec-att-bios", "f-3") }}',
    ),
    "inset text": (
        '{% from "nhsuk/components/inset-text/macro.jinja" import insetText %}{{ insetText({"html": html}) }}',
        '{% from "components/fast.jinja" import inset_text %}{{ inset_text(html) }}',
    ),
    "back link": (
        '{% from "nhsuk/components/back-link/macro.jinja" import backLink %}'
        '{{ backLink({"href": "/courses", "text": "All courses"}) }}',
        '{% from "components/fast.jinja" import back_link %}{{ back_link("/courses", "All courses") }}',
    ),
    "pagination": (
        '{% from "nhsuk/components/pagination/macro.jinja" import pagination %}{{ pagination(pager) }}',
        '{% from "components/fast.jinja" import pagination %}{{ pagination(pager) }}',
    ),
}


def _squash(html: str) -> str:
    """Whitespace aside: runs of it are one space, and none next to a tag's brackets."""
    html = re.sub(r"\s+", " ", html)
    html = re.sub(r"\s*>\s*", ">", html)
    return re.sub(r"\s*<\s*", "<", html).strip()


@pytest.mark.parametrize("name", CASES)
def test_the_light_macros_write_the_same_html_as_the_nhs_ones(app, name):
    nhs, ours = CASES[name]
    context = {"plain": "Tom & Jerry's <course>", "html": Markup("<p>One</p>\n<ul><li>Two</li></ul>"),
               "pager": PAGER}
    with app.test_request_context("/courses"):
        expected = app.jinja_env.from_string(nhs).render(**context)
        got = app.jinja_env.from_string(ours).render(**context)
    assert _squash(got) == _squash(expected)
