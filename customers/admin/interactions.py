"""The shared dialog log in the admin: every call, meeting and email with a customer, whoever had it.

Interactions follow customers.policy like contacts (CustomerRecordAdmin): everyone who may view sees
them all; adding or changing needs a customer the user manages.

Other pages link to the add form to log a call, a meeting or an email where it happened (the
customer page, the follow-up page):

    /admin/customers/interaction/add/?customer=<pk>&contact=<pk>&channel=<phone|meeting|email>&next=<path>

`customer`, `contact`, `channel` (and `direction`) prefill the form when the user may use them (the
policy decides: a customer they manage, a contact of that customer, a known channel); the others are
left out silently, the form's own choices offering what is allowed. After a plain "Save" the user
goes back to `next` when it is a path on this site, else to the usual admin page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from customers.models import Channel, Contact, Customer, Direction, Interaction
from customers.policy import interaction_policy

from .customers import CustomerRecordAdmin

NEXT_PARAMETER = "next"


class InteractionForm(forms.ModelForm):
    """The model's form with an optional duration: empty is 0, which Interaction.clean() refuses for
    calls and meetings (with a message on the field) and accepts for emails, chats and forms."""

    class Meta:
        model = Interaction
        fields = [
            "customer",
            "contact",
            "channel",
            "direction",
            "occurred_at",
            "duration_minutes",
            "summary",
            "logged_by",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        duration = self.fields.get("duration_minutes")
        if duration is None:  # a read-only page (the user may not change this row)
            return
        duration.required = False
        duration.label = _("Duration (minutes)")
        duration.help_text = _("Required for calls and meetings.")

    def clean_duration_minutes(self) -> int:
        return self.cleaned_data.get("duration_minutes") or 0


def safe_next(request: HttpRequest) -> str | None:
    """The `next` path of the request when it stays on this site, else None."""
    target = request.POST.get(NEXT_PARAMETER) or request.GET.get(NEXT_PARAMETER)
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@admin.register(Interaction)
class InteractionAdmin(CustomerRecordAdmin):
    policy = interaction_policy
    form = InteractionForm
    list_display = [
        "occurred_at",
        "customer",
        "contact",
        "channel",
        "direction",
        "duration_minutes",
        "summary_excerpt",
        "logged_by",
    ]
    list_filter = ["channel", "direction"]
    list_select_related = ["customer", "contact", "logged_by"]
    search_fields = ["customer__name", "=customer__external_id", "summary"]
    date_hierarchy = "occurred_at"
    autocomplete_fields = ["customer", "contact", "logged_by"]
    readonly_fields = ["data_import"]
    # Counting a table of millions of rows for "(N total)" costs more than the page itself.
    show_full_result_count = False

    @admin.display(description=_("summary"))
    def summary_excerpt(self, interaction: Interaction) -> str:
        return Truncator(interaction.summary).chars(80)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # Not Django's default (every GET parameter as it came): only what the user may use.
        initial: dict[str, Any] = {
            "logged_by": request.user.pk,
            "occurred_at": timezone.now(),
            # Empty rather than the model's 0, so a call is not saved as lasting no time by default.
            "duration_minutes": None,
        }
        params = request.GET
        customer = _int_or_none(params.get("customer"))
        managed = Customer.objects.filter(pk=customer).first() if customer is not None else None
        if managed is not None and interaction_policy.can_add_for(request.user, managed):
            initial["customer"] = managed.pk
            contact = _int_or_none(params.get("contact"))
            if contact is not None and Contact.objects.filter(pk=contact, customer_id=managed.pk).exists():
                initial["contact"] = contact
        if params.get("channel") in Channel.values:
            initial["channel"] = params["channel"]
            # Logged from another page, a call or an email is the user's own reaching out.
            initial["direction"] = Direction.OUTBOUND
        if params.get("direction") in Direction.values:
            initial["direction"] = params["direction"]
        return initial

    def response_post_save_add(self, request: HttpRequest, obj: Interaction) -> HttpResponseRedirect:
        # The add form posts to its own URL, query string included, so `next` is still there. Back where the user logged it from (the customer or the follow-up page), not the list of
        # every interaction of the company.
        target = safe_next(request)
        if target is not None:
            return HttpResponseRedirect(target)
        return super().response_post_save_add(request, obj)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
