"""The economics window: which days a recalculation sums, as dates and as moments in Oslo.

Shared by the services that sum over it (economics, relevance), the selectors that explain the sums
(revenue by product) and the demo that plans data around it, so it lives apart from all three.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months (back when negative), clamped to the last day of the month.

    29 February minus 12 months is 28 February, 31 March minus 1 month is 28 (or 29) February: the
    calendar arithmetic of dateutil's relativedelta, which the project does not depend on directly.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def oslo_midnight(day: date) -> datetime:
    """Midnight in Oslo at the start of `day`, aware."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()), timezone.get_default_timezone())


@dataclass(frozen=True)
class Window:
    """The calculation window: dates `start < date <= end`, and the same days as aware datetimes."""

    start: date
    end: date

    @classmethod
    def ending(cls, as_of: date, months: int) -> Window:
        # Clamped like the calendar: a leap-day as-of still spans one year.
        return cls(start=add_months(as_of, -months), end=as_of)

    @property
    def first_moment(self) -> datetime:
        """Midnight in Oslo at the start of the first day inside the window."""
        return oslo_midnight(self.start + timedelta(days=1))

    @property
    def end_moment(self) -> datetime:
        """Midnight in Oslo after the last day of the window (exclusive)."""
        return oslo_midnight(self.end + timedelta(days=1))
