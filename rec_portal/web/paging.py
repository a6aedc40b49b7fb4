"""Paging: which page a list was asked for, and one page of results.

``Page`` is shaped like Flask-SQLAlchemy's Pagination (``items``, ``page``, ``per_page``,
``total``, ``pages``, ``has_prev``, ``has_next``), so ``templating.pagination`` reads
either."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from flask import request

MAX_PAGE = 10_000  # a page number beyond any list: refused quietly rather than queried


def page_number() -> int:
    """The ``?page=`` asked for: 1 when missing or not a number, never beyond ``MAX_PAGE``."""
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def status_filter(known, default: str) -> str:
    """The ``?status=`` a queue was asked for (one of ``known``), else ``default``."""
    status = request.args.get("status", default)
    return status if status in known else default


@dataclass
class Page:
    """One page of results."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return ceil(self.total / self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
