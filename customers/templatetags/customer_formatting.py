"""Template filters for Norwegian number formats: `{{ amount|nok }}`, `{{ pct|percent }}`, `{{ n|grouped }}`."""

from decimal import Decimal

from django import template

from core.formats import MISSING, format_nok, format_org_number, format_percent, group_thousands

register = template.Library()


@register.filter
def nok(amount: Decimal | int | None) -> str:
    """1234567 -> '1 234 567 kr'."""
    return format_nok(amount)


@register.filter
def percent(value: Decimal | float | None) -> str:
    """23.4 -> '23,4 %'."""
    return format_percent(value)


@register.filter
def grouped(value: Decimal | int | None) -> str:
    """A count or quantity with thousands grouped, decimals (if any) after a comma: '1 234,5'."""
    if value is None:
        return MISSING
    value = Decimal(value).normalize()
    whole = int(value)
    fraction = f"{abs(value - whole):f}".partition(".")[2]
    sign = "-" if value < 0 and whole == 0 else ""
    return f"{sign}{group_thousands(whole)}" + (f",{fraction}" if fraction else "")


@register.filter
def org_number(value: str) -> str:
    """'923609016' -> '923 609 016'."""
    return format_org_number(value)
