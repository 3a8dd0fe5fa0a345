"""The record of every imported file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    REVENUE = "revenue", _("Revenue lines")
    INTERACTIONS = "interactions", _("Interactions")


class DataImport(models.Model):
    """One imported file: what it was, who imported it and what it did. Guards against re-imports."""

    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=ImportKind.choices)
    file_name = models.CharField(verbose_name=_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows_total = models.PositiveIntegerField(verbose_name=_("rows in total"), default=0)
    rows_created = models.PositiveIntegerField(verbose_name=_("rows created"), default=0)
    rows_updated = models.PositiveIntegerField(verbose_name=_("rows updated"), default=0)
    rows_rejected = models.PositiveIntegerField(verbose_name=_("rows rejected"), default=0)
    products_created = models.PositiveIntegerField(verbose_name=_("products created"), default=0)
    rejected_file = models.CharField(
        verbose_name=_("rejected file"),
        max_length=500,
        blank=True,
        help_text=_("Where the rejected rows were written."),
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("data import")
        verbose_name_plural = _("data imports")
        ordering = ["-created_at"]
        constraints = [
            # The same file imported twice would double revenue; the database refuses it even when
            # two uploads race.
            models.UniqueConstraint(fields=["kind", "sha256"], name="data_import_unique_file"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"
