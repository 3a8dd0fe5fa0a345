from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone

from core.errors import Conflict
from customers.models import Customer, RecalculationRun, RunStatus, Tier, TierChange, TierPolicy
from customers.services import (
    RecalculationAbandoned,
    RecalculationAlreadyRunning,
    recalculate_customer_economics,
)
from customers.windows import Window
from tests.factories import CustomerFactory, InteractionFactory, RevenueLineFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 23)
OSLO = ZoneInfo("Europe/Oslo")


def recalculate(**kwargs) -> RecalculationRun:
    return recalculate_customer_economics(as_of=kwargs.pop("as_of", AS_OF), **kwargs)


def customer_with_revenue(revenue: str, cost: str = "0", *, on: date = date(2026, 6, 1)) -> Customer:
    customer = CustomerFactory.create()
    RevenueLineFactory(customer=customer, date=on, revenue=Decimal(revenue), cost=Decimal(cost))
    return customer


def fresh(customer: Customer) -> Customer:
    return Customer.objects.get(pk=customer.pk)


@pytest.mark.parametrize(
    ("revenue", "tier"),
    [
        ("0.00", Tier.C),
        ("200000.00", Tier.C),
        ("200000.01", Tier.B),
        ("500000.00", Tier.B),
        ("500000.01", Tier.A),
    ],
)
def test_tier_is_strictly_above_the_threshold(revenue, tier):
    customer = customer_with_revenue(revenue)

    recalculate()

    assert fresh(customer).tier == tier


def test_revenue_exactly_on_the_b_threshold_stays_c():
    customer = customer_with_revenue("200000")

    recalculate()

    assert fresh(customer).tier == Tier.C
    assert fresh(customer).revenue_12m == Decimal("200000.00")


def test_revenue_and_margin_are_summed_over_all_lines_in_the_window():
    customer = CustomerFactory()
    RevenueLineFactory(
        customer=customer, date=date(2026, 1, 5), revenue=Decimal("150000.10"), cost=Decimal("100000")
    )
    RevenueLineFactory(
        customer=customer, date=date(2026, 9, 5), revenue=Decimal("150000.20"), cost=Decimal("20000.05")
    )

    recalculate()

    customer = fresh(customer)
    assert customer.revenue_12m == Decimal("300000.30")
    assert customer.contribution_margin_12m == Decimal("180000.25")
    assert customer.tier == Tier.B
    assert customer.economics_as_of == AS_OF


def test_line_exactly_one_calendar_year_before_as_of_is_outside_the_window():
    customer = customer_with_revenue("900000", on=date(2025, 11, 23))

    recalculate()

    assert fresh(customer).revenue_12m == Decimal("0.00")
    assert fresh(customer).tier == Tier.C


def test_line_one_day_inside_the_window_counts():
    customer = customer_with_revenue("900000", on=date(2025, 11, 24))

    recalculate()

    assert fresh(customer).revenue_12m == Decimal("900000.00")


def test_line_on_the_as_of_date_counts_and_the_day_after_does_not():
    on_the_day = customer_with_revenue("1000", on=AS_OF)
    day_after = customer_with_revenue("1000", on=AS_OF + timedelta(days=1))

    recalculate()

    assert fresh(on_the_day).revenue_12m == Decimal("1000.00")
    assert fresh(day_after).revenue_12m == Decimal("0.00")


def test_window_from_a_leap_day_starts_on_28_february_the_year_before():
    window = Window.ending(date(2028, 2, 29), 12)

    assert window.start == date(2027, 2, 28)
    assert window.first_moment == datetime(2027, 3, 1, tzinfo=OSLO)


def test_customer_with_no_lines_gets_zero_and_tier_c():
    customer = CustomerFactory(tier=Tier.A, revenue_12m=Decimal(900000))

    recalculate()

    customer = fresh(customer)
    assert (customer.tier, customer.revenue_12m, customer.contribution_margin_12m) == (
        Tier.C,
        Decimal(0),
        Decimal(0),
    )
    assert customer.economics_as_of == AS_OF


