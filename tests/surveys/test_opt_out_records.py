"""Opt-outs: an opted-out contact's answer is marked as such, and only a lead clears an opt-out.

The contact asked for no more surveys; an answer they still choose to send (an old link, another tool's
form) is feedback and is stored and counted, but marked, so nobody reads it as consent to be asked again.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import Contact
from surveys.models import SurveyKind, SurveyResponse
from surveys.services import submit_invitation_response
from tests.customers.test_admin import change_form_data
from tests.customers.test_permission_matrix import World, contact_data
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    SurveyInvitationFactory,
    UserFactory,
    active_survey,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- answers from opted-out contacts


def test_an_answer_through_an_old_link_from_an_opted_out_contact_is_stored_and_marked() -> None:
    contact = ContactFactory.create(opted_out=True, opted_out_at=timezone.now())
    invitation = SurveyInvitationFactory.create(
        survey=active_survey(SurveyKind.NPS), contact=contact, customer=contact.customer
    )

    response = submit_invitation_response(invitation_id=invitation.pk, score=3, comment="Ring meg ikke")

    stored = SurveyResponse.objects.get(pk=response.pk)
    assert stored.contact_opted_out is True
    assert stored.score == 3


def test_an_answer_from_a_contact_who_has_not_opted_out_is_not_marked() -> None:
    contact = ContactFactory.create()
    invitation = SurveyInvitationFactory.create(
        survey=active_survey(SurveyKind.NPS), contact=contact, customer=contact.customer
    )

    response = submit_invitation_response(invitation_id=invitation.pk, score=9, comment="")

    assert SurveyResponse.objects.get(pk=response.pk).contact_opted_out is False


def test_an_api_answer_naming_an_opted_out_contact_is_stored_and_marked() -> None:
    customer = CustomerFactory.create(external_id="K7")
    ContactFactory.create(customer=customer, email="nei@kunde.no", opted_out=True)
    user = UserFactory.create(password=None)
    user.user_permissions.add(Permission.objects.get(codename="add_surveyresponse"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    answer = api.post(
        "/api/survey-responses/",
        {"customer": "K7", "kind": "nps", "score": 8, "contact_email": "NEI@kunde.no"},
        format="json",
        secure=True,
    )

    assert answer.status_code == 201
    assert SurveyResponse.objects.get(pk=answer.json()["id"]).contact_opted_out is True


def test_the_response_list_in_the_admin_filters_on_opted_out_contacts(client: Client, superuser: Any) -> None:
    client.force_login(superuser)
    contact = ContactFactory.create(opted_out=True)
    invitation = SurveyInvitationFactory.create(
        survey=active_survey(SurveyKind.NPS), contact=contact, customer=contact.customer
    )
    submit_invitation_response(invitation_id=invitation.pk, score=5, comment="")

    page = client.get(
        reverse("admin:surveys_surveyresponse_changelist"), {"contact_opted_out__exact": "1"}, secure=True
    )

    assert page.status_code == 200
    assert [row.pk for row in page.context["cl"].result_list] == [invitation.response.pk]


# --- who may clear an opt-out


@pytest.fixture
def world() -> World:
    world = World()
    Contact.objects.update(opted_out=True, opted_out_at=timezone.now())
    return world


def contact_url(contact: Contact) -> str:
    return reverse("admin:customers_contact_change", args=[contact.pk])


def customer_url(world: World, name: str) -> str:
    return reverse("admin:customers_customer_change", args=[world.customers[name].pk])


def test_an_account_manager_cannot_clear_an_opt_out_on_their_own_customers_contact_page(world: World) -> None:
    contact = world.contacts["kari"]
    before = Contact.objects.get(pk=contact.pk)

    answer = world.client_for("kari").post(
        contact_url(contact), contact_data(contact, name="Nytt Navn"), secure=True
    )

    after = Contact.objects.get(pk=contact.pk)
    assert answer.status_code == 302
    assert after.name == "Nytt Navn"
    assert (after.opted_out, after.opted_out_at) == (True, before.opted_out_at)


def test_an_account_manager_who_may_edit_the_customer_still_cannot_clear_an_opt_out_there(
    world: World,
) -> None:
    kari = world.users["kari"]
    assert kari is not None
    kari.user_permissions.add(Permission.objects.get(codename="change_customer"))
    client = world.client_for("kari")
    url = customer_url(world, "kari")
    data = change_form_data(client, url)
    data.pop("contacts-0-opted_out", None)
    before = Contact.objects.get(pk=world.contacts["kari"].pk)

    answer = client.post(url, data, secure=True)

    after = Contact.objects.get(pk=world.contacts["kari"].pk)
    assert answer.status_code == 302
    assert (after.opted_out, after.opted_out_at) == (True, before.opted_out_at)


def test_the_opt_out_box_is_read_only_for_an_account_manager(world: World) -> None:
    page = world.client_for("kari").get(contact_url(world.contacts["kari"]), secure=True)

    assert "opted_out" not in page.context["adminform"].form.fields


def test_a_lead_clears_an_opt_out_and_the_change_is_logged_with_their_name(world: World) -> None:
    contact = world.contacts["ola"]
    lead = world.users["lead"]
    assert lead is not None

    answer = world.client_for("lead").post(contact_url(contact), contact_data(contact), secure=True)

    after = Contact.objects.get(pk=contact.pk)
    assert answer.status_code == 302
    assert (after.opted_out, after.opted_out_at) == (False, None)
    entry = LogEntry.objects.get(object_id=str(contact.pk), action_flag=CHANGE)
    assert entry.user_id == lead.pk
    assert "Opted out" in json.loads(entry.change_message)[0]["changed"]["fields"]
