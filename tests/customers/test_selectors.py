from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from customers.models import RecalculationRun, RunStatus, Tier, TierChange, TierPolicy
from customers.selectors import (
    economics_window,
    last_recalculation,
    recent_interactions,
    revenue_by_product,
    running_recalculation,
    tier_history,
)
from customers.windows import Window
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    ProductFactory,
    RevenueLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

WINDOW = Window(start=date(2025, 6, 1), end=date(2026, 6, 1))


def make_run(
    *, status: str = RunStatus.SUCCEEDED, as_of: date = date(2026, 6, 1), **fields: object
) -> RecalculationRun:
    return RecalculationRun.objects.create(
        as_of=as_of, status=status, policy=TierPolicy.current().snapshot(), **fields
    )


def test_revenue_by_product_sums_each_product_and_lists_the_largest_first() -> None:
    customer = CustomerFactory.create()
    small = ProductFactory.create(sku="P-SMALL", name="Small")
    big = ProductFactory.create(sku="P-BIG", name="Big")
    RevenueLineFactory(
        customer=customer,
        product=small,
        quantity=Decimal(2),
        revenue=Decimal("100.00"),
        cost=Decimal("60.00"),
    )
    RevenueLineFactory(
        customer=customer,
        product=big,
        quantity=Decimal("1.5"),
        revenue=Decimal("1000.10"),
        cost=Decimal("400.00"),
    )
    RevenueLineFactory(
        customer=customer, product=big, quantity=Decimal(3), revenue=Decimal("999.90"), cost=Decimal("600.00")
    )

    summary = revenue_by_product(customer.pk, WINDOW)

    assert [(p.sku, p.name, p.quantity, p.revenue, p.margin) for p in summary.products] == [
        ("P-BIG", "Big", Decimal("4.5"), Decimal("2000.00"), Decimal("1000.00")),
        ("P-SMALL", "Small", Decimal(2), Decimal("100.00"), Decimal("40.00")),
    ]
    assert summary.products[0].margin_pct == Decimal("50.0")


def test_revenue_by_product_totals_revenue_margin_and_margin_share() -> None:
    customer = CustomerFactory.create()
    RevenueLineFactory(customer=customer, revenue=Decimal("1000.00"), cost=Decimal("766.00"))
    RevenueLineFactory(customer=customer, revenue=Decimal("234.57"), cost=Decimal("200.00"))

    summary = revenue_by_product(customer.pk, WINDOW)

    assert summary.revenue == Decimal("1234.57")
    assert summary.margin == Decimal("268.57")
    assert summary.margin_pct == Decimal("21.8")


def test_revenue_by_product_counts_the_window_end_but_not_its_start() -> None:
    customer = CustomerFactory.create()
    product = ProductFactory.create()
    RevenueLineFactory(customer=customer, product=product, date=WINDOW.start, revenue=Decimal("1.00"))
    RevenueLineFactory(
        customer=customer, product=product, date=WINDOW.start + timedelta(days=1), revenue=Decimal("20.00")
    )
    RevenueLineFactory(customer=customer, product=product, date=WINDOW.end, revenue=Decimal("300.00"))
    RevenueLineFactory(
        customer=customer, product=product, date=WINDOW.end + timedelta(days=1), revenue=Decimal("4000.00")
    )

    summary = revenue_by_product(customer.pk, WINDOW)

    assert summary.revenue == Decimal("320.00")


def test_revenue_by_product_ignores_other_customers() -> None:
    customer, other = CustomerFactory.create(), CustomerFactory.create()
    product = ProductFactory.create()
    RevenueLineFactory(customer=customer, product=product, revenue=Decimal("10.00"))
    RevenueLineFactory(customer=other, product=product, revenue=Decimal("99.00"))

    summary = revenue_by_product(customer.pk, WINDOW)

    assert summary.revenue == Decimal("10.00")


def test_revenue_by_product_without_revenue_is_empty_with_zero_totals_and_no_margin_share() -> None:
    customer = CustomerFactory.create()

    summary = revenue_by_product(customer.pk, WINDOW)

    assert summary.products == []
    assert summary.revenue == Decimal(0)
    assert summary.margin_pct is None


