"""Customers, their people, what they buy, how much they cost to serve, and the nightly economics."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from .validators import validate_org_number

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
    # PotentialFactor rows (customers.services.potential_explanation). Stored per customer, it would
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


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}" if self.name and self.name != self.sku else self.sku


class CustomerProduct(models.Model):
    """A product the customer holds: bought within the economics window. Rebuilt nightly."""

    # No single-column indexes: holding_unique leads with the customer and holding_product_idx with the
    # product, and each extra index on millions of rows slows every nightly write.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="holdings", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="holders", db_index=False)
    revenue_12m = models.DecimalField("revenue, 12 months", max_digits=14, decimal_places=2)
    last_purchase = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "product"], name="holding_unique")]
        indexes = [
            # has_product / lacks_product and the affinity counts go from a product to its holders.
            models.Index(fields=["product", "customer"], name="holding_product_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} holds {self.product_id}"


class ProductAffinity(models.Model):
    """X -> Y over the last 12 months: of the customers holding X, how many hold Y too, and the lift."""

    # No single-column indexes: affinity_unique_pair leads with from_product and affinity_to_idx with
    # to_product, and the table is rewritten every night.
    from_product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="affinities_from", db_index=False
    )
    to_product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="affinities_to", db_index=False
    )
    holders_from = models.PositiveIntegerField(help_text="Customers holding X.")
    holders_both = models.PositiveIntegerField(help_text="Customers holding both X and Y.")
    confidence = models.DecimalField(
        max_digits=7, decimal_places=4, help_text="Share of X's holders that also hold Y (0-1)."
    )
    lift = models.DecimalField(
        max_digits=9,
        decimal_places=3,
        help_text="How many times more often X's holders take Y than customers in general (1 = no link).",
    )
    as_of = models.DateField()

    class Meta:
        verbose_name_plural = "product affinities"
        constraints = [
            models.UniqueConstraint(fields=["from_product", "to_product"], name="affinity_unique_pair"),
            models.CheckConstraint(
                condition=~Q(from_product=models.F("to_product")), name="affinity_two_products"
            ),
        ]
        indexes = [
            # A customer's relevance for Y: the best lift among the products it holds toward Y.
            models.Index(fields=["to_product", "from_product"], include=["lift"], name="affinity_to_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_product_id} -> {self.to_product_id} (lift {self.lift})"


class PotentialAttribute(models.TextChoices):
    INDUSTRY = "industry", "industry"
    SIZE = "size", "size"
    BUSINESS_MODEL = "business_model", "business model"
    REGION = "region", "region"


class PotentialFactor(models.Model):
    """How over-represented one attribute value is among today's A customers. Rebuilt nightly.

    A customer's potential score is the product of the lifts of its attribute values, so these rows
    are also its explanation ("industry: Bygg og anlegg x2.4, size 50-249 x1.8").
    """

    attribute = models.CharField(max_length=20, choices=PotentialAttribute.choices)
    value = models.CharField(
        max_length=100,
        help_text="The attribute's value; for size, the employee band (1-9, 10-49, 50-249, 250+).",
    )
    lift = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        help_text="Share of A customers with the value over the share of all customers with it, smoothed "
        "toward 1 for small groups (1 = as common among A customers as among everyone).",
    )
    a_customers = models.PositiveIntegerField("A customers", help_text="A customers with this value.")
    customers = models.PositiveIntegerField(help_text="Customers with this value, all tiers.")
    as_of = models.DateField()

    class Meta:
        ordering = ["attribute", "-lift"]
        constraints = [
            # Also the index the nightly scoring joins each customer's four values through.
            models.UniqueConstraint(fields=["attribute", "value"], name="potential_factor_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_attribute_display()} {self.value}: x{self.lift}"


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", "Customers"
    REVENUE = "revenue", "Revenue lines"
    INTERACTIONS = "interactions", "Interactions"


class DataImport(models.Model):
    """One imported file: what it was, who imported it and what it did. Guards against re-imports."""

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    rows_total = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    products_created = models.PositiveIntegerField(default=0)
    rejected_file = models.CharField(
        max_length=500, blank=True, help_text="Where the rejected rows were written."
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # The same file imported twice would double revenue; the database refuses it even when
            # two uploads race.
            models.UniqueConstraint(fields=["kind", "sha256"], name="data_import_unique_file"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"


class RevenueLine(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="revenue_lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="revenue_lines")
    date = models.DateField()
    quantity = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal(1))
    revenue = models.DecimalField(max_digits=14, decimal_places=2)
    cost = models.DecimalField(max_digits=14, decimal_places=2, help_text="Variable cost of the line.")
    line_id = models.CharField(
        "ERP line ID",
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text="When present, a re-import updates this line instead of adding another.",
    )
    data_import = models.ForeignKey(
        DataImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="revenue_lines"
    )

    class Meta:
        indexes = [
            # The nightly recalculation sums each customer-id range over the window; with revenue and
            # cost included, PostgreSQL answers it from the index alone, and with the product the nightly
            # holdings too. Also the customer page.
            models.Index(
                fields=["customer", "date"],
                include=["revenue", "cost", "product"],
                name="revenueline_customer_date_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.product_id} {self.revenue}"


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
