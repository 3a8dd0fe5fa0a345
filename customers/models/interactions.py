"""The shared customer dialog log."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.formats import format_date

from .customers import Contact, Customer
from .imports import DataImport


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    FORM = "form", _("Form")
    MEETING = "meeting", _("Meeting")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


# The channels whose interactions take the account manager's time by the minute.
DURATION_REQUIRED = frozenset({Channel.PHONE, Channel.MEETING})


class Interaction(models.Model):
    """One entry in the shared customer dialog log, whoever in the company had it."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="interactions", verbose_name=_("customer")
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("contact"),
    )
    channel = models.CharField(verbose_name=_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(
        verbose_name=_("direction"), max_length=10, choices=Direction.choices, default=Direction.INBOUND
    )
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    duration_minutes = models.PositiveIntegerField(verbose_name=_("duration (minutes)"), default=0)
    summary = models.TextField(verbose_name=_("summary"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logged by"),
    )
    data_import = models.ForeignKey(
        DataImport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("data import"),
    )

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
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
        return f"{self.get_channel_display()} {format_date(self.occurred_at)}"

    def clean(self) -> None:
        # A call or a meeting without its length would count as free in the cost-to-serve figures;
        # emails, chats and forms have no duration worth logging.
        if self.channel in DURATION_REQUIRED and not self.duration_minutes:
            raise ValidationError(
                {
                    "duration_minutes": gettext(
                        "Duration (minutes) is required for calls and meetings: enter more than 0."
                    )
                }
            )
