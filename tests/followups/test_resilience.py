"""Exactly one follow-up per unhappy response, through real workers, a real broker and real failures.

These run against PostgreSQL and Redis (CI sets DATABASE_URL and REDIS_URL) with real `celery worker`
processes; nothing runs eagerly. Each failure test says what it breaks and what it then sees.
"""

import os
import signal
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from followups.models import FollowUpTask
from followups.tasks import create_followup_for_response, reconcile_followups
from surveys.models import Source, SurveyKind, SurveyResponse
from surveys.services import record_response
from tests.factories import ContactFactory, CustomerFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def wait_for(condition: Callable[[], bool], timeout: float = 60, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {message}")
        time.sleep(0.1)


def followups_for(response_id: int) -> int:
    return FollowUpTask.objects.filter(response_id=response_id).count()


def backends_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps serving one snapshot of pg_stat_activity; drop it.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def record_detractor(score: int = 2) -> SurveyResponse:
    contact = ContactFactory.create(customer=CustomerFactory.create())
    response, _ = record_response(
        kind=SurveyKind.NPS, customer=contact.customer, contact=contact, score=score, source=Source.API
    )
    return response


def test_a_detractor_answer_becomes_a_follow_up_through_a_real_worker(celery_worker, mailoutbox):
    response = record_detractor()

    wait_for(lambda: followups_for(response.pk) == 1, message="the follow-up")

    task = FollowUpTask.objects.get(response=response)
    assert task.customer_id == response.customer_id
    wait_for(
        lambda: FollowUpTask.objects.filter(pk=task.pk, notified_at__isnull=False).exists(), message="notice"
    )


def test_the_same_response_queued_twice_at_once_gives_one_follow_up(celery_worker):
    response = SurveyResponseFactory.create(score=1)

    for _ in range(5):
        create_followup_for_response.delay(response.pk)

    wait_for(lambda: followups_for(response.pk) == 1, message="the follow-up")
    time.sleep(2)  # let the other four deliveries run to completion
    assert followups_for(response.pk) == 1


def test_a_pool_process_killed_mid_task_is_redelivered_and_creates_exactly_one(celery_worker):
    """SIGKILL the process running the task while it is inside its transaction.

    The test holds the response row's lock, so the task blocks in create_followup_for_response right
    after it began its transaction; pg_stat_activity shows it waiting. Killing that pool process makes
    the worker reject the unacknowledged message back to the queue (acks_late + reject on worker
    lost), a new pool process runs it again once the lock is released, and the unique response
    column plus the lock leave exactly one follow-up.
    """
    response = SurveyResponseFactory.create(score=0)
    with transaction.atomic():
        SurveyResponse.objects.select_for_update().get(pk=response.pk)
        create_followup_for_response.delay(response.pk)
        wait_for(lambda: backends_waiting_for_a_lock() == 1, message="the task to block on the lock")
        [child] = celery_worker.pool_child_pids()
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: child not in celery_worker.pool_child_pids(), message="the pool process to die")
        assert followups_for(response.pk) == 0

    wait_for(lambda: followups_for(response.pk) == 1, message="the redelivered task")
    time.sleep(2)
    assert followups_for(response.pk) == 1


def test_a_whole_worker_killed_mid_task_is_repaired_by_reconciliation(start_worker):
    """SIGKILL the main worker process and its pool child while the task is inside its transaction.

    Nobody is left to reject the message: it stays unacknowledged in Redis until the visibility
    timeout (hours). The reconciliation job, run by a fresh worker, finds the detractor without a
    follow-up and creates it; running it again creates nothing more.
    """
    doomed = start_worker()
    response = SurveyResponseFactory.create(score=3)
    with transaction.atomic():
        SurveyResponse.objects.select_for_update().get(pk=response.pk)
        create_followup_for_response.delay(response.pk)
        wait_for(lambda: backends_waiting_for_a_lock() == 1, message="the task to block on the lock")
        doomed.kill()
    time.sleep(1)
    assert followups_for(response.pk) == 0

    start_worker()
    assert reconcile_followups.delay().get(timeout=60)["followups_created"] == 1
    assert reconcile_followups.delay().get(timeout=60)["followups_created"] == 0

    assert followups_for(response.pk) == 1


def test_answers_saved_while_the_broker_is_down_get_their_follow_ups_at_once_in_process(
    private_redis, start_worker, caplog
):
    """Stop Redis and record detractor answers: each is saved and its follow-up created right away.

    With the broker gone the publish fails fast and is logged, and the handler runs in the caller's
    process instead (beat could not send the reconciliation through a dead broker either). Only the
    notification email waits: its message is lost too, and the reconciliation sends it later.
    """
    start_worker(private_redis.url)
    private_redis.kill()

    started = time.monotonic()
    responses = [record_detractor(score) for score in (0, 4, 6)]
    seconds_per_answer = (time.monotonic() - started) / len(responses)

    assert SurveyResponse.objects.filter(pk__in=[r.pk for r in responses]).count() == 3
    assert sorted(FollowUpTask.objects.values_list("response_id", flat=True)) == sorted(
        r.pk for r in responses
    )
    assert not FollowUpTask.objects.filter(notified_at__isnull=False).exists()
    assert "running it in this process" in caplog.text
    print(f"recording an answer with the broker down took {seconds_per_answer:.2f} s on average")
