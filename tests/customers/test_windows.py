from datetime import date

import pytest

from customers.windows import Window, add_months


@pytest.mark.parametrize(
    ("day", "months", "moved"),
    [
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2028, 3, 31), -1, date(2028, 2, 29)),
        (date(2028, 2, 29), -12, date(2027, 2, 28)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2026, 11, 23), -24, date(2024, 11, 23)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
    ],
)
def test_moving_by_whole_months_keeps_the_day_or_clamps_it_to_the_month_end(day, months, moved):
    assert add_months(day, months) == moved


def test_a_twelve_month_window_starts_on_the_same_day_a_year_earlier_and_excludes_it():
    window = Window.ending(date(2026, 11, 23), 12)

    assert (window.start, window.end) == (date(2025, 11, 23), date(2026, 11, 23))
    assert window.first_moment.date() == date(2025, 11, 24)
    assert window.end_moment.date() == date(2026, 11, 24)
