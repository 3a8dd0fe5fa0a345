"""Seeding: plan the demo customer base from a seed, then write it, in one transaction."""

from __future__ import annotations

import random
from datetime import date

from django.db import transaction
from django.utils import timezone

from customers.models import Customer, TierPolicy

from .planner import Planner
from .writing import DemoSeedResult, write_plans


class DemoDataExists(Exception):
    """The database already holds customers; demo rows mixed into them could not be told apart."""


def seed_demo_data(*, customers: int = 300, seed: int = 42, today: date | None = None) -> DemoSeedResult:
    """Fill a database without customers with the demo customer base, in one transaction.

    Raises DemoDataExists when any customer exists. Account managers and products that already exist
    (matched by username and SKU) are reused, not duplicated.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        # Checked inside the transaction; two seeds racing on PostgreSQL both pass it, and the second
        # then fails on the unique external IDs and rolls back whole.
        if Customer.objects.exists():
            raise DemoDataExists("The database already has customers; the demo data goes into an empty one.")
        policy = TierPolicy.current()
        plans = Planner(
            random.Random(seed),  # noqa: S311 -- reproducible demo data, not security
            today=today,
            hourly_cost=float(policy.hourly_service_cost),
            time_cost_share=float(policy.time_cost_share_pct) / 100,
            a_threshold=float(policy.a_threshold),
            b_threshold=float(policy.b_threshold),
        ).plan(customers)
        return write_plans(plans)
