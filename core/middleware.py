"""Middleware: the admin's Content-Security-Policy, the two-factor requirement for staff, and the
language a signed-in user chose."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from core import i18n
from core.models import LanguagePreference

ADMIN_PREFIX = "/admin/"

# Scripts only from our own origin: the admin's JavaScript and the project's are files, and every
# <script> in the admin templates has a src. Styles allow inline too, because the admin and the
# project's admin templates use <style> blocks and style attributes; an injected style cannot run
# code. Images may be data: URLs (the admin's SVG icons in CSS). Nothing loads from a CDN.
ADMIN_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class AdminContentSecurityPolicyMiddleware:
    """Send ADMIN_CONTENT_SECURITY_POLICY with every response under /admin/."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(ADMIN_PREFIX):
            response.headers.setdefault("Content-Security-Policy", ADMIN_CONTENT_SECURITY_POLICY)
        return response


class RequireTwoFactorMiddleware:
    """With TILFREDS_REQUIRE_2FA, staff reach the admin only in a session verified by a device.

    A staff user whose session is not verified is sent to the two-factor page (enrol, or enter the
    code of the device they have); the login, logout and that page itself stay reachable. Needs
    django_otp's OTPMiddleware before it, which gives request.user `is_verified()`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.TILFREDS_REQUIRE_2FA and self._must_verify(request):
            target = reverse("two-factor")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _must_verify(self, request: HttpRequest) -> bool:
        if not request.path.startswith(ADMIN_PREFIX):
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return False
        if user.is_verified():
            return False
        exempt = (reverse("two-factor"), reverse("admin:login"), reverse("admin:logout"))
        return request.path not in exempt


class UserLanguageMiddleware:
    """Serve a signed-in user in the language they chose (core.i18n), and remember their browser's.

    After LocaleMiddleware, which has picked the cookie's or the browser's language, and after
    AuthenticationMiddleware. Costs one primary-key read per signed-in request; it writes only when
    the browser asks for another language than the one stored, so a normal request writes nothing.
    Anonymous visitors (the login page, surveys) keep LocaleMiddleware's choice.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            preference = LanguagePreference.objects.filter(user_id=user.pk).first()
            asked = i18n.browser_language(request)
            if asked and (preference is None or preference.browser_language != asked):
                i18n.record_browser_language(user=user, language=asked)
            chosen = i18n.supported(preference.language) if preference is not None else None
            if chosen:
                translation.activate(chosen)
                request.LANGUAGE_CODE = chosen
        return self.get_response(request)
