"""Template filters for the satisfaction numbers: `{{ figures.score|nps }}`, `{{ waited|duration }}`."""

from datetime import timedelta
from decimal import Decimal

from django import template

from core.formats import MISSING

register = template.Library()


@register.filter
def nps(score: float | None) -> str:
    """30.0 -> '+30,0', 0.0 -> '0,0': an NPS is a signed number on -100..100, not a percentage."""
    if score is None:
        return MISSING
    value = Decimal(str(score))
    return f"{value:{'+' if value else ''}.1f}".replace(".", ",")


@register.filter
def duration(value: timedelta | None) -> str:
    """timedelta(days=1, hours=3, minutes=20) -> '1 d 3 h 20 min', to the minute."""
    if value is None:
        return MISSING
    days, minutes = divmod(max(0, int(value.total_seconds() // 60)), 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts)
