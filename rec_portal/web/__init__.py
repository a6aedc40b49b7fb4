"""Request plumbing every feature uses, beneath the features.

Load-and-authorise guards (``guards``), who may open a route (``access``), a partial or
the full page for htmx (``htmx``), the public rate limit (``ratelimit``), shared form
fields (``fields``), paging (``paging``) and the one form runner (``forms``).

This package imports no feature package (an import-linter contract checks it)."""
