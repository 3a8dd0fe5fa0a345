import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import Contact, Language
from surveys.models import Category, Source, SurveyResponse
from tests.factories import ContactFactory, CustomerFactory, FollowUpTaskFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("surveys_api:survey-response-create")


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # The rate limit counts in the cache, which outlives a test; start every test from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def integration_user(db):
    # password=None: an unusable password costs no hashing, and API clients sign in by token anyway.
    user = UserFactory.create(username="typeform", password=None)
    user.user_permissions.add(Permission.objects.get(codename="add_surveyresponse"))
    return user


@pytest.fixture
def api(integration_user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=integration_user).key}")
    return client


@pytest.fixture
def customer(db):
    return CustomerFactory.create(external_id="K100")


def post(client: APIClient, body: object, **kwargs):
    # secure: production settings (the tests' defaults) redirect plain HTTP to HTTPS.
    return client.post(URL, body, format="json", secure=True, **kwargs)


def test_a_valid_answer_is_stored_and_answered_with_201(api, customer):
    response = post(
        api,
        {
            "customer": "K100",
            "kind": "nps",
            "score": 9,
            "comment": "  Rask levering  ",
            "contact_email": "kari@kunde.no",
            "external_id": "typeform-1",
            "submitted_at": "2026-03-01T10:00:00+01:00",
        },
    )

    assert response.status_code == 201
    stored = SurveyResponse.objects.get()
    assert response.json() == {
        "id": stored.pk,
        "customer": "K100",
        "kind": "nps",
        "score": 9,
        "category": "promoter",
        "comment": "Rask levering",
        "contact_email": "kari@kunde.no",
        "external_id": "typeform-1",
        "submitted_at": "2026-03-01T10:00:00+01:00",
        "source": "api",
        "followup_queued": False,
    }
    assert (stored.customer, stored.score, stored.source, stored.contact.email) == (
        customer,
        9,
        Source.API,
        "kari@kunde.no",
    )


def test_the_optional_fields_may_be_left_out(api, customer):
    response = post(api, {"customer": "K100", "kind": "ces", "score": 6})

    assert response.status_code == 201
    assert response.json()["contact_email"] is None
    assert response.json()["external_id"] is None
    assert SurveyResponse.objects.get().contact is None


def test_the_same_external_id_twice_stores_one_response_and_answers_200_with_the_same_body(api, customer):
    body = {"customer": "K100", "kind": "nps", "score": 4, "external_id": "form-7", "contact_email": "a@b.no"}
    first = post(api, body)

    second = post(api, body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert SurveyResponse.objects.count() == 1
    assert Contact.objects.count() == 1


def test_the_same_external_id_with_another_answer_is_a_409_that_changes_nothing(api, customer):
    post(api, {"customer": "K100", "kind": "nps", "score": 4, "external_id": "form-7"})

    response = post(
        api,
        {
            "customer": "K100",
            "kind": "nps",
            "score": 10,
            "external_id": "form-7",
            "contact_email": "ny@kunde.no",
        },
    )

    assert response.status_code == 409
    assert "form-7" in response.json()["detail"]
    assert "already used" in response.json()["detail"]
    assert list(SurveyResponse.objects.values_list("score", flat=True)) == [4]
    assert not Contact.objects.filter(email="ny@kunde.no").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer": "NOPE", "kind": "nps", "score": 9}, "customer"),
        ({"customer": "K100", "kind": "enps", "score": 9}, "kind"),
        ({"customer": "K100", "kind": "nps", "score": 11}, "score"),
        ({"customer": "K100", "kind": "nps", "score": -1}, "score"),
        ({"customer": "K100", "kind": "csat", "score": 0}, "score"),
        ({"customer": "K100", "kind": "ces", "score": 8}, "score"),
        ({"customer": "K100", "kind": "nps", "score": "abc"}, "score"),
        ({"customer": "K100", "kind": "nps", "score": 7.5}, "score"),
        ({"customer": "K100", "kind": "nps", "score": True}, "score"),
        ({"kind": "nps", "score": 9}, "customer"),
        ({"customer": "K100", "score": 9}, "kind"),
        ({"customer": "K100", "kind": "nps"}, "score"),
        ({"customer": "K100", "kind": "nps", "score": 9, "contact_email": "not-an-email"}, "contact_email"),
        ({"customer": "K100", "kind": "nps", "score": 9, "submitted_at": "yesterday"}, "submitted_at"),
        (
            {"customer": "K100", "kind": "nps", "score": 9, "submitted_at": "2999-01-01T00:00:00Z"},
            "submitted_at",
        ),
        ({"customer": "K100", "kind": "nps", "score": 9, "external_id": "x" * 101}, "external_id"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field_and_stores_nothing(api, customer, body, field):
    response = post(api, {"contact_email": "kari@kunde.no", **body})

    assert response.status_code == 400
    assert field in response.json()
    assert not SurveyResponse.objects.exists()
    assert not Contact.objects.exists()


def test_an_unknown_customer_is_named_in_the_error(api, customer):
    response = post(api, {"customer": "K999", "kind": "nps", "score": 9})

    assert response.json() == {"customer": ["No customer with external_id 'K999'."]}


def test_an_off_scale_score_error_gives_the_scale(api, customer):
    response = post(api, {"customer": "K100", "kind": "csat", "score": 0})

    assert response.json() == {"score": ["CSAT scores run from 1 to 5; got 0."]}


def test_a_body_that_is_not_json_is_a_400(api, customer):
    response = api.post(URL, "{not json", content_type="application/json", secure=True)

    assert response.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_a_json_list_instead_of_an_object_is_a_400(api, customer):
    response = post(api, [{"customer": "K100", "kind": "nps", "score": 9}])

    assert response.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_an_anonymous_request_is_a_401_asking_for_a_token(customer):
    response = post(APIClient(), {"customer": "K100", "kind": "nps", "score": 9})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not SurveyResponse.objects.exists()


def test_a_wrong_token_is_a_401(customer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = post(client, {"customer": "K100", "kind": "nps", "score": 9})

    assert response.status_code == 401


def test_a_token_of_a_user_without_the_add_permission_is_a_403(customer):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory.create(password=None)).key}"
    )

    response = post(client, {"customer": "K100", "kind": "nps", "score": 9})

    assert response.status_code == 403
    assert not SurveyResponse.objects.exists()