def test_negative_margin_is_kept_as_negative():
    customer = customer_with_revenue("100000", cost="130000.50")

    recalculate()

    assert fresh(customer).contribution_margin_12m == Decimal("-30000.50")


def test_service_minutes_become_cost_at_the_hourly_rate():
    customer = customer_with_revenue("100000")
    InteractionFactory(
        customer=customer, occurred_at=datetime(2026, 5, 1, 10, tzinfo=OSLO), duration_minutes=45
    )
    InteractionFactory(
        customer=customer, occurred_at=datetime(2026, 5, 2, 10, tzinfo=OSLO), duration_minutes=1
    )

    recalculate()

    customer = fresh(customer)
    assert customer.service_minutes_12m == 46
    assert customer.service_cost_12m == Decimal("575.00")


def test_interactions_are_windowed_by_the_oslo_calendar_day():
    customer = CustomerFactory()
    # 23:30 on the as-of day in Oslo is 22:30 UTC: inside. 00:30 the next day in Oslo: outside.
    InteractionFactory(
        customer=customer, occurred_at=datetime(2026, 11, 23, 23, 30, tzinfo=OSLO), duration_minutes=10
    )
    InteractionFactory(
        customer=customer, occurred_at=datetime(2026, 11, 24, 0, 30, tzinfo=OSLO), duration_minutes=100
    )
    # The first day of the window starts at midnight Oslo, the day before is outside.
    InteractionFactory(
        customer=customer, occurred_at=datetime(2025, 11, 24, 0, 10, tzinfo=OSLO), duration_minutes=1
    )
    InteractionFactory(
        customer=customer, occurred_at=datetime(2025, 11, 23, 23, 50, tzinfo=OSLO), duration_minutes=1000
    )

    recalculate()

    assert fresh(customer).service_minutes_12m == 11


def test_service_cost_exactly_at_the_share_of_margin_is_not_a_time_thief():
    # Margin 10 000 kr, share 25 % -> limit 2 500 kr = 200 minutes at 750 kr/h.
    customer = customer_with_revenue("10000")
    InteractionFactory(customer=customer, occurred_at=datetime(2026, 5, 1, tzinfo=OSLO), duration_minutes=200)

    recalculate()

    assert fresh(customer).service_cost_12m == Decimal("2500.00")
    assert fresh(customer).time_cost_flag is False


def test_service_cost_above_the_share_of_margin_flags_a_time_thief():
    customer = customer_with_revenue("10000")
    InteractionFactory(customer=customer, occurred_at=datetime(2026, 5, 1, tzinfo=OSLO), duration_minutes=201)

    recalculate()

    assert fresh(customer).time_cost_flag is True


def test_any_service_cost_flags_a_customer_with_zero_margin():
    customer = customer_with_revenue("5000", cost="5000")
    InteractionFactory(customer=customer, occurred_at=datetime(2026, 5, 1, tzinfo=OSLO), duration_minutes=1)

    recalculate()

    assert fresh(customer).time_cost_flag is True


def test_any_service_cost_flags_a_customer_with_negative_margin():
    customer = customer_with_revenue("5000", cost="9000")
    InteractionFactory(customer=customer, occurred_at=datetime(2026, 5, 1, tzinfo=OSLO), duration_minutes=1)

    recalculate()

    assert fresh(customer).time_cost_flag is True


def test_no_service_time_never_flags_even_with_negative_margin():
    customer = customer_with_revenue("5000", cost="9000")

    recalculate()

    assert fresh(customer).time_cost_flag is False


