"""Helpers for the catalogue's tests (tests/web/test_catalogue*.py, tests/pg/test_catalogue_search.py):
read a page as a person does, make test data in its own app context."""

import re
from contextlib import contextmanager

from rec_portal.extensions import db


def _text(html: str) -> str:
    """The page as a person reads it: tags removed, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _titles(html: str) -> list[str]:
    """Course titles in the order the results list shows them."""
    return re.findall(r'class="nhsuk-card__link" href="/courses/[^"]+">([^<]+)</a>', html)


def _get(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@contextmanager
def data(app):
    """Make test data in its own app context (requests get theirs), committed at the end.
    Read what the test needs from the objects inside the block."""
    with app.app_context():
        yield
        db.session.commit()
        db.session.remove()
