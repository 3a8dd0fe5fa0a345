"""Planning a demo customer's dialog log, its service time sized against its contribution margin."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from customers.models import Channel, Direction, Tier

from .accounts import ACCOUNT_MANAGERS
from .catalogue import DemoProduct
from .plans import CustomerPlan, InteractionPlan
from .vocabulary import CHANNEL_WEIGHTS, CHANNELS, DURATIONS, INBOUND_SHARE, SUMMARIES, TIME_THIEF_SUMMARIES

if TYPE_CHECKING:
    from .planner import Planner


def plan_dialog(
    planner: Planner, plan: CustomerPlan, products: list[DemoProduct], tier: Tier, *, time_thief: bool
) -> None:
    """Plan each year's interactions, sized against that year's contribution margin."""
    rng = planner.rng
    for year in range(len(planner.years)):
        year_lines = [line for line in plan.lines if (line.day > planner.window_start) == bool(year)]
        margin = sum(line.revenue_cents - line.cost_cents for line in year_lines) / 100
        limit = margin * planner.time_cost_share  # service cost above this flags a time thief
        count = rng.randint(*{Tier.A: (10, 26), Tier.B: (5, 14), Tier.C: (2, 7)}[tier])
        if not year_lines:
            count = 0
        planned = [_interaction(planner, plan, products, year, time_thief=False) for _ in range(count)]
        if time_thief and margin > 0:
            # Disproportionate time: complaints and repeated questions until the service cost
            # is well past the policy's share of what the customer earns the company.
            excess = rng.uniform(1.3, 2.0)
            while _cost(planner, planned) < limit * excess:
                planned.append(_interaction(planner, plan, products, year, time_thief=True))
        elif margin > 0:
            # An ordinary customer stays comfortably below the share, whatever its size.
            while len(planned) > 1 and _cost(planner, planned) > limit * 0.6:
                planned.remove(max(planned, key=lambda item: item.minutes))
            if planned and _cost(planner, planned) > limit * 0.6:
                planned[0].minutes = max(0, math.floor(limit * 0.6 * 60 / planner.hourly_cost))
                if planned[0].minutes == 0:
                    planned.clear()
        # A loss-making customer keeps its ordinary dialog: any service time then flags it.
        plan.interactions.extend(sorted(planned, key=lambda item: item.occurred_at))


def _cost(planner: Planner, planned: list[InteractionPlan]) -> float:
    return sum(item.minutes for item in planned) * planner.hourly_cost / 60


def _interaction(
    planner: Planner, plan: CustomerPlan, products: list[DemoProduct], year: int, *, time_thief: bool
) -> InteractionPlan:
    rng = planner.rng
    if time_thief:
        channel = rng.choices((Channel.PHONE, Channel.EMAIL, Channel.MEETING), weights=(6, 3, 1))[0]
        inbound = channel != Channel.MEETING
        minutes = {Channel.PHONE: rng.randint(25, 75), Channel.EMAIL: rng.randint(20, 45)}.get(channel, 90)
        template = rng.choice(TIME_THIEF_SUMMARIES)
    else:
        channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
        inbound = rng.random() < INBOUND_SHARE[channel]
        if channel == Channel.MEETING:
            minutes = rng.choice((30, 45, 60, 60, 90, 120))  # booked in calendar slots
        else:
            minutes = round(rng.triangular(*DURATIONS[channel]))
        template = rng.choice(SUMMARIES[channel][0 if inbound else 1])
    day = rng.choice(planner.dialog_days[year])
    # Nobody calls a supplier they have left, and it does not call them either.
    while day <= plan.since or day >= plan.left_on:
        day = rng.choice(planner.dialog_days[year])
    contact_index = rng.randrange(len(plan.contacts)) if plan.contacts and rng.random() < 0.9 else None
    # Outbound work is the account manager's; inbound cases land on whoever answers.
    logged_by = plan.account_manager
    if inbound or logged_by is None:
        logged_by = logged_by if logged_by and rng.random() < 0.5 else rng.choice(ACCOUNT_MANAGERS)[0]
    return InteractionPlan(
        contact_index=contact_index,
        channel=channel,
        direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
        occurred_at=planner.moment(day),
        minutes=minutes,
        summary=template.format(topic=rng.choice(products).topic),
        logged_by=logged_by,
    )
