"""Who may do what to contacts and interactions in the admin: every role over every action.

The rules (customers.policy), restated here on their own so the test does not borrow the code's word:
everyone with the view permission sees every contact and interaction; changing or adding needs the
model permission and, for account managers, a customer they manage; leads and superusers change all;
Sales change nothing. Kari manages one customer and Ola the other, so for each of them one customer
is their own and one another manager's. Every refused request leaves the database as it was.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import Forbidden
from core.types import User
from customers.models import Contact, Customer, Interaction
from customers.policy import contact_policy, interaction_policy
from tests.customers.test_admin import change_form_data
from tests.factories import ContactFactory, CustomerFactory, InteractionFactory, UserFactory
from tests.types import ClientResponse

pytestmark = pytest.mark.django_db

ROLES = ["superuser", "lead", "kari", "ola", "sales", "anonymous"]
# Kari and Ola are account managers; "kari" and "ola" as customers are the ones each manages.
CUSTOMERS = ["kari", "ola"]
OTHER = {"kari": "ola", "ola": "kari"}
LOGIN = reverse("admin:login")


def may_view(role: str) -> bool:
    return role != "anonymous"


def may_change(role: str, customer: str) -> bool:
    """The policy, stated for this test: contacts and interactions of `customer`."""
    if role in {"superuser", "lead"}:
        return True
    return role == customer


def may_add_at_all(role: str) -> bool:
    return role in {"superuser", "lead", "kari", "ola"}


class World:
    """Two account managers with a customer each, a contact and an interaction on each customer."""

    def __init__(self) -> None:
        self.users: dict[str, User | None] = {
            "superuser": UserFactory.create(username="root", is_staff=True, is_superuser=True),
            "lead": staff_in("Follow-up leads", "lise"),
            "kari": staff_in("Account managers", "kari"),
            "ola": staff_in("Account managers", "ola"),
            "sales": staff_in("Sales", "selger"),
            "anonymous": None,
        }
        self.customers = {
            name: CustomerFactory.create(name=f"{name.title()}s kunde", account_manager=self.users[name])
            for name in CUSTOMERS
        }
        self.contacts = {name: ContactFactory.create(customer=self.customers[name]) for name in CUSTOMERS}
        self.interactions = {
            name: InteractionFactory.create(customer=self.customers[name], contact=self.contacts[name])
            for name in CUSTOMERS
        }

    def client_for(self, role: str) -> Client:
        client = Client()
        user = self.users[role]
        if user is not None:
            client.force_login(user)
        return client


def staff_in(group: str, username: str) -> User:
    user: User = UserFactory.create(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def world() -> World:
    return World()


def snapshot() -> tuple[list[Any], ...]:
    """Every row the admin actions here could touch, to compare before and after a refusal."""
    return (
        list(Contact.objects.order_by("pk").values()),
        list(Interaction.objects.order_by("pk").values()),
        list(Customer.objects.order_by("pk").values()),
    )


def get(client: Client, url: str, **params: Any) -> ClientResponse:
    return client.get(url, params, secure=True)


def post(client: Client, url: str, data: dict[str, Any]) -> ClientResponse:
    return client.post(url, data, secure=True)


def contact_data(contact: Contact, **changes: Any) -> dict[str, Any]:
    return {
        "customer": contact.customer_id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "role": contact.role,
        "language": contact.language,
        **changes,
    }


def new_contact_data(customer: Customer) -> dict[str, Any]:
    return {"customer": customer.pk, "name": "Ny Kontakt", "email": "ny@kunde.no", "language": "nb"}


def interaction_data(customer: Customer, contact: Contact | None, **changes: Any) -> dict[str, Any]:
    return {
        "customer": customer.pk,
        "contact": contact.pk if contact else "",
        "channel": "phone",
        "direction": "inbound",
        "occurred_at_0": "2026-06-01",
        "occurred_at_1": "10:00:00",
        "duration_minutes": 15,
        "summary": "Ringte om faktura",
        **changes,
    }


def customer_page_data(world: World, customer: Customer, **changes: Any) -> dict[str, Any]:
    """What the browser posts back from the customer page, inlines included, as a superuser sees it."""
    return change_form_data(world.client_for("superuser"), customer_url(customer), **changes)


def customer_url(customer: Customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


def contact_url(contact: Contact) -> str:
    return reverse("admin:customers_contact_change", args=[contact.pk])


def interaction_url(interaction: Interaction) -> str:
    return reverse("admin:customers_interaction_change", args=[interaction.pk])


def assert_sent_to_login(response: ClientResponse) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def assert_refused(
    response: ClientResponse, role: str, before: tuple[Any, ...], *, by_the_customer_choice: bool = False
) -> None:
    """Refused, and nothing changed: the login page for anonymous, else 403, or for a forged customer
    choice the form again with the error on that field."""
    if not may_view(role):
        assert_sent_to_login(response)
    elif by_the_customer_choice:
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["customer"]
    else:
        assert response.status_code == 403
    assert snapshot() == before


def contacts_inline(response: ClientResponse) -> Any:
    (inline,) = [
        inline for inline in response.context["inline_admin_formsets"] if inline.opts.model is Contact
    ]
    return inline


# --- contacts


@pytest.mark.parametrize("role", ROLES)
def test_the_contact_list_shows_every_contact_to_whoever_may_view(world: World, role: str) -> None:
    response = get(world.client_for(role), reverse("admin:customers_contact_changelist"))

    if not may_view(role):
        assert_sent_to_login(response)
        return
    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == set(world.contacts.values())


@pytest.mark.parametrize("customer", CUSTOMERS)
@pytest.mark.parametrize("role", ROLES)
def test_the_contact_page_is_editable_exactly_for_those_who_may_change_it(
    world: World, role: str, customer: str
) -> None:
    response = get(world.client_for(role), contact_url(world.contacts[customer]))

    if not may_view(role):
        assert_sent_to_login(response)
        return
    assert response.status_code == 200
    assert ('name="_save"' in response.content.decode()) is may_change(role, customer)


@pytest.mark.parametrize("customer", CUSTOMERS)
@pytest.mark.parametrize("role", ROLES)
def test_posting_a_contact_change_saves_only_for_those_who_may_change_it(
    world: World, role: str, customer: str
) -> None:
    contact = world.contacts[customer]
    before = snapshot()

    response = post(world.client_for(role), contact_url(contact), contact_data(contact, name="Endret"))

    if may_change(role, customer):
        assert response.status_code == 302
        assert Contact.objects.get(pk=contact.pk).name == "Endret"
        return
    assert_refused(response, role, before)


@pytest.mark.parametrize("customer", CUSTOMERS)
@pytest.mark.parametrize("role", ROLES)
def test_moving_a_contact_to_another_customer_needs_both_customers(
    world: World, role: str, customer: str
) -> None:
    contact, target = world.contacts[customer], world.customers[OTHER[customer]]
    before = snapshot()

    response = post(world.client_for(role), contact_url(contact), contact_data(contact, customer=target.pk))

    if may_change(role, customer) and may_change(role, OTHER[customer]):
        assert response.status_code == 302
        assert Contact.objects.get(pk=contact.pk).customer == target
        return
    # A forged choice: the form offers only the user's own customers and refuses the other.
    assert_refused(response, role, before, by_the_customer_choice=may_change(role, customer))


@pytest.mark.parametrize("customer", CUSTOMERS)
@pytest.mark.parametrize("role", ROLES)
def test_adding_a_contact_needs_a_customer_the_user_manages(world: World, role: str, customer: str) -> None:
    before = snapshot()

    response = post(
        world.client_for(role),
        reverse("admin:customers_contact_add"),
        new_contact_data(world.customers[customer]),
    )

    if may_change(role, customer) and may_add_at_all(role):
        assert response.status_code == 302
        assert Contact.objects.filter(customer=world.customers[customer], name="Ny Kontakt").exists()
        return
    assert_refused(response, role, before, by_the_customer_choice=may_add_at_all(role))


# --- interactions


@pytest.mark.parametrize("customer", CUSTOMERS)
@pytest.mark.parametrize("role", ROLES)
def test_logging_an_interaction_needs_a_customer_the_user_manages(
    world: World, role: str, customer: str
) -> None:
    before = snapshot()

    response = post(
        world.client_for(role),
        reverse("admin:customers_interaction_add"),
        interaction_data(world.customers[customer], world.contacts[customer]),
    )

    if may_change(role, customer) and may_add_at_all(role):
        assert response.status_code == 302
        assert (
            Interaction.objects.filter(summary="Ringte om faktura").get().customer
            == world.customers[customer]
        )
        return
    assert_refused(response, role, before, by_the_customer_choice=may_add_at_all(role))


@pytest.mark.parametrize("customer", CUSTOMERS)
@pytest.mark.parametrize("role", ROLES)
def test_posting_an_interaction_change_saves_only_for_those_who_may_change_it(
    world: World, role: str, customer: str
) -> None:
    interaction = world.interactions[customer]
    before = snapshot()

    response = post(
        world.client_for(role),
        interaction_url(interaction),
        interaction_data(world.customers[customer], world.contacts[customer], summary="Endret"),
    )

    if may_change(role, customer):
        assert response.status_code == 302
        assert Interaction.objects.get(pk=interaction.pk).summary == "Endret"
        return
    assert_refused(response, role, before)


# --- the contacts on the customer page


@pytest.mark.parametrize("customer", CUSTOMERS)
@pytest.mark.parametrize("role", ROLES)
def test_the_customer_page_shows_the_contacts_editable_only_to_whoever_may_change_the_customer(
    world: World, role: str, customer: str
) -> None:
    response = get(world.client_for(role), customer_url(world.customers[customer]))

    if not may_view(role):
        assert_sent_to_login(response)
        return
    assert response.status_code == 200
    # No role but the superuser may change the customer itself, and a read-only page has
    # read-only inlines.
    assert contacts_inline(response).has_change_permission is (role == "superuser")


@pytest.mark.parametrize("customer", CUSTOMERS)
@pytest.mark.parametrize("role", ROLES)
def test_editing_a_contact_on_the_customer_page_needs_the_customer_change_permission(
    world: World, role: str, customer: str
) -> None:
    data = customer_page_data(world, world.customers[customer], **{"contacts-0-name": "Endret"})
    before = snapshot()

    response = post(world.client_for(role), customer_url(world.customers[customer]), data)

    if role == "superuser":
        assert response.status_code == 302
        assert Contact.objects.get(pk=world.contacts[customer].pk).name == "Endret"
        return
    assert_refused(response, role, before)


@pytest.fixture
def may_change_customers(world: World) -> None:
    """Give every staff role the customer change permission, so that only the contacts' rules decide."""
    permission = Permission.objects.get(content_type__app_label="customers", codename="change_customer")
    for role in ("lead", "kari", "ola", "sales"):
        user = world.users[role]
        assert user is not None
        user.user_permissions.add(permission)


