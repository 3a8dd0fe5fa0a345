"""Liveness records of the background processes, read by GET /health/."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """The last time a process showed it was alive: one row per name ("worker").

    In the database rather than the cache so the demo's in-process scheduler and a separate web
    process see the same row, and so an outage of Redis does not also erase the evidence.
    """

    name = models.CharField(max_length=50, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
