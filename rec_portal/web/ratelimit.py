"""The public rate limit: ``@limit("REC_LIMIT_...")`` on a route.

The limit itself ("5 per minute") is a setting, read when the request comes (so tests and
deployments can change it); only POSTs count, since reading a page is free (except
``reads_too``)."""

from __future__ import annotations

from flask import current_app

from rec_portal.extensions import limiter


def limit(setting: str, key_func=None, deduct_when=None, *, reads_too: bool = False):
    """A rate limit from the config setting ``setting``, counted on POST only (on every
    request with ``reads_too``, for pages that are costly to make, such as a PDF).

    ``key_func``: what to count by (default: the connection's address);
    ``deduct_when(response)``: count only responses for which it is true."""
    return limiter.limit(
        lambda: current_app.config[setting], methods=None if reads_too else ["POST"], key_func=key_func,
        deduct_when=deduct_when,
    )
