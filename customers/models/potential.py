"""Potential: how over-represented each attribute value is among today's A customers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Employee bands, upper bounds exclusive. A company with 0 employees (a sole proprietorship) counts
# as the smallest band. The SQL twin is customers.services.potential._size_band_sql; keep the two in step.
SIZE_BANDS: tuple[tuple[int | None, str], ...] = ((10, "1-9"), (50, "10-49"), (250, "50-249"), (None, "250+"))


def size_band(employees: int | None) -> str:
    """The employee band of a head count (PotentialFactor.value for the size attribute), '' when unknown."""
    if employees is None:
        return ""
    for upper, band in SIZE_BANDS:
        if upper is None or employees < upper:
            return band
    raise AssertionError("the last band is open-ended")


class PotentialAttribute(models.TextChoices):
    INDUSTRY = "industry", _("industry")
    SIZE = "size", _("size")
    BUSINESS_MODEL = "business_model", _("business model")
    REGION = "region", _("region")


class PotentialFactor(models.Model):
    """How over-represented one attribute value is among today's A customers. Rebuilt nightly.

    A customer's potential score is the product of the lifts of its attribute values, so these rows
    are also its explanation ("industry: Bygg og anlegg x2.4, size 50-249 x1.8").
    """

    attribute = models.CharField(
        verbose_name=_("attribute"), max_length=20, choices=PotentialAttribute.choices
    )
    value = models.CharField(
        verbose_name=_("value"),
        max_length=100,
        help_text=_("The attribute's value; for size, the employee band (1-9, 10-49, 50-249, 250+)."),
    )
    lift = models.DecimalField(
        verbose_name=_("lift"),
        max_digits=12,
        decimal_places=3,
        help_text=_(
            "Share of A customers with the value over the share of all customers with it, smoothed "
            "toward 1 for small groups (1 = as common among A customers as among everyone)."
        ),
    )
    a_customers = models.PositiveIntegerField(_("A customers"), help_text=_("A customers with this value."))
    customers = models.PositiveIntegerField(
        verbose_name=_("customers"), help_text=_("Customers with this value, all tiers.")
    )
    as_of = models.DateField(verbose_name=_("as of"))

    class Meta:
        verbose_name = _("potential factor")
        verbose_name_plural = _("potential factors")
        ordering = ["attribute", "-lift"]
        constraints = [
            # Also the index the nightly scoring joins each customer's four values through.
            models.UniqueConstraint(fields=["attribute", "value"], name="potential_factor_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_attribute_display()} {self.value}: x{self.lift}"
