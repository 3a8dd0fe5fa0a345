"""Login security for the admin: the client address for lockouts, the lockout page, the second factor.

Brute force is stopped by django-axes (settings "Login security"): failures are counted per username
and per client address, and a locked-out login gets `lockout` instead of another try. The second
factor is a TOTP device (django-otp): the admin login form asks for the code whenever the user has a
confirmed device, and `two_factor` lets a logged-in staff user enrol one or prove the session.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from axes.backends import AxesStandaloneBackend
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.types import AuthenticatedHttpRequest, User


def client_ip(request: HttpRequest) -> str:
    """Return the address failures are counted against: the proxy's view of the client, or the peer.

    X-Forwarded-For is believed only behind our own proxy (DJANGO_BEHIND_TLS_PROXY=1), and then only
    its last entry, the one that proxy appended: everything left of it came from the client, and an
    attacker who could choose the address counted against would never be locked out.
    """
    if settings.TILFREDS_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return str(request.META.get("REMOTE_ADDR", ""))


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check for every login that comes with a request.

    Axes refuses to authenticate without a request; but only code in this process calls
    `authenticate()` without one (the test client's `login()`, a shell), never a visitor, so there is
    no address or attempt to count and the other backends decide alone.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """Say that the login is locked, until when, and whom to ask (AXES_LOCKOUT_CALLABLE)."""
    cool_off: timedelta = settings.AXES_COOLOFF_TIME
    context = {
        "minutes": int(cool_off.total_seconds() // 60),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "site_header": gettext("Tilfreds"),
    }
    # 429 Too Many Requests, as axes answers by default.
    return render(request, "core/lockout.html", context, status=429)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


class AdminLoginForm(AdminAuthenticationForm):
    """The admin login: username and password, and the authenticator code if the user has a device.

    A wrong code counts as a failed login for axes, so codes cannot be guessed faster than passwords.
    """

    otp_token = forms.CharField(
        label=gettext_lazy("Authenticator code"),
        required=False,
        max_length=8,
        help_text=gettext_lazy("The six digits your authenticator app shows, if you have set one up."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_token": gettext_lazy("The authenticator code is missing or wrong. Try the current code."),
    }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        device = confirmed_device(user)
        if device is None:
            return cleaned
        token = (cleaned.get("otp_token") or "").replace(" ", "")
        if not token or not device.verify_token(token):
            user_login_failed.send(
                sender=type(self), credentials={"username": user.get_username()}, request=self.request
            )
            raise forms.ValidationError(self.error_messages["invalid_token"], code="invalid_token")
        # django_otp marks the session verified when `login()` sees this attribute.
        user.otp_device = device  # type: ignore[attr-defined]
        return cleaned


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label=gettext_lazy("Authenticator code"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return str(image.to_string(encoding="unicode"))


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


@never_cache
@staff_member_required
def two_factor(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Enrol an authenticator app, or prove this session with the one already confirmed.

    A user with a confirmed device may only verify with it here, never add another: someone who has
    only the password must not be able to bring their own second factor.
    """
    user = request.user
    device = confirmed_device(user)
    enrolling = device is None
    if device is None:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first() or (
            TOTPDevice.objects.create(user=user, name=gettext("Authenticator app"), confirmed=False)
        )
    verified = bool(getattr(user, "is_verified", lambda: False)())
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"].replace(" ", "")):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("otp_token", gettext("That code is not right. Try the current code."))
    context = {
        "title": gettext("Two-factor authentication"),
        "form": form,
        "enrolling": enrolling,
        "verified": verified and not enrolling,
        "next": request.POST.get("next") or request.GET.get("next") or "",
        "site_header": gettext("Tilfreds"),
        "has_permission": True,
    }
    if enrolling:
        context["qr_svg"] = mark_safe(_qr_svg(device.config_url))  # noqa: S308 (SVG we generated ourselves)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "core/two_factor.html", context)