@pytest.mark.usefixtures("may_change_customers")
@pytest.mark.parametrize("customer", CUSTOMERS)
@pytest.mark.parametrize("role", ["lead", "kari", "ola", "sales"])
def test_with_the_customer_editable_the_contacts_inline_follows_the_contact_rules(
    world: World, role: str, customer: str
) -> None:
    page = get(world.client_for(role), customer_url(world.customers[customer]))

    assert page.status_code == 200
    assert contacts_inline(page).has_change_permission is may_change(role, customer)


@pytest.mark.usefixtures("may_change_customers")
@pytest.mark.parametrize("customer", CUSTOMERS)
@pytest.mark.parametrize("role", ["lead", "kari", "ola", "sales"])
def test_a_contact_edit_posted_with_the_customer_saves_only_for_those_who_may_change_contacts(
    world: World, role: str, customer: str
) -> None:
    contact = world.contacts[customer]
    data = customer_page_data(
        world,
        world.customers[customer],
        **{
            "contacts-0-name": "Endret",
            "contacts-1-name": "Smuglet inn",
            "contacts-1-language": "nb",
            "contacts-TOTAL_FORMS": "2",
        },
    )
    contacts_before = snapshot()[0]

    response = post(world.client_for(role), customer_url(world.customers[customer]), data)

    # The customer form itself is the user's to save; the contacts are the policy's.
    assert response.status_code == 302
    if may_change(role, customer):
        assert Contact.objects.get(pk=contact.pk).name == "Endret"
        assert Contact.objects.filter(customer=world.customers[customer], name="Smuglet inn").exists()
    else:
        assert snapshot()[0] == contacts_before


