"""Core records: liveness of the background processes (GET /health/), staff language preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Heartbeat(models.Model):
    """The last time a process showed it was alive: one row per name ("worker").

    In the database rather than the cache so the demo's in-process scheduler and a separate web
    process see the same row, and so an outage of Redis does not also erase the evidence.
    """

    name = models.CharField(_("name"), max_length=50, primary_key=True)
    seen_at = models.DateTimeField(_("seen at"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


def language_choices() -> list[tuple[str, StrOrPromise]]:
    """The languages of settings.LANGUAGES, after "the browser's" (the default); a callable, so the
    choices follow the setting without a migration."""
    return [(LanguagePreference.BROWSER, _("As the browser asks")), *settings.LANGUAGES]


class LanguagePreference(models.Model):
    """The language one staff user reads the admin and their emails in (core.i18n.language_for).

    `browser_language` is the last language that user's browser asked for (Accept-Language), kept so
    an email sent by a background task, with no request at hand, can still follow the browser. It is
    written only when it changes (core.middleware.UserLanguageMiddleware), never on every request.
    """

    BROWSER = "browser"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="language_preference",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=10, choices=language_choices, default=BROWSER)
    browser_language = models.CharField(
        _("browser's language"),
        max_length=10,
        blank=True,
        help_text=_(
            "The language the user's browser last asked for; used while the choice is the browser's."
        ),
    )

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"
