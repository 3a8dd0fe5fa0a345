"""Business days in Norway: weekends and public holidays (helligdager) are not working days."""

from datetime import date, datetime, time, timedelta
from functools import cache

import holidays
from django.utils import timezone


@cache
def _norwegian_holidays(year: int) -> frozenset[date]:
    # holidays.Norway lists the public holidays only (Sundays are not listed as holidays by default).
    return frozenset(holidays.Norway(years=year))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _norwegian_holidays(day.year)


def add_business_days(start: date, days: int) -> date:
    """The `days`-th business day after `start`; with 0, `start` itself or the next business day."""
    day = start
    if days == 0:
        while not is_business_day(day):
            day += timedelta(days=1)
        return day
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


def due_at(*, created: datetime, business_days: int, hour: int) -> datetime:
    """The due moment: `hour` o'clock, Oslo time, on the last of `business_days` business days."""
    local = timezone.localtime(created)
    day = add_business_days(local.date(), business_days)
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_default_timezone())
