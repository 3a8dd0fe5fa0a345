"""Customers and the people there we talk to."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from customers.validators import validate_org_number

ZERO = Decimal("0.00")


class Tier(models.TextChoices):
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
        "external ID", max_length=64, unique=True, help_text="The customer's key in the ERP."
    )
    name = models.CharField(max_length=200)
    org_number = models.CharField(
        "organisation number",
        max_length=9,
        blank=True,
        validators=[validate_org_number],
        db_index=True,
        help_text="Norwegian organisation number, 9 digits (MOD11 check digit is validated).",
    )
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField("number of employees", null=True, blank=True)
    business_model = models.CharField(max_length=100, blank=True, help_text="E.g. wholesale, retail, SaaS.")
    region = models.CharField(max_length=100, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_customers",
    )

    # Computed by the nightly recalculation (customers.services.economics); never edited by hand.
    tier = models.CharField(max_length=1, choices=Tier.choices, default=Tier.C)
    revenue_12m = models.DecimalField("revenue, 12 months", max_digits=14, decimal_places=2, default=ZERO)
    contribution_margin_12m = models.DecimalField(
        "contribution margin, 12 months",
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        help_text="Revenue minus variable cost over the window (dekningsbidrag).",
    )
    service_minutes_12m = models.PositiveIntegerField("service minutes, 12 months", default=0)
    service_cost_12m = models.DecimalField(
        "service cost, 12 months", max_digits=14, decimal_places=2, default=ZERO
    )
    time_cost_flag = models.BooleanField(
        "time thief",
        default=False,
        help_text="Service cost is out of proportion to the contribution margin (see the tier policy).",
    )
    economics_as_of = models.DateField(
        "economics as of",
        null=True,
        blank=True,
        help_text="As-of date of the recalculation that last changed these figures; empty until the first.",
    )
    # Computed nightly by customers.services.potential; empty for A customers and for customers with
    # too little data to compare. The explanation is not stored per customer: it is the customer's
    # PotentialFactor rows (customers.selectors.potential_explanation). Stored per customer, it would
    # change whenever any lift moved in its third decimal and rewrite nearly every row each night.
    potential_score = models.PositiveSmallIntegerField(
        "potential",
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="0-100: how much the customer resembles today's A customers (industry, size, model, region).",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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
    NB = "nb", "Norsk bokmål"
    EN = "en", "English"


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    role = models.CharField(max_length=100, blank=True, help_text="E.g. CEO, purchasing, IT.")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.NB)
    opted_out = models.BooleanField(
        default=False, help_text="The person asked not to receive surveys. Never send to them."
    )
    opted_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
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
