"""People, data and steps the browser journeys share (test_journeys.py, test_norwegian.py).

The data is committed (the server's own connections read it), so whoever uses these is a
transactional test; see conftest.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers.models import Customer
from followups.models import FollowUpTask
from tests.browser.conftest import PASSWORD
from tests.factories import ContactFactory, CustomerFactory, FollowUpTaskFactory, SurveyResponseFactory

Screenshot = Callable[[Page, str], None]

# What the admin's login form and header say, in the two languages the app speaks (Django's own
# strings): a journey logs in on a page whose language the browser (or a stored choice) picked.
LOGIN_WORDS = {
    "en": {"username": "Username", "password": "Password", "log_in": "Log in", "log_out": "Log out"},
    "nb": {"username": "Brukernavn", "password": "Passord", "log_in": "Logg inn", "log_out": "Logg ut"},
}


def wait_for(condition: Callable[[], bool], *, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {message}")
        time.sleep(0.2)


class _QuickPBKDF2(PBKDF2PasswordHasher):
    # The server knows this algorithm and reads the iteration count from the hash, so the password
    # works there; it re-hashes at full strength on the first login. Saves half a second per user.
    iterations = 1000


def password_hash() -> str:
    return make_password(PASSWORD, hasher=_QuickPBKDF2())


def staff(username: str, group: str, *, first_name: str, last_name: str = "Nordmann") -> Any:
    user = get_user_model().objects.create(
        username=username,
        email=f"{username}@example.no",
        password=password_hash(),
        first_name=first_name,
        last_name=last_name,
        is_staff=True,
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def log_in(page: Page, user: Any, *, language: str = "en", lands_in: str | None = None) -> None:
    """Log in on the admin's login page, which is in `language` (what the browser asks for).

    `lands_in` is the language of the page after it when that differs: a user's stored choice
    applies once they are known.
    """
    words = LOGIN_WORDS[language]
    page.goto("/admin/login/")
    page.get_by_label(words["username"]).fill(user.username)
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["log_in"]).click()
    expect(page.get_by_role("button", name=LOGIN_WORDS[lands_in or language]["log_out"])).to_be_visible()


def customer_with_figures(
    name: str, *, tier: str, revenue: int, margin: int, manager: Any = None
) -> Customer:
    """A customer as the nightly recalculation leaves it, so pages (and the docs' pictures) show figures."""
    return CustomerFactory.create(
        name=name,
        tier=tier,
        revenue_12m=Decimal(revenue),
        contribution_margin_12m=Decimal(margin),
        economics_as_of=timezone.localdate(),
        account_manager=manager,
    )


def unhappy(
    customer: Customer,
    *,
    contact: str,
    score: int,
    comment: str = "",
    assigned_to: Any = None,
    phone: str = "+47 400 00 000",
    **task: Any,
) -> FollowUpTask:
    """A follow-up of a detractor answer (the way the worker makes them)."""
    return FollowUpTaskFactory.create(
        response=SurveyResponseFactory.create(
            customer=customer,
            contact=ContactFactory.create(customer=customer, name=contact, phone=phone),
            score=score,
            category="detractor",
            comment=comment,
        ),
        assigned_to=assigned_to,
        **task,
    )


def console_errors(lines: list[str]) -> list[str]:
    """The console lines that mean something broke: errors, uncaught exceptions, CSP refusals.

    Chromium reports a Content-Security-Policy violation as a console error ("Refused to load ...
    because it violates the following Content Security Policy directive"); the text check also
    catches one reported at another level.
    """
    return [
        line
        for line in lines
        if (line.startswith(("error", "pageerror")) or "Content Security Policy" in line)
        # Chromium asks every site for /favicon.ico on its own; the app has none (no page's fault).
        and not line.endswith("/favicon.ico]")
    ]
