"""Admin for customers and what hangs off them: contacts and interactions (products and revenue lines:
catalogue.py).

`CustomerAdmin` and `ContactAdmin` are bases, not registered here: the customer page shows pieces of
the apps above this one (survey actions and history, follow-ups), so the top app (sales/admin.py)
composes them with these and registers the result once. Interactions belong to this app alone and
are registered in interactions.py.

Contacts and interactions follow customers.policy: everyone who may view them sees them all (one
shared dialog history); changing or adding needs the model permission and, for account managers, a
customer they manage. The forms offer only those customers, and saving checks again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from core.errors import Forbidden
from core.formats import MISSING, format_nok, format_org_number, format_percent, group_thousands
from core.permissions import PolicyAdmin
from core.types import AnyUser
from customers.models import MARGIN_PCT, Contact, Customer, Tier
from customers.policy import (
    CustomerRecordPolicy,
    contact_policy,
    managed_customers,
    manages,
    manages_every_account,
)
from customers.selectors import (
    economics_window,
    format_potential_explanation,
    last_recalculation,
    potential_explanation,
    recent_interactions,
    revenue_by_product,
    running_recalculation,
    tier_history,
)
from customers.validators import normalize_org_number

from .economics import can_recalculate, tier_badge, time_thief_badge

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec

# The change page shows this many of the newest interactions and tier changes and links to the rest;
# a long-standing customer can have thousands of interactions.
RECENT_ROWS = 20


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


class CustomerForm(forms.ModelForm):
    # Wider than the 9 stored digits so that "923 609 016" or "NO 923 609 016 MVA", as people paste
    # it, reaches clean_org_number and is saved as the bare number.
    org_number = forms.CharField(
        label="Organisation number",
        max_length=30,
        required=False,
        help_text="9 digits; spaces, dots and NO/MVA are removed.",
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

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> list[str]:
        return [
            *super().get_readonly_fields(request, obj),
            *(["opted_out"] if _opt_out_locked(request.user) else []),
        ]

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
    list_display = [
        "name",
        "external_id",
        "org_number_display",
        "tier_display",
        "revenue",
        "margin",
        "margin_percent",
        "time_thief",
        "manager",
    ]
    list_filter = [
        "tier",
        "time_cost_flag",
        # Only the people who manage customers, not every user of the system.
        ("account_manager", admin.RelatedOnlyFieldListFilter),
        "industry",
    ]
    list_select_related = ["account_manager"]
    # Largest first, served by customer_revenue_idx.
    ordering = ["-revenue_12m"]
    search_fields = ["name", "=external_id", "^org_number"]
    search_help_text = "Name, external ID or organisation number (spaces allowed)."
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
        ("Company", {"fields": ["industry", "employees", "business_model", "region"]}),
        (
            "Economics (written by the recalculation)",
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
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description="org. number", ordering="org_number")
    def org_number_display(self, customer: Customer) -> str:
        return format_org_number(customer.org_number)

    @admin.display(description="tier", ordering="tier")
    def tier_display(self, customer: Customer) -> SafeString:
        return tier_badge(customer.tier)

    @admin.display(description="time thief", ordering="time_cost_flag", empty_value="")
    def time_thief(self, customer: Customer) -> SafeString | str:
        return time_thief_badge(customer.time_cost_flag)

    @admin.display(description="revenue, 12 m", ordering="revenue_12m")
    def revenue(self, customer: Customer) -> str:
        return format_nok(customer.revenue_12m)

    @admin.display(description="margin, 12 m", ordering="contribution_margin_12m")
    def margin(self, customer: Customer) -> str:
        return format_nok(customer.contribution_margin_12m)

    @admin.display(description="margin %", ordering=MARGIN_PCT)
    def margin_percent(self, customer: Customer) -> str:
        return format_percent(customer.margin_pct)

    @admin.display(description="service time, 12 m")
    def service_minutes(self, customer: Customer) -> str:
        return f"{group_thousands(customer.service_minutes_12m)}\u00a0min"

    @admin.display(description="service cost, 12 m")
    def service_cost(self, customer: Customer) -> str:
        return format_nok(customer.service_cost_12m)

    @admin.display(description="potential")
    def potential(self, customer: Customer) -> SafeString:
        if customer.potential_score is None:
            reason = (
                "an A customer"
                if customer.tier == Tier.A
                else "too little data: fewer than two known attributes, or too few A customers to compare with"
            )
            return format_html("{} ({})", MISSING, reason)
        return format_html(
            "<strong>{}</strong> / 100 &nbsp;{}",
            customer.potential_score,
            format_potential_explanation(potential_explanation(customer)),
        )

    @admin.display(description="account manager", ordering="account_manager__first_name")
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
