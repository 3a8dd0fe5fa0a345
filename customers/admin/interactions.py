"""The shared dialog log in the admin: every call, meeting and email with a customer, whoever had it.

Interactions follow customers.policy like contacts (CustomerRecordAdmin): everyone who may view sees
them all; adding or changing needs a customer the user manages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import Truncator

from customers.models import Interaction
from customers.policy import interaction_policy

from .customers import CustomerRecordAdmin


@admin.register(Interaction)
class InteractionAdmin(CustomerRecordAdmin):
    policy = interaction_policy
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

    @admin.display(description="summary")
    def summary_excerpt(self, interaction: Interaction) -> str:
        return Truncator(interaction.summary).chars(80)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "logged_by": request.user.pk,
            "occurred_at": timezone.now(),
            **super().get_changeform_initial_data(request),
        }
