"""The tier policy, the nightly recalculation runs and the tier changes they record."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .customers import Customer, Tier


class TierPolicy(models.Model):
    """The company's tier bands and cost-to-serve rule. There is exactly one row."""

    SINGLETON_PK = 1

    b_threshold = models.DecimalField(
        "B threshold (NOK)",
        max_digits=14,
        decimal_places=2,
        default=Decimal(200_000),
        help_text="Revenue over the window above this amount makes a customer B. Exactly the amount stays C.",
    )
    a_threshold = models.DecimalField(
        "A threshold (NOK)",
        max_digits=14,
        decimal_places=2,
        default=Decimal(500_000),
        help_text="Revenue over the window above this amount makes a customer A. Exactly the amount stays B.",
    )
    window_months = models.PositiveSmallIntegerField(
        "window (months)",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Revenue and service time are summed over this many months up to the as-of date.",
    )
    hourly_service_cost = models.DecimalField(
        "hourly service cost (NOK)",
        max_digits=10,
        decimal_places=2,
        default=Decimal(750),
        validators=[MinValueValidator(Decimal(0))],
        help_text="What an hour of support and follow-up costs, to turn service minutes into money.",
    )
    time_cost_share_pct = models.DecimalField(
        "time-cost share (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal(25),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="A customer is a time thief when service cost exceeds this share of its contribution "
        "margin. With a margin of 0 or less, any service cost flags.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "tier policy"
        verbose_name_plural = "tier policy"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="tier_policy_singleton"),
            models.CheckConstraint(condition=Q(b_threshold__gte=0), name="tier_policy_b_not_negative"),
            models.CheckConstraint(
                condition=Q(a_threshold__gt=models.F("b_threshold")), name="tier_policy_a_above_b"
            ),
        ]

    def __str__(self) -> str:
        return "Tier policy"

    @classmethod
    def current(cls) -> TierPolicy:
        policy, _ = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
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
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RecalculationRun(models.Model):
    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    trigger = models.CharField(max_length=100, blank=True, help_text="schedule, command or admin (user).")
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now, help_text="Last progress report of the run.")
    finished_at = models.DateTimeField(null=True, blank=True)
    customers_processed = models.PositiveIntegerField(default=0)
    customers_updated = models.PositiveIntegerField(
        default=0, help_text="Customers whose figures changed and were written."
    )
    tiers_changed = models.PositiveIntegerField(default=0)
    tier_a_count = models.PositiveIntegerField("A customers", default=0)
    tier_b_count = models.PositiveIntegerField("B customers", default=0)
    tier_c_count = models.PositiveIntegerField("C customers", default=0)
    chunks = models.PositiveIntegerField(default=0)
    longest_chunk_ms = models.PositiveIntegerField(
        "longest transaction (ms)", default=0, help_text="The longest single chunk transaction of the run."
    )
    policy = models.JSONField(default=dict, help_text="The tier policy values the run used.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # Two recalculations at once would both write and both record tier changes: the database
            # admits one running run, whichever process asks second gets an IntegrityError.
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="running"), name="recalculation_one_running"
            ),
        ]

    def __str__(self) -> str:
        return f"Recalculation as of {self.as_of} ({self.get_status_display()})"

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class TierChange(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.CharField(max_length=1, choices=Tier.choices)
    to_tier = models.CharField(max_length=1, choices=Tier.choices)
    revenue_12m = models.DecimalField("revenue at the time", max_digits=14, decimal_places=2)
    run = models.ForeignKey(RecalculationRun, on_delete=models.PROTECT, related_name="tier_changes")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            # Tier history on the customer page, newest first.
            models.Index(fields=["customer", "-changed_at"], name="tierchange_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_tier} → {self.to_tier}"
