import hashlib
import itertools
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Avg, Count, Max, Min
from django.utils import timezone

from customers.models import (
    Contact,
    Customer,
    Interaction,
    Language,
    Product,
    RecalculationRun,
    RevenueLine,
    Tier,
    TierChange,
)
from customers.validators import is_valid_org_number
from customers.windows import add_months

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Every seed hashes the demo password; the production hasher's work factor is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def demo_debug(settings):
    # seed_demo loads the zero-config demo, which runs with DEBUG on; with DEBUG off it refuses
    # (tests/test_seed_demo_guard.py), and pytest-django turns DEBUG off.
    settings.DEBUG = True


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def database_fingerprint() -> str:
    """A checksum of everything the seed writes, independent of primary keys and creation times."""
    customers = Customer.objects.order_by("external_id").values_list(
        "external_id", "name", "org_number", "industry", "employees", "business_model", "region",
        "account_manager__username", "tier", "revenue_12m", "contribution_margin_12m", "service_minutes_12m",
        "time_cost_flag",
    )  # fmt: skip
    contacts = Contact.objects.order_by("customer__external_id", "email").values_list(
        "customer__external_id", "name", "email", "phone", "role", "language", "opted_out", "opted_out_at"
    )
    lines = RevenueLine.objects.order_by(
        "customer__external_id", "date", "product__sku", "revenue"
    ).values_list("customer__external_id", "product__sku", "date", "quantity", "revenue", "cost")
    interactions = Interaction.objects.order_by("customer__external_id", "occurred_at", "summary").values_list(
        "customer__external_id", "contact__email", "channel", "direction", "occurred_at", "duration_minutes",
        "summary", "logged_by__username",
    )  # fmt: skip
    from surveys.models import SurveyResponse

    answers = SurveyResponse.objects.order_by(
        "customer__external_id", "contact__email", "submitted_at", "kind"
    ).values_list(
        "customer__external_id", "contact__email", "kind", "score", "comment", "category", "submitted_at",
        "invitation__trigger", "invitation__sent_at",
    )  # fmt: skip
    text = repr([list(qs) for qs in (customers, contacts, lines, interactions, answers)])
    return hashlib.sha256(text.encode()).hexdigest()


def delete_demo_data() -> None:
    from followups.models import FollowUpNote, FollowUpTask
    from surveys.models import SurveyInvitation, SurveyResponse, SurveySuppression

    # Children first: follow-ups protect their responses, lines and answers protect their customers.
    for model in (
        FollowUpNote,
        FollowUpTask,
        SurveySuppression,
        SurveyResponse,
        SurveyInvitation,
        Interaction,
        RevenueLine,
        TierChange,
        RecalculationRun,
        Contact,
        Customer,
        Product,
    ):
        model.objects.all().delete()


def test_seeded_customers_have_valid_unique_organisation_numbers():
    seed("--customers", "30")

    numbers = list(Customer.objects.values_list("org_number", flat=True))
    assert len(numbers) == 30
    assert all(is_valid_org_number(number) for number in numbers)
    assert len(set(numbers)) == 30


def test_every_seeded_customer_has_one_to_four_contacts_with_norwegian_phone_numbers():
    seed("--customers", "30")

    counts = Customer.objects.annotate(n=Count("contacts")).aggregate(low=Min("n"), high=Max("n"))
    assert counts["low"] >= 1
    assert counts["high"] <= 4
    assert not Contact.objects.exclude(phone__startswith="+47 ").exists()
    assert not Contact.objects.filter(email="").exists()
    assert (
        Contact.objects.filter(language=Language.NB).count()
        > Contact.objects.filter(language=Language.EN).count()
    )


def test_revenue_lines_span_the_two_years_up_to_today_in_oslo():
    seed("--customers", "30")

    today = timezone.localdate()
    span = RevenueLine.objects.aggregate(first=Min("date"), last=Max("date"))
    assert span["first"] <= add_months(today, -23)
    assert span["first"] > add_months(today, -24)
    assert span["last"] <= today
    assert span["last"] >= add_months(today, -1)


def test_every_interaction_lies_in_the_past():
    seed("--customers", "30")

    assert Interaction.objects.exists()
    assert not Interaction.objects.filter(occurred_at__gte=timezone.now()).exists()


def test_a_small_seed_still_has_a_time_thief():
    seed("--customers", "30")

    assert Customer.objects.filter(time_cost_flag=True).exists()


