"""The shared customer dialog log."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .customers import Contact, Customer
from .imports import DataImport


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    FORM = "form", "Form"
    MEETING = "meeting", "Meeting"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class Interaction(models.Model):
    """One entry in the shared customer dialog log, whoever in the company had it."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="interactions")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="interactions"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    occurred_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data_import = models.ForeignKey(
        DataImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="interactions"
    )

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            # Service minutes per customer-id range over the window, and "recent interactions".
            models.Index(
                fields=["customer", "occurred_at"],
                include=["duration_minutes"],
                name="interaction_customer_time_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"
