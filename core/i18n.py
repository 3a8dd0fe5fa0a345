"""Which language a staff user reads: their choice, else their browser's, else DJANGO_LANGUAGE_CODE.

    language_for(user)        for an email to one person (sent from a task, with no request)
    languages_for(user_ids)   the same for many, in one query
    emails_in_their_language  one email per recipient, each rendered in that person's language
    switch_language           the view behind the language switch in the admin header

The choice is a LanguagePreference row (core.models), "browser" until the user picks a language;
UserLanguageMiddleware activates it for every request of a signed-in user and records the language
the browser asks for, so an email follows it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.mail import EmailMessage
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from core.models import LanguagePreference

BROWSER = LanguagePreference.BROWSER

AnyUser = AbstractBaseUser | AnonymousUser


def supported(code: str | None) -> str | None:
    """The language of settings.LANGUAGES that serves `code` ('nb-NO' -> 'nb', 'no' -> 'nb'), or None."""
    if not code:
        return None
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return None


def browser_language(request: HttpRequest) -> str | None:
    """The first language of the request's Accept-Language that the app speaks, or None.

    Only the header, not the language cookie: the cookie is what the user chose here, this is what
    the browser would choose for them.
    """
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            break
        language = supported(code)
        if language:
            return language
    return None


def _resolve(preference: LanguagePreference | None) -> str:
    if preference is not None:
        # The choice first (unless it is "follow the browser"), then what the browser last asked for.
        for code in (preference.language, preference.browser_language):
            language = supported(code) if code != BROWSER else None
            if language:
                return language
    return settings.LANGUAGE_CODE


def language_for(user: AnyUser) -> str:
    """The language to write to `user` in: their choice, their browser's last, or LANGUAGE_CODE."""
    if not user.is_authenticated:
        return settings.LANGUAGE_CODE
    return _resolve(LanguagePreference.objects.filter(user_id=user.pk).first())


def languages_for(user_ids: Iterable[int]) -> dict[int, str]:
    """language_for for many users at once: {user id: language}, one query for all of them."""
    ids = list(user_ids)
    preferences = {p.user_id: p for p in LanguagePreference.objects.filter(user_id__in=ids)}
    return {user_id: _resolve(preferences.get(user_id)) for user_id in ids}


def record_browser_language(*, user: AbstractBaseUser, language: str) -> None:
    """Remember the language the user's browser asked for; writes only if it differs from the stored."""
    updated = (
        LanguagePreference.objects.filter(user_id=user.pk)
        .exclude(browser_language=language)
        .update(browser_language=language)
    )
    if not updated:
        # No row yet (the first request), or the same language as stored: create if missing.
        LanguagePreference.objects.get_or_create(user_id=user.pk, defaults={"browser_language": language})


def choose_language(*, user: AbstractBaseUser, language: str) -> None:
    """Store the user's choice: a code of settings.LANGUAGES, or BROWSER to follow the browser."""
    LanguagePreference.objects.update_or_create(user_id=user.pk, defaults={"language": language})


def emails_in_their_language(
    *,
    recipients: Sequence[AbstractBaseUser],
    subject_template: str,
    body_template: str,
    context: Mapping[str, Any],
) -> list[EmailMessage]:
    """One email to each recipient (who must have an address), in their language (language_for).

    Each language is rendered once, however many share it. Numbers and dates in the templates
    follow the language too (core.formats, the date filter), in TIME_ZONE (Europe/Oslo).
    """
    languages = languages_for(user.pk for user in recipients)
    rendered: dict[str, tuple[str, str]] = {}
    messages = []
    for user in recipients:
        language = languages[user.pk]
        if language not in rendered:
            with translation.override(language):
                # A subject is one line: a template's trailing newline would be a header injection.
                subject = " ".join(render_to_string(subject_template, dict(context)).split())
                rendered[language] = (subject, render_to_string(body_template, dict(context)))
        subject, body = rendered[language]
        messages.append(
            EmailMessage(subject=subject, body=body, to=[getattr(user, user.get_email_field_name())])
        )
    return messages


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """POST language=<code or "browser">, next=<path>: store the choice and redirect back.

    Django's set_language sets the language cookie (and redirects to a safe `next`), which also
    serves a visitor who is not signed in: the login page.
    """
    language = request.POST.get("language", "")
    if language != BROWSER and supported(language) != language:
        return HttpResponseBadRequest("Unknown language")
    if request.user.is_authenticated:
        choose_language(user=request.user, language=language)
    if language != BROWSER:
        return set_language(request)
    # Following the browser again: no cookie, so LocaleMiddleware reads Accept-Language once more.
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    response.delete_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
