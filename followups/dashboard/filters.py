"""The dashboard's filters: one GET form read by the admin page and by /api/metrics/dashboard/ alike.

Both parse the same query parameters with the same defaults (the last 12 Oslo calendar months, the
current one included), so a bookmarked page and an API call with the same query give the same figures.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.throttling import CACHE_UNREACHABLE
from core.types import AnyUser
from customers.models import Customer, Tier
from customers.windows import add_months
from followups.policy import is_lead
from followups.selectors import assignable_users
from surveys.selectors import OSLO

DEFAULT_MONTHS = 12
# Five years: beyond that a monthly chart stops being readable, and the queries grow with the span.
MAX_MONTHS = 60
DEFAULT_CHURN_MONTHS = 3
MAX_CHURN_MONTHS = 24
MIN_YEAR, MAX_YEAR = 2000, 2099
MAX_ID = 2**31 - 1  # user ids are PostgreSQL integers


def this_month(now: datetime | None = None) -> date:
    """The first day of the current Oslo calendar month."""
    return timezone.localtime(now or timezone.now(), OSLO).date().replace(day=1)


def month_start(day: date) -> datetime:
    """Midnight in Oslo on the first day of `day`'s month, aware."""
    return datetime(day.year, day.month, 1, tzinfo=OSLO)


@dataclass(frozen=True)
class DashboardFilters:
    """Which answers, follow-ups and customers the dashboard counts.

    `first_month` and `last_month` are first days of Oslo calendar months, both included. Tier,
    account manager and industry are the customer's today, as on the customer list.
    """

    first_month: date
    last_month: date
    tier: str | None = None
    account_manager_id: int | None = None
    industry: str | None = None
    churn_months: int = DEFAULT_CHURN_MONTHS

    @classmethod
    def default(cls, now: datetime | None = None) -> DashboardFilters:
        current = this_month(now)
        return cls(first_month=add_months(current, 1 - DEFAULT_MONTHS), last_month=current)

    @property
    def since(self) -> datetime:
        return month_start(self.first_month)

    @property
    def until(self) -> datetime:
        """The end of the period, exclusive: midnight at the start of the month after the last."""
        return month_start(add_months(self.last_month, 1))

    @property
    def months(self) -> list[date]:
        count = (
            (self.last_month.year - self.first_month.year) * 12
            + self.last_month.month
            - self.first_month.month
        )
        return [add_months(self.first_month, offset) for offset in range(count + 1)]

    def customers_q(self, prefix: str = "") -> Q:
        """The customer filters as a Q over `prefix` (e.g. "customer__"), empty when unfiltered."""
        q = Q()
        if self.tier:
            q &= Q(**{f"{prefix}tier": self.tier})
        if self.account_manager_id is not None:
            q &= Q(**{f"{prefix}account_manager_id": self.account_manager_id})
        if self.industry:
            q &= Q(**{f"{prefix}industry": self.industry})
        return q


class MonthField(forms.DateField):
    """A calendar month as YYYY-MM (what <input type="month"> sends), cleaned to its first day."""

    input_formats = ["%Y-%m"]
    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


INDUSTRIES_KEY = "dashboard:industries"
INDUSTRIES_SECONDS = 15 * 60


def industries() -> list[str]:
    """The industries customers have, alphabetically: the choices of the industry filter.

    Cached like the figures (followups.dashboard.cache): a DISTINCT over every customer takes about
    0.4 s at a million, most of a page whose figures come from the cache. Fail-open, as there.
    """
    try:
        cached = cache.get(INDUSTRIES_KEY)
    except CACHE_UNREACHABLE:
        cached = None  # the figures' read logs the outage once per page
    if isinstance(cached, list):
        return cached
    rows = Customer.objects.exclude(industry="").order_by("industry").values_list("industry", flat=True)
    names = list(rows.distinct())
    with contextlib.suppress(*CACHE_UNREACHABLE):
        cache.set(INDUSTRIES_KEY, names, timeout=INDUSTRIES_SECONDS)
    return names


