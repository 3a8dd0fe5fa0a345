import threading
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command

from core.errors import BadInput
from customers.models import Customer, CustomerProduct, ProductAffinity, RecalculationRun, RunStatus, Tier
from customers.services import RecalculationAlreadyRunning, recalculate_customer_economics, run_nightly
from customers.tasks import recalculate_tiers
from tests.factories import CustomerFactory, ProductFactory, RevenueLineFactory

pytestmark = pytest.mark.django_db


def test_command_prints_processed_counts_per_tier_and_changes():
    RevenueLineFactory(customer=CustomerFactory(), date=date(2026, 6, 1), revenue=Decimal(600000))
    CustomerFactory()
    out = StringIO()

    call_command("recalculate_tiers", "--as-of", "2026-11-23", stdout=out, stderr=StringIO())

    text = out.getvalue()
    assert "Recalculated as of 2026-11-23" in text
    assert "customers processed: 2" in text
    assert "tiers changed:       1" in text
    assert "A 1, B 0, C 1" in text


def test_command_rejects_a_malformed_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("recalculate_tiers", "--as-of", "23.11.2026")


def test_command_fails_clearly_while_another_run_is_running():
    RecalculationRun.objects.create(as_of=date(2026, 11, 23), status=RunStatus.RUNNING)

    with pytest.raises(CommandError, match="has been running since"):
        call_command("recalculate_tiers", stdout=StringIO(), stderr=StringIO())


def test_nightly_schedule_runs_the_task_at_two_in_oslo():
    entry = settings.CELERY_BEAT_SCHEDULE["recalculate-tiers-nightly"]

    assert entry["task"] == recalculate_tiers.name == "customers.recalculate_tiers"
    assert entry["schedule"] == crontab(hour=2, minute=0)
    assert settings.CELERY_TIMEZONE == "Europe/Oslo"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_started_at_once_on_separate_connections_only_one_writes():
    RevenueLineFactory(customer=CustomerFactory(), date=date(2026, 6, 1), revenue=Decimal(600000))
    first_is_running, second_has_tried = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold_the_lock(run: RecalculationRun, total: int) -> None:
        first_is_running.set()
        second_has_tried.wait(timeout=10)

    def first() -> None:
        from django.db import connection

        try:
            outcome["first"] = recalculate_customer_economics(
                as_of=date(2026, 11, 23), progress=hold_the_lock
            )
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_is_running.wait(timeout=10)
    try:
        recalculate_customer_economics(as_of=date(2026, 11, 23))
    except RecalculationAlreadyRunning as exc:
        outcome["second"] = exc
    finally:
        second_has_tried.set()
        thread.join(timeout=30)

    assert isinstance(outcome["second"], RecalculationAlreadyRunning)
    assert outcome["first"].status == RunStatus.SUCCEEDED
    assert RecalculationRun.objects.count() == 1
    assert Customer.objects.get().tier == Tier.A


def test_run_nightly_runs_economics_relevance_and_potential_as_of_one_date():
    p, q = ProductFactory(), ProductFactory()
    for _ in range(3):
        customer = CustomerFactory()
        RevenueLineFactory(customer=customer, product=p, date=date(2026, 6, 1), revenue=Decimal(600000))
        RevenueLineFactory(customer=customer, product=q, date=date(2026, 6, 2), revenue=Decimal(1000))

    result = run_nightly(as_of=date(2026, 11, 23), trigger="test", chunk_size=2)

    assert result.as_of == date(2026, 11, 23)
    assert (result.relevance.as_of, result.potential.as_of) == (result.as_of, result.as_of)
    run = RecalculationRun.objects.get()
    assert (run.pk, run.status, run.trigger, run.chunks) == (
        result.economics.pk,
        RunStatus.SUCCEEDED,
        "test",
        2,
    )
    assert Customer.objects.filter(tier=Tier.A).count() == 3
    assert CustomerProduct.objects.count() == 6
    assert ProductAffinity.objects.filter(from_product=p, to_product=q, holders_both=3).exists()


def test_run_nightly_writes_nothing_while_another_economics_run_is_running():
    RecalculationRun.objects.create(as_of=date(2026, 11, 23), status=RunStatus.RUNNING)
    customer = CustomerFactory()
    RevenueLineFactory(customer=customer, date=date(2026, 6, 1), revenue=Decimal(600000))

    with pytest.raises(RecalculationAlreadyRunning):
        run_nightly(as_of=date(2026, 11, 23), trigger="test")

    assert Customer.objects.get().tier == Tier.C
    assert not CustomerProduct.objects.exists()
    assert RecalculationRun.objects.count() == 1


def test_task_refuses_a_malformed_date_as_bad_input_and_runs_nothing():
    with pytest.raises(BadInput, match="YYYY-MM-DD"):
        recalculate_tiers.run(as_of="23.11.2026")

    assert not RecalculationRun.objects.exists()


def test_task_reports_none_when_another_run_is_in_progress():
    RecalculationRun.objects.create(as_of=date(2026, 11, 23), status=RunStatus.RUNNING)

    assert recalculate_tiers.run(as_of="2026-11-23") is None


def test_nightly_task_recalculates_on_a_real_worker_over_the_broker(celery_worker):
    customer = CustomerFactory()
    RevenueLineFactory(customer=customer, date=date(2026, 6, 1), revenue=Decimal(600000))

    run_id = recalculate_tiers.delay(as_of="2026-11-23", trigger="test").get(timeout=60)

    run = RecalculationRun.objects.get(pk=run_id)
    assert (run.status, run.trigger, run.customers_processed) == (RunStatus.SUCCEEDED, "test", 1)
    assert Customer.objects.get(pk=customer.pk).tier == Tier.A
