"""The tier policy, the nightly recalculation runs and the tier changes they record."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.formats import format_date

from .customers import Customer, Tier


class TierPolicy(models.Model):
    """The company's tier bands and cost-to-serve rule. There is exactly one row."""

    SINGLETON_PK = 1

    b_threshold = models.DecimalField(
        _("B threshold (NOK)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal(200_000),
        help_text=_(
            "Revenue over the window above this amount makes a customer B. Exactly the amount stays C."
        ),
    )
    a_threshold = models.DecimalField(
        _("A threshold (NOK)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal(500_000),
        help_text=_(
            "Revenue over the window above this amount makes a customer A. Exactly the amount stays B."
        ),
    )
    window_months = models.PositiveSmallIntegerField(
        _("window (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Revenue and service time are summed over this many months up to the as-of date."),
    )
    hourly_service_cost = models.DecimalField(
        _("hourly service cost (NOK)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal(750),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("What an hour of support and follow-up costs, to turn service minutes into money."),
    )
    time_cost_share_pct = models.DecimalField(
        _("time-cost share (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(25),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_(
            "A customer is a time thief when service cost exceeds this share of its contribution "
            "margin. With a margin of 0 or less, any service cost flags."
        ),
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policy")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="tier_policy_singleton"),
            models.CheckConstraint(condition=Q(b_threshold__gte=0), name="tier_policy_b_not_negative"),
            models.CheckConstraint(
                condition=Q(a_threshold__gt=models.F("b_threshold")), name="tier_policy_a_above_b"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Tier policy"))

    @classmethod
    def current(cls) -> TierPolicy:
        policy, _created = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return policy

    def snapshot(self) -> dict[str, str | int]:
        """The values a recalculation used, kept on its run for later audits."""
        return {
            "b_threshold": str(self.b_threshold),
            "a_threshold": str(self.a_threshold),
            "window_months": self.window_months,
            "hourly_service_cost": str(self.hourly_service_cost),
            "time_cost_share_pct": str(self.time_cost_share_pct),
        }


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class RecalculationRun(models.Model):
    as_of = models.DateField(verbose_name=_("as of"))
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    trigger = models.CharField(
        verbose_name=_("trigger"),
        max_length=100,
        blank=True,
        help_text=_("schedule, command or admin (user)."),
    )
    started_at = models.DateTimeField(verbose_name=_("started at"), default=timezone.now)
    heartbeat_at = models.DateTimeField(
        verbose_name=_("heartbeat at"), default=timezone.now, help_text=_("Last progress report of the run.")
    )
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)
    customers_processed = models.PositiveIntegerField(verbose_name=_("customers processed"), default=0)
    customers_updated = models.PositiveIntegerField(
        verbose_name=_("customers updated"),
        default=0,
        help_text=_("Customers whose figures changed and were written."),
    )
    tiers_changed = models.PositiveIntegerField(verbose_name=_("tiers changed"), default=0)
    tier_a_count = models.PositiveIntegerField(_("A customers"), default=0)
    tier_b_count = models.PositiveIntegerField(_("B customers"), default=0)
    tier_c_count = models.PositiveIntegerField(_("C customers"), default=0)
    chunks = models.PositiveIntegerField(verbose_name=_("chunks"), default=0)
    longest_chunk_ms = models.PositiveIntegerField(
        _("longest transaction (ms)"),
        default=0,
        help_text=_("The longest single chunk transaction of the run."),
    )
    policy = models.JSONField(
        verbose_name=_("policy"), default=dict, help_text=_("The tier policy values the run used.")
    )
    error = models.TextField(verbose_name=_("error"), blank=True)

    class Meta:
        verbose_name = _("recalculation run")
        verbose_name_plural = _("recalculation runs")
        ordering = ["-started_at"]
        constraints = [
            # Two recalculations at once would both write and both record tier changes: the database
            # admits one running run, whichever process asks second gets an IntegrityError.
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="running"), name="recalculation_one_running"
            ),
        ]

    def __str__(self) -> str:
        return gettext("Recalculation as of %(date)s (%(status)s)") % {
            "date": format_date(self.as_of),
            "status": self.get_status_display(),
        }

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class TierChange(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="tier_changes", verbose_name=_("customer")
    )
    from_tier = models.CharField(verbose_name=_("from tier"), max_length=1, choices=Tier.choices)
    to_tier = models.CharField(verbose_name=_("to tier"), max_length=1, choices=Tier.choices)
    revenue_12m = models.DecimalField(_("revenue at the time"), max_digits=14, decimal_places=2)
    run = models.ForeignKey(
        RecalculationRun, on_delete=models.PROTECT, related_name="tier_changes", verbose_name=_("run")
    )
    changed_at = models.DateTimeField(verbose_name=_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-changed_at", "-id"]
        indexes = [
            # Tier history on the customer page, newest first.
            models.Index(fields=["customer", "-changed_at"], name="tierchange_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_tier} → {self.to_tier}"