def account_manager_choices(viewer: AnyUser) -> QuerySet[Any]:
    """Whom the viewer may filter on: a lead anyone, everyone else only themselves."""
    if is_lead(viewer):
        return assignable_users()
    return get_user_model().objects.filter(pk=viewer.pk) if viewer.pk else get_user_model().objects.none()


class DashboardFilterForm(forms.Form):
    """The query parameters: end (YYYY-MM), months, tier, account_manager (user id), industry, churn_months.

    Every combination the API's schema allows is accepted: the period is a last month and a number of
    months (no "start after end" to refuse), an unknown industry or account manager simply matches no
    customer. The one refusal is a person who is not a lead filtering on a colleague (`forbidden`).
    """

    end = MonthField(label=_("Up to month"), required=False)
    months = forms.IntegerField(
        label=_("Number of months"), required=False, min_value=1, max_value=MAX_MONTHS
    )
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    account_manager = forms.IntegerField(
        label=_("Account manager"), required=False, min_value=1, max_value=MAX_ID, widget=forms.Select
    )
    industry = forms.CharField(label=_("Industry"), required=False, max_length=100, widget=forms.Select)
    churn_months = forms.IntegerField(
        label=_("Churn: no revenue in the last (months)"),
        required=False,
        min_value=1,
        max_value=MAX_CHURN_MONTHS,
    )

    def __init__(self, data: Any, *, viewer: AnyUser, now: datetime | None = None) -> None:
        default = DashboardFilters.default(now)
        # Bound with the defaults filled in, so the form shows the period the figures cover.
        data = data.copy()
        for name, value in (
            ("end", f"{default.last_month:%Y-%m}"),
            ("months", str(DEFAULT_MONTHS)),
            ("churn_months", str(DEFAULT_CHURN_MONTHS)),
        ):
            if not data.get(name):
                data[name] = value
        super().__init__(data)
        self.viewer = viewer
        self.forbidden = False
        cast(forms.ChoiceField, self.fields["tier"]).choices = [("", _("All tiers")), *Tier.choices]
        people = [
            (user.pk, user.get_full_name() or user.get_username()) for user in account_manager_choices(viewer)
        ]
        self.fields["account_manager"].widget.choices = [("", gettext("All account managers")), *people]
        self.fields["industry"].widget.choices = [
            ("", gettext("All industries")),
            *((name, name) for name in industries()),
        ]

    def clean_end(self) -> date | None:
        end: date | None = self.cleaned_data.get("end")
        # Four-digit years the calendar arithmetic can move a few years either way.
        if end is not None and not MIN_YEAR <= end.year <= MAX_YEAR:
            raise forms.ValidationError(
                gettext("Give a month from %(first)s to %(last)s.") % {"first": MIN_YEAR, "last": MAX_YEAR}
            )
        return end

    def clean_account_manager(self) -> int | None:
        manager: int | None = self.cleaned_data.get("account_manager")
        if manager is not None and not is_lead(self.viewer) and manager != self.viewer.pk:
            # A colleague's figures are for the leads who coach them (see followups.dashboard.selectors).
            self.forbidden = True
            raise forms.ValidationError(
                gettext("Only follow-up leads may filter on another account manager.")
            )
        return manager

    def filters(self) -> DashboardFilters:
        """The cleaned filters; call after is_valid() returned True."""
        data = self.cleaned_data
        last = data.get("end") or DashboardFilters.default().last_month
        months = data.get("months") or DEFAULT_MONTHS
        return DashboardFilters(
            first_month=add_months(last, 1 - months),
            last_month=last,
            tier=data.get("tier") or None,
            account_manager_id=data.get("account_manager"),
            industry=data.get("industry") or None,
            churn_months=data.get("churn_months") or DEFAULT_CHURN_MONTHS,
        )
