"""Helpers for requests that must never become a bare error (tests/web/test_request_faults.py
and the same on PostgreSQL, tests/pg/test_pg_requests.py): every route with a text argument
called with a NUL in it, and a log of the SQL a request sends."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event
from werkzeug.routing import PathConverter, UnicodeConverter

from rec_portal.extensions import db


NUL_VALUE = "a\x00b"


def string_routes(app):
    """Every route with a text (string or path) argument, as (rule, methods)."""
    found = []
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, (UnicodeConverter, PathConverter)) for c in rule._converters.values()):
            found.append(rule)
    return found


def nul_urls(app):
    """Each such route with a NUL in every text argument (and 1 for numbers)."""
    urls = []
    for rule in string_routes(app):
        values = {
            name: (NUL_VALUE if isinstance(conv, (UnicodeConverter, PathConverter)) else 1)
            for name, conv in rule._converters.items()
        }
        _domain, path = rule.build(values, append_unknown=False)
        assert "%00" in path, path
        for method in sorted(rule.methods & {"GET", "POST"}):
            urls.append((method, path))
    return urls


@contextmanager
def sql_log(app):
    """Every statement sent to the database, with its parameters."""
    seen: list[tuple[str, object]] = []

    def _record(_conn, _cursor, statement, parameters, *_args):
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _record)


def assert_not_found_without_sql(app, client, method, path, signed_in=False):
    if signed_in:
        with sql_log(app) as plain_404:
            client.get("/no-such-page-here")
    with sql_log(app) as seen:
        response = client.open(path, method=method)
    html = response.get_data(as_text=True)
    assert response.status_code == 404, (method, path, response.status_code)
    assert "Page not found" in html, (method, path)
    if signed_in:
        # Only what any unknown address costs (the signed-in person, from the cookie for
        # the page header): nothing from the path.
        assert all("\x00" not in repr(params) for _stmt, params in seen), (method, path)
        assert [s for s, _ in seen] == [s for s, _ in plain_404], (method, path)
    else:
        assert seen == [], (method, path, [s for s, _ in seen])

