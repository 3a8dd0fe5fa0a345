"""Norwegian display formats: amounts in NOK, percentages, organisation numbers."""

from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
MISSING = "\u2013"  # en dash, for a value that does not exist (margin % without revenue)


def group_thousands(value: int) -> str:
    """1234567 -> '1 234 567' with non-breaking spaces, as Norwegians write numbers."""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(value):,}".replace(",", NBSP)


def format_nok(amount: Decimal | int | None, *, decimals: bool = False) -> str:
    """Format an amount as '1 234 567 kr' (or '1 234 567,50 kr' with decimals)."""
    if amount is None:
        return MISSING
    amount = Decimal(amount)
    if not decimals:
        return f"{group_thousands(int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)))}{NBSP}kr"
    whole, _, fraction = f"{abs(amount):.2f}".partition(".")
    sign = "-" if amount < 0 else ""
    return f"{sign}{group_thousands(int(whole))},{fraction}{NBSP}kr"


def format_percent(value: Decimal | float | None) -> str:
    """Format a percentage with one decimal and a decimal comma: '23,4 %'."""
    if value is None:
        return MISSING
    return f"{Decimal(value):.1f}".replace(".", ",") + f"{NBSP}%"


def format_org_number(value: str) -> str:
    """'923609016' -> '923 609 016', the way the Brønnøysund registers print it."""
    if len(value) != 9:
        return value
    return f"{value[:3]} {value[3:6]} {value[6:]}"
