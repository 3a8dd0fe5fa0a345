"""The follow-up policy: response times by tier. One row, edited in place."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from followups.models import FollowUpPolicy


@admin.register(FollowUpPolicy)
class FollowUpPolicyAdmin(admin.ModelAdmin):
    fieldsets = [
        (
            "Due within (business days, skipping weekends and Norwegian public holidays)",
            {
                "fields": ["due_business_days_a", "due_business_days_b", "due_business_days_c", "due_hour"],
                "description": "Applies to follow-ups created from now on; existing due times stay as they are.",
            },
        ),
        ("Last change", {"fields": ["updated_at"]}),
    ]
    readonly_fields = ["updated_at"]

    # One row, created on demand by FollowUpPolicy.current(); a second row is refused by the database.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: FollowUpPolicy | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        policy = FollowUpPolicy.current()
        return HttpResponseRedirect(reverse("admin:followups_followuppolicy_change", args=[policy.pk]))
