"""The plan of one demo customer, made in memory before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass
class ContactPlan:
    name: str
    email: str
    phone: str
    role: str
    language: str
    opted_out_at: datetime | None


@dataclass
class LinePlan:
    sku: str
    day: date
    quantity: Decimal
    revenue_cents: int
    cost_cents: int


@dataclass
class InteractionPlan:
    contact_index: int | None
    channel: str
    direction: str
    occurred_at: datetime
    minutes: int
    summary: str
    logged_by: str | None


@dataclass
class CustomerPlan:
    external_id: str
    name: str
    org_number: str
    industry: str
    employees: int
    business_model: str
    region: str
    account_manager: str | None
    since: date = date.min  # a customer that arrived during the history has neither sales nor dialog before
    # A customer that left: no sales and no dialog on or after this day (the dashboard's churn table).
    left_on: date = date.max
    contacts: list[ContactPlan] = field(default_factory=list)
    lines: list[LinePlan] = field(default_factory=list)
    interactions: list[InteractionPlan] = field(default_factory=list)
