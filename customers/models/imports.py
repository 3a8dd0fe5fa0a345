"""The record of every imported file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


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
