"""Outbox, email bodies (templates/emails/) and, later, calendar files."""