def test_revenue_by_product_makes_one_query(django_assert_num_queries) -> None:
    customer = CustomerFactory.create()
    for _ in range(5):
        RevenueLineFactory(customer=customer, product=ProductFactory.create())

    with django_assert_num_queries(1):
        summary = revenue_by_product(customer.pk, WINDOW)

    assert len(summary.products) == 5


def test_recent_interactions_returns_the_newest_first_up_to_the_limit() -> None:
    customer = CustomerFactory.create()
    start = timezone.make_aware(datetime(2026, 1, 1, 12, 0))
    for day in range(25):
        InteractionFactory(customer=customer, occurred_at=start + timedelta(days=day), summary=f"day {day}")
    InteractionFactory(occurred_at=start + timedelta(days=100))

    interactions = list(recent_interactions(customer.pk, limit=20))

    assert [i.summary for i in interactions] == [f"day {day}" for day in range(24, 4, -1)]


def test_recent_interactions_loads_contact_and_author_in_the_same_query(django_assert_num_queries) -> None:
    customer = CustomerFactory.create()
    for _ in range(3):
        InteractionFactory(
            customer=customer, contact=ContactFactory(customer=customer), logged_by=UserFactory()
        )

    with django_assert_num_queries(1):
        names = [
            (i.contact and i.contact.name, i.logged_by and i.logged_by.username)
            for i in recent_interactions(customer.pk)
        ]

    assert len(names) == 3


def test_tier_history_lists_the_customers_changes_newest_first_with_their_run(
    django_assert_num_queries,
) -> None:
    customer = CustomerFactory.create()
    run = make_run()
    start = timezone.make_aware(datetime(2026, 1, 1))
    for day, (old, new) in enumerate([(Tier.C, Tier.B), (Tier.B, Tier.A), (Tier.A, Tier.B)]):
        TierChange.objects.create(
            customer=customer,
            from_tier=old,
            to_tier=new,
            revenue_12m=Decimal(1000),
            run=run,
            changed_at=start + timedelta(days=day),
        )
    TierChange.objects.create(
        customer=CustomerFactory.create(), from_tier=Tier.C, to_tier=Tier.A, revenue_12m=Decimal(1), run=run
    )

    with django_assert_num_queries(1):
        changes = [(c.from_tier, c.to_tier, c.run.as_of) for c in tier_history(customer.pk, limit=2)]

    assert changes == [(Tier.A, Tier.B, run.as_of), (Tier.B, Tier.A, run.as_of)]


def test_last_recalculation_is_the_latest_succeeded_run_whatever_runs_or_failed_after_it() -> None:
    start = timezone.make_aware(datetime(2026, 6, 1, 2, 0))
    make_run(as_of=date(2026, 5, 31), started_at=start - timedelta(days=1))
    latest = make_run(as_of=date(2026, 6, 1), started_at=start)
    make_run(status=RunStatus.FAILED, started_at=start + timedelta(hours=1))
    make_run(status=RunStatus.RUNNING, started_at=start + timedelta(hours=2))

    assert last_recalculation() == latest


def test_last_recalculation_is_none_before_any_run_succeeded() -> None:
    make_run(status=RunStatus.FAILED)

    assert last_recalculation() is None


def test_running_recalculation_is_the_run_in_progress_or_none() -> None:
    make_run(status=RunStatus.SUCCEEDED)
    assert running_recalculation() is None

    running = make_run(status=RunStatus.RUNNING)

    assert running_recalculation() == running


def test_economics_window_is_the_runs_as_of_and_the_window_of_its_policy_snapshot() -> None:
    run = make_run(as_of=date(2026, 6, 1))
    run.policy = {**run.policy, "window_months": 6}
    run.save(update_fields=["policy"])
    TierPolicy.objects.filter(pk=TierPolicy.SINGLETON_PK).update(window_months=24)

    window = economics_window(run)

    assert window == Window(start=date(2025, 12, 1), end=date(2026, 6, 1))


@time_machine.travel(datetime(2026, 3, 15, 12, 0, tzinfo=timezone.get_default_timezone()), tick=False)
def test_economics_window_without_a_run_ends_today_with_the_current_policy() -> None:
    policy = TierPolicy.current()
    policy.window_months = 3
    policy.save(update_fields=["window_months"])

    window = economics_window(None)

    assert window == Window(start=date(2025, 12, 15), end=date(2026, 3, 15))