def test_the_policy_thresholds_share_and_rate_are_used():
    TierPolicy.objects.update_or_create(
        pk=1,
        defaults={
            "b_threshold": Decimal(1000),
            "a_threshold": Decimal(2000),
            "hourly_service_cost": Decimal(600),
            "time_cost_share_pct": Decimal(10),
        },
    )
    customer = customer_with_revenue("1500")
    # 60 minutes at 600 kr = 600 kr, over 10 % of the 1 500 kr margin.
    InteractionFactory(customer=customer, occurred_at=datetime(2026, 5, 1, tzinfo=OSLO), duration_minutes=60)

    run = recalculate()

    customer = fresh(customer)
    assert (customer.tier, customer.service_cost_12m, customer.time_cost_flag) == (Tier.B, Decimal(600), True)
    assert run.policy["b_threshold"] == "1000.00"


def test_a_shorter_window_from_the_policy_excludes_older_lines():
    TierPolicy.objects.update_or_create(pk=1, defaults={"window_months": 3})
    customer = customer_with_revenue("1000", on=date(2026, 8, 23))
    customer_with_revenue("1000", on=date(2026, 8, 24))

    recalculate()

    assert fresh(customer).revenue_12m == Decimal(0)


def test_tier_changes_are_recorded_with_the_run_that_made_them():
    riser = customer_with_revenue("600000")
    unchanged = customer_with_revenue("1000")

    run = recalculate()

    change = TierChange.objects.get()
    assert (change.customer_id, change.from_tier, change.to_tier, change.revenue_12m, change.run_id) == (
        riser.pk,
        Tier.C,
        Tier.A,
        Decimal("600000.00"),
        run.pk,
    )
    assert not TierChange.objects.filter(customer=unchanged).exists()
    assert run.tiers_changed == 1


def test_a_customer_falling_a_tier_is_recorded():
    customer = customer_with_revenue("300000", on=date(2026, 1, 10))
    recalculate()

    run = recalculate(as_of=date(2027, 1, 10))

    assert fresh(customer).tier == Tier.C
    assert list(TierChange.objects.filter(run=run).values_list("from_tier", "to_tier")) == [(Tier.B, Tier.C)]


def test_rerun_with_unchanged_data_writes_nothing_and_records_no_changes():
    customers = [customer_with_revenue(amount) for amount in ("100", "300000", "700000")]
    InteractionFactory(
        customer=customers[0], occurred_at=datetime(2026, 5, 1, tzinfo=OSLO), duration_minutes=90
    )
    recalculate()
    stamps = dict(Customer.objects.values_list("pk", "updated_at"))

    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        rerun = recalculate()

    assert (rerun.customers_processed, rerun.customers_updated, rerun.tiers_changed) == (3, 0, 0)
    assert dict(Customer.objects.values_list("pk", "updated_at")) == stamps
    assert TierChange.objects.filter(run=rerun).count() == 0


def test_only_customers_whose_figures_changed_are_written():
    steady = customer_with_revenue("1000")
    growing = customer_with_revenue("1000")
    recalculate()
    RevenueLineFactory(customer=growing, date=date(2026, 10, 1), revenue=Decimal(500), cost=Decimal(0))

    rerun = recalculate()

    assert rerun.customers_updated == 1
    assert fresh(growing).revenue_12m == Decimal("1500.00")
    assert fresh(steady).revenue_12m == Decimal("1000.00")


def test_run_records_counts_per_tier_and_succeeds():
    for amount in ("100", "250000", "250000", "800000"):
        customer_with_revenue(amount)

    run = recalculate()

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert (run.tier_a_count, run.tier_b_count, run.tier_c_count) == (1, 2, 1)
    assert (run.customers_processed, run.customers_updated, run.tiers_changed) == (4, 4, 3)
    assert run.finished_at is not None
    assert run.as_of == AS_OF


def test_chunks_cover_every_customer_across_gaps_in_ids():
    for position in range(7):
        if position in (1, 4):
            CustomerFactory().delete()
        else:
            customer_with_revenue("250000")

    run = recalculate(chunk_size=2)

    assert run.chunks == 3
    assert run.customers_processed == 5
    assert set(Customer.objects.values_list("tier", flat=True)) == {Tier.B}


