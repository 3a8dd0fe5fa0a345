"""Display formats in the active language: amounts in NOK, percentages, counts, durations, dates.

One place for every number a person reads, built on Django's l10n (the format modules in
config/formats/: nb groups with a non-breaking space and writes a decimal comma, en a comma and a
point), with ONE rounding rule: half up to the precision shown. Python rounds a Decimal half to
even by default (f"{Decimal('23.45'):.1f}" is "23.4") and Django's number_format cuts the digits
off; both would let the same value read differently on two pages, so every function here quantizes
with ROUND_HALF_UP first.

    format_number(1234567.5, 1)      nb '1 234 567,5'        en '1,234,567.5'
    format_number(x, None)           every decimal the value has, none added
    group_thousands(1234567)         nb '1 234 567'          en '1,234,567'
    format_nok(649426)               nb '649 426 kr'         en '649,426 kr'
    format_nok(x, decimals=True)     nb '1 234,50 kr'
    format_percent(23.45)            nb '23,5 %'             en '23.5 %'
    format_duration(timedelta(...))  nb '2 t 15 min'         en '2 h 15 min'
    format_date(d), format_datetime(dt)   SHORT_DATE_FORMAT / SHORT_DATETIME_FORMAT, in Europe/Oslo:
                                     nb '01.12.2026 16:00'   en '1 Dec 2026 16:00'
    format_org_number('923609016')   '923 609 016' (an identifier, the same in every language)

None becomes MISSING (an en dash) everywhere. In templates use the filters of the
`customer_formatting` library (nok, percent, grouped) and `{{ value|date:"SHORT_DATETIME_FORMAT" }}`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import numberformat, timezone
from django.utils.dateformat import format as django_date_format
from django.utils.formats import get_format
from django.utils.translation import get_language, pgettext

NBSP = "\u00a0"
MISSING = "\u2013"  # en dash, for a value that does not exist (margin % without revenue)

Number = Decimal | int | float


def round_half_up(value: Number, decimals: int) -> Decimal:
    """The one rounding rule: 0.5 of the last shown digit rounds away from zero."""
    # A float goes through its shortest repr: Decimal(0.15) is 0.1499999..., which would round down.
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    # -0.4 rounds to "-0"; nobody writes a minus in front of nothing.
    return abs(rounded) if rounded.is_zero() else rounded


def format_number(
    value: Number | None, decimals: int | None = 0, *, grouping: bool = True, language: str | None = None
) -> str:
    """A number in the active language (or `language`), rounded half up to `decimals` places.

    decimals=None keeps the digits the value has (a quantity of 2.50 stays 2,50). grouping=False
    leaves out the thousands separator (files read by machines, such as the CSV export).
    """
    if value is None:
        return MISSING
    if decimals is None:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    else:
        number = round_half_up(value, decimals)
    lang = language or get_language() or settings.LANGUAGE_CODE
    return numberformat.format(
        number,
        get_format("DECIMAL_SEPARATOR", lang, use_l10n=True),
        decimal_pos=decimals,
        grouping=get_format("NUMBER_GROUPING", lang, use_l10n=True) if grouping else 0,
        thousand_sep=get_format("THOUSAND_SEPARATOR", lang, use_l10n=True),
        # Grouped whether or not the setting USE_THOUSAND_SEPARATOR is on: these are for reading.
        force_grouping=grouping,
        use_l10n=True,
    )


def group_thousands(value: Number) -> str:
    """1234567 -> nb '1 234 567' (non-breaking spaces), en '1,234,567'; rounded to a whole number."""
    return format_number(value, 0)


def format_nok(amount: Number | None, *, decimals: bool = False) -> str:
    """An amount in kroner: nb '1 234 567 kr' (or '1 234 567,50 kr' with decimals), en '1,234,567 kr'."""
    if amount is None:
        return MISSING
    return f"{format_number(amount, 2 if decimals else 0)}{NBSP}kr"


def format_percent(value: Number | None) -> str:
    """A percentage with one decimal: nb '23,4 %', en '23.4 %'."""
    if value is None:
        return MISSING
    return f"{format_number(value, 1)}{NBSP}%"


def format_duration(value: timedelta | None) -> str:
    """A span of time to the minute, in its two largest units: '3 d 4 h', '2 h 15 min', '45 min'."""
    if value is None:
        return MISSING
    minutes = int(round_half_up(Decimal(value.total_seconds()) / 60, 0))
    days, rest = divmod(abs(minutes), 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(pgettext("duration", "%(days)s d") % {"days": group_thousands(days)})
    if hours:
        parts.append(pgettext("duration", "%(hours)s h") % {"hours": hours})
    if minutes and not days:
        parts.append(pgettext("duration", "%(minutes)s min") % {"minutes": minutes})
    if not parts:
        parts.append(pgettext("duration", "%(minutes)s min") % {"minutes": 0})
    sign = "-" if value < timedelta(0) and (days or hours or minutes) else ""
    return sign + " ".join(parts[:2])


def format_date(value: date | datetime | None, format_name: str = "SHORT_DATE_FORMAT") -> str:
    """A date in the active language: nb '01.12.2026', en '1 Dec 2026'. A datetime is first put in
    Europe/Oslo (TIME_ZONE), so a timestamp just after midnight there is not shown as the day before.

    format_name is a format setting ("DATE_FORMAT") or a format string ("Y-m-d").
    """
    if value is None:
        return MISSING
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return django_date_format(value, get_format(format_name))


def format_datetime(value: datetime | None, format_name: str = "SHORT_DATETIME_FORMAT") -> str:
    """A moment in Europe/Oslo in the active language: nb '01.12.2026 16:00', en '1 Dec 2026 16:00'."""
    if value is None:
        return MISSING
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return django_date_format(value, get_format(format_name))


def format_org_number(value: str) -> str:
    """'923609016' -> '923 609 016', the way the Brønnøysund registers print it."""
    if len(value) != 9:
        return value
    return f"{value[:3]} {value[3:6]} {value[6:]}"