# --- the policy and what the admin offers


@pytest.mark.parametrize("role", ["superuser", "lead", "kari", "ola", "sales"])
def test_the_admin_offers_to_change_exactly_what_the_policy_allows(world: World, role: str) -> None:
    user = world.users[role]
    assert user is not None
    client = world.client_for(role)

    for customer in CUSTOMERS:
        contact, interaction = world.contacts[customer], world.interactions[customer]
        contact_page = get(client, contact_url(contact)).content.decode()
        interaction_page = get(client, interaction_url(interaction)).content.decode()

        assert ('name="_save"' in contact_page) is contact_policy.can_change(user, contact)
        assert ('name="_save"' in interaction_page) is interaction_policy.can_change(user, interaction)
        assert contact_policy.can_change(user, contact) is may_change(role, customer)


@pytest.mark.parametrize("model", ["contact", "interaction"])
@pytest.mark.parametrize("role", ["superuser", "lead", "kari", "ola"])
def test_the_customer_choices_are_the_customers_the_policy_lets_the_user_add_for(
    world: World, role: str, model: str
) -> None:
    user = world.users[role]
    assert user is not None
    policy = contact_policy if model == "contact" else interaction_policy
    client = world.client_for(role)
    allowed = {customer.pk for customer in world.customers.values() if policy.can_add_for(user, customer)}

    form = get(client, reverse(f"admin:customers_{model}_add")).context["adminform"].form
    suggested = get(
        client,
        reverse("admin:autocomplete"),
        app_label="customers",
        model_name=model,
        field_name="customer",
        term="",
    ).json()["results"]

    assert {customer.pk for customer in form.fields["customer"].queryset} == allowed
    assert {int(row["id"]) for row in suggested} == allowed
    assert allowed == {world.customers[name].pk for name in CUSTOMERS if may_change(role, name)}


