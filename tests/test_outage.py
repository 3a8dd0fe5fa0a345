"""Redis down (cache and broker at once): the API keeps answering and survey answers are stored.

The cache counts the API's rate limits and the broker carries the follow-up tasks; both are the same
Redis in production. These tests point both at a redis-server of their own, stop it, and call the API
the way an integration would. Needs PostgreSQL and Redis, as CI runs it (the fixtures skip otherwise).
"""

import logging
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from followups.models import FollowUpTask
from followups.services import reconcile_unsent_notifications
from followups.services.creation import missing_followups
from surveys.models import Category, SurveyResponse
from tests.factories import CustomerFactory, FollowUpTaskFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def redis_cache(private_redis, settings):
    """Django's default cache on the private Redis; the cache handler forgets its old connections."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    cache.set("tilfreds:outage-test", "up")
    assert cache.get("tilfreds:outage-test") == "up"
    return private_redis


@pytest.fixture
def api(superuser) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=superuser).key}")
    return client


def test_a_detractor_answer_posted_while_redis_is_down_is_stored_and_answered_201(redis_cache, api, caplog):
    customer = CustomerFactory.create(external_id="K-OUT-1")
    redis_cache.kill()

    with caplog.at_level(logging.WARNING):
        response = api.post(
            reverse("surveys_api:survey-response-create"),
            {"customer": "K-OUT-1", "kind": "nps", "score": 2, "external_id": "outage-1"},
            format="json",
            secure=True,
        )

    assert response.status_code == 201, response.content
    stored = SurveyResponse.objects.get(external_id="outage-1")
    assert (stored.customer_id, stored.score, stored.category) == (customer.pk, 2, Category.DETRACTOR)
    assert "Rate limit 'survey_responses' not enforced: the cache is unreachable" in caplog.text


def test_lists_and_details_answer_200_while_redis_is_down(redis_cache, api, caplog):
    customer = CustomerFactory.create(external_id="K-OUT-2")
    followup = FollowUpTaskFactory.create(customer=customer)
    redis_cache.kill()

    with caplog.at_level(logging.WARNING):
        answers = {
            url: api.get(url, secure=True).status_code
            for url in (
                reverse("sales_api:customer-list"),
                reverse("sales_api:customer-detail", args=[customer.pk]),
                reverse("followups_api:followup-list"),
                reverse("followups_api:followup-detail", args=[followup.pk]),
                reverse("followups_api:metrics-nps"),
            )
        }

    assert answers == dict.fromkeys(answers, 200)
    assert "Rate limit 'user' not enforced: the cache is unreachable" in caplog.text
    assert FollowUpTask.objects.filter(pk=followup.pk).exists()


def test_the_follow_up_reconciliation_is_sent_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["reconcile-followups"]

    assert entry["task"] == "followups.reconcile_followups"
    assert entry["schedule"] == 60.0
    assert entry["options"]["expires"] < 60


def test_the_missing_follow_ups_query_is_an_index_anti_join_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN output is PostgreSQL's")
    with connection.cursor() as cursor:
        # The test tables are nearly empty, where a sequential scan is cheapest; forbid it to see
        # which indexes the planner can use, as it does on a real table.
        cursor.execute("SET enable_seqscan = off")

    plan = missing_followups(since=timezone.now() - timedelta(days=30)).explain()

    assert "Anti Join" in plan
    assert "response_detractor_idx" in plan
    assert "followups_followuptask_response_id_key" in plan


def test_a_notification_whose_message_was_lost_is_sent_by_the_reconciliation_after_two_minutes(mailoutbox):
    lost = FollowUpTaskFactory.create(created_at=timezone.now() - timedelta(minutes=2, seconds=5))
    in_flight = FollowUpTaskFactory.create(created_at=timezone.now() - timedelta(seconds=30))

    sent = reconcile_unsent_notifications()

    assert sent == 1
    assert FollowUpTask.objects.get(pk=lost.pk).notified_at is not None
    assert FollowUpTask.objects.get(pk=in_flight.pk).notified_at is None
    assert reconcile_unsent_notifications() == 0


def test_smtp_calls_time_out_after_ten_seconds_by_default():
    assert django_settings.EMAIL_TIMEOUT == 10
