from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups.metrics import RecoveryGroup, median_time_to_first_contact, recovery_rate
from followups.models import Status
from surveys.models import SurveyKind
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    FollowUpTaskFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
URL = reverse("satisfaction-numbers")


def contacted_after(*waits: timedelta, created_at: datetime = START) -> None:
    for wait in waits:
        FollowUpTaskFactory.create(created_at=created_at, first_contact_at=created_at + wait)


def test_the_median_time_to_first_contact_of_an_odd_count_is_the_middle_one():
    contacted_after(timedelta(hours=10), timedelta(hours=1), timedelta(hours=2))

    assert median_time_to_first_contact() == timedelta(hours=2)


def test_the_median_time_to_first_contact_of_an_even_count_averages_the_two_middle_ones():
    contacted_after(timedelta(hours=1), timedelta(days=3), timedelta(hours=2), timedelta(hours=4))

    assert median_time_to_first_contact() == timedelta(hours=3)


def test_follow_ups_not_contacted_yet_do_not_count_toward_the_median():
    contacted_after(timedelta(minutes=30))
    FollowUpTaskFactory.create(created_at=START, first_contact_at=None)

    assert median_time_to_first_contact() == timedelta(minutes=30)


def test_the_median_since_a_time_counts_follow_ups_created_since_then():
    contacted_after(timedelta(days=5), created_at=START - timedelta(days=40))
    contacted_after(timedelta(hours=6))

    assert median_time_to_first_contact(since=START - timedelta(days=1)) == timedelta(hours=6)


def test_without_contacted_follow_ups_the_median_is_none():
    FollowUpTaskFactory.create(first_contact_at=None)

    assert median_time_to_first_contact() is None


def detractor_answering_again(next_score: int | None, *, followup: str | None) -> None:
    """An NPS detractor (score 3) whose contact answers NPS again a month later with next_score."""
    contact = ContactFactory.create()
    detractor = SurveyResponseFactory.create(contact=contact, score=3, submitted_at=START)
    if followup == Status.DONE:
        FollowUpTaskFactory.create(
            response=detractor, status=Status.DONE, completed_at=START + timedelta(days=1)
        )
    elif followup is not None:
        FollowUpTaskFactory.create(response=detractor, status=followup)
    if next_score is not None:
        SurveyResponseFactory.create(
            contact=contact, score=next_score, submitted_at=START + timedelta(days=30)
        )


def test_recovery_compares_detractors_with_a_completed_follow_up_against_the_rest():
    detractor_answering_again(8, followup=Status.DONE)
    detractor_answering_again(7, followup=Status.DONE)
    detractor_answering_again(6, followup=Status.DONE)
    detractor_answering_again(9, followup=None)
    detractor_answering_again(4, followup=Status.OPEN)
    detractor_answering_again(10, followup=Status.CANCELLED)
    detractor_answering_again(2, followup=Status.IN_PROGRESS)

    figures = recovery_rate()

    assert figures.followed_up == RecoveryGroup(detractors=3, recovered=2)
    assert figures.not_followed_up == RecoveryGroup(detractors=4, recovered=2)
    assert (figures.followed_up.percent, figures.not_followed_up.percent) == (66.7, 50.0)


def test_a_detractor_without_a_later_nps_answer_does_not_count_toward_recovery():
    detractor_answering_again(None, followup=Status.DONE)
    detractor_answering_again(None, followup=None)

    figures = recovery_rate()

    assert figures.followed_up == figures.not_followed_up == RecoveryGroup(0, 0)
    assert figures.followed_up.percent is None


def test_recovery_reads_the_next_nps_answer_not_the_latest_one():
    contact = ContactFactory.create()
    detractor = SurveyResponseFactory.create(contact=contact, score=2, submitted_at=START)
    FollowUpTaskFactory.create(response=detractor, status=Status.DONE, completed_at=START + timedelta(days=1))
    SurveyResponseFactory.create(contact=contact, score=9, submitted_at=START + timedelta(days=30))
    SurveyResponseFactory.create(contact=contact, score=1, submitted_at=START + timedelta(days=90))

    figures = recovery_rate(since=START)

    # The 9 recovers the first detractor; the 1 is a new detractor with nothing after it yet.
    assert figures.followed_up == RecoveryGroup(detractors=1, recovered=1)
    assert figures.not_followed_up == RecoveryGroup(detractors=0, recovered=0)


