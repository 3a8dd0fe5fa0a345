"""Builders and request helpers of the sales API tests."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import Customer, CustomerProduct, Product, ProductAffinity
from surveys.models import CustomerSatisfaction
from tests.factories import CustomerFactory, ProductFactory


def token_client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def get(client: APIClient, url: str, params: Any = None, **extra: Any) -> Any:
    # secure: production settings (the tests' defaults) redirect plain HTTP to HTTPS.
    return client.get(url, params, secure=True, **extra)


def satisfied(
    customer: Customer, nps: int | None, at: datetime | None = None, account_nps: str | None = None
) -> Customer:
    """Give a customer its satisfaction read model row (as surveys.services would keep it)."""
    CustomerSatisfaction.objects.update_or_create(
        customer=customer,
        defaults={
            "latest_nps": nps,
            "latest_nps_at": at or (timezone.now() if nps is not None else None),
            "account_nps": Decimal(account_nps) if account_nps is not None else None,
        },
    )
    return customer


def hold(customer: Customer, *products: Product) -> Customer:
    for product in products:
        CustomerProduct.objects.create(
            customer=customer, product=product, revenue_12m=Decimal("1000.00"), last_purchase=date(2026, 6, 1)
        )
    return customer


def affinity(from_product: Product, to_product: Product, lift: str) -> ProductAffinity:
    return ProductAffinity.objects.create(
        from_product=from_product,
        to_product=to_product,
        holders_from=100,
        holders_both=30,
        confidence=Decimal("0.3000"),
        lift=Decimal(lift),
        as_of=date(2026, 11, 1),
    )


def customer(**fields: Any) -> Customer:
    return CustomerFactory.create(**fields)


def product(sku: str) -> Product:
    return ProductFactory.create(sku=sku, name=f"Produkt {sku}")
