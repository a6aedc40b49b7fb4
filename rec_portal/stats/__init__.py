"""How staff figures are shown: the one home for the rules every report, dashboard, CSV
and PDF of the portal follows when it shows a figure to staff.

- :mod:`rec_portal.stats.small_numbers`: small numbers are held back. A count of people
  from 1 to 7 (:data:`SMALL_NUMBER` is 8) is never shown; 0 and 8 or more are. Whatever
  would let a held-back figure be worked out from totals or other shown figures is held
  back too (:func:`hold_more` for a table's rows against a shown total, :func:`suppress`
  for a table with several equations).
- :mod:`rec_portal.stats.charts`: accessible SVG bar charts drawn on the server.
- :mod:`rec_portal.stats.figures`: one :func:`percent` (whole per cent, halves rounded up)
  and one :func:`average` (to one decimal place, halves rounded up).

This package imports no feature: features import it.
"""

from rec_portal.stats.figures import average, half_up, percent, percent_text
from rec_portal.stats.small_numbers import (
    held_counts,
    FEWER,
    HELD_BACK,
    SMALL_NUMBER,
    enough,
    hold_more,
    is_small,
    suppress,
)

__all__ = [
    "FEWER",
    "HELD_BACK",
    "SMALL_NUMBER",
    "average",
    "enough",
    "half_up",
    "held_counts",
    "hold_more",
    "is_small",
    "percent",
    "percent_text",
    "suppress",
]