def test_a_later_csat_answer_is_not_a_next_nps():
    contact = ContactFactory.create()
    SurveyResponseFactory.create(contact=contact, score=2, submitted_at=START)
    SurveyResponseFactory.create(
        contact=contact, kind=SurveyKind.CSAT, score=5, submitted_at=START + timedelta(days=3)
    )

    assert recovery_rate().not_followed_up == RecoveryGroup(0, 0)


def test_recovery_since_a_time_counts_detractors_who_answered_since_then():
    detractor_answering_again(9, followup=None)

    assert recovery_rate(since=START + timedelta(days=1)).not_followed_up == RecoveryGroup(0, 0)


@pytest.fixture
def numbers_reader(db):
    # password=None: force_login needs no password, and hashing one costs a second per user.
    user = UserFactory.create(username="leder", is_staff=True, password=None)
    user.user_permissions.add(Permission.objects.get(codename="view_surveyresponse"))
    return user


def some_numbers(count: int) -> None:
    """count NPS answers across count // 5 customers, with invitations and follow-ups."""
    now = datetime.now(UTC)
    for n in range(count // 5):
        customer = CustomerFactory.create(revenue_12m=1000 * n, tier="ABC"[n % 3])
        for score in (0, 5, 7, 9, 10):
            contact = ContactFactory.create(customer=customer)
            response = SurveyResponseFactory.create(
                contact=contact, score=score, submitted_at=now - timedelta(days=n)
            )
            SurveyInvitationFactory.create(contact=contact, sent_at=now - timedelta(days=n + 1))
            if score <= 6:
                FollowUpTaskFactory.create(
                    response=response,
                    created_at=now - timedelta(days=n),
                    first_contact_at=now - timedelta(days=n) + timedelta(hours=n + 1),
                    status=Status.DONE,
                    completed_at=now,
                )
                SurveyResponseFactory.create(contact=contact, score=8, submitted_at=now)


def test_the_numbers_page_shows_the_figures_to_a_staff_member_who_may_read_responses(client, numbers_reader):
    now = datetime.now(UTC)
    SurveyResponseFactory.create_batch(3, score=10, submitted_at=now)
    contacted_after(timedelta(hours=2, minutes=15), created_at=now)  # and its detractor answer
    client.force_login(numbers_reader)

    page = client.get(URL, secure=True)

    assert page.status_code == 200
    text = page.content.decode()
    assert "<h1>Numbers and trends</h1>" in text
    assert "+50.0" in text  # 3 promoters, 1 detractor, in the page's language (English here)
    assert "2 h 15 min" in text
    assert "NPS per month and tier" in text
    assert "Revenue-weighted NPS" in text


def test_the_numbers_page_renders_without_any_data(client, numbers_reader):
    client.force_login(numbers_reader)

    page = client.get(URL, secure=True)

    assert page.status_code == 200


def test_a_staff_member_without_the_permission_gets_403(client):
    client.force_login(UserFactory.create(is_staff=True, password=None))

    assert client.get(URL, secure=True).status_code == 403


def test_a_signed_in_user_who_is_not_staff_is_sent_to_the_admin_login(client):
    user = UserFactory.create(is_staff=False, password=None)
    user.user_permissions.add(Permission.objects.get(codename="view_surveyresponse"))
    client.force_login(user)

    page = client.get(URL, secure=True)

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("admin:login"))


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client):
    page = client.get(URL, secure=True)

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("admin:login"))


def test_the_numbers_page_makes_as_many_queries_for_50_answers_as_for_5(client, numbers_reader):
    client.force_login(numbers_reader)
    some_numbers(5)
    cache.clear()  # nothing cached from an earlier test: both requests compute the figures
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, secure=True).status_code == 200

    some_numbers(50)
    cache.clear()  # the figures are cached (followups.dashboard.cache)
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL, secure=True).status_code == 200

    assert len(many) == len(few)
