"""The composed customer list and page (sales/admin.py over customers/admin/customers.py): the NPS,
potential and open-follow-up columns, the time-thief badge's sentence, and the "log a call / meeting /
email" links, shown only to whoever may log for the customer.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.formats import group_thousands
from core.types import User
from customers.models import Customer, RecalculationRun, RunStatus, TierPolicy
from followups.models import Status
from tests.factories import ContactFactory, CustomerFactory, FollowUpTaskFactory, UserFactory
from tests.sales.helpers import satisfied

pytestmark = pytest.mark.django_db

CUSTOMERS_URL = reverse("admin:customers_customer_changelist")
NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def staff_in(group: str, username: str) -> User:
    user: User = UserFactory.create(username=username, is_staff=True, first_name=username.title())
    user.groups.add(Group.objects.get(name=group))
    return user


def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def html_of(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params, secure=True)
    assert response.status_code == 200
    return response.content.decode()


def page_url(customer: Customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


def recalculated(**policy: str) -> RecalculationRun:
    return RecalculationRun.objects.create(
        as_of=date(2026, 11, 30),
        status=RunStatus.SUCCEEDED,
        policy={**TierPolicy.current().snapshot(), **policy},
    )


def thief(**fields: Any) -> Customer:
    """A time thief under the default policy: 41 987,50 kr of service is 37 % of a 113 480 kr margin."""
    return CustomerFactory.create(
        service_minutes_12m=3359,
        service_cost_12m=Decimal("41987.50"),
        contribution_margin_12m=Decimal("113480.00"),
        revenue_12m=Decimal("400000.00"),
        time_cost_flag=True,
        economics_as_of=date(2026, 11, 30),
        **fields,
    )


def open_followup(customer: Customer, **fields: Any) -> None:
    FollowUpTaskFactory.create(
        response__contact=ContactFactory.create(customer=customer), customer=customer, **fields
    )


# --- The list


def test_customer_list_makes_the_same_number_of_queries_for_5_and_50_customers(
    client: Client, superuser: Any, django_assert_num_queries: Any
) -> None:
    def add_customers(count: int) -> None:
        for index in range(count):
            customer = thief(account_manager=UserFactory.create(), potential_score=40 + index % 50)
            satisfied(customer, index % 11, account_nps="12.5")
            open_followup(customer)

    recalculated()
    logged_in(client, superuser)
    add_customers(5)
    html_of(client, CUSTOMERS_URL)  # warm the session and content types
    with CaptureQueriesContext(connection) as with_5:
        html_of(client, CUSTOMERS_URL)
    add_customers(45)

    with django_assert_num_queries(len(with_5.captured_queries)):
        html = html_of(client, CUSTOMERS_URL)

    assert html.count('class="time-thief-badge"') == 50


def test_customer_list_shows_latest_nps_with_the_account_nps_in_its_title(
    client: Client, superuser: Any
) -> None:
    customer = satisfied(CustomerFactory.create(name="Fornøyd AS"), 9, account_nps="33.3")
    satisfied(CustomerFactory.create(name="Misfornøyd AS"), 3, account_nps="-50.0")
    CustomerFactory.create(name="Taus AS")

    html = html_of(logged_in(client, superuser), CUSTOMERS_URL)

    assert (
        '<span class="nps-badge nps-promoter" title="Latest answer 9 (Promoter). Account NPS +33 over 0 contacts.">9</span>'
        in html
    )
    assert 'class="nps-badge nps-detractor"' in html
    assert "Account NPS -50 over" in html
    assert customer.name in html


@pytest.mark.parametrize(
    ("column", "descending", "expected"),
    [
        # Customers without a value come first going up and last going down, on every database.
        ("nps", False, ["Taus AS", "Lav AS", "Høy AS"]),
        ("nps", True, ["Høy AS", "Lav AS", "Taus AS"]),
        ("potential_column", False, ["Taus AS", "Lav AS", "Høy AS"]),
        ("potential_column", True, ["Høy AS", "Lav AS", "Taus AS"]),
        ("open_followups", False, ["Taus AS", "Lav AS", "Høy AS"]),
        ("open_followups", True, ["Høy AS", "Lav AS", "Taus AS"]),
    ],
)
def test_customer_list_sorts_by_nps_potential_and_open_followups(
    client: Client, superuser: Any, column: str, descending: bool, expected: list[str]
) -> None:
    low = satisfied(CustomerFactory.create(name="Lav AS", potential_score=20), 2)
    high = satisfied(CustomerFactory.create(name="Høy AS", potential_score=80), 10)
    CustomerFactory.create(name="Taus AS")
    open_followup(low)
    open_followup(high)
    open_followup(high)
    logged_in(client, superuser)
    # The column's position in list_display, as the admin's sort links number them.
    columns = client.get(CUSTOMERS_URL, secure=True).context["cl"].list_display
    position = [getattr(c, "__name__", c) for c in columns].index(column)

    response = client.get(CUSTOMERS_URL, {"o": f"{'-' if descending else ''}{position}"}, secure=True)

    assert [c.name for c in response.context["cl"].result_list] == expected


def test_open_followups_count_only_active_ones(client: Client, superuser: Any) -> None:
    customer = CustomerFactory.create(name="Travel AS")
    open_followup(customer)
    open_followup(customer, status=Status.IN_PROGRESS)
    open_followup(customer, status=Status.CANCELLED, completed_at=timezone.now())
    logged_in(client, superuser)

    response = client.get(CUSTOMERS_URL, secure=True)

    row = next(c for c in response.context["cl"].result_list if c.pk == customer.pk)
    assert row.open_followups == 2


def test_sales_see_no_open_followup_column_and_an_account_manager_counts_only_what_they_may_see(
    client: Client,
) -> None:
    kari, ola = staff_in("Account managers", "kari"), staff_in("Account managers", "ola")
    customer = CustomerFactory.create(name="Delt AS", account_manager=ola)
    open_followup(customer, assigned_to=ola)
    open_followup(customer, assigned_to=None)

    sales_list = logged_in(client, staff_in("Sales", "selger")).get(CUSTOMERS_URL, secure=True).context["cl"]
    kari_rows = logged_in(client, kari).get(CUSTOMERS_URL, secure=True).context["cl"].result_list

    assert "open_followups" not in sales_list.list_display
    assert not hasattr(sales_list.result_list[0], "open_followups")
    # Ola's own task is not Kari's to see; the shared one is.
    assert next(c for c in kari_rows if c.pk == customer.pk).open_followups == 1


def test_the_time_thief_badge_on_the_list_says_why_with_the_numbers(client: Client, superuser: Any) -> None:
    recalculated()
    thief()

    html = html_of(logged_in(client, superuser), CUSTOMERS_URL)

    assert f"is 37.0{NBSP}% of the margin, above the 25{NBSP}% limit." in html


def test_the_list_explains_the_flag_by_the_last_runs_policy_not_one_edited_since(
    client: Client, superuser: Any
) -> None:
    recalculated(time_cost_share_pct="30.00")
    TierPolicy.objects.filter(pk=1).update(time_cost_share_pct=Decimal(50))
    thief()

    html = html_of(logged_in(client, superuser), CUSTOMERS_URL)

    assert f"above the 30{NBSP}% limit." in html


# --- The page


def test_the_customer_page_shows_the_time_thief_sentence_and_the_service_minutes(
    client: Client, superuser: Any
) -> None:
    recalculated()
    customer = thief()

    html = html_of(logged_in(client, superuser), page_url(customer))

    assert f"is 37.0{NBSP}% of the margin, above the 25{NBSP}% limit." in html
    assert f"{group_thousands(3359)} min of service time at" in html


def log_links(html: str) -> list[dict[str, list[str]]]:
    add = reverse("admin:customers_interaction_add")
    links = []
    for chunk in html.split('href="')[1:]:
        url = chunk.split('"', 1)[0].replace("&amp;", "&")
        if url.startswith(add + "?"):
            links.append(parse_qs(urlsplit(url).query))
    return links


def test_the_customer_page_offers_to_log_a_call_meeting_or_email_returning_to_it(
    client: Client,
) -> None:
    kari = staff_in("Account managers", "kari")
    customer = CustomerFactory.create(account_manager=kari)
    contact = ContactFactory.create(customer=customer)

    links = log_links(html_of(logged_in(client, kari), page_url(customer)))

    page = [link for link in links if "contact" not in link]
    per_contact = [link for link in links if "contact" in link]
    assert {link["channel"][0] for link in page} == {"phone", "meeting", "email"}
    assert all(
        link["customer"] == [str(customer.pk)] and link["next"] == [page_url(customer)] for link in links
    )
    assert {link["channel"][0] for link in per_contact} == {"phone", "meeting", "email"}
    assert all(link["contact"] == [str(contact.pk)] for link in per_contact)


@pytest.mark.parametrize("who", ["other account manager", "sales"])
def test_whoever_may_not_log_for_the_customer_sees_no_log_links(client: Client, who: str) -> None:
    customer = CustomerFactory.create(account_manager=staff_in("Account managers", "ola"))
    ContactFactory.create(customer=customer)
    user = (
        staff_in("Account managers", "kari")
        if who == "other account manager"
        else staff_in("Sales", "selger")
    )

    html = html_of(logged_in(client, user), page_url(customer))

    assert log_links(html) == []
    assert "Log a call" not in html


def test_a_lead_may_log_for_any_customer(client: Client) -> None:
    customer = CustomerFactory.create(account_manager=staff_in("Account managers", "ola"))

    html = html_of(logged_in(client, staff_in("Follow-up leads", "lise")), page_url(customer))

    assert {link["channel"][0] for link in log_links(html)} == {"phone", "meeting", "email"}


def test_the_account_manager_filter_lists_managers_by_full_name(client: Client, superuser: Any) -> None:
    manager = UserFactory.create(username="ks", first_name="Kari", last_name="Nordmann")
    CustomerFactory.create(account_manager=manager)
    UserFactory.create(username="idle", first_name="Ikke", last_name="Ansvarlig")

    html = html_of(logged_in(client, superuser), CUSTOMERS_URL)

    assert f"?account_manager__id__exact={manager.pk}" in html
    assert "Kari Nordmann" in html
    assert "Ikke Ansvarlig" not in html
