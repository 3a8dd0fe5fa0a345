"""The follow-up policy: response times by tier. One row, edited in place."""

from __future__ import annotations

from django.contrib import admin

from core.admin import SingletonAdmin
from followups.models import FollowUpPolicy


@admin.register(FollowUpPolicy)
class FollowUpPolicyAdmin(SingletonAdmin):
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
