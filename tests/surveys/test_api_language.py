"""The surveys API explains refusals in the client's language (Accept-Language), English by default."""

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("surveys_api:survey-response-create")


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    # A request activates the browser's language in this thread and nothing deactivates it; without
    # this, the next test module would run in Norwegian and read "linje" where it expects "line".
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def client_for(*, may_add: bool) -> APIClient:
    user = UserFactory.create(password=None)
    if may_add:
        user.user_permissions.add(Permission.objects.get(codename="add_surveyresponse"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_field_errors_are_norwegian_for_a_norwegian_client():
    CustomerFactory.create(external_id="K100")

    response = client_for(may_add=True).post(
        URL,
        {"customer": "K999", "kind": "csat", "score": 3},
        format="json",
        secure=True,
        HTTP_ACCEPT_LANGUAGE="nb",
    )

    assert response.status_code == 400
    assert response.json() == {"customer": ["Ingen kunde med external_id «K999»."]}


def test_an_off_scale_score_is_refused_in_norwegian():
    CustomerFactory.create(external_id="K100")

    response = client_for(may_add=True).post(
        URL,
        {"customer": "K100", "kind": "csat", "score": 9},
        format="json",
        secure=True,
        HTTP_ACCEPT_LANGUAGE="nb",
    )

    assert response.status_code == 400
    assert response.json()["score"] == ["CSAT-poengsummer går fra 1 til 5; fikk 9."]


def test_the_permission_refusal_is_norwegian_for_a_norwegian_client():
    response = client_for(may_add=False).post(URL, {}, format="json", secure=True, HTTP_ACCEPT_LANGUAGE="nb")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Du trenger tillatelsen")


def test_without_accept_language_the_api_answers_in_english():
    response = client_for(may_add=True).post(
        URL, {"customer": "K999", "kind": "nps", "score": 3}, format="json", secure=True
    )

    assert response.json() == {"customer": ["No customer with external_id 'K999'."]}