def test_default_seed_has_a_believable_tier_mix_time_thieves_and_loss_makers():
    output = seed()

    total = Customer.objects.count()
    tiers = dict(Customer.objects.values_list("tier").annotate(n=Count("pk")))
    assert total == 300
    assert 0.10 * total <= tiers[Tier.A] <= 0.20 * total
    assert 0.20 * total <= tiers[Tier.B] <= 0.30 * total
    assert tiers[Tier.C] == total - tiers[Tier.A] - tiers[Tier.B]
    assert 5 <= Customer.objects.filter(time_cost_flag=True).count() <= 0.15 * total
    assert Customer.objects.filter(contribution_margin_12m__lt=0).exists()
    assert Customer.objects.filter(account_manager__isnull=True).exists()
    assert Customer.objects.filter(account_manager__isnull=False).count() > 0.75 * total
    assert Product.objects.count() == 25
    assert f"tiers:            A {tiers[Tier.A]}, B {tiers[Tier.B]}, C {tiers[Tier.C]}" in output


def test_account_managers_are_four_named_staff_users_in_the_account_managers_group():
    seed("--customers", "30")

    managers = get_user_model().objects.filter(managed_customers__isnull=False).distinct()
    assert 1 <= managers.count() <= 4
    assert all(m.is_staff and not m.is_superuser and m.first_name and m.last_name for m in managers)
    assert set(managers.values_list("groups__name", flat=True)) == {"Account managers"}
    assert get_user_model().objects.filter(is_staff=True, is_superuser=False).count() == 4


def test_demo_superuser_can_log_in_with_the_printed_password(client):
    output = seed("--customers", "30")

    demo = get_user_model().objects.get(username="demo")
    assert demo.is_superuser
    assert demo.is_staff
    assert "demo / demo" in output
    assert client.login(username="demo", password="demo")


def test_an_existing_demo_user_keeps_its_password():
    get_user_model().objects.create_user(username="demo", password="changed-on-purpose")

    seed("--customers", "30")

    assert get_user_model().objects.get(username="demo").check_password("changed-on-purpose")


def test_if_empty_on_an_empty_database_seeds_it():
    seed("--if-empty", "--customers", "30")

    assert Customer.objects.count() == 30


def test_if_empty_on_a_seeded_database_creates_nothing_new():
    seed("--customers", "30")
    counts_before = [m.objects.count() for m in (Customer, Contact, Product, RevenueLine, Interaction)]
    users_before = get_user_model().objects.count()

    output = seed("--if-empty", "--customers", "30")

    assert [
        m.objects.count() for m in (Customer, Contact, Product, RevenueLine, Interaction)
    ] == counts_before
    assert get_user_model().objects.count() == users_before
    assert "not loaded" in output


def test_seeding_a_database_that_has_customers_fails_and_adds_nothing():
    seed("--customers", "30")

    with pytest.raises(CommandError, match="already has customers"):
        seed("--customers", "30")

    assert Customer.objects.count() == 30


def test_customers_must_be_a_positive_number():
    with pytest.raises(CommandError, match="at least 1"):
        seed("--customers", "0")


@time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=OSLO), tick=False)
def test_the_same_seed_gives_the_same_data_and_another_seed_does_not():
    seed("--customers", "30")
    first = database_fingerprint()
    delete_demo_data()

    seed("--customers", "30")
    second = database_fingerprint()
    delete_demo_data()
    seed("--customers", "30", "--seed", "7")
    other = database_fingerprint()

    assert timezone.localdate() == date(2026, 11, 23)
    assert second == first
    assert other != first


def test_the_demo_has_survey_answers_and_a_queue_to_work():
    from followups.models import FollowUpTask
    from surveys.models import Category, SurveyResponse

    call_command("seed_demo", "--customers", "60", stdout=StringIO())

    assert SurveyResponse.objects.filter(category=Category.DETRACTOR).exists()
    assert SurveyResponse.objects.filter(category=Category.PROMOTER).exists()
    assert FollowUpTask.objects.active().exists()
    assert not SurveyResponse.objects.detractors().filter(followup__isnull=True).exists()


