"""The one place that decides between a partial and a full page for htmx requests."""

from __future__ import annotations

from flask import Flask, Response, make_response, render_template, request


def is_htmx() -> bool:
    """True for an htmx request that wants a fragment (not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    full_template: str, partial_template: str | None = None, status: int = 200, **context
) -> Response:
    """Render the partial for htmx requests, else the full page (which includes it)."""
    template = partial_template if (partial_template and is_htmx()) else full_template
    return make_response(render_template(template, **context), status)


def hx_redirect(url: str) -> Response:
    """Tell htmx to load ``url`` as a full page."""
    response = make_response("", 200)
    response.headers["HX-Redirect"] = url
    return response


def init_htmx(app: Flask) -> None:
    @app.after_request
    def _vary(response):
        response.vary.add("HX-Request")
        return response
