"""The customer and contact pages, composed once from the pieces each app below exports.

Every app adds something to these pages (customers: the record and its contacts; surveys: the
send-survey actions and the survey history; followups: the customer's follow-ups), and sales sits on
top of all of them, so the one registration lives here. Each piece is a ModelAdmin subclass that
calls super(), so the pieces are listed before the base class of the app that owns the model.

The customer list's NPS and open-follow-up columns come from two apps above customers, so they are
added here, as annotations of the list's one query.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.formats import MISSING, format_number, round_half_up
from customers.admin import customers as customer_pages
from customers.models import Contact, Customer
from followups.admin.customers import FollowUpInline
from followups.models import ACTIVE_STATUSES, FollowUpTask
from followups.policy import followup_policy
from surveys.admin import SEND_SURVEY_ACTIONS, ContactSurveyActions, CustomerSurveyActions, SurveyHistoryPanel
from surveys.models import Category, SurveyKind, SurveyPolicy

if TYPE_CHECKING:
    from django.contrib.admin.options import _ListDisplayT

# The columns this module adds, before the account manager's.
_NPS_COLUMN = "nps"
_FOLLOWUPS_COLUMN = "open_followups"


def _open_followups(request: HttpRequest) -> Subquery:
    # The active follow-ups the user may see (followups.policy), counted per customer in a correlated
    # subquery of the list's one query; served by the partial index followup_active_customer_idx.
    visible = followup_policy.visible(
        request.user, FollowUpTask.objects.filter(customer=OuterRef("pk"), status__in=ACTIVE_STATUSES)
    )
    return Subquery(
        visible.order_by().values("customer").annotate(open=Count("pk")).values("open"),
        output_field=IntegerField(),
    )


def _signed(account_nps: Decimal | None) -> str:
    # "+33", "-50", "0": the NPS scale is -100 to +100, and the sign is half of what it says.
    if account_nps is None:
        return MISSING
    return f"{'+' if round_half_up(account_nps, 0) > 0 else ''}{format_number(account_nps, 0)}"


@admin.register(Customer)
class CustomerAdmin(CustomerSurveyActions, SurveyHistoryPanel, customer_pages.CustomerAdmin):
    """The customer list and page: economics and contacts, survey actions and history, follow-ups."""

    actions = SEND_SURVEY_ACTIONS
    inlines = [*customer_pages.CustomerAdmin.inlines, FollowUpInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        # The satisfaction figures are surveys' kept-current read model, one LEFT JOIN; customers
        # nobody answered have none.
        customers = (
            super()
            .get_queryset(request)
            .annotate(
                latest_nps=F("satisfaction__latest_nps"),
                latest_nps_at=F("satisfaction__latest_nps_at"),
                account_nps=F("satisfaction__account_nps"),
                nps_contacts=F("satisfaction__nps_contacts"),
            )
        )
        if followup_policy.can_view_any(request.user):
            customers = customers.annotate(open_followups=Coalesce(_open_followups(request), Value(0)))
        return customers

    def get_list_display(self, request: HttpRequest) -> _ListDisplayT[Customer]:
        columns = list(super().get_list_display(request))
        added = [
            _NPS_COLUMN,
            # Who may not see follow-ups sees no count of them either.
            *([_FOLLOWUPS_COLUMN] if followup_policy.can_view_any(request.user) else []),
        ]
        at = columns.index("manager") if "manager" in columns else len(columns)
        return [*columns[:at], *added, *columns[at:]]

    # NULLS FIRST going up, so that going down (best first) leaves the customers without an answer last,
    # the same on PostgreSQL and SQLite, whose defaults differ.
    @admin.display(description=_("NPS"), ordering=F("latest_nps").asc(nulls_first=True), empty_value="")
    def nps(self, customer: Customer) -> SafeString | str:
        latest: int | None = getattr(customer, "latest_nps", None)
        if latest is None:
            return ""
        # NPS bands are fixed, so an unsaved policy categorises without reading the row.
        category = SurveyPolicy().categorize(SurveyKind.NPS, latest)
        account: Decimal | None = getattr(customer, "account_nps", None)
        contacts: int = getattr(customer, "nps_contacts", 0) or 0
        title = ngettext(
            "Latest answer %(score)s (%(category)s). Account NPS %(account)s over %(count)s contact.",
            "Latest answer %(score)s (%(category)s). Account NPS %(account)s over %(count)s contacts.",
            contacts,
        ) % {
            "score": latest,
            "category": Category(category).label,
            "account": _signed(account),
            "count": contacts,
        }
        return format_html('<span class="nps-badge nps-{}" title="{}">{}</span>', category, title, latest)

    @admin.display(description=_("open follow-ups"), ordering="open_followups", empty_value="")
    def open_followups(self, customer: Customer) -> str:
        count: int = getattr(customer, "open_followups", 0)
        return str(count) if count else ""


@admin.register(Contact)
class ContactAdmin(ContactSurveyActions, customer_pages.ContactAdmin):
    """The contact list and page, with the survey actions; who may change what is customers.policy."""

    actions = SEND_SURVEY_ACTIONS
