"""Closing the loop: one follow-up task per unhappy response, worked by the account manager."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, Customer, Interaction, Tier
from surveys.models import SurveyResponse


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATUSES = (Status.OPEN, Status.IN_PROGRESS)


class Outcome(models.TextChoices):
    RECOVERED = "recovered", _("Recovered")
    CONTACTED = "contacted", _("Contacted")
    UNREACHABLE = "unreachable", _("Unreachable")
    CHURN_RISK = "churn_risk", _("Churn risk")
    OTHER = "other", _("Other")


# Lower sorts first in the queue.
PRIORITY_BY_TIER: dict[str, int] = {Tier.A: 1, Tier.B: 2, Tier.C: 3}


class FollowUpPolicy(models.Model):
    """Response times by tier. Exactly one row."""

    SINGLETON_PK = 1

    due_business_days_a = models.PositiveSmallIntegerField(
        _("A customers (business days)"), default=1, validators=[MinValueValidator(0), MaxValueValidator(30)]
    )
    due_business_days_b = models.PositiveSmallIntegerField(
        _("B customers (business days)"), default=2, validators=[MinValueValidator(0), MaxValueValidator(30)]
    )
    due_business_days_c = models.PositiveSmallIntegerField(
        _("C customers (business days)"), default=5, validators=[MinValueValidator(0), MaxValueValidator(30)]
    )
    due_hour = models.PositiveSmallIntegerField(
        _("due at (hour, Oslo time)"),
        default=16,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
        help_text=_("A follow-up is due at this hour on its last business day."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("follow-up policy")
        verbose_name_plural = _("follow-up policy")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="followup_policy_singleton")]

    def __str__(self) -> str:
        return str(_("Follow-up policy"))

    @classmethod
    def current(cls) -> FollowUpPolicy:
        policy, _ = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return policy

    def business_days_for(self, tier: str) -> int:
        days: dict[str, int] = {Tier.A: self.due_business_days_a, Tier.B: self.due_business_days_b}
        return days.get(tier, self.due_business_days_c)


class FollowUpTaskQuerySet(models.QuerySet["FollowUpTask"]):
    def active(self) -> FollowUpTaskQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def overdue(self, now: datetime | None = None) -> FollowUpTaskQuerySet:
        return self.active().filter(due_at__lt=now or timezone.now())


class FollowUpTask(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="followups", verbose_name=_("customer")
    )
    # One follow-up per response, enforced here: duplicate deliveries and racing workers collide on it.
    response = models.OneToOneField(
        SurveyResponse, on_delete=models.PROTECT, related_name="followup", verbose_name=_("response")
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name=_("assigned to"),
        help_text=_("Empty: in the shared queue, for any account manager to take."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    tier = models.CharField(
        _("tier"), max_length=1, choices=Tier.choices, help_text=_("The customer's tier when it was created.")
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=3, help_text=_("1 (A customer) is the most urgent.")
    )
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    completed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Blank until the task is completed; the complete form offers no default, so a careless click
    # cannot record "recovered" (it would inflate the recovery rate).
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    notified_at = models.DateTimeField(
        _("account manager emailed"),
        null=True,
        blank=True,
        help_text=_("When the account manager was emailed about it."),
    )
    escalated_at = models.DateTimeField(
        _("escalated"),
        null=True,
        blank=True,
        help_text=_("When the follow-up leads were told it is overdue (once)."),
    )
    # The calls, meetings and emails logged from the follow-up page. The link lives here because
    # customers must not know about followups (the layers contract); "+" keeps it off Interaction.
    interactions = models.ManyToManyField(
        Interaction, blank=True, related_name="+", verbose_name=_("logged interactions")
    )

    objects = FollowUpTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at", "priority"]
        permissions = [("reassign_followuptask", _("Can reassign follow-ups to another account manager"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Status.DONE) | Q(completed_at__isnull=False),
                name="followup_done_has_time",
            ),
        ]
        indexes = [
            # The queue: active tasks per assignee (NULL = shared), overdue and soonest first.
            models.Index(
                fields=["assigned_to", "due_at", "priority"],
                condition=Q(status__in=["open", "in_progress"]),
                name="followup_queue_idx",
            ),
            # Hourly escalation: active, not yet escalated, by due time.
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["open", "in_progress"], escalated_at__isnull=True),
                name="followup_escalation_idx",
            ),
            models.Index(fields=["customer", "-created_at"], name="followup_customer_idx"),
            # "Has an open follow-up": the customer lists' open_followup filter and the upsell gate.
            models.Index(
                fields=["customer"],
                condition=Q(status__in=["open", "in_progress"]),
                name="followup_active_customer_idx",
            ),
        ]

    def __str__(self) -> str:
        if not self.pk:
            return str(_("Follow-up"))
        return _("Follow-up #%(number)s: %(customer)s") % {"number": self.pk, "customer": self.customer.name}

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_active and self.due_at < timezone.now()


class FollowUpNote(models.Model):
    task = models.ForeignKey(
        FollowUpTask, on_delete=models.CASCADE, related_name="notes", verbose_name=_("follow-up")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("follow-up note")
        verbose_name_plural = _("follow-up notes")

    def __str__(self) -> str:
        return self.text[:60]
