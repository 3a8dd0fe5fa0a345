"""The interaction add form as other pages link to it: prefilled from the URL by the policy, the
duration rule, and the way back to `next` (the contract the customer page's "log a call" uses)."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from customers.models import Channel, Interaction
from tests.factories import ContactFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:customers_interaction_add")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def manager(username: str) -> User:
    user = UserFactory.create(username=username, is_staff=True, first_name=username.capitalize())
    user.groups.add(Group.objects.get(name="Account managers"))
    return user


@pytest.fixture
def kari() -> User:
    return manager("kari")


@pytest.fixture
def ola() -> User:
    return manager("ola")


def add_url(**params: object) -> str:
    return f"{ADD_URL}?{urlencode(params)}"


def initial_of(client: Client, url: str) -> dict[str, object]:
    response = client.get(url, secure=True)
    assert response.status_code == 200
    return response.context["adminform"].form.initial


def posted(customer_pk: int, **fields: object) -> dict[str, object]:
    when = timezone.localtime() - timedelta(minutes=5)
    return {
        "customer": customer_pk,
        "channel": Channel.PHONE,
        "direction": "outbound",
        "occurred_at_0": when.strftime("%Y-%m-%d"),
        "occurred_at_1": when.strftime("%H:%M:%S"),
        "duration_minutes": "15",
        "summary": "Ringte om leveransen.",
        **fields,
    }


def test_the_add_form_is_prefilled_from_customer_contact_and_channel(client, kari):
    customer = CustomerFactory.create(account_manager=kari)
    contact = ContactFactory.create(customer=customer)
    client.force_login(kari)

    initial = initial_of(
        client, add_url(customer=customer.pk, contact=contact.pk, channel="meeting", next="/x/")
    )

    assert (initial["customer"], initial["contact"], initial["channel"]) == (
        customer.pk,
        contact.pk,
        "meeting",
    )
    assert initial["direction"] == "outbound"
    assert initial["logged_by"] == kari.pk
    assert initial["duration_minutes"] is None
    assert "next" not in initial


def test_a_customer_the_user_does_not_manage_and_a_foreign_contact_are_not_prefilled(client, kari, ola):
    olas = CustomerFactory.create(account_manager=ola)
    mine = CustomerFactory.create(account_manager=kari)
    client.force_login(kari)

    not_mine = initial_of(client, add_url(customer=olas.pk, contact=ContactFactory.create(customer=olas).pk))
    foreign_contact = initial_of(
        client, add_url(customer=mine.pk, contact=ContactFactory.create(customer=olas).pk, channel="fax")
    )

    assert "customer" not in not_mine
    assert "contact" not in not_mine
    assert foreign_contact["customer"] == mine.pk
    assert "contact" not in foreign_contact
    assert "channel" not in foreign_contact


def test_saving_returns_to_next_on_this_site(client, kari):
    customer = CustomerFactory.create(account_manager=kari)
    back = reverse("admin:customers_customer_change", args=[customer.pk])
    client.force_login(kari)

    response = client.post(add_url(customer=customer.pk, next=back), posted(customer.pk), secure=True)

    assert response.status_code == 302
    assert response["Location"] == back
    assert Interaction.objects.get().customer == customer


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_a_next_off_this_site_is_ignored_for_the_usual_redirect(client, kari, target):
    customer = CustomerFactory.create(account_manager=kari)
    client.force_login(kari)

    response = client.post(add_url(next=target), posted(customer.pk), secure=True)

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert Interaction.objects.filter(customer=customer).exists()


@pytest.mark.parametrize("duration", ["0", ""])
def test_a_call_of_no_duration_is_refused_with_the_field_named(client, kari, duration):
    customer = CustomerFactory.create(account_manager=kari)
    client.force_login(kari)

    response = client.post(
        add_url(next="/admin/"), posted(customer.pk, duration_minutes=duration), secure=True
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["duration_minutes"] == [
        "Duration (minutes) is required for calls and meetings: enter more than 0."
    ]
    assert not Interaction.objects.exists()


def test_an_email_is_saved_without_a_duration(client, kari):
    customer = CustomerFactory.create(account_manager=kari)
    client.force_login(kari)

    client.post(ADD_URL, posted(customer.pk, channel=Channel.EMAIL, duration_minutes=""), secure=True)

    assert Interaction.objects.get().duration_minutes == 0


def test_a_forged_post_for_another_managers_customer_saves_nothing(client, kari, ola):
    olas = CustomerFactory.create(account_manager=ola)
    client.force_login(kari)

    response = client.post(add_url(next="/admin/"), posted(olas.pk), secure=True)

    assert response.status_code == 200
    assert "customer" in response.context["adminform"].form.errors
    assert not Interaction.objects.exists()
