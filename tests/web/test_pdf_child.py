"""PDFs are typeset in a forked child process (rec_portal/documents, REC_PDF_IN_CHILD), so
the worker's memory stays what it was after a long document; what the child's fetcher was
asked for still reaches the worker, and a child that fails or runs too long is an error
there, never a hang."""

from __future__ import annotations

import os
import time

import pytest

from rec_portal import documents


def _rss_kib() -> int:
    for line in open(f"/proc/{os.getpid()}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_pdf_made_in_a_child_tells_the_worker_what_it_fetched(app):
    if not documents.pdf_available():
        pytest.skip("WeasyPrint is not installed")
    assert app.config["REC_PDF_IN_CHILD"]
    with app.test_request_context("/"):
        documents.requested_urls.clear()
        pdf = documents.render_pdf("base.html", title="A document")
    assert pdf.startswith(b"%PDF")
    # The child's fetcher was asked for the stylesheet: the worker hears of it.
    assert any(url.startswith(documents.STATIC_PREFIX) for url in documents.requested_urls)


_KEPT = []  # what a library keeps between documents (WeasyPrint's caches, fragmented heap)


def test_what_the_child_takes_goes_back_when_it_exits():
    def greedy():
        block = bytearray(300 * 1024 * 1024)  # a year's roster takes about this much
        block[::4096] = b"x" * len(block[::4096])  # touch every page
        _KEPT.append(block)
        return b"%PDF made"

    before = _rss_kib()
    assert documents._in_child(greedy, seconds=60) == b"%PDF made"
    assert _rss_kib() - before < 20 * 1024 and _KEPT == []


def test_a_child_that_fails_is_an_error_in_the_worker():
    def broken():
        raise ValueError("no fonts")

    with pytest.raises(RuntimeError, match="ValueError: no fonts"):
        documents._in_child(broken, seconds=10)


def test_a_child_that_runs_too_long_is_stopped():
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="stopped"):
        documents._in_child(lambda: time.sleep(30) or b"", seconds=1)
    assert time.monotonic() - started < 10
