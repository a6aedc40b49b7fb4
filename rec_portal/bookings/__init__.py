"""Booking places on sessions, waiting lists, cancellations.

The rules are in ``operations.py``; the pages arrive with the rest of the booking issue.
"""
