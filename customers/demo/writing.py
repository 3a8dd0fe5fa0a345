"""Writing a demo plan to the database with bulk inserts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from customers.models import Contact, Customer, Interaction, RevenueLine

from .accounts import ensure_account_managers
from .catalogue import ensure_products
from .plans import CustomerPlan

# SQLite allows 32 766 bound parameters per statement; 1 000 rows of the widest model stay well inside.
BATCH_SIZE = 1000


@dataclass(frozen=True)
class DemoSeedResult:
    customers: int
    contacts: int
    products: int
    revenue_lines: int
    interactions: int
    account_managers: int


def write_plans(plans: list[CustomerPlan]) -> DemoSeedResult:
    managers = ensure_account_managers()
    products = ensure_products()
    customers = [
        Customer(
            external_id=p.external_id,
            name=p.name,
            org_number=p.org_number,
            industry=p.industry,
            employees=p.employees,
            business_model=p.business_model,
            region=p.region,
            account_manager=managers.get(p.account_manager) if p.account_manager else None,
        )
        for p in plans
    ]
    # Both backends return the new primary keys from a bulk insert (SQLite >= 3.35 via RETURNING).
    Customer.objects.bulk_create(customers, batch_size=BATCH_SIZE)
    contacts = [
        [
            Contact(
                customer=customer,
                name=c.name,
                email=c.email,
                phone=c.phone,
                role=c.role,
                language=c.language,
                opted_out=c.opted_out_at is not None,
                opted_out_at=c.opted_out_at,
            )
            for c in plan.contacts
        ]
        for plan, customer in zip(plans, customers, strict=True)
    ]
    Contact.objects.bulk_create([c for group in contacts for c in group], batch_size=BATCH_SIZE)
    lines = [
        RevenueLine(
            customer_id=customer.pk,
            product_id=products[line.sku].pk,
            date=line.day,
            quantity=line.quantity,
            revenue=Decimal(line.revenue_cents).scaleb(-2),
            cost=Decimal(line.cost_cents).scaleb(-2),
        )
        for plan, customer in zip(plans, customers, strict=True)
        for line in plan.lines
    ]
    RevenueLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)
    interactions = [
        Interaction(
            customer_id=customer.pk,
            contact_id=group[item.contact_index].pk if item.contact_index is not None else None,
            channel=item.channel,
            direction=item.direction,
            occurred_at=item.occurred_at,
            duration_minutes=item.minutes,
            summary=item.summary,
            logged_by_id=managers[item.logged_by].pk if item.logged_by else None,
        )
        for plan, customer, group in zip(plans, customers, contacts, strict=True)
        for item in plan.interactions
    ]
    Interaction.objects.bulk_create(interactions, batch_size=BATCH_SIZE)
    return DemoSeedResult(
        customers=len(customers),
        contacts=sum(len(group) for group in contacts),
        products=len(products),
        revenue_lines=len(lines),
        interactions=len(interactions),
        account_managers=len(managers),
    )
