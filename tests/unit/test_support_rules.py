"""The rules for a support guide entry (rec_portal.support.operations.clean_service_fields)."""

import pytest

from rec_portal.support.operations import clean_service_fields, normalise_website

VALID = {"name": "Samaritans", "needs": ["mental_health_crisis"]}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("www.example.org", "https://www.example.org"),
        ("example.org/help", "https://example.org/help"),
        ("  https://www.example.org/a?b=c  ", "https://www.example.org/a?b=c"),
        ("http://example.org", "http://example.org"),
        ("", ""),
    ],
)
def test_websites_are_tidied(typed, stored):
    assert normalise_website(typed) == stored
    fields, errors = clean_service_fields(**VALID, website=typed)
    assert errors == {} and fields["website"] == stored


@pytest.mark.parametrize(
    "typed",
    [
        "javascript:alert(1)",
        "mailto:someone@example.org",
        "https://user:pass@example.org",
        "https://localhost",
        "ftp://example.org",
        "https://exa mple.org",
        "https://example.org:port",
        "data:text/html,hi",
        "https://",
    ],
)
def test_websites_that_are_not_web_addresses_are_refused(typed):
    _, errors = clean_service_fields(**VALID, website=typed)
    assert list(errors) == ["website"]


@pytest.mark.parametrize("phone", ["999", "116 123", "08 08 16 89 111", "+44 (0)1632 960 000"])
def test_phone_numbers_with_digits_spaces_plus_and_brackets(phone):
    fields, errors = clean_service_fields(**VALID, phone=phone)
    assert errors == {} and fields["phone"] == phone


@pytest.mark.parametrize("phone", ["0800-555-111", "call 101", "12", "01632 960 000 ext. 4"])
def test_other_phone_numbers_are_refused(phone):
    _, errors = clean_service_fields(**VALID, phone=phone)
    assert list(errors) == ["phone"]


def test_every_problem_is_reported_at_once_in_form_order():
    _, errors = clean_service_fields(name=" ", needs=[], phone="abc", website="nope", area="x" * 201)
    assert list(errors) == ["name", "needs", "phone", "website", "area"]


def test_needs_are_kept_in_the_guide_order_without_repeats():
    fields, errors = clean_service_fields(name="X", needs=["housing", "hate_crime", "housing"])
    assert errors == {} and fields["needs"] == ["hate_crime", "housing"]
    _, errors = clean_service_fields(name="X", needs=["housing", "made_up"])
    assert errors == {"needs": "Choose what the service helps with from the list"}


def test_text_is_trimmed():
    fields, _ = clean_service_fields(name="  Victim   Support ", needs=["housing"], description=" a\r\nb ",
                                     opening_hours=" 24/7 ", area=" UK ")
    assert (fields["name"], fields["description"], fields["opening_hours"], fields["area"]) == (
        "Victim Support", "a\nb", "24/7", "UK"
    )
