"""PDF documents (WeasyPrint) with a restricted URL fetcher (DESIGN.md §7).

Templates live in ``templates/documents/``. The fetcher serves only this app's own
static files and ``data:`` URLs; anything else (``file:``, ``http:``, a redirect) is
refused and recorded, so a test can prove nothing was fetched. User text is escaped by
Jinja, so markup typed into a plan prints as text.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import os
import pickle
import re
import signal
import threading
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, make_response, render_template
from werkzeug.security import safe_join

log = logging.getLogger(__name__)

# Relative URLs in document templates resolve against this made-up origin; the fetcher
# maps it to the static folder and never opens a connection.
BASE_URL = "https://rec-portal.invalid/"
STATIC_PREFIX = BASE_URL + "static/"

_DATA_URL = re.compile(r"^data:(?P<type>[^;,]*)(?P<b64>;base64)?,(?P<data>.*)$", re.DOTALL)

# The last URLs the fetcher was asked for in this process (newest last): a test reads it.
requested_urls: deque[str] = deque(maxlen=200)


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the Pango library it needs) is not installed."""


def _fetcher_class(static_root: Path):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class RestrictedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            requested_urls.append(url)
            if url.startswith("data:"):
                match = _DATA_URL.match(url)
                if not match:
                    raise ValueError("malformed data: URL")
                data = match["data"]
                body = base64.b64decode(data) if match["b64"] else unquote(data).encode()
                return URLFetcherResponse(
                    url, body=body, headers={"Content-Type": match["type"] or "text/plain"}
                )
            if url.startswith(STATIC_PREFIX):
                relative = unquote(urlsplit(url).path)[len("/static/"):]
                path = safe_join(str(static_root), relative)
                if path and Path(path).is_file():
                    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url, body=Path(path).read_bytes(), headers={"Content-Type": mimetype}
                    )
            log.warning("PDF: refused to fetch %s", url[:200])
            raise ValueError("only the portal's own static files can be used in a PDF")

    return RestrictedFetcher


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def render_pdf(template: str, *, title: str, **context) -> bytes:
    """Render ``templates/documents/<template>`` to a tagged PDF (PDF/UA-1 where
    WeasyPrint allows it)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # Pango missing on this machine
        raise PdfUnavailable(str(exc)) from exc
    html = render_template(f"documents/{template}", title=title, **context)
    static_root = Path(current_app.static_folder)
    fonts = _font_config()

    def make() -> bytes:
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher_class(static_root)())
        return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True, custom_metadata=True, font_config=fonts)

    if current_app.config.get("REC_PDF_IN_CHILD", True) and hasattr(os, "fork"):
        return _in_child(make, int(current_app.config.get("REC_PDF_SECONDS", 120)))
    return make()


def _in_child(make, seconds: int) -> bytes:
    """``make()`` in a forked child process, so that what WeasyPrint takes while laying out
    a long document (a year's roster: hundreds of MB) goes back to the system when the
    child exits, and a worker's memory stays what it was. The child inherits the loaded
    fonts (``_font_config`` is made in the worker first) and sends back the PDF and the
    URLs its fetcher was asked for; it is stopped after ``seconds``."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        status = 0
        try:
            os.close(read_end)
            signal.alarm(seconds)
            requested_urls.clear()
            try:
                result = ("ok", make(), list(requested_urls))
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises
                result = ("error", f"{type(exc).__name__}: {exc}", list(requested_urls))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, wait_status = os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"making a PDF stopped (child status {wait_status}; over {seconds} s?)")
    kind, body, urls = pickle.loads(data)  # our own child's answer, never outside input
    requested_urls.extend(urls)
    if kind != "ok":
        raise RuntimeError(f"making a PDF failed: {body}")
    return body


_fonts = threading.local()


def _font_config():
    """One WeasyPrint font configuration per thread, kept: the system fonts are found and
    loaded once, not again for every PDF (a fifth of a short PDF's time). Per thread
    because Pango's font maps are not made to be shared between threads; our documents
    have no @font-face rules, so nothing is added to it from one PDF to the next."""
    config = getattr(_fonts, "config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _fonts.config = FontConfiguration()
    return config


def pdf_response(data: bytes, filename: str):
    """Send a PDF as a download, never cached (it holds personal data)."""
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