def test_as_of_defaults_to_today_in_oslo():
    # 23:30 UTC on 23 November is already 24 November in Oslo.
    with time_machine.travel(datetime(2026, 11, 23, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        run = recalculate_customer_economics()

    assert run.as_of == date(2026, 11, 24)


def test_a_second_run_is_refused_while_one_is_running():
    RecalculationRun.objects.create(as_of=AS_OF, status=RunStatus.RUNNING)
    customer = customer_with_revenue("900000")

    with pytest.raises(RecalculationAlreadyRunning):
        recalculate()

    assert fresh(customer).tier == Tier.C
    assert RecalculationRun.objects.count() == 1


def test_a_run_without_heartbeat_for_too_long_is_presumed_dead_and_replaced(settings):
    settings.TILFREDS_RECALCULATION_STALE_AFTER_MINUTES = 30
    dead = RecalculationRun.objects.create(
        as_of=AS_OF, status=RunStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=31)
    )
    customer = customer_with_revenue("900000")

    run = recalculate()

    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED
    assert "presumed dead" in dead.error
    assert run.status == RunStatus.SUCCEEDED
    assert fresh(customer).tier == Tier.A


def test_the_run_lock_is_taken_on_a_retry_when_its_holder_finished_between_insert_and_read(monkeypatch):
    customer = customer_with_revenue("900000")
    create = RecalculationRun.objects.create
    attempts: list[dict[str, object]] = []

    def collide_once(**fields: object) -> RecalculationRun:
        # What the database answers when another run held the lock at the insert and is gone by the
        # read that follows: a unique violation, then no running run to blame.
        attempts.append(fields)
        if len(attempts) == 1:
            raise IntegrityError("duplicate key value violates unique constraint recalculation_one_running")
        return create(**fields)

    monkeypatch.setattr(RecalculationRun.objects, "create", collide_once)

    run = recalculate()

    assert len(attempts) == 2
    assert run.status == RunStatus.SUCCEEDED
    assert fresh(customer).tier == Tier.A


def test_taking_the_run_lock_gives_up_after_three_collisions_with_no_run_to_blame(monkeypatch):
    customer = customer_with_revenue("900000")

    def always_collide(**fields: object) -> RecalculationRun:
        raise IntegrityError("duplicate key value violates unique constraint recalculation_one_running")

    monkeypatch.setattr(RecalculationRun.objects, "create", always_collide)

    with pytest.raises(RuntimeError, match="3 attempts"):
        recalculate()

    assert not RecalculationRun.objects.exists()
    assert fresh(customer).tier == Tier.C


def test_a_running_recalculation_is_a_conflict_for_the_error_mappers():
    RecalculationRun.objects.create(as_of=AS_OF, status=RunStatus.RUNNING)

    with pytest.raises(Conflict, match="has been running since"):
        recalculate()


def test_a_run_declared_dead_by_another_process_stops_and_rolls_back_its_chunk():
    first, second = customer_with_revenue("900000"), customer_with_revenue("900000")

    def another_process_declares_it_dead(run: RecalculationRun, total: int) -> None:
        RecalculationRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error="presumed dead")

    with pytest.raises(RecalculationAbandoned):
        recalculate(chunk_size=1, progress=another_process_declares_it_dead)

    assert fresh(first).tier == Tier.A
    assert fresh(second).tier == Tier.C
    assert not TierChange.objects.filter(customer=second).exists()
    assert RecalculationRun.objects.get().error == "presumed dead"


def test_a_failed_run_is_marked_failed_with_its_error_and_releases_the_lock():
    customer_with_revenue("900000")

    def crash(run: RecalculationRun, total: int) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        recalculate(progress=crash)

    failed = RecalculationRun.objects.get()
    assert failed.status == RunStatus.FAILED
    assert failed.error == "RuntimeError: disk full"
    assert recalculate().status == RunStatus.SUCCEEDED
