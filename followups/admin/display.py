"""How follow-ups look in the admin: due times in words, badges, people's names. No queries here."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, AbstractUser
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from followups.models import FollowUpTask, Status
from surveys.models import Category, SurveyResponse

# Inline styles, like customers.admin.economics: these badges appear on lists, forms and inlines.
_BADGE = (
    "display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;font-weight:600;"
    "white-space:nowrap;background:{}"
)
_STATUS_COLOURS: dict[str, str] = {
    Status.OPEN: "#2160a8",
    Status.IN_PROGRESS: "#a55a00",
    Status.DONE: "#1b7f3b",
    Status.CANCELLED: "#6b6f76",
}
_CATEGORY_COLOURS: dict[str, str] = {
    Category.DETRACTOR: "#b3261e",
    Category.PASSIVE: "#a55a00",
    Category.PROMOTER: "#1b7f3b",
}
OVERDUE_COLOUR = "#b3261e"


ESCALATED_COLOUR = "#6a1b9a"


def duration_in_words(delta: timedelta) -> str:
    """A rough, readable length: '45 min', '3 hours', '2 days'."""
    seconds = abs(delta.total_seconds())
    if seconds < 3600:
        return _("%(count)s min") % {"count": max(1, round(seconds / 60))}
    if seconds < 2 * 86400:
        hours = round(seconds / 3600)
        return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    days = int(seconds // 86400)
    return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}


def local_time(moment: datetime | None, *, now: datetime | None = None) -> str:
    """'today 16:00', 'tomorrow 16:00', 'yesterday 09:12' or '24.11.2026 16:00', Oslo time."""
    if moment is None:
        return "\u2013"
    local = timezone.localtime(moment)
    today = timezone.localtime(now or timezone.now()).date()
    clock = date_format(local, "TIME_FORMAT")
    words = {
        today: _("today %(time)s"),
        today + timedelta(days=1): _("tomorrow %(time)s"),
        today - timedelta(days=1): _("yesterday %(time)s"),
    }.get(local.date())
    return words % {"time": clock} if words else date_format(local, "SHORT_DATETIME_FORMAT")


def due_in_words(task: FollowUpTask, *, now: datetime | None = None) -> str:
    """'Overdue by 2 days', 'Due in 3 hours', or for a closed task what became of it."""
    now = now or timezone.now()
    if not task.is_active:
        return _("%(status)s %(when)s") % {
            "status": task.get_status_display(),
            "when": local_time(task.completed_at, now=now),
        }
    if task.due_at < now:
        return _("Overdue by %(duration)s") % {"duration": duration_in_words(now - task.due_at)}
    return _("Due in %(duration)s") % {"duration": duration_in_words(task.due_at - now)}


def due_badge(task: FollowUpTask, *, now: datetime | None = None) -> SafeString:
    """The due column: a red badge for an overdue task, the relative time otherwise, then the time."""
    now = now or timezone.now()
    words = due_in_words(task, now=now)
    when = local_time(task.due_at, now=now)
    if task.is_active and task.due_at < now:
        # The class marks the row: the queue's stylesheet tints every row that holds one.
        return format_html(
            '<span class="followup-overdue" style="{}">{}</span><br><small>{}</small>',
            _BADGE.format(OVERDUE_COLOUR),
            words,
            when,
        )
    return format_html("{}<br><small>{}</small>", words, when)


def escalated_badge(task: FollowUpTask) -> SafeString:
    """A purple 'Escalated' badge on an active task the leads were told about; nothing otherwise."""
    if not (task.is_active and task.escalated_at is not None):
        return SafeString("")
    return format_html(
        ' <span class="followup-escalated" style="{}" title="{}">{}</span>',
        _BADGE.format(ESCALATED_COLOUR),
        _("The follow-up leads were told %(when)s that it is overdue.")
        % {"when": local_time(task.escalated_at)},
        _("Escalated"),
    )


def status_badge(status: str) -> SafeString:
    return format_html(
        '<span style="{}">{}</span>',
        _BADGE.format(_STATUS_COLOURS.get(status, "#6b6f76")),
        Status(status).label,
    )


def score_badge(response: SurveyResponse) -> SafeString:
    """'NPS 3' on the category's colour, so a 0 and a 6 read as the same kind of unhappy."""
    return format_html(
        '<span style="{}" title="{}">{} {}</span>',
        _BADGE.format(_CATEGORY_COLOURS.get(response.category, "#6b6f76")),
        response.get_category_display(),
        response.get_kind_display(),
        response.score,
    )


def person(user: AbstractBaseUser | None) -> str:
    """A user as colleagues know them: full name, else the username; '' for nobody."""
    if user is None:
        return ""
    full_name = user.get_full_name() if isinstance(user, AbstractUser) else ""
    return full_name or user.get_username()
