from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from followups.services import add_business_days, due_at, is_business_day

OSLO = ZoneInfo("Europe/Oslo")


def test_weekends_are_not_business_days():
    assert not is_business_day(date(2026, 11, 21))
    assert not is_business_day(date(2026, 11, 22))
    assert is_business_day(date(2026, 11, 23))


@pytest.mark.parametrize(
    "holiday",
    [
        date(2026, 4, 2),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 14),
        date(2026, 5, 25),
    ],
)
def test_norwegian_public_holidays_on_weekdays_are_not_business_days(holiday):
    assert not is_business_day(holiday)


def test_one_business_day_from_friday_is_monday():
    assert add_business_days(date(2026, 11, 20), 1) == date(2026, 11, 23)


def test_one_business_day_from_saturday_is_monday():
    assert add_business_days(date(2026, 11, 21), 1) == date(2026, 11, 23)


def test_easter_holidays_push_a_wednesday_response_to_the_tuesday_after_easter():
    # 2026: Maundy Thursday 2 April, Good Friday 3 April, Easter Monday 6 April.
    assert add_business_days(date(2026, 4, 1), 1) == date(2026, 4, 7)


def test_five_business_days_across_christmas():
    # 24 Dec 2026 is a Thursday (a working day), 25 and 26 are holidays, then a weekend.
    assert add_business_days(date(2026, 12, 23), 5) == date(2026, 12, 31)


def test_zero_business_days_is_today_or_the_next_business_day():
    assert add_business_days(date(2026, 11, 23), 0) == date(2026, 11, 23)
    assert add_business_days(date(2026, 11, 22), 0) == date(2026, 11, 23)


def test_due_time_is_the_policy_hour_in_oslo_on_the_last_day():
    created = datetime(2026, 4, 1, 21, 30, tzinfo=ZoneInfo("UTC"))  # 23:30 Wednesday in Oslo

    assert due_at(created=created, business_days=1, hour=16) == datetime(2026, 4, 7, 16, tzinfo=OSLO)


def test_the_oslo_date_decides_the_start_day_not_the_utc_date():
    created = datetime(2026, 11, 20, 23, 30, tzinfo=ZoneInfo("UTC"))  # already Saturday in Oslo

    assert due_at(created=created, business_days=1, hour=16) == datetime(2026, 11, 23, 16, tzinfo=OSLO)
