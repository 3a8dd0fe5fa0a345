"""Template filters for the satisfaction numbers: `{{ figures.score|nps }}`, `{{ waited|duration }}`."""

from datetime import timedelta

from django import template
from django.utils.translation import gettext

from core.formats import MISSING
from followups.dashboard.charts import signed

register = template.Library()


@register.filter
def nps(score: float | None) -> str:
    """30.0 -> '+30,0' (nb) / '+30.0' (en), 0.0 -> '0,0': an NPS is a signed number on -100..100."""
    if score is None:
        return MISSING
    return signed(score)


@register.filter
def duration(value: timedelta | None) -> str:
    """timedelta(days=1, hours=3, minutes=20) -> '1 d 3 h 20 min' (nb '1 d 3 t 20 min'), to the minute."""
    if value is None:
        return MISSING
    days, minutes = divmod(max(0, int(value.total_seconds() // 60)), 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [gettext("%(days)s d") % {"days": days}] if days else []
    if hours:
        parts.append(gettext("%(hours)s h") % {"hours": hours})
    if minutes or not parts:
        parts.append(gettext("%(minutes)s min") % {"minutes": minutes})
    return " ".join(parts)