def test_the_demo_has_csat_and_ces_answers_the_day_after_service_cases_within_the_cool_down():
    from followups.dashboard.filters import DashboardFilters
    from followups.dashboard.selectors import score_trends
    from surveys.models import SCALES, SurveyInvitation, SurveyKind, SurveyPolicy, SurveyResponse, Trigger

    seed("--customers", "60")

    trends = score_trends(DashboardFilters.default())
    for kind in (SurveyKind.CSAT, SurveyKind.CES):
        months = trends[kind]
        # Spread over the year, so the trend chart has a line and not a dot.
        assert sum(month.responses for month in months) >= 15
        assert sum(month.responses > 0 for month in months) >= 6
        low, high = SCALES[kind]
        scores = set(SurveyResponse.objects.filter(kind=kind).values_list("score", flat=True))
        assert min(scores) >= low
        assert max(scores) <= high
        assert len(scores) >= 3
    # Categorised by the survey policy as the app does, so the unhappy ones got a follow-up too.
    policy = SurveyPolicy.current()
    service = SurveyResponse.objects.filter(kind__in=[SurveyKind.CSAT, SurveyKind.CES])
    assert all(policy.categorize(r.kind, r.score) == r.category for r in service)
    assert not service.detractors().filter(followup__isnull=True).exists()
    assert service.detractors().exists()
    assert service.exclude(comment="").exists()

    # Each sent by hand the day after an inbound interaction of the same contact.
    invitations = list(SurveyInvitation.objects.filter(survey__kind__in=[SurveyKind.CSAT, SurveyKind.CES]))
    assert len(invitations) > service.count()  # not everyone answers: the response rate stays honest
    cases = Interaction.objects.in_bulk(
        [int(invitation.trigger_key.removeprefix("manual:case:")) for invitation in invitations]
    )
    for invitation in invitations:
        case = cases[int(invitation.trigger_key.removeprefix("manual:case:"))]
        assert invitation.trigger == Trigger.MANUAL
        assert case.direction == "inbound"
        assert case.contact_id == invitation.contact_id
        assert invitation.sent_at is not None
        assert timezone.localdate(invitation.sent_at) - timezone.localdate(case.occurred_at) == timedelta(
            days=1
        )
    assert not SurveyResponse.objects.filter(invitation__isnull=True).exists()
    assert not SurveyResponse.objects.filter(invitation__responded_at__isnull=True).exists()

    # No contact is asked twice within the cool-down, whatever the survey.
    sent: dict[int, list[datetime]] = {}
    for contact_id, sent_at in SurveyInvitation.objects.order_by("contact_id", "sent_at").values_list(
        "contact_id", "sent_at"
    ):
        sent.setdefault(contact_id, []).append(sent_at)
    gaps = [later - earlier for times in sent.values() for earlier, later in itertools.pairwise(times)]
    assert gaps
    assert min(gaps) >= timedelta(days=policy.cooldown_days - 1)


def test_the_default_demo_has_churned_customers_mostly_small_some_unhappy_before_leaving():
    from followups.dashboard.filters import DashboardFilters
    from followups.dashboard.selectors import churn
    from surveys.models import SurveyInvitation, SurveyKind, SurveyResponse, Trigger

    seed()

    lost = churn(DashboardFilters.default())
    total = Customer.objects.count()
    assert 0.03 * total <= lost.total.customers <= 0.06 * total
    assert lost.tiers[Tier.C].customers > lost.tiers[Tier.A].customers
    assert lost.total.revenue_lost > 0
    # Some of them said so before they went.
    assert lost.total.detractors >= 1
    assert lost.total.detractors > lost.total.promoters
    # They stopped buying, and nobody called or asked them in the months since; no survey "after a
    # purchase" came later than their last purchase.
    gone = list(
        Customer.objects.annotate(last=Max("revenue_lines__date"))
        .filter(last__lt=lost.quiet_since)
        .values_list("pk", "last")
    )
    assert len(gone) == lost.total.customers
    for pk, last in gone:
        assert not Interaction.objects.filter(
            customer_id=pk, occurred_at__date__gte=lost.quiet_since
        ).exists()
        invitations = SurveyInvitation.objects.filter(customer_id=pk)
        assert not invitations.filter(sent_at__date__gte=lost.quiet_since).exists()
        assert not invitations.filter(trigger=Trigger.PURCHASE, sent_at__date__gt=last).exists()
    # The economics still hold the tier shares the plan aimed at (a year's revenue before leaving).
    tiers = dict(Customer.objects.values_list("tier").annotate(n=Count("pk")))
    assert (tiers[Tier.A], tiers[Tier.B], tiers[Tier.C]) == (45, 75, 180)
    # Service feedback is better where the accounts are bigger, on both scales.
    rows = (
        SurveyResponse.objects.filter(kind__in=[SurveyKind.CSAT, SurveyKind.CES])
        .values_list("kind", "customer__tier")
        .annotate(mean=Avg("score"))
        .values_list("kind", "customer__tier", "mean")
    )
    averages = {(kind, tier): mean for kind, tier, mean in rows}
    for kind in (SurveyKind.CSAT, SurveyKind.CES):
        assert averages[(kind, Tier.A)] > averages[(kind, Tier.C)]
