"""Template filters for amounts and numbers in the active language (core.formats):
`{{ amount|nok }}`, `{{ pct|percent }}`, `{{ n|grouped }}`, `{{ value|org_number }}`."""

from decimal import Decimal

from django import template

from core.formats import MISSING, format_nok, format_number, format_org_number, format_percent

register = template.Library()


@register.filter
def nok(amount: Decimal | int | None) -> str:
    """1234567 -> nb '1 234 567 kr', en '1,234,567 kr'."""
    return format_nok(amount)


@register.filter
def percent(value: Decimal | float | None) -> str:
    """23.4 -> nb '23,4 %', en '23.4 %'."""
    return format_percent(value)


@register.filter
def grouped(value: Decimal | int | float | None) -> str:
    """A count or quantity with thousands grouped and its own decimals, if any: nb '1 234,5'."""
    if value is None:
        return MISSING
    # normalize() drops trailing zeros (2.50 -> 2.5), so a whole quantity shows no decimals at all.
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    return format_number(number.normalize(), None)


@register.filter
def org_number(value: str) -> str:
    """'923609016' -> '923 609 016'."""
    return format_org_number(value)
