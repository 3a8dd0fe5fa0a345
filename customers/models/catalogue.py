"""What customers buy: the products, the revenue lines, what each customer holds, what goes together."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .customers import Customer
from .imports import DataImport


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(verbose_name=_("name"), max_length=200)
    category = models.CharField(verbose_name=_("category"), max_length=100, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}" if self.name and self.name != self.sku else self.sku


class CustomerProduct(models.Model):
    """A product the customer holds: bought within the economics window. Rebuilt nightly."""

    # No single-column indexes: holding_unique leads with the customer and holding_product_idx with the
    # product, and each extra index on millions of rows slows every nightly write.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="holdings",
        db_index=False,
        verbose_name=_("customer"),
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="holders", db_index=False, verbose_name=_("product")
    )
    revenue_12m = models.DecimalField(_("revenue, 12 months"), max_digits=14, decimal_places=2)
    last_purchase = models.DateField(verbose_name=_("last purchase"))

    class Meta:
        verbose_name = _("customer product")
        verbose_name_plural = _("customer products")
        constraints = [models.UniqueConstraint(fields=["customer", "product"], name="holding_unique")]
        indexes = [
            # has_product / lacks_product and the affinity counts go from a product to its holders.
            models.Index(fields=["product", "customer"], name="holding_product_idx"),
        ]

    def __str__(self) -> str:
        return gettext("%(customer)s holds %(product)s") % {
            "customer": self.customer_id,
            "product": self.product_id,
        }


class ProductAffinity(models.Model):
    """X -> Y over the last 12 months: of the customers holding X, how many hold Y too, and the lift."""

    # No single-column indexes: affinity_unique_pair leads with from_product and affinity_to_idx with
    # to_product, and the table is rewritten every night.
    from_product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="affinities_from",
        db_index=False,
        verbose_name=_("from product"),
    )
    to_product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="affinities_to",
        db_index=False,
        verbose_name=_("to product"),
    )
    holders_from = models.PositiveIntegerField(
        verbose_name=_("holders from"), help_text=_("Customers holding X.")
    )
    holders_both = models.PositiveIntegerField(
        verbose_name=_("holders both"), help_text=_("Customers holding both X and Y.")
    )
    confidence = models.DecimalField(
        verbose_name=_("confidence"),
        max_digits=7,
        decimal_places=4,
        help_text=_("Share of X's holders that also hold Y (0-1)."),
    )
    lift = models.DecimalField(
        verbose_name=_("lift"),
        max_digits=9,
        decimal_places=3,
        help_text=_("How many times more often X's holders take Y than customers in general (1 = no link)."),
    )
    as_of = models.DateField(verbose_name=_("as of"))

    class Meta:
        verbose_name = _("product affinity")
        verbose_name_plural = _("product affinities")
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
        return gettext("%(from)s -> %(to)s (lift %(lift)s)") % {
            "from": self.from_product_id,
            "to": self.to_product_id,
            "lift": number_format(self.lift),
        }


class RevenueLine(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="revenue_lines", verbose_name=_("customer")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="revenue_lines", verbose_name=_("product")
    )
    date = models.DateField(verbose_name=_("date"))
    quantity = models.DecimalField(
        verbose_name=_("quantity"), max_digits=14, decimal_places=3, default=Decimal(1)
    )
    revenue = models.DecimalField(verbose_name=_("revenue"), max_digits=14, decimal_places=2)
    cost = models.DecimalField(
        verbose_name=_("cost"), max_digits=14, decimal_places=2, help_text=_("Variable cost of the line.")
    )
    line_id = models.CharField(
        _("ERP line ID"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("When present, a re-import updates this line instead of adding another."),
    )
    data_import = models.ForeignKey(
        DataImport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="revenue_lines",
        verbose_name=_("data import"),
    )

    class Meta:
        verbose_name = _("revenue line")
        verbose_name_plural = _("revenue lines")
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
