"""Admin login security: lockout after repeated failures, TOTP second factor, the admin's CSP."""

import base64
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.security import client_ip

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # These tests are about logging in; the redirect to HTTPS that DEBUG off brings is tested elsewhere.
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(username="kari", password="pw", is_staff=True)


def log_in(client: Client, username: str, password: str, token: str | None = None, **extra: Any):
    data = {"username": username, "password": password, "next": "/admin/"}
    if token is not None:
        data["otp_token"] = token
    return client.post(LOGIN, data, **extra)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def current_token(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


# --- Lockout (django-axes)


def test_fifty_wrong_passwords_then_the_right_one_does_not_log_in(client, staff):
    for _ in range(50):
        log_in(client, "kari", WRONG)

    response = log_in(client, "kari", "pw")

    assert response.status_code == 429
    assert not logged_in(client)


def test_five_wrong_passwords_lock_the_username_from_another_address_too(client, staff):
    for n in range(5):
        log_in(client, "kari", WRONG, REMOTE_ADDR=f"198.51.100.{n + 1}")

    response = log_in(client, "kari", "pw", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 429
    assert not logged_in(client)


def test_four_wrong_passwords_still_let_the_right_one_in(client, staff):
    for _ in range(4):
        log_in(client, "kari", WRONG)

    response = log_in(client, "kari", "pw")

    assert response.status_code == 302
    assert logged_in(client)


def test_five_failures_for_different_usernames_lock_the_address(client, staff):
    for n in range(5):
        log_in(client, f"guess{n}", WRONG)

    response = log_in(client, "kari", "pw")

    assert response.status_code == 429
    assert not logged_in(client)


def test_without_the_proxy_setting_a_forged_x_forwarded_for_does_not_escape_the_address_lock(
    client, staff, settings
):
    settings.TILFREDS_TRUST_X_FORWARDED_FOR = False
    for n in range(5):
        log_in(client, f"guess{n}", WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")

    response = log_in(client, "kari", "pw", HTTP_X_FORWARDED_FOR="192.0.2.200")

    assert response.status_code == 429


def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended(rf, settings):
    settings.TILFREDS_TRUST_X_FORWARDED_FOR = True
    request = rf.get("/", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7", REMOTE_ADDR="10.0.0.2")

    assert client_ip(request) == "203.0.113.7"


def test_without_the_proxy_setting_the_address_is_the_peer(rf, settings):
    settings.TILFREDS_TRUST_X_FORWARDED_FOR = False
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="10.0.0.2")

    assert client_ip(request) == "10.0.0.2"


def test_the_lockout_page_says_when_to_try_again_and_whom_to_ask(client, staff):
    for _ in range(5):
        log_in(client, "kari", WRONG)

    response = log_in(client, "kari", "pw")

    text = response.content.decode()
    assert "Try again in 15 minutes" in text
    assert "follow-up lead" in text
    assert "Login locked" in text


def test_after_the_cool_off_the_right_password_logs_in(client, staff):
    for _ in range(5):
        log_in(client, "kari", WRONG)

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = log_in(client, "kari", "pw")

    assert response.status_code == 302
    assert logged_in(client)


def test_a_follow_up_lead_unlocks_a_locked_login_in_the_admin(client, staff):
    for _ in range(5):
        log_in(client, "kari", WRONG)
    lead = get_user_model().objects.create_user(username="leder", password="pw", is_staff=True)
    lead.groups.add(Group.objects.get(name="Follow-up leads"))
    lead_client = Client()
    lead_client.force_login(lead)
    attempt = AccessAttempt.objects.get(username="kari")

    listing = lead_client.get("/admin/axes/accessattempt/")
    lead_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert not AccessAttempt.objects.filter(username="kari").exists()
    assert log_in(client, "kari", "pw").status_code == 302
    assert logged_in(client)


def test_an_account_manager_cannot_see_or_unlock_access_attempts(client, staff):
    staff.groups.add(Group.objects.get(name="Account managers"))
    client.force_login(staff)

    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_the_test_clients_login_and_force_login_keep_working(client, staff):
    assert client.login(username="kari", password="pw")
    other = Client()
    other.force_login(staff)

    assert other.get("/admin/").status_code == 200


# --- Two-factor (django-otp, TOTP)


def test_enrolment_shows_an_inline_svg_qr_code_and_the_key(client, staff):
    client.force_login(staff)

    response = client.get("/admin/two-factor/")

    text = response.content.decode()
    device = TOTPDevice.objects.get(user=staff)
    assert response.status_code == 200
    qr = text.split('class="two-factor-qr"', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in qr
    assert "<img" not in qr
    assert base64.b32encode(device.bin_key).decode() in text
    assert not device.confirmed


def test_enrolment_with_the_current_code_confirms_the_device_and_verifies_the_session(client, staff):
    client.force_login(staff)
    client.get("/admin/two-factor/")
    device = TOTPDevice.objects.get(user=staff)

    response = client.post("/admin/two-factor/", {"otp_token": current_token(device)})

    device.refresh_from_db()
    assert response.status_code == 302
    assert device.confirmed
    assert client.session.get("otp_device_id") == device.persistent_id


def test_enrolment_with_a_wrong_code_confirms_nothing(client, staff):
    client.force_login(staff)
    client.get("/admin/two-factor/")
    device = TOTPDevice.objects.get(user=staff)
    wrong = f"{(int(current_token(device)) + 1) % 1_000_000:06d}"

    response = client.post("/admin/two-factor/", {"otp_token": wrong})

    device.refresh_from_db()
    assert response.status_code == 200
    assert not device.confirmed


def test_an_unverified_session_cannot_enrol_a_second_device(client, staff):
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(staff)

    response = client.get("/admin/two-factor/")

    assert "two-factor-qr" not in response.content.decode()
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_login_asks_for_the_code_when_the_user_has_a_device(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)

    without = log_in(client, "kari", "pw")
    response = log_in(client, "kari", "pw", token=current_token(device))

    assert without.status_code == 200
    assert response.status_code == 302
    assert logged_in(client)
    assert client.session.get("otp_device_id") == device.persistent_id


def test_login_with_a_wrong_code_is_refused_and_counted_as_a_failure(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    wrong = f"{(int(current_token(device)) + 1) % 1_000_000:06d}"

    response = log_in(client, "kari", "pw", token=wrong)

    assert response.status_code == 200
    assert "authenticator code is missing or wrong" in response.content.decode()
    assert not logged_in(client)
    assert AccessAttempt.objects.get(username="kari").failures_since_start == 1


def test_login_without_a_device_needs_no_code(client, staff):
    response = log_in(client, "kari", "pw")

    assert response.status_code == 302
    assert logged_in(client)


def test_with_2fa_required_staff_without_a_device_are_sent_to_enrol(client, staff, settings):
    settings.TILFREDS_REQUIRE_2FA = True
    client.force_login(staff)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/two-factor/?next=")


def test_with_2fa_required_a_verified_session_reaches_the_admin(client, staff, settings):
    settings.TILFREDS_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)

    log_in(client, "kari", "pw", token=current_token(device))
    response = client.get("/admin/")

    assert response.status_code == 200


def test_with_2fa_off_staff_without_a_device_reach_the_admin(client, staff, settings):
    settings.TILFREDS_REQUIRE_2FA = False
    client.force_login(staff)

    assert client.get("/admin/").status_code == 200


# --- Content-Security-Policy


def test_admin_pages_send_a_content_security_policy_without_unsafe_scripts(client, superuser):
    client.force_login(superuser)

    for path in ("/admin/login/", "/admin/", "/admin/customers/customer/"):
        policy = client.get(path)["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self' 'unsafe-inline'" not in policy


def test_the_lockout_page_sends_the_admin_policy_too(client, staff):
    for _ in range(5):
        log_in(client, "kari", WRONG)

    response = log_in(client, "kari", "pw")

    assert "default-src 'self'" in response["Content-Security-Policy"]
