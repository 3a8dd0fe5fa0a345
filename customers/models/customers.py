"""Customers and the people there we talk to."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from customers.validators import validate_org_number

ZERO = Decimal("0.00")


class Tier(models.TextChoices):
    # The letter itself is the label in every language ("A-kunde" is built around it where needed).
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


# Contribution margin as a percentage of revenue, NULL without revenue: the SQL twin of
# Customer.margin_pct, for sorting and filtering lists in the database.
MARGIN_PCT = models.Case(
    models.When(
        revenue_12m__gt=0,
        then=models.ExpressionWrapper(
            models.F("contribution_margin_12m") * Decimal(100) / models.F("revenue_12m"),
            output_field=models.DecimalField(max_digits=9, decimal_places=2),
        ),
    ),
    default=None,
    output_field=models.DecimalField(max_digits=9, decimal_places=2),
)


class Customer(models.Model):
    external_id = models.CharField(
        _("external ID"), max_length=64, unique=True, help_text=_("The customer's key in the ERP.")
    )
    name = models.CharField(verbose_name=_("name"), max_length=200)
    org_number = models.CharField(
        _("organisation number"),
        max_length=9,
        blank=True,
        validators=[validate_org_number],
        db_index=True,
        help_text=_("Norwegian organisation number, 9 digits (MOD11 check digit is validated)."),
    )
    industry = models.CharField(verbose_name=_("industry"), max_length=100, blank=True)
    employees = models.PositiveIntegerField(_("number of employees"), null=True, blank=True)
    business_model = models.CharField(
        verbose_name=_("business model"),
        max_length=100,
        blank=True,
        help_text=_("E.g. wholesale, retail, SaaS."),
    )
    region = models.CharField(verbose_name=_("region"), max_length=100, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_customers",
        verbose_name=_("account manager"),
    )

    # Computed by the nightly recalculation (customers.services.economics); never edited by hand.
    tier = models.CharField(verbose_name=_("tier"), max_length=1, choices=Tier.choices, default=Tier.C)
    revenue_12m = models.DecimalField(_("revenue, 12 months"), max_digits=14, decimal_places=2, default=ZERO)
    contribution_margin_12m = models.DecimalField(
        _("contribution margin, 12 months"),
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        help_text=_("Revenue minus variable cost over the window (dekningsbidrag)."),
    )
    service_minutes_12m = models.PositiveIntegerField(_("service minutes, 12 months"), default=0)
    service_cost_12m = models.DecimalField(
        _("service cost, 12 months"), max_digits=14, decimal_places=2, default=ZERO
    )
    time_cost_flag = models.BooleanField(
        _("time thief"),
        default=False,
        help_text=_("Service cost is out of proportion to the contribution margin (see the tier policy)."),
    )
    economics_as_of = models.DateField(
        _("economics as of"),
        null=True,
        blank=True,
        help_text=_(
            "As-of date of the recalculation that last changed these figures; empty until the first."
        ),
    )
    # Computed nightly by customers.services.potential; empty for A customers and for customers with
    # too little data to compare. The explanation is not stored per customer: it is the customer's
    # PotentialFactor rows (customers.selectors.potential_explanation). Stored per customer, it would
    # change whenever any lift moved in its third decimal and rewrite nearly every row each night.
    potential_score = models.PositiveSmallIntegerField(
        _("potential"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "0-100: how much the customer resembles today's A customers (industry, size, model, region)."
        ),
    )

    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        permissions = [
            # Leads hold it (followups migration 0005); account managers change only the contacts and
            # interactions of customers they manage (customers.policy).
            ("change_every_account", "Can change the contacts and interactions of every customer"),
        ]
        indexes = [
            # Admin and API lists filtered by tier and sorted by revenue (largest first).
            models.Index(fields=["tier", "-revenue_12m"], name="customer_tier_revenue_idx"),
            # Lists sorted by revenue across tiers; the id makes keyset pages exact among equal revenues
            # (thousands of customers at 0).
            models.Index(fields=["-revenue_12m", "-id"], name="customer_revenue_idx"),
            # Keyset pages of the sales API sorted by name or by margin.
            models.Index(fields=["name", "id"], name="customer_name_idx"),
            models.Index(fields=["-contribution_margin_12m", "-id"], name="customer_margin_idx"),
            # "Time thieves" filter: a small, selective subset.
            models.Index(fields=["time_cost_flag"], condition=Q(time_cost_flag=True), name="customer_tt_idx"),
            # Sales lists filtered by potential_min and sorted by potential.
            models.Index(fields=["-potential_score", "-id"], name="customer_potential_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"

    @property
    def margin_pct(self) -> Decimal | None:
        if self.revenue_12m <= 0:
            return None
        return (self.contribution_margin_12m * 100 / self.revenue_12m).quantize(Decimal("0.1"))


class Language(models.TextChoices):
    NB = "nb", _("Norwegian (bokmål)")
    EN = "en", _("English")


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(verbose_name=_("name"), max_length=200)
    email = models.EmailField(verbose_name=_("email"), blank=True)
    phone = models.CharField(verbose_name=_("phone"), max_length=40, blank=True)
    role = models.CharField(
        verbose_name=_("role"), max_length=100, blank=True, help_text=_("E.g. CEO, purchasing, IT.")
    )
    language = models.CharField(
        verbose_name=_("language"), max_length=2, choices=Language.choices, default=Language.NB
    )
    opted_out = models.BooleanField(
        verbose_name=_("opted out"),
        default=False,
        help_text=_("The person asked not to receive surveys. Never send to them."),
    )
    opted_out_at = models.DateTimeField(verbose_name=_("opted out at"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]
        constraints = [
            # Imports find a contact by (customer, email) whatever the case the ERP wrote it in.
            models.UniqueConstraint(
                "customer",
                Lower("email"),
                condition=~Q(email=""),
                name="contact_unique_email_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return self.name
