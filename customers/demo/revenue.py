"""Planning a demo customer's two years of revenue lines, aimed inside its tier's band."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from customers.models import Tier

from .catalogue import CHEAPEST_ONE_OFF, ONE_OFFS, SERVICE_AGREEMENTS, SUBSCRIPTIONS, DemoProduct
from .plans import CustomerPlan, LinePlan

if TYPE_CHECKING:
    from .planner import Planner


def plan_revenue(
    planner: Planner, plan: CustomerPlan, tier: Tier, *, negative_margin: bool, thin_margin: bool
) -> list[DemoProduct]:
    """Plan two years of revenue lines aimed at a 12-month revenue well inside the tier's band."""
    rng = planner.rng
    # 12 % clear of each threshold, so rounding and the recurring/one-off split never cross a band.
    a_floor, b_low, b_high, c_high = (
        planner.a_threshold * 1.12,
        planner.b_threshold * 1.12,
        planner.a_threshold * 0.9,
        planner.b_threshold * 0.88,
    )
    if tier == Tier.A:
        target = min(a_floor * math.exp(rng.expovariate(2.0)), 8_000_000)
    elif tier == Tier.B:
        target = rng.uniform(b_low, b_high)
    else:
        target = math.exp(rng.uniform(math.log(12_000), math.log(c_high)))
    growth = rng.lognormvariate(0.06, 0.25)
    # One customer in twelve arrived during the previous year, with only part of a year behind it.
    since = planner.history_start
    if rng.random() < 1 / 12:
        since += timedelta(days=rng.randrange(20, 330))
    plan.since = since
    discount = rng.uniform(0, 0.25 if tier == Tier.A else 0.18)
    if negative_margin:
        margin = rng.uniform(-0.18, -0.05)
    elif thin_margin:
        margin = rng.uniform(-0.03, 0.02)  # the product mix adds a few points on top
    else:
        margin = rng.triangular(0.1, 0.5, 0.27)

    monthly = target * rng.uniform(0.25, 0.7) / 12
    subscriptions: list[tuple[DemoProduct, float]] = []  # (product, current quantity)
    if rng.random() < 0.65:
        fitting = [p for p in SERVICE_AGREEMENTS if p.price * (1 - discount) <= monthly * 0.5]
        if fitting:
            agreement = max(fitting, key=lambda p: p.price)
            subscriptions.append((agreement, 1.0))
            monthly -= agreement.price * (1 - discount)
    licences = rng.sample(SUBSCRIPTIONS, rng.randint(1, 3))
    shares = [rng.uniform(0.5, 1.5) for _ in licences]
    for product, share in zip(licences, shares, strict=True):
        seats = monthly * share / sum(shares) / (product.price * (1 - discount))
        subscriptions.append((product, max(1.0, round(seats))))
    one_offs = rng.sample(ONE_OFFS, rng.randint(3, 7))

    def add(product: DemoProduct, day: date, quantity: float, year: int) -> int:
        # Prices rose about 4 % at the turn of the window, as Norwegian suppliers adjust yearly.
        unit = product.price * (1 - discount) * (1.0 if year else 0.96)
        revenue = round(quantity * unit * 100)
        rate = margin if negative_margin else margin + product.margin_offset
        rate = min(0.85, rate + rng.uniform(-0.04, 0.04))
        plan.lines.append(
            LinePlan(product.sku, day, Decimal(str(quantity)), revenue, round(revenue * (1 - rate)))
        )
        return revenue

    for year, (start, end) in enumerate(planner.years):
        year_target = target if year else target / growth
        recurring = 0
        for invoice_day in planner.invoice_days[year]:
            if invoice_day <= since or invoice_day >= plan.left_on:
                continue
            for product, quantity in subscriptions:
                # Fewer seats last year for a growing customer, more for a shrinking one.
                seats = (
                    quantity if year or product in SERVICE_AGREEMENTS else max(1.0, round(quantity / growth))
                )
                recurring += add(product, invoice_day, seats, year)
        # A customer that left bought its year's target before it went (measured by the full year,
        # not the months it stayed), so the 12-month revenue keeps it in its tier's band and its
        # service time stays sized against the margin the recalculation finds.
        active = min(1.0, (end - max(start, since)).days / 365)
        # One-off sales fill what the subscriptions leave of the year's target, at least a tenth of it.
        target_cents = year_target * active * 100
        budget = max(target_cents - recurring, target_cents * 0.1)
        count = round(active * rng.randint(*{Tier.A: (30, 70), Tier.B: (15, 35), Tier.C: (6, 16)}[tier]))
        # Exponential weights: many small orders and the odd large one.
        weights = [rng.expovariate(1.0) for _ in range(count)]
        total_weight = sum(weights)
        for weight in weights:
            amount = budget * weight / total_weight / 100
            affordable = [p for p in one_offs if p.price * (1 - discount) * p.step <= amount * 1.2]
            product = rng.choice(affordable) if affordable else CHEAPEST_ONE_OFF
            units = amount / (product.price * (1 - discount) * product.step)
            day = rng.choice(planner.line_days[year])
            while day <= since or day >= plan.left_on:
                day = rng.choice(planner.line_days[year])
            add(product, day, max(1, round(units)) * product.step, year)
    return [p for p, _ in subscriptions] + one_offs
