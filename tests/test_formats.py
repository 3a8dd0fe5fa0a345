"""One way to format (core.formats, the customer_formatting filters, config/formats): per language,
one rounding rule (half up), and dates the same in a list, a form and an email."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation

from core.formats import (
    MISSING,
    format_date,
    format_datetime,
    format_duration,
    format_nok,
    format_number,
    format_org_number,
    format_percent,
    group_thousands,
)

NBSP = "\u00a0"
OSLO = ZoneInfo("Europe/Oslo")
UTC = ZoneInfo("UTC")


@pytest.fixture
def nb():
    with translation.override("nb"):
        yield


@pytest.fixture
def en():
    with translation.override("en"):
        yield


def test_norwegian_amounts_percentages_and_counts(nb):
    assert format_nok(Decimal("1234567.49")) == f"1{NBSP}234{NBSP}567{NBSP}kr"
    assert format_nok(Decimal("-1234.50"), decimals=True) == f"-1{NBSP}234,50{NBSP}kr"
    assert format_percent(Decimal("23.4")) == f"23,4{NBSP}%"
    assert group_thousands(1234567) == f"1{NBSP}234{NBSP}567"
    assert format_number(Decimal("1234.5"), 1) == f"1{NBSP}234,5"


def test_english_amounts_percentages_and_counts(en):
    assert format_nok(1234567) == f"1,234,567{NBSP}kr"
    assert format_nok(Decimal("-1234.5"), decimals=True) == f"-1,234.50{NBSP}kr"
    assert format_percent(23.4) == f"23.4{NBSP}%"
    assert group_thousands(1234567) == "1,234,567"


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        # Python's Decimal default (half even) would give 23,4 and 0; Django's number_format would cut.
        (Decimal("23.45"), 1, "23,5"),
        (Decimal("0.5"), 0, "1"),
        (Decimal("2.5"), 0, "3"),
        (Decimal("-2.5"), 0, "-3"),
        (0.15, 1, "0,2"),  # the float's repr, not its binary value 0.1499...
        (Decimal("1.005"), 2, "1,01"),
        (Decimal("-0.4"), 0, "0"),  # no "-0"
    ],
)
def test_one_rounding_rule_half_up_to_the_shown_precision(nb, value, decimals, shown):
    assert format_number(value, decimals) == shown


def test_the_percent_and_amount_filters_round_the_same_way(nb):
    assert format_percent(Decimal("23.45")) == f"23,5{NBSP}%"
    assert format_nok(Decimal("0.5")) == f"1{NBSP}kr"
    assert format_nok(Decimal("1.005"), decimals=True) == f"1,01{NBSP}kr"


def test_missing_values_are_a_dash_everywhere(nb):
    assert {format_nok(None), format_percent(None), format_number(None), format_duration(None)} == {MISSING}
    assert format_date(None) == format_datetime(None) == MISSING


def test_decimals_none_keeps_the_digits_the_value_has_and_grouping_can_be_left_out(nb):
    assert format_number(Decimal("2.50"), None) == "2,50"
    assert format_number(Decimal("1234567.5"), None, grouping=False) == "1234567,5"
    assert format_number(Decimal("1234567.5"), None, grouping=False, language="en") == "1234567.5"


def test_dates_and_times_in_oslo_time_per_language():
    moment = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 16:00 in Oslo
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already 1 December in Oslo
    with translation.override("nb"):
        assert format_datetime(moment) == "01.12.2026 16:00"
        assert format_date(late) == "01.12.2026"
        assert format_date(date(2026, 12, 1)) == "01.12.2026"
    with translation.override("en"):
        assert format_datetime(moment) == "1 Dec 2026 16:00"
        assert format_date(date(2026, 12, 1)) == "1 Dec 2026"
    assert format_datetime(moment, "Y-m-d H:i") == "2026-12-01 16:00"


def test_templates_use_the_same_formats():
    template = Template(
        '{% load customer_formatting %}{{ when|date }}|{{ when|date:"SHORT_DATETIME_FORMAT" }}|'
        "{{ amount|nok }}|{{ share|percent }}|{{ quantity|grouped }}|{{ count }}"
    )
    context = Context(
        {
            "when": datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
            "amount": Decimal("1234567"),
            "share": Decimal("23.45"),
            "quantity": Decimal("1234.50"),
            "count": 1234567,
        }
    )
    with translation.override("nb"):
        assert template.render(context) == (
            f"01.12.2026|01.12.2026 16:00|1{NBSP}234{NBSP}567{NBSP}kr|23,5{NBSP}%|1{NBSP}234,5|1{NBSP}234{NBSP}567"
        )
    with translation.override("en"):
        assert template.render(context) == (
            f"1 Dec 2026|1 Dec 2026 16:00|1,234,567{NBSP}kr|23.5{NBSP}%|1,234.5|1,234,567"
        )


def test_durations_in_their_two_largest_units(en):
    assert format_duration(timedelta(minutes=45)) == "45 min"
    assert format_duration(timedelta(hours=2, minutes=15, seconds=30)) == "2 h 16 min"
    assert format_duration(timedelta(days=3, hours=4, minutes=5)) == "3 d 4 h"
    assert format_duration(timedelta(0)) == "0 min"


def test_organisation_numbers_are_grouped_in_threes_in_every_language():
    for language in ("nb", "en"):
        with translation.override(language):
            assert format_org_number("923609016") == "923 609 016"
    assert format_org_number("12345") == "12345"


class _DueForm(forms.Form):
    due = forms.DateField()
    when = forms.DateTimeField()
    customer_id = forms.IntegerField()


def test_forms_accept_norwegian_dates_and_numbers_round_trip_unchanged(nb):
    form = _DueForm({"due": "01.12.2026", "when": "01.12.2026 16:00", "customer_id": "123456"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["due"] == date(2026, 12, 1)
    assert form.cleaned_data["when"] == datetime(2026, 12, 1, 16, 0, tzinfo=OSLO)
    # An id typed into a form is shown back without a thousands separator (not localized).
    assert 'value="123456"' in str(_DueForm(initial={"customer_id": 123456})["customer_id"])


def test_english_forms_take_iso_dates(en):
    form = _DueForm({"due": "2026-12-01", "when": "2026-12-01 16:00", "customer_id": "1"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["due"] == date(2026, 12, 1)
