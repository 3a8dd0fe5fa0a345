"""factory_boy factories for every model tests build."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.types import User
from customers.models import Channel, Contact, Customer, Interaction, Product, RevenueLine
from customers.validators import org_number_check_digit
from followups.models import FollowUpTask
from surveys.models import (
    Category,
    Source,
    Survey,
    SurveyInvitation,
    SurveyKind,
    SurveyPolicy,
    SurveyResponse,
)


def valid_org_number(n: int) -> str:
    """A valid organisation number unique to n: 2n or 2n + 1 after a base (one of the two is valid)."""
    for base in (91_000_000 + 2 * n, 91_000_000 + 2 * n + 1):
        check = org_number_check_digit(f"{base:08d}")
        if check is not None:
            return f"{base:08d}{check}"
    raise AssertionError(f"no valid organisation number for {n}")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.no")
    password = factory.django.Password("pw")


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"K{n:06d}")
    name = factory.Sequence(lambda n: f"Kunde {n} AS")
    org_number = factory.Sequence(valid_org_number)
    industry = "Bygg og anlegg"
    employees = 25
    region = "Vestland"


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Kontakt {n}")
    email = factory.Sequence(lambda n: f"kontakt{n}@kunde.no")
    phone = "+47 400 00 000"


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"P-{n:04d}")
    name = factory.Sequence(lambda n: f"Produkt {n}")


class RevenueLineFactory(factory.django.DjangoModelFactory[RevenueLine]):
    class Meta:
        model = RevenueLine

    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    date = date(2026, 6, 1)
    quantity = Decimal(1)
    revenue = Decimal("1000.00")
    cost = Decimal("600.00")


class InteractionFactory(factory.django.DjangoModelFactory[Interaction]):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    channel = Channel.PHONE
    occurred_at = factory.LazyFunction(timezone.now)
    duration_minutes = 30


def active_survey(kind: str = SurveyKind.NPS) -> Survey:
    """The default survey the migration created for a kind."""
    return Survey.objects.get(kind=kind, is_active=True)


class SurveyInvitationFactory(factory.django.DjangoModelFactory[SurveyInvitation]):
    class Meta:
        model = SurveyInvitation

    survey = factory.LazyFunction(active_survey)
    contact = factory.SubFactory(ContactFactory)
    customer = factory.LazyAttribute(lambda i: i.contact.customer)
    trigger = "manual"
    trigger_key = factory.Sequence(lambda n: f"manual:test-{n}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class SurveyResponseFactory(factory.django.DjangoModelFactory[SurveyResponse]):
    """A stored response. Building one does not queue a follow-up: use surveys.services.record_response
    for the real path."""

    class Meta:
        model = SurveyResponse

    kind = SurveyKind.NPS
    survey = factory.LazyAttribute(lambda r: active_survey(r.kind))
    contact = factory.SubFactory(ContactFactory)
    customer = factory.LazyAttribute(lambda r: r.contact.customer)
    score = 9
    category = factory.LazyAttribute(lambda r: SurveyPolicy.current().categorize(r.kind, r.score))
    source = Source.API
    submitted_at = factory.LazyFunction(timezone.now)


class FollowUpTaskFactory(factory.django.DjangoModelFactory[FollowUpTask]):
    class Meta:
        model = FollowUpTask

    response = factory.SubFactory(SurveyResponseFactory, score=3, category=Category.DETRACTOR)
    customer = factory.LazyAttribute(lambda t: t.response.customer)
    contact = factory.LazyAttribute(lambda t: t.response.contact)
    tier = factory.LazyAttribute(lambda t: t.customer.tier)
    priority = 3
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
