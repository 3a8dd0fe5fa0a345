from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from customers.models import Tier
from followups.models import FollowUpPolicy, FollowUpTask, Status
from followups.services import (
    create_followup_for_response,
    notify_followup_created,
    reconcile_missing_followups,
    reconcile_unsent_notifications,
)
from surveys.models import Category, Source, SurveyKind, SurveySuppression
from surveys.services import record_response
from tests.factories import ContactFactory, CustomerFactory, SurveyResponseFactory, UserFactory

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")


def detractor(**customer_fields):
    contact = ContactFactory.create(customer=CustomerFactory.create(**customer_fields))
    return SurveyResponseFactory.create(contact=contact, score=3, comment="Leveransen kom for sent.")


def test_a_detractor_gets_a_follow_up_assigned_to_the_account_manager(account_manager):
    response = detractor(account_manager=account_manager, tier=Tier.B)

    task = create_followup_for_response(response_id=response.pk)

    assert task is not None
    task = FollowUpTask.objects.get(response=response)
    assert (task.customer_id, task.contact_id, task.assigned_to, task.status) == (
        response.customer_id,
        response.contact_id,
        account_manager,
        Status.OPEN,
    )
    assert (task.tier, task.priority) == (Tier.B, 2)


def test_a_customer_without_account_manager_goes_to_the_shared_queue():
    task = create_followup_for_response(response_id=detractor().pk)

    assert task.assigned_to is None


@pytest.mark.parametrize(
    ("tier", "due"), [(Tier.A, (2026, 11, 23)), (Tier.B, (2026, 11, 24)), (Tier.C, (2026, 11, 27))]
)
def test_due_date_follows_the_tier_in_business_days(tier, due):
    response = detractor(tier=tier)

    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=OSLO), tick=False):  # a Friday
        task = create_followup_for_response(response_id=response.pk)

    assert task.due_at == datetime(*due, 16, tzinfo=OSLO)


def test_due_days_come_from_the_policy():
    FollowUpPolicy.objects.update_or_create(pk=1, defaults={"due_business_days_c": 1, "due_hour": 12})
    response = detractor(tier=Tier.C)

    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=OSLO), tick=False):
        task = create_followup_for_response(response_id=response.pk)

    assert task.due_at == datetime(2026, 11, 24, 12, tzinfo=OSLO)


def test_calling_twice_creates_one_follow_up():
    response = detractor()

    first = create_followup_for_response(response_id=response.pk)
    second = create_followup_for_response(response_id=response.pk)

    assert first.pk == second.pk
    assert FollowUpTask.objects.filter(response=response).count() == 1


def test_a_happy_response_gets_no_follow_up():
    response = SurveyResponseFactory.create(score=9)

    assert create_followup_for_response(response_id=response.pk) is None
    assert not FollowUpTask.objects.exists()


def test_a_missing_response_is_a_no_op():
    assert create_followup_for_response(response_id=987654) is None


def test_an_open_follow_up_suppresses_surveys_to_the_customer():
    response = detractor()

    task = create_followup_for_response(response_id=response.pk)

    assert SurveySuppression.objects.filter(
        customer=response.customer, reason=f"followup:{task.pk}", lifted_at__isnull=True
    ).exists()


def test_unhappy_csat_and_ces_answers_also_get_follow_ups():
    csat = SurveyResponseFactory.create(kind=SurveyKind.CSAT, score=2)
    ces = SurveyResponseFactory.create(kind=SurveyKind.CES, score=3)

    assert create_followup_for_response(response_id=csat.pk) is not None
    assert create_followup_for_response(response_id=ces.pk) is not None


def test_recording_a_detractor_queues_its_follow_up_after_commit(
    django_capture_on_commit_callbacks, settings
):
    customer = CustomerFactory.create()

    with django_capture_on_commit_callbacks() as callbacks:
        response, _ = record_response(kind=SurveyKind.NPS, customer=customer, score=2, source=Source.API)

    assert response.category == Category.DETRACTOR
    assert len(callbacks) == len(settings.TILFREDS_DETRACTOR_HANDLERS) == 1


def test_recording_a_promoter_queues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        record_response(kind=SurveyKind.NPS, customer=CustomerFactory.create(), score=10, source=Source.API)

    assert callbacks == []


def test_reconciliation_creates_follow_ups_for_detractors_that_have_none():
    lost = [detractor() for _ in range(3)]
    handled = detractor()
    create_followup_for_response(response_id=handled.pk)
    SurveyResponseFactory.create(score=9)

    created = reconcile_missing_followups()

    assert created == 3
    assert set(FollowUpTask.objects.values_list("response_id", flat=True)) == {r.pk for r in [*lost, handled]}
    assert reconcile_missing_followups() == 0


def test_reconciliation_leaves_detractors_older_than_the_lookback_alone():
    old = SurveyResponseFactory.create(score=2, submitted_at=timezone.now() - timedelta(days=45))

    assert reconcile_missing_followups(lookback_days=30) == 0
    assert not FollowUpTask.objects.filter(response=old).exists()


def test_the_account_manager_is_emailed_once_with_what_they_need(account_manager, mailoutbox):
    response = detractor(account_manager=account_manager, name="Fjordbygg AS")
    task = create_followup_for_response(response_id=response.pk)

    assert notify_followup_created(task_id=task.pk) is True
    assert notify_followup_created(task_id=task.pk) is False

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["kari@example.no"]
    assert "Fjordbygg AS" in mail.subject
    assert "Leveransen kom for sent." in mail.body
    assert response.contact.phone in mail.body
    assert f"/admin/followups/followuptask/{task.pk}/change/" in mail.body


def test_a_shared_queue_follow_up_is_emailed_to_the_leads(mailoutbox):
    lead = UserFactory.create(email="leder@example.no")
    lead.groups.add(Group.objects.get(name="Follow-up leads"))
    task = create_followup_for_response(response_id=detractor().pk)

    notify_followup_created(task_id=task.pk)

    assert mailoutbox[0].to == ["leder@example.no"]


def test_notifications_whose_message_was_lost_are_sent_by_reconciliation(account_manager, mailoutbox):
    task = create_followup_for_response(response_id=detractor(account_manager=account_manager).pk)
    FollowUpTask.objects.filter(pk=task.pk).update(created_at=timezone.now() - timedelta(minutes=10))

    assert reconcile_unsent_notifications() == 1
    assert reconcile_unsent_notifications() == 0
    assert len(mailoutbox) == 1
