"""Issue 15 review: behaviour the redesign must keep (found by reading old and new code)."""

import re



def _summary_links(html: str) -> list[str]:
    summary = html.split('class="nhsuk-error-summary', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="#([\w-]+)"', summary)


def test_register_error_summary_follows_the_page_order(web):
    """The registration page asks for the email address and password straight after the
    name, before "about you" and contact details: its error summary lists problems in that
    order too (moving the shared fields to web/person_fields.py had put the email and
    password problems after every enrolment question)."""
    html = web.submit("/register", {"consent": ""}).get_data(as_text=True)
    links = _summary_links(html)
    assert links.index("email") < links.index("relationship_to_services")
    assert links.index("password") < links.index("relationship_to_services")
    assert links[:4] == ["full_name", "email", "password", "confirm_password"]
