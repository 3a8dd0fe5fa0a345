"""Creating the one follow-up of each unhappy response, and repairing what lost messages left undone."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.i18n import emails_in_their_language
from core.tasks import enqueue_on_commit
from customers.models import Tier
from followups.models import PRIORITY_BY_TIER, FollowUpPolicy, FollowUpTask
from followups.roles import LEADS_GROUP
from surveys.models import Category, SurveyResponse
from surveys.services import suppress_surveys

from .calendar import due_at

logger = logging.getLogger(__name__)


def suppression_reason(task_id: int) -> str:
    return f"followup:{task_id}"


def create_followup_for_response(*, response_id: int) -> FollowUpTask | None:
    """Create the follow-up of an unhappy response, exactly once; return it (or None if not needed).

    Idempotent: a second call, a redelivered message or a racing worker returns the existing task.
    The response row is locked first so concurrent callers queue up; the unique response column is
    the guarantee if anything gets past that. Returns None when the response is gone or not unhappy.
    """
    existing = FollowUpTask.objects.filter(response_id=response_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            response = (
                SurveyResponse.objects.select_for_update()
                .select_related("customer")
                .filter(pk=response_id, category=Category.DETRACTOR)
                .first()
            )
            if response is None:
                return None
            existing = FollowUpTask.objects.filter(response_id=response_id).first()
            if existing is not None:
                return existing
            customer = response.customer
            policy = FollowUpPolicy.current()
            now = timezone.now()
            task = FollowUpTask.objects.create(
                customer=customer,
                response=response,
                contact_id=response.contact_id,
                assigned_to_id=customer.account_manager_id,
                tier=customer.tier,
                priority=PRIORITY_BY_TIER.get(Tier(customer.tier), 3),
                created_at=now,
                due_at=due_at(
                    created=now, business_days=policy.business_days_for(customer.tier), hour=policy.due_hour
                ),
            )
            suppress_surveys(customer_id=customer.pk, reason=suppression_reason(task.pk))
            from followups.tasks import notify_followup_created  # tasks import this module

            enqueue_on_commit(notify_followup_created, task.pk)
    except IntegrityError:
        # A concurrent creator won between our check and insert (only possible where row locks are
        # not available); its task is the one.
        return FollowUpTask.objects.filter(response_id=response_id).first()
    logger.info("Follow-up %s created for response %s", task.pk, response_id)
    return task


def missing_followups(*, since: datetime) -> QuerySet[SurveyResponse, int]:
    """Ids of unhappy responses submitted since `since` that have no follow-up, oldest first.

    Runs every minute, so it must cost next to nothing when nothing is missing: on PostgreSQL it is
    a nested-loop anti-join, walking the partial index of detractors (response_detractor_idx) over
    the window and probing the unique followup.response_id index once per detractor.
    """
    return (
        SurveyResponse.objects.detractors()
        .filter(submitted_at__gte=since)
        .filter(~Exists(FollowUpTask.objects.filter(response=OuterRef("pk"))))
        .order_by("submitted_at")
        .values_list("pk", flat=True)
    )


def reconcile_missing_followups(*, lookback_days: int = 30, limit: int = 500) -> int:
    """Create follow-ups for recent unhappy responses that have none; return how many were created.

    Only responses whose message was lost land here (broker down at commit, a worker killed before
    it acked), a handful at a time, and each needs its own due date and notification, so they go
    one by one through the same idempotent service rather than as one INSERT ... SELECT.
    """
    missing = missing_followups(since=timezone.now() - timedelta(days=lookback_days))[:limit]
    created = 0
    for response_id in list(missing):
        if create_followup_for_response(response_id=response_id) is not None:
            created += 1
    if created:
        logger.warning("Reconciliation created %s follow-ups whose messages were lost", created)
    return created


def notify_followup_created(*, task_id: int) -> bool:
    """Email the account manager (or the leads, for the shared queue) about a new follow-up, once.

    The claim and the send share a transaction: if sending fails the claim rolls back and a retry
    sends it; a worker killed mid-send may send it twice rather than never.
    """
    with transaction.atomic():
        claimed = FollowUpTask.objects.filter(pk=task_id, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        if not claimed:
            return False
        task = FollowUpTask.objects.select_related("customer", "contact", "response", "assigned_to").get(
            pk=task_id
        )
        recipients = _recipients(task)
        if recipients:
            context = {
                "task": task,
                "customer": task.customer,
                "response": task.response,
                "contact": task.contact,
                "url": settings.TILFREDS_BASE_URL.rstrip("/")
                + reverse("admin:followups_followuptask_change", args=[task.pk]),
            }
            # One email each, in the recipient's own language (their choice, else their browser's).
            messages = emails_in_their_language(
                recipients=recipients,
                subject_template="followups/email/created_subject.txt",
                body_template="followups/email/created.txt",
                context=context,
            )
            get_connection().send_messages(messages)
    return True


def _recipients(task: FollowUpTask) -> list[AbstractBaseUser]:
    if task.assigned_to is not None and task.assigned_to.email:
        return [task.assigned_to]
    return list(
        get_user_model()
        .objects.filter(groups__name=LEADS_GROUP, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def reconcile_unsent_notifications(*, older_than_minutes: int = 2, limit: int = 200) -> int:
    """Re-send notifications whose message was lost; return how many were sent.

    Runs every minute with the follow-up reconciliation. Two minutes is far longer than a queued
    notification normally waits, and racing the original message is safe: the notified_at
    compare-and-set in notify_followup_created lets exactly one of them send.
    """
    before = timezone.now() - timedelta(minutes=older_than_minutes)
    pending = (
        FollowUpTask.objects.filter(notified_at__isnull=True, created_at__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(notify_followup_created(task_id=pk) for pk in list(pending[:limit]))
