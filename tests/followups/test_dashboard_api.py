"""/api/metrics/dashboard/ and the admin page: the same figures for the same filters, and who may read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils.formats import date_format
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from followups.roles import ACCOUNT_MANAGERS_GROUP, LEADS_GROUP, SALES_GROUP
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    FollowUpTaskFactory,
    RevenueLineFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
    UserFactory,
)
from tests.followups.helpers import staff_in

pytestmark = pytest.mark.django_db

API = reverse("followups_api:metrics-dashboard")
PAGE = reverse("satisfaction-numbers")
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_and_unthrottled():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


def api(user, **params):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client.get(API, params, secure=True)


def some_figures(manager) -> None:
    a = CustomerFactory.create(
        tier="A", account_manager=manager, revenue_12m=Decimal(1000), industry="Varehandel"
    )
    b = CustomerFactory.create(tier="B", revenue_12m=Decimal(500))
    for customer, score in ((a, 10), (a, 3), (b, 8)):
        SurveyResponseFactory.create(
            contact=ContactFactory.create(customer=customer),
            score=score,
            submitted_at=NOW - timedelta(days=20),
        )
    SurveyInvitationFactory.create(contact__customer=a, sent_at=NOW - timedelta(days=21))
    FollowUpTaskFactory.create(
        response__contact__customer=a,
        created_at=NOW - timedelta(days=5),
        due_at=NOW - timedelta(days=3),
        first_contact_at=NOW - timedelta(days=4),
    )
    RevenueLineFactory.create(customer=b, date=date(2025, 12, 1))


@pytest.mark.parametrize("params", [{}, {"tier": "A", "end": "2026-06", "months": "6", "churn_months": "4"}])
def test_the_page_and_the_api_give_the_same_figures_for_the_same_filters(client, params):
    lead = staff_in(LEADS_GROUP, "leder")
    some_figures(staff_in(ACCOUNT_MANAGERS_GROUP, "kari"))
    client.force_login(lead)

    page = client.get(PAGE, params, secure=True)
    answer = api(lead, **params)

    assert page.status_code == answer.status_code == 200
    assert answer.json() == page.context["data"]


def test_the_api_answers_the_filtered_figures():
    lead = staff_in(LEADS_GROUP, "leder")
    some_figures(staff_in(ACCOUNT_MANAGERS_GROUP, "kari"))

    body = api(lead, tier="A").json()

    assert body["period"] == {
        "start": "2025-07",
        "end": "2026-06",
        "since": "2025-07-01T00:00:00+02:00",
        "until": "2026-07-01T00:00:00+02:00",
    }
    # 10 and 3, and the follow-up's own detractor answer.
    assert body["nps"]["overall"] == {
        "responses": 3,
        "promoters": 1,
        "passives": 0,
        "detractors": 2,
        "nps": -33.3,
    }
    assert [month["responses"] for month in body["nps"]["lines"]["A"][-2:]] == [2, 1]  # May, June
    assert body["followups"]["on_time"]["total"] == {
        "successes": 1,
        "n": 1,
        "percent": 100.0,
        "low": 20.7,
        "high": 100.0,
        "too_small": True,
    }
    assert body["revenue_coverage"]["percent"] == 100.0
    assert body["account_managers_shown"] == "all"


def test_the_nps_endpoint_and_the_dashboard_count_the_same_answers_by_default():
    lead = staff_in(LEADS_GROUP, "leder")
    customer = CustomerFactory.create()
    SurveyResponseFactory.create(contact__customer=customer, score=10, submitted_at=NOW - timedelta(days=10))
    SurveyResponseFactory.create(
        contact__customer=customer, score=0, submitted_at=datetime(2025, 6, 1, tzinfo=UTC)
    )

    nps = APIClient()
    nps.force_authenticate(lead)
    overall = nps.get(reverse("followups_api:metrics-nps"), secure=True).json()["overall"]

    assert overall == api(lead).json()["nps"]["overall"]
    assert overall["responses"] == 1


def test_an_account_manager_sees_the_company_total_and_only_their_own_row():
    kari = staff_in(ACCOUNT_MANAGERS_GROUP, "kari")
    ola = staff_in(ACCOUNT_MANAGERS_GROUP, "ola")
    some_figures(ola)
    some_figures(kari)

    body = api(kari).json()

    assert body["account_managers_shown"] == "own"
    assert [row["id"] for row in body["followups"]["on_time"]["account_managers"]] == [kari.pk]
    assert body["followups"]["on_time"]["total"]["n"] == 2


def test_an_account_manager_may_not_filter_on_a_colleague():
    kari = staff_in(ACCOUNT_MANAGERS_GROUP, "kari")
    ola = staff_in(ACCOUNT_MANAGERS_GROUP, "ola")

    answer = api(kari, account_manager=ola.pk)

    assert answer.status_code == 403
    assert "another account manager" in answer.json()["detail"]


def test_an_unknown_industry_or_account_manager_matches_no_customer():
    lead = staff_in(LEADS_GROUP, "leder")
    some_figures(staff_in(ACCOUNT_MANAGERS_GROUP, "kari"))

    assert api(lead, industry="Romfart").json()["nps"]["overall"]["responses"] == 0
    assert api(lead, account_manager=999_999).json()["nps"]["overall"]["responses"] == 0


def test_sales_may_read_the_numbers_but_no_account_managers_rates():
    seller = staff_in(SALES_GROUP, "selger")
    some_figures(staff_in(ACCOUNT_MANAGERS_GROUP, "kari"))

    body = api(seller).json()

    assert body["followups"]["on_time"]["account_managers"] == []
    assert body["followups"]["recovery"]["account_managers"] == []
    assert body["nps"]["overall"]["responses"] == 4


@pytest.mark.parametrize("params", [{"end": "May"}, {"months": "61"}, {"end": "2100-01"}, {"tier": "D"}])
def test_bad_filters_answer_400_naming_the_field(params):
    answer = api(staff_in(LEADS_GROUP, "leder"), **params)

    assert answer.status_code == 400
    assert set(answer.json()) & set(params)


def test_without_the_permission_the_api_answers_403_and_anonymous_401():
    assert api(UserFactory.create(username="nobody")).status_code == 403
    assert api(None).status_code == 401


def test_a_staff_member_without_the_permission_gets_403_from_the_page(client):
    client.force_login(UserFactory.create(username="staff", is_staff=True))

    assert client.get(PAGE, secure=True).status_code == 403


def test_the_page_shows_an_invalid_filters_error_over_the_default_period(client):
    lead = staff_in(LEADS_GROUP, "leder")
    client.force_login(lead)

    page = client.get(PAGE, {"end": "2026-13"}, secure=True)

    assert page.status_code == 200
    assert page.context["form"].errors
    assert page.context["data"]["period"]["start"] == "2025-07"


def test_the_page_embeds_its_chart_data_and_loads_its_scripts_from_static_files(client):
    client.force_login(staff_in(LEADS_GROUP, "leder"))

    text = client.get(PAGE, secure=True).content.decode()

    assert '<script id="dashboard-data" type="application/json">' in text
    assert "followups/vendor/chartjs/chart.umd.min" in text
    assert "followups/dashboard" in text


def test_the_figures_are_cached_for_15_minutes_and_say_when_they_were_computed(client, monkeypatch):
    from followups.dashboard import cache as dashboard_cache

    timeouts = []
    set_many = dashboard_cache.cache.set_many

    def spy(entries, timeout):
        timeouts.append(timeout)
        return set_many(entries, timeout=timeout)

    # Spied rather than travelled past: Redis expires keys on its own clock, not the frozen one.
    monkeypatch.setattr(dashboard_cache.cache, "set_many", spy)
    lead = staff_in(LEADS_GROUP, "leder")
    some_figures(staff_in(ACCOUNT_MANAGERS_GROUP, "kari"))
    first = api(lead).json()
    SurveyResponseFactory.create(score=9, submitted_at=NOW - timedelta(days=1))

    with time_machine.travel(NOW + timedelta(minutes=14), tick=False):
        cached = api(lead).json()
        client.force_login(lead)
        page = client.get(PAGE, secure=True)
        cache.clear()
        fresh = api(lead).json()

    assert timeouts[0] == 15 * 60
    assert first["computed_at"] == "2026-06-15T12:00:00+00:00"
    assert cached == first  # the answer added since is not counted yet
    assert page.context["data"] == first
    # Oslo time (14:00 in summer), in the active language's short date-time format.
    oslo = datetime(2026, 6, 15, 14, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    assert page.context["computed"] == f"Computed {date_format(oslo, 'SHORT_DATETIME_FORMAT')}"
    assert "14:00" in page.context["computed"]
    assert fresh["nps"]["overall"]["responses"] == first["nps"]["overall"]["responses"] + 1
    assert fresh["computed_at"] == "2026-06-15T12:14:00+00:00"


def test_each_set_of_filters_and_each_scope_has_its_own_cached_copy():
    lead = staff_in(LEADS_GROUP, "leder")
    kari = staff_in(ACCOUNT_MANAGERS_GROUP, "kari")
    ola = staff_in(ACCOUNT_MANAGERS_GROUP, "ola")
    some_figures(kari)
    some_figures(ola)

    everyone = api(lead).json()
    own = api(kari).json()
    tier_a = api(lead, tier="A").json()

    def managers(body):
        return [row["id"] for row in body["followups"]["on_time"]["account_managers"]]

    assert managers(everyone) == sorted([kari.pk, ola.pk], key=lambda pk: "kari" if pk == kari.pk else "ola")
    assert managers(own) == [kari.pk]  # a lead's cached copy never reaches an account manager
    assert own["account_managers_shown"] == "own"
    assert tier_a["filters"]["tier"] == "A"
    assert tier_a["nps"]["overall"]["responses"] < everyone["nps"]["overall"]["responses"]


def test_an_unreachable_cache_leaves_the_figures_computed(client, monkeypatch, caplog):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from followups.dashboard import cache as dashboard_cache

    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(dashboard_cache.cache, "get", down)
    monkeypatch.setattr(dashboard_cache.cache, "set_many", down)
    lead = staff_in(LEADS_GROUP, "leder")
    some_figures(staff_in(ACCOUNT_MANAGERS_GROUP, "kari"))
    client.force_login(lead)

    page = client.get(PAGE, secure=True)

    assert page.status_code == 200
    assert page.context["data"]["nps"]["overall"]["responses"] == 4  # some_figures: 3 + the follow-up's
    assert "Dashboard cache not read: unreachable" in caplog.text
    assert "Dashboard cache not written: unreachable" in caplog.text


def test_the_nightly_warm_up_caches_the_default_view_for_the_leads_and_each_account_manager(
    django_assert_max_num_queries,
):
    from followups.dashboard.cache import LEAD_SCOPE, cache_key
    from followups.dashboard.filters import DashboardFilters
    from followups.tasks import warm_dashboards

    lead = staff_in(LEADS_GROUP, "leder")
    kari = staff_in(ACCOUNT_MANAGERS_GROUP, "kari")
    ola = staff_in(ACCOUNT_MANAGERS_GROUP, "ola")
    some_figures(kari)
    some_figures(ola)

    # The company's default view and each manager's own filtered view: 3 computations, 10 queries
    # each, plus the one listing the account managers.
    with django_assert_max_num_queries(31):
        cached = warm_dashboards.apply().get()  # in-process, with or without a broker

    default = DashboardFilters.default()
    # lead + kari + ola on the default view; lead + the manager on each manager's filtered view.
    assert cached == 3 + 2 + 2
    assert cache.get(cache_key(default, LEAD_SCOPE)) is not None
    assert cache.get(cache_key(default, f"own:{kari.pk}")).shows_colleagues is False
    assert api(lead).json() == api(lead).json()
    # Read from the warm cache: no figure is computed again (only the sign-in and permission queries).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        body = api(kari, account_manager=str(kari.pk)).json()
    assert not any("surveys_surveyresponse" in query["sql"] for query in queries.captured_queries)
    assert [row["id"] for row in body["followups"]["on_time"]["account_managers"]] == [kari.pk]
