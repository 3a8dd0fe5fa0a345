"""Who may read the sales API, and how often."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.sales.helpers import customer, get, product, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls() -> list[tuple[str, dict]]:
    c = customer()
    product("SKU")
    return [
        ("/api/customers/", {}),
        ("/api/customers/", {"format": "csv"}),
        (f"/api/customers/{c.pk}/", {}),
        ("/api/upsell-candidates/", {"product": "SKU"}),
        ("/api/upsell-candidates/", {"product": "SKU", "format": "csv"}),
    ]


def member_of(group: str | None):
    user = UserFactory.create(password=None)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def test_anonymous_requests_get_401_with_a_token_challenge(urls):
    for url, params in urls:
        response = get(APIClient(), url, params)

        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"
        assert response["Content-Type"] == "application/json"


def test_an_invalid_token_gets_401(urls):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    for url, params in urls:
        assert get(client, url, params).status_code == 401, url


def test_a_signed_in_user_without_the_customer_permission_gets_403(urls):
    client = token_client(member_of(None))

    for url, params in urls:
        response = get(client, url, params)

        assert response.status_code == 403, url
        assert "customers | customer | Can view customer" in response.json()["detail"]


@pytest.mark.parametrize("group", ["Sales", "Account managers", "Follow-up leads"])
def test_sales_account_managers_and_leads_may_read(urls, group):
    client = token_client(member_of(group))

    for url, params in urls:
        assert get(client, url, params).status_code == 200, url


def test_superusers_may_read(urls, admin_api):
    for url, params in urls:
        assert get(admin_api, url, params).status_code == 200, url


def test_a_session_login_works_like_a_token(urls):
    client = APIClient()
    client.force_login(member_of("Sales"))

    for url, params in urls:
        assert get(client, url, params).status_code == 200, url


@pytest.fixture
def two_per_minute(settings) -> None:
    settings.REST_FRAMEWORK = {
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "2/min"},
    }


@pytest.mark.parametrize("params", [{}, {"format": "csv"}])
def test_a_user_over_the_rate_gets_429_with_retry_after(two_per_minute, sales_api, params):
    customer()
    for _ in range(2):
        assert get(sales_api, "/api/customers/", params).status_code == 200

    response = get(sales_api, "/api/customers/", params)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"]


def test_the_rate_is_counted_per_user(two_per_minute, sales_api, admin_api):
    customer()
    for _ in range(2):
        get(sales_api, "/api/customers/")

    assert get(sales_api, "/api/customers/").status_code == 429
    assert get(admin_api, "/api/customers/").status_code == 200
