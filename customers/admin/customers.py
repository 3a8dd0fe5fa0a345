"""Admin for customers and what hangs off them: contacts and interactions (products and revenue lines:
catalogue.py).

`CustomerAdmin` and `ContactAdmin` are bases, not registered here: the customer page shows pieces of
the apps above this one (survey actions and history, follow-ups), so the top app (sales/admin.py)
composes them with these and registers the result once. Interactions belong to this app alone and
are registered in interactions.py.

Contacts and interactions follow customers.policy: everyone who may view them sees them all (one
shared dialog history); changing or adding needs the model permission and, for account managers, a
customer they manage. The forms offer only those customers, and saving checks again.

The customer page says in words why a customer is a time thief and what its potential score means
(customers.explanations), and offers whoever may log for the customer "log a call / meeting / email"
links into the prefilled add-interaction page, which returns to the customer afterwards.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import F, Field, ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden
from core.formats import MISSING, format_nok, format_percent, group_thousands
from core.permissions import PolicyAdmin
from core.types import AnyUser
from customers.explanations import TimeThiefRule, potential_sentences, time_thief_sentence
from customers.models import MARGIN_PCT, Channel, Contact, Customer, Tier
from customers.policy import (
    CustomerRecordPolicy,
    contact_policy,
    interaction_policy,
    managed_customers,
    manages,
    manages_every_account,
)
from customers.selectors import (
    economics_window,
    last_recalculation,
    potential_explanation,
    recent_interactions,
    revenue_by_product,
    running_recalculation,
    tier_history,
)
from customers.validators import normalize_org_number

from .economics import can_recalculate, tier_badge

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups, _FieldsetSpec, _ListDisplayT
    from django.utils.functional import _StrOrPromise

# The change page shows this many of the newest interactions and tier changes and links to the rest;
# a long-standing customer can have thousands of interactions.
RECENT_ROWS = 20

# The channels the customer page offers to log, in helper B's prefill contract
# (/admin/customers/interaction/add/?customer=&contact=&channel=&next=), with their link texts.
LOG_CHANNELS: tuple[tuple[str, Any], ...] = (
    (Channel.PHONE, _("Log a call")),
    (Channel.MEETING, _("Log a meeting")),
    (Channel.EMAIL, _("Log an email")),
)
# The per-contact links of the contacts table: one short word each, the column says "log".
_CONTACT_LOG_CHANNELS: tuple[tuple[str, Any], ...] = (
    (Channel.PHONE, pgettext_lazy("log a", "call")),
    (Channel.MEETING, pgettext_lazy("log a", "meeting")),
    (Channel.EMAIL, pgettext_lazy("log an", "email")),
)


def _stamp_opt_out(contact: Contact, changed_data: list[str]) -> None:
    # The date someone asked not to be surveyed is evidence; it follows the checkbox rather than
    # being typed by hand.
    if "opted_out" in changed_data:
        contact.opted_out_at = timezone.now() if contact.opted_out else None


def _opt_out_locked(user: AnyUser) -> bool:
    # The opt-out is the contact's own word. Clearing it is for the contact (an explicit
    # re-subscribe) or a lead, whose change the admin's LogEntry records ("Changed Opted out"
    # with user and time); an account manager keen on a survey answer may not overrule it.
    return not manages_every_account(user)


def _changelist_url(model: str, **filters: int | str) -> str:
    return f"{reverse(f'admin:customers_{model}_changelist')}?{urlencode(filters)}"


def log_interaction_url(customer_id: int, channel: str, contact_id: int | None = None) -> str:
    """The add-interaction page prefilled for the customer (and contact), returning to its page."""
    params: dict[str, int | str] = {"customer": customer_id}
    if contact_id is not None:
        params["contact"] = contact_id
    params["channel"] = channel
    params["next"] = reverse("admin:customers_customer_change", args=[customer_id])
    return f"{reverse('admin:customers_interaction_add')}?{urlencode(params)}"


def _autocomplete_source(request: HttpRequest) -> tuple[str, str] | None:
    """(model, field) of the customers form field whose autocomplete this request serves, if it is one."""
    match = request.resolver_match
    if match is None or match.url_name != "autocomplete" or request.GET.get("app_label") != "customers":
        return None
    return request.GET.get("model_name", ""), request.GET.get("field_name", "")


def _managed_contacts(user: AnyUser) -> QuerySet[Contact]:
    if manages_every_account(user):
        return Contact.objects.all()
    return Contact.objects.filter(customer__in=managed_customers(user, Customer.objects.all()))


def _time_thief_badge(sentence: str) -> SafeString:
    # Not the admin's boolean icons: a green tick next to "time thief" reads as good news. The
    # sentence is the title, so hovering the badge on the list says why.
    return format_html('<span class="time-thief-badge" title="{}">{}</span>', sentence, gettext("time thief"))


# Cached per rule: the admin asks get_list_display twice per list (the columns and which of them sort)
# and matches the two answers by identity, so the same rule has to give the same function.
@functools.lru_cache(maxsize=8)
def _time_thief_column(rule: TimeThiefRule) -> Callable[[Customer], SafeString | str]:
    # A column built per request: the rule comes from the last run, read once per list, and a
    # function closed over it keeps it out of the ModelAdmin instance, which all requests share.
    @admin.display(description=_("time thief"), ordering="time_cost_flag", empty_value="")
    def time_thief(customer: Customer) -> SafeString | str:
        if not customer.time_cost_flag:
            return ""
        return _time_thief_badge(time_thief_sentence(customer, rule))

    return time_thief


class AccountManagerFilter(admin.RelatedOnlyFieldListFilter):
    """The account managers who manage a customer, by their full names (the usernames are logins)."""

    def field_choices(
        self, field: Field[Any, Any], request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, _StrOrPromise]]:
        managing = model_admin.get_queryset(request).order_by().values("account_manager")
        users = (
            get_user_model().objects.filter(pk__in=managing).order_by("first_name", "last_name", "username")
        )
        return [(str(user.pk), user.get_full_name() or user.get_username()) for user in users]


class CustomerForm(forms.ModelForm):
    # Wider than the 9 stored digits so that "923 609 016" or "NO 923 609 016 MVA", as people paste
    # it, reaches clean_org_number and is saved as the bare number.
    org_number = forms.CharField(
        label=_("Organisation number"),
        max_length=30,
        required=False,
        help_text=_("9 digits; spaces, dots and NO/MVA are removed."),
    )

    class Meta:
        model = Customer
        # The economics are left out on purpose: only the recalculation writes them.
        fields = [
            "name",
            "external_id",
            "org_number",
            "account_manager",
            "industry",
            "employees",
            "business_model",
            "region",
        ]

    def clean_org_number(self) -> str:
        return normalize_org_number(self.cleaned_data["org_number"])


class ContactInline(admin.TabularInline):
    """The customer's contacts on its page, editable by those who may change them (customers.policy).

    `obj` in the permission methods is the customer whose page this is (None on the add page). Django
    ignores posted changes to rows the inline may not change, so another manager's contacts stay as
    they are whatever is posted; CustomerAdmin.save_formset checks again.
    """

    model = Contact
    fields = ["name", "email", "phone", "role", "language", "opted_out"]
    extra = 0
    show_change_link = True

    def _may_log(self, request: HttpRequest, obj: Customer | None) -> bool:
        return obj is not None and obj.pk is not None and interaction_policy.can_add_for(request.user, obj)

    def get_fields(self, request: HttpRequest, obj: Customer | None = None) -> _FieldGroups:
        # The "log a call / meeting / email" links per contact, for those who may log for the customer.
        fields = list(super().get_fields(request, obj))
        return [*fields, "log_links"] if self._may_log(request, obj) else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> list[str]:
        return [
            *super().get_readonly_fields(request, obj),
            *(["opted_out"] if _opt_out_locked(request.user) else []),
            *(["log_links"] if self._may_log(request, obj) else []),
        ]

    @admin.display(description=_("log"))
    def log_links(self, contact: Contact) -> SafeString | str:
        if contact.pk is None:
            return ""
        return format_html_join(
            " ",
            '<a href="{}">{}</a>',
            (
                (log_interaction_url(contact.customer_id, channel, contact.pk), label)
                for channel, label in _CONTACT_LOG_CHANNELS
            ),
        )

    def has_view_permission(self, request: HttpRequest, obj: Customer | None = None) -> bool:
        return contact_policy.can_view_any(request.user) or self.has_change_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Customer | None = None) -> bool:
        return contact_policy.can_change_any(request.user) and (obj is None or manages(request.user, obj))

    def has_add_permission(self, request: HttpRequest, obj: Customer | None = None) -> bool:
        if obj is None:
            # A customer being added: whether its manager is the user is known only once it is
            # saved, and save_formset checks it then.
            return contact_policy.can_add_any(request.user)
        return contact_policy.can_add_for(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Customer | None = None) -> bool:
        # Deleting is changing: the model permission, and a customer the user manages.
        return super().has_delete_permission(request, obj) and (obj is None or manages(request.user, obj))


class CustomerAdmin(admin.ModelAdmin):
    """The customer page of this app; sales/admin.py composes it with the other apps' pieces."""

    form = CustomerForm
    # What a 1366 px window holds next to the filters: the external ID rides under the name, the
    # margin amount in the margin share's title, and the org. number is left to search and the page.
    # "time_thief" stands for the per-request column of get_list_display.
    list_display = [
        "customer",
        "tier_column",
        "revenue",
        "margin_percent",
        "time_thief",
        "potential_column",
        "manager",
    ]
    list_filter = [
        "tier",
        "time_cost_flag",
        # Only the people who manage customers, not every user of the system.
        ("account_manager", AccountManagerFilter),
        "industry",
    ]
    list_select_related = ["account_manager"]
    # Largest first, served by customer_revenue_idx.
    ordering = ["-revenue_12m"]
    search_fields = ["name", "=external_id", "^org_number"]
    search_help_text = _("Name, external ID or organisation number (spaces allowed).")
    autocomplete_fields = ["account_manager"]
    inlines = [ContactInline]
    readonly_fields = [
        "tier_display",
        "revenue",
        "margin",
        "margin_percent",
        "service_minutes",
        "service_cost",
        "time_thief",
        "economics_as_of",
        "potential",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "external_id", "org_number", "account_manager"]}),
        (_("Company"), {"fields": ["industry", "employees", "business_model", "region"]}),
        (
            _("Economics (written by the recalculation)"),
            {
                "fields": [
                    ("tier_display", "time_thief"),
                    ("revenue", "margin", "margin_percent"),
                    ("service_minutes", "service_cost"),
                    "economics_as_of",
                    "potential",
                ]
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_list_display(self, request: HttpRequest) -> _ListDisplayT[Customer]:
        rule = TimeThiefRule.from_snapshot(run.policy if (run := last_recalculation()) else None)
        column = _time_thief_column(rule)
        return [column if name == "time_thief" else name for name in super().get_list_display(request)]

    @admin.display(description=_("customer"), ordering="name")
    def customer(self, customer: Customer) -> SafeString:
        return format_html('{}<span class="external-id">{}</span>', customer.name, customer.external_id)

    @admin.display(description=_("tier"), ordering="tier")
    def tier_display(self, customer: Customer) -> SafeString:
        return tier_badge(customer.tier)

    # The list's narrow column under a short header (nb "Klasse"); the page keeps the full word.
    @admin.display(description=pgettext_lazy("short column header", "tier"), ordering="tier")
    def tier_column(self, customer: Customer) -> SafeString:
        return tier_badge(customer.tier)

    @admin.display(description=_("time thief"))
    def time_thief(self, customer: Customer) -> SafeString:
        # The page of one customer: the rule is read here, one query, rather than threaded through.
        run = last_recalculation()
        sentence = time_thief_sentence(customer, TimeThiefRule.from_snapshot(run.policy if run else None))
        if not customer.time_cost_flag:
            return format_html('<span class="explanation">{}</span>', sentence or MISSING)
        return format_html('{} <span class="explanation">{}</span>', _time_thief_badge(sentence), sentence)

    @admin.display(description=_("revenue, 12 m"), ordering="revenue_12m")
    def revenue(self, customer: Customer) -> str:
        return format_nok(customer.revenue_12m)

    @admin.display(description=_("margin, 12 m"), ordering="contribution_margin_12m")
    def margin(self, customer: Customer) -> str:
        return format_nok(customer.contribution_margin_12m)

    @admin.display(description=_("margin %"), ordering=MARGIN_PCT)
    def margin_percent(self, customer: Customer) -> SafeString:
        # The amount as the title: the list has no room for a margin column of its own.
        return format_html(
            '<span title="{}">{}</span>',
            gettext("Margin, 12 m: %(amount)s") % {"amount": format_nok(customer.contribution_margin_12m)},
            format_percent(customer.margin_pct),
        )

    @admin.display(description=_("service time, 12 m"))
    def service_minutes(self, customer: Customer) -> str:
        return gettext("%(minutes)s min") % {"minutes": group_thousands(customer.service_minutes_12m)}

    @admin.display(description=_("service cost, 12 m"))
    def service_cost(self, customer: Customer) -> str:
        return format_nok(customer.service_cost_12m)

    # As the NPS column: no score first going up, last going down, on every database.
    @admin.display(
        description=_("potential"), ordering=F("potential_score").asc(nulls_first=True), empty_value=""
    )
    def potential_column(self, customer: Customer) -> int | None:
        return customer.potential_score

    @admin.display(description=_("potential"))
    def potential(self, customer: Customer) -> SafeString:
        if customer.potential_score is None:
            reason = (
                gettext("an A customer")
                if customer.tier == Tier.A
                else gettext(
                    "too little data: fewer than two known attributes, or too few A customers to compare with"
                )
            )
            return format_html("{} ({})", MISSING, reason)
        sentences = potential_sentences(potential_explanation(customer))
        return format_html(
            '<strong>{}</strong> / 100 <span class="explanation">({})</span>{}',
            customer.potential_score,
            gettext(
                "50 is an average customer; the higher the score, the more it resembles today's A customers."
            ),
            format_html(
                '<ul class="explanation">{}</ul>',
                format_html_join("", "<li>{}</li>", ((s,) for s in sentences)),
            )
            if sentences
            else "",
        )

    @admin.display(description=_("account manager"), ordering="account_manager__first_name")
    def manager(self, customer: Customer) -> str | None:
        user = customer.account_manager
        return (user.get_full_name() or user.get_username()) if user else None

    def get_fieldsets(self, request: HttpRequest, obj: Customer | None = None) -> _FieldsetSpec:
        if obj is None:
            # A new customer has no figures until the next recalculation.
            return self.fieldsets[:2]
        return self.fieldsets

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Customer], search_term: str
    ) -> tuple[QuerySet[Customer], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        org_number = normalize_org_number(search_term)
        if len(org_number) == 9 and org_number.isdigit():
            # Word by word, "923 609 016" would look for "923", "609" and "016" separately; the
            # normalised number is one exact, indexed match.
            results |= queryset.filter(org_number=org_number)
        if _autocomplete_source(request) in {("contact", "customer"), ("interaction", "customer")}:
            # The customer choice of a contact or interaction form offers the customers whose records
            # the user may change; the form refuses any other (CustomerRecordAdmin).
            results = managed_customers(request.user, results)
        return results, may_have_duplicates

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "last_run": last_recalculation(),
            "running_run": running_recalculation(),
            "can_recalculate": can_recalculate(request.user),
        }
        return super().changelist_view(request, extra_context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Customer | None = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk is not None:
            run = last_recalculation()
            context.update(
                last_run=run,
                revenue_summary=revenue_by_product(obj.pk, economics_window(run)),
                recent_interactions=recent_interactions(obj.pk, limit=RECENT_ROWS),
                tier_history=tier_history(obj.pk, limit=RECENT_ROWS),
                interactions_url=_changelist_url("interaction", customer__id__exact=obj.pk),
                tier_changes_url=_changelist_url("tierchange", customer__id__exact=obj.pk),
                revenue_lines_url=_changelist_url("revenueline", customer__id__exact=obj.pk),
                recent_rows=RECENT_ROWS,
                # Shown only to those who may log for this customer; the add page asks the policy again.
                log_links=[(label, log_interaction_url(obj.pk, channel)) for channel, label in LOG_CHANNELS]
                if interaction_policy.can_add_for(request.user, obj)
                else [],
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_formset(
        self,
        request: HttpRequest,
        form: forms.ModelForm[Customer],
        formset: BaseInlineFormSet[Any, Customer, Any],
        change: bool,
    ) -> None:
        if formset.model is Contact:
            for contact_form in formset.forms:
                _require_contact_change(request.user, formset.instance, contact_form)
                _stamp_opt_out(contact_form.instance, contact_form.changed_data)
        super().save_formset(request, form, formset, change)


def _require_contact_change(
    user: AnyUser, customer: Customer, contact_form: forms.ModelForm[Contact]
) -> None:
    # ContactInline already keeps Django from saving rows the user may not change; this is the
    # policy's own word at the point of writing, and it also covers a customer just added, whose
    # manager was not known when the page was drawn. The admin's transaction undoes the customer.
    if not contact_form.has_changed():
        return
    contact = contact_form.instance
    allowed = (
        contact_policy.can_add_for(user, customer)
        if contact._state.adding
        else contact_policy.can_change(user, contact)
    )
    if not allowed:
        raise Forbidden(contact_policy.refusal(user, contact))


class CustomerRecordAdmin(PolicyAdmin):
    """Admin of a model that belongs to one customer (contacts, interactions), by customers.policy.

    Everyone who may view sees every row; a row whose customer the user does not manage opens read-only.
    The customer (and contact) choices offer what the user may change, and saving asks the policy
    again, so a forged post naming another manager's customer is refused with nothing saved.
    """

    policy: CustomerRecordPolicy

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The permission checks of a change page read the row's customer; loaded with the row.
        return super().get_queryset(request).select_related("customer")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.policy.can_add_any(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting is changing: the model permission, and a customer the user manages.
        return super().has_delete_permission(request, obj) and (
            obj is None or manages(request.user, obj.customer)
        )

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "customer":
            kwargs["queryset"] = managed_customers(request.user, Customer.objects.all())
        elif db_field.name == "contact":
            kwargs["queryset"] = _managed_contacts(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm[Any], change: bool) -> None:
        user = request.user
        # On a change, Django has checked the row as it was; obj now carries the posted customer.
        allowed = self.policy.can_change(user, obj) if change else self.policy.can_add_for(user, obj.customer)
        if not allowed:
            raise Forbidden(self.policy.refusal(user, obj))
        super().save_model(request, obj, form, change)


class ContactAdmin(CustomerRecordAdmin):
    """The contact pages of this app; sales/admin.py adds the survey actions and registers it."""

    policy = contact_policy
    list_display = ["name", "customer", "email", "phone", "role", "language", "opted_out"]
    list_filter = ["language", "opted_out"]
    list_select_related = ["customer"]
    search_fields = ["name", "email", "phone", "customer__name"]
    autocomplete_fields = ["customer"]
    fields = [
        "customer",
        "name",
        "email",
        "phone",
        "role",
        "language",
        "opted_out",
        "opted_out_at",
        "created_at",
    ]
    readonly_fields = ["opted_out_at", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Contact | None = None) -> list[str]:
        return [
            *super().get_readonly_fields(request, obj),
            *(["opted_out"] if _opt_out_locked(request.user) else []),
        ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Contact], search_term: str
    ) -> tuple[QuerySet[Contact], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if _autocomplete_source(request) == ("interaction", "contact"):
            # As for the customer choice: an interaction names a contact of a customer the user manages.
            results = results.filter(pk__in=_managed_contacts(request.user).values("pk"))
        return results, may_have_duplicates

    def save_model(
        self, request: HttpRequest, obj: Contact, form: forms.ModelForm[Contact], change: bool
    ) -> None:
        _stamp_opt_out(obj, form.changed_data)
        super().save_model(request, obj, form, change)