@pytest.mark.parametrize("role", ["kari", "ola"])
def test_the_contact_choice_of_an_interaction_offers_the_managers_own_contacts(
    world: World, role: str
) -> None:
    client = world.client_for(role)

    suggested = get(
        client,
        reverse("admin:autocomplete"),
        app_label="customers",
        model_name="interaction",
        field_name="contact",
        term="",
    ).json()["results"]

    assert [int(row["id"]) for row in suggested] == [world.contacts[role].pk]


@pytest.mark.parametrize("model", [Contact, Interaction])
def test_saving_checks_the_policy_again_whatever_the_form_let_through(
    world: World, model: type[Contact] | type[Interaction]
) -> None:
    # The forms refuse another manager's customer already; this is the last line, as if a form had
    # been built without the limited choices.
    model_admin: admin.ModelAdmin[Any] = admin.site.get_model_admin(model)
    request = RequestFactory().post("/")
    kari = world.users["kari"]
    assert kari is not None
    request.user = kari
    record = world.contacts["kari"] if model is Contact else world.interactions["kari"]
    record.customer = world.customers["ola"]
    before = snapshot()

    with pytest.raises(Forbidden, match="another account manager"):
        model_admin.save_model(request, record, model_admin.get_form(request, record)(), change=True)

    assert snapshot() == before


def test_the_contact_list_makes_as_many_queries_for_30_contacts_as_for_3(world: World) -> None:
    client = world.client_for("kari")
    url = reverse("admin:customers_contact_changelist")
    get(client, url)
    with CaptureQueriesContext(connection) as three:
        get(client, url)
    for _ in range(27):
        ContactFactory.create(customer=world.customers["ola"])

    with CaptureQueriesContext(connection) as thirty:
        response = get(client, url)

    assert response.status_code == 200
    assert len(thirty) == len(three)