def test_a_signed_in_session_with_the_permission_may_post(integration_user, customer):
    client = APIClient()
    client.force_login(integration_user)

    response = post(client, {"customer": "K100", "kind": "nps", "score": 9})

    assert response.status_code == 201


def test_a_permission_through_a_group_is_enough(customer):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Integrations")
    group.permissions.add(Permission.objects.get(codename="add_surveyresponse"))
    user = UserFactory.create(password=None)
    user.groups.add(group)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    response = post(client, {"customer": "K100", "kind": "nps", "score": 9})

    assert response.status_code == 201


def test_an_unknown_email_becomes_a_new_norwegian_contact_named_after_its_local_part(api, customer):
    response = post(
        api, {"customer": "K100", "kind": "nps", "score": 8, "contact_email": "Ola.Nordmann@Kunde.no"}
    )

    contact = Contact.objects.get()
    assert (contact.customer, contact.name, contact.email, contact.language) == (
        customer,
        "Ola.Nordmann",
        "Ola.Nordmann@Kunde.no",
        Language.NB,
    )
    assert SurveyResponse.objects.get(pk=response.json()["id"]).contact == contact


def test_the_created_contact_is_reused_whatever_the_case_of_the_email(api, customer):
    post(api, {"customer": "K100", "kind": "nps", "score": 8, "contact_email": "Ola.Nordmann@Kunde.no"})

    post(api, {"customer": "K100", "kind": "nps", "score": 9, "contact_email": "ola.nordmann@kunde.NO"})

    assert Contact.objects.count() == 1
    assert set(SurveyResponse.objects.values_list("contact_id", flat=True)) == {Contact.objects.get().pk}


def test_an_existing_contact_is_found_case_insensitively(api, customer):
    kari = ContactFactory.create(customer=customer, name="Kari Nordmann", email="Kari@Kunde.no")

    response = post(api, {"customer": "K100", "kind": "csat", "score": 5, "contact_email": "kari@kunde.no"})

    assert SurveyResponse.objects.get(pk=response.json()["id"]).contact == kari
    assert response.json()["contact_email"] == "Kari@Kunde.no"
    assert Contact.objects.count() == 1


def test_the_same_email_at_another_customer_is_another_contact(api, customer):
    other = ContactFactory.create(customer=CustomerFactory.create(), email="kari@kunde.no")

    post(api, {"customer": "K100", "kind": "nps", "score": 9, "contact_email": "kari@kunde.no"})

    assert Contact.objects.filter(customer=customer).count() == 1
    assert Contact.objects.get(customer=customer) != other


@pytest.mark.parametrize(
    ("kind", "score", "queued"),
    [("nps", 6, True), ("nps", 7, False), ("csat", 2, True), ("ces", 3, True), ("ces", 7, False)],
)
def test_an_unhappy_answer_reports_its_followup_as_queued(api, customer, kind, score, queued):
    response = post(api, {"customer": "K100", "kind": kind, "score": score})

    assert response.json()["followup_queued"] is queued
    assert (response.json()["category"] == Category.DETRACTOR) is queued


def test_a_time_without_an_offset_is_read_as_oslo_time(api, customer):
    response = post(
        api, {"customer": "K100", "kind": "nps", "score": 9, "submitted_at": "2026-07-01T12:00:00"}
    )

    assert response.json()["submitted_at"] == "2026-07-01T12:00:00+02:00"
    assert SurveyResponse.objects.get().submitted_at.isoformat() == "2026-07-01T10:00:00+00:00"


def test_only_post_is_allowed(api):
    response = api.get(URL, secure=True)

    assert response.status_code == 405


# --- refused oversized input is not sent back

MEGABYTE = "x" * 1_000_000


@pytest.mark.parametrize(
    "changes",
    [{"comment": MEGABYTE}, {"kind": MEGABYTE}, {"customer": MEGABYTE}, {"external_id": MEGABYTE}],
    ids=["comment", "kind", "customer", "external_id"],
)
def test_a_megabyte_in_any_field_is_refused_with_a_small_error_body(api, customer, changes):
    response = post(api, {"customer": "K100", "kind": "nps", "score": 9, **changes})

    assert response.status_code == 400
    assert len(response.content) < 1000
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("field", ["status", "outcome", "note"])
def test_a_megabyte_in_a_followup_change_is_refused_with_a_small_error_body(superuser, field):
    task = FollowUpTaskFactory.create()
    client = APIClient()
    client.force_authenticate(superuser)
    body = {"status": "done", "outcome": "recovered", field: MEGABYTE}

    response = client.patch(f"/api/followups/{task.pk}/", body, format="json", secure=True)

    assert response.status_code == 400
    assert len(response.content) < 1000
