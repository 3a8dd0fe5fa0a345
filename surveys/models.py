"""Satisfaction surveys: NPS, CSAT and CES invitations, responses and the fatigue policy."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.formats import format_datetime
from customers.models import Contact, Customer


class SurveyKind(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT")
    CES = "ces", _("CES")


# (lowest, highest) score of each kind's scale.
SCALES: dict[str, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
}


class Category(models.TextChoices):
    DETRACTOR = "detractor", _("Detractor")
    PASSIVE = "passive", _("Passive")
    PROMOTER = "promoter", _("Promoter")


class Survey(models.Model):
    kind = models.CharField(verbose_name=_("kind"), max_length=4, choices=SurveyKind.choices)
    name = models.CharField(verbose_name=_("name"), max_length=100)
    question_nb = models.CharField(_("question (Norwegian)"), max_length=300)
    question_en = models.CharField(_("question (English)"), max_length=300)
    low_label_nb = models.CharField(_("low end label (Norwegian)"), max_length=60, blank=True)
    low_label_en = models.CharField(_("low end label (English)"), max_length=60, blank=True)
    high_label_nb = models.CharField(_("high end label (Norwegian)"), max_length=60, blank=True)
    high_label_en = models.CharField(_("high end label (English)"), max_length=60, blank=True)
    is_active = models.BooleanField(
        verbose_name=_("is active"),
        default=True,
        help_text=_("The active survey of a kind is the one invitations and API responses use."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(is_active=True), name="survey_one_active_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    @property
    def scale(self) -> range:
        low, high = SCALES[self.kind]
        return range(low, high + 1)

    def question(self, language: str) -> str:
        return self.question_en if language == "en" else self.question_nb

    def labels(self, language: str) -> tuple[str, str]:
        if language == "en":
            return self.low_label_en, self.high_label_en
        return self.low_label_nb, self.high_label_nb


class SurveyPolicy(models.Model):
    """How often people may be asked, and which CSAT/CES scores count as unhappy. Exactly one row."""

    SINGLETON_PK = 1

    cooldown_days = models.PositiveSmallIntegerField(
        verbose_name=_("cooldown days"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text=_("At most one invitation per contact within this many days."),
    )
    invitation_valid_days = models.PositiveSmallIntegerField(
        verbose_name=_("invitation valid days"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A survey link stops working this many days after it was sent."),
    )
    purchase_delay_days = models.PositiveSmallIntegerField(
        verbose_name=_("purchase delay days"),
        default=14,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text=_("An NPS invitation goes out this many days after a purchase."),
    )
    csat_detractor_max = models.PositiveSmallIntegerField(
        _("CSAT unhappy at or below"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("CSAT scores (1-5) at or below this get a follow-up like an NPS detractor."),
    )
    ces_detractor_max = models.PositiveSmallIntegerField(
        _("CES unhappy at or below"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text=_("CES scores (1-7) at or below this get a follow-up like an NPS detractor."),
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("survey policy")
        verbose_name_plural = _("survey policy")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="survey_policy_singleton")]

    def __str__(self) -> str:
        return str(_("Survey policy"))

    @classmethod
    def current(cls) -> SurveyPolicy:
        policy, _created = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return policy

    def categorize(self, kind: str, score: int) -> Category:
        """The category of a score; NPS bands are fixed, CSAT and CES follow this policy."""
        if kind == SurveyKind.NPS:
            return Category.DETRACTOR if score <= 6 else Category.PASSIVE if score <= 8 else Category.PROMOTER
        detractor_max, promoter_min = (
            (self.csat_detractor_max, 4) if kind == SurveyKind.CSAT else (self.ces_detractor_max, 5)
        )
        if score <= detractor_max:
            return Category.DETRACTOR
        return Category.PROMOTER if score >= promoter_min else Category.PASSIVE


class Trigger(models.TextChoices):
    PURCHASE = "purchase", _("After a purchase")
    MANUAL = "manual", _("Sent by hand")
    FOLLOWUP_COMPLETED = "followup_completed", _("After a completed follow-up")


class SurveyInvitation(models.Model):
    """One person asked one question. The row is also the email outbox: unsent rows get sent."""

    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("survey")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="survey_invitations", verbose_name=_("customer")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="survey_invitations", verbose_name=_("contact")
    )
    trigger = models.CharField(verbose_name=_("trigger"), max_length=20, choices=Trigger.choices)
    trigger_key = models.CharField(
        verbose_name=_("trigger key"),
        max_length=100,
        help_text=_("What caused it (a purchase date, a follow-up), so a rerun invites no one twice."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    sent_at = models.DateTimeField(verbose_name=_("sent at"), null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(verbose_name=_("send attempts"), default=0)
    last_error = models.CharField(verbose_name=_("last error"), max_length=500, blank=True)
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    responded_at = models.DateTimeField(verbose_name=_("responded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "trigger_key"], name="invitation_once_per_cause"),
        ]
        indexes = [
            # Cool-down check: the contact's latest invitation.
            models.Index(fields=["contact", "-created_at"], name="invitation_contact_recent_idx"),
            # The outbox: unsent invitations, oldest first.
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="invitation_unsent_idx"
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s to %(contact)s (%(trigger)s)") % {
            "kind": self.survey.get_kind_display(),
            "contact": self.contact_id,
            "trigger": self.get_trigger_display(),
        }

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class SurveySuppression(models.Model):
    """A reason not to survey a customer now, e.g. an open follow-up. Active until lifted."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="survey_suppressions", verbose_name=_("customer")
    )
    reason = models.CharField(
        verbose_name=_("reason"),
        max_length=100,
        help_text=_("What holds the surveys back, e.g. followup:123."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    lifted_at = models.DateTimeField(verbose_name=_("lifted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey suppression")
        verbose_name_plural = _("survey suppressions")
        constraints = [
            models.UniqueConstraint(fields=["customer", "reason"], name="suppression_once_per_reason")
        ]
        indexes = [
            models.Index(
                fields=["customer"], condition=Q(lifted_at__isnull=True), name="suppression_active_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.reason


class Source(models.TextChoices):
    LINK = "link", _("Survey link")
    API = "api", _("API")
    IMPORT = "import", _("Import")


class SurveyResponseQuerySet(models.QuerySet["SurveyResponse"]):
    def detractors(self) -> SurveyResponseQuerySet:
        return self.filter(category=Category.DETRACTOR)


class SurveyResponse(models.Model):
    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survey")
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=4, choices=SurveyKind.choices)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="survey_responses", verbose_name=_("customer")
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("contact"),
    )
    score = models.SmallIntegerField(verbose_name=_("score"))
    comment = models.TextField(verbose_name=_("comment"), blank=True)
    category = models.CharField(verbose_name=_("category"), max_length=10, choices=Category.choices)
    source = models.CharField(verbose_name=_("source"), max_length=10, choices=Source.choices)
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), default=timezone.now)
    invitation = models.OneToOneField(
        SurveyInvitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="response",
        verbose_name=_("invitation"),
    )
    external_id = models.CharField(
        _("external ID"),
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Idempotency key from the sending system: the same key twice stores one response."),
    )
    # The contact had asked for no more surveys when this answer arrived (an old link, another
    # tool's form). The answer is kept and counted, since they chose to send it, but whoever reads
    # it should know they asked not to be asked again.
    contact_opted_out = models.BooleanField(
        _("contact opted out"),
        default=False,
        help_text=_("The contact had opted out of surveys when the answer was stored."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at"]
        constraints = [
            # A score outside its kind's scale is never stored, whatever path it came by.
            models.CheckConstraint(
                condition=Q(kind=SurveyKind.NPS, score__gte=0, score__lte=10)
                | Q(kind=SurveyKind.CSAT, score__gte=1, score__lte=5)
                | Q(kind=SurveyKind.CES, score__gte=1, score__lte=7),
                name="response_score_within_scale",
            ),
        ]
        indexes = [
            # Latest NPS per customer (lists, upsell gates) and the customer's survey history.
            models.Index(fields=["customer", "kind", "-submitted_at"], name="response_customer_latest_idx"),
            # "Next NPS of the same contact" for recovery, and latest score per contact.
            models.Index(fields=["contact", "kind", "submitted_at"], name="response_contact_time_idx"),
            # Reconciliation scans recent detractors for a missing follow-up.
            models.Index(
                fields=["submitted_at"], condition=Q(category="detractor"), name="response_detractor_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score} ({self.customer_id})"


class CustomerSatisfaction(models.Model):
    """Each customer's satisfaction figures, kept current so sales lists can filter and sort on them.

    Updated with every recorded answer (surveys.services) and rebuilt nightly, so a list of a million
    customers filters on indexed columns instead of finding each customer's latest answer.
    """

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="satisfaction",
        verbose_name=_("customer"),
    )
    latest_nps = models.SmallIntegerField(
        verbose_name=_("latest NPS"),
        null=True,
        blank=True,
        help_text=_("The latest NPS answer from any contact."),
    )
    latest_nps_at = models.DateTimeField(verbose_name=_("latest NPS at"), null=True, blank=True)
    account_nps = models.DecimalField(
        _("account NPS"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("NPS over each contact's latest answer (-100 to +100)."),
    )
    nps_contacts = models.PositiveIntegerField(
        verbose_name=_("NPS contacts"), default=0, help_text=_("Contacts whose latest answer counts above.")
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer satisfaction")
        verbose_name_plural = _("customer satisfaction")
        indexes = [
            # nps_min / nps_max / nps_category filters and ordering by latest NPS.
            models.Index(fields=["latest_nps", "customer"], name="satisfaction_latest_nps_idx"),
        ]

    def __str__(self) -> str:
        return gettext("Satisfaction of %(customer)s") % {"customer": self.customer_id}


class SurveyDispatch(models.Model):
    """One round of invitations (the daily job or a manual send) and what it skipped, and why."""

    trigger = models.CharField(verbose_name=_("trigger"), max_length=20, choices=Trigger.choices)
    started_at = models.DateTimeField(verbose_name=_("started at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    candidates = models.PositiveIntegerField(verbose_name=_("candidates"), default=0)
    invited = models.PositiveIntegerField(verbose_name=_("invited"), default=0)
    skipped_opted_out = models.PositiveIntegerField(verbose_name=_("skipped opted out"), default=0)
    skipped_no_email = models.PositiveIntegerField(verbose_name=_("skipped no email"), default=0)
    skipped_cooldown = models.PositiveIntegerField(verbose_name=_("skipped cooldown"), default=0)
    skipped_suppressed = models.PositiveIntegerField(
        verbose_name=_("skipped suppressed"),
        default=0,
        help_text=_("The customer had an open follow-up (or another suppression)."),
    )
    skipped_already_invited = models.PositiveIntegerField(
        verbose_name=_("skipped already invited"), default=0
    )

    class Meta:
        verbose_name = _("survey dispatch")
        ordering = ["-started_at"]
        verbose_name_plural = _("survey dispatches")

    def __str__(self) -> str:
        started = format_datetime(self.started_at)
        return f"{self.get_trigger_display()} {started}"

    @property
    def skipped(self) -> int:
        return (
            self.skipped_opted_out
            + self.skipped_no_email
            + self.skipped_cooldown
            + self.skipped_suppressed
            + self.skipped_already_invited
        )
